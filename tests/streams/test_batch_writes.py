"""A batch's writes cost one round trip per kind of statement (issue 15): `ops_apply` holds
back the updates and moves of its objects and writes them together, one `executemany` per
table and set of columns (psycopg pipelines its rows: one round trip), and the ops after
them, in the batch, see what they wrote."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from streams.models import Activity, Note, Op, Waste
from streams.services.board import OpRequest, ops_apply
from tests.factories import ActivityFactory, NoteFactory, WasteFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _shape(sql: str) -> str:
    """A statement without its values: an UPDATE by its table and columns, any other by its
    first words (savepoint names left out)."""
    sql = re.sub(r'^\d+ times: |"s\d+_x\d+"', "", sql)
    words = sql.split()
    if words[0] == "UPDATE":
        columns = re.findall(r"(\w+)\"? = ", sql.partition(" WHERE ")[0])
        return " ".join(["UPDATE", words[1], "SET", ",".join(columns)])
    return " ".join(words[:3])


def _statements(cast, requests: list[OpRequest]) -> tuple[list[object], Counter[str]]:
    """The results of `ops_apply`, and how many times it sent each statement (an
    `executemany`, logged once as "<n> times: <sql>", is one: one pipeline, one round
    trip)."""
    with CaptureQueriesContext(connection) as queries:
        results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    return results, Counter(_shape(query["sql"]) for query in queries.captured_queries)


def _mixed(cast, notes: list[Note], wastes: list[Waste], rounds: int) -> list[OpRequest]:
    """`rounds` times: a note moved, another note's text changed, a waste moved (three kinds
    of UPDATE: two tables, two sets of columns on one of them)."""
    requests = []
    half = len(notes) // 2
    for n in range(rounds):
        moved, edited, waste = notes[n % half], notes[half + n % half], wastes[n % len(wastes)]
        requests += [
            OpRequest(cast.participant, "note.move", {"id": moved.pk, "x": n, "y": 2 * n}),
            OpRequest(cast.participant, "note.update", {"id": edited.pk, "text": f"text {n}"}),
            OpRequest(cast.facilitator, "waste.move", {"id": waste.pk, "x": n, "y": n}),
        ]
    return requests


def test_a_batch_sends_as_many_statements_for_many_ops_as_for_few(cast):
    assert psycopg.Pipeline.is_supported()  # executemany sends its rows in one pipeline
    notes = NoteFactory.create_batch(12, stream=cast.stream)
    wastes = WasteFactory.create_batch(12, stream=cast.stream)

    few_results, few = _statements(cast, _mixed(cast, notes, wastes, rounds=2))
    many_results, many = _statements(cast, _mixed(cast, notes, wastes, rounds=30))

    assert all(isinstance(result, Op) for result in few_results + many_results)
    assert few == many
    updates = [sql for sql in many if sql.startswith("UPDATE") and "valuestream" not in sql]
    assert all(many[sql] == 1 for sql in updates)
    assert len(updates) == 2 + 1  # notes: position / text; wastes: position


def test_the_updates_of_a_batch_are_written_as_its_ops_left_them(cast):
    note = NoteFactory(stream=cast.stream, text="before", x=0, y=0)
    requests = [
        OpRequest(cast.participant, "note.move", {"id": note.pk, "x": 5, "y": 6}),
        OpRequest(cast.participant, "note.update", {"id": note.pk, "text": "after"}),
        OpRequest(cast.facilitator, "note.move", {"id": note.pk, "x": 7}),
    ]
    results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    assert [result.data["version"] for result in results] == [2, 3, 4]
    stored = Note.objects.get(pk=note.pk)
    assert (stored.text, stored.x, stored.y, stored.version) == ("after", 7, 6, 4)
    assert stored.field_versions["x"] == [4, cast.facilitator.pk]
    assert stored.field_versions["text"] == [3, cast.participant.pk]
    last = results[-1].data
    assert (last["text"], last["x"], last["y"]) == ("after", 7, 6)


def test_an_op_that_reads_the_map_sees_the_moves_before_it_in_its_batch(cast):
    ActivityFactory(stream=cast.stream, title="Build", order=0)
    moved = ActivityFactory(stream=cast.stream, title="Ship", order=1)
    requests = [
        OpRequest(cast.participant, "activity.move", {"id": moved.pk, "order": 10}),
        # Without an order, a new activity goes after the last one in the flow.
        OpRequest(cast.participant, "activity.create", {"title": "Run"}),
    ]
    results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    assert results[1].data["order"] == 11
    assert Activity.objects.get(pk=moved.pk).order == 10


def test_after_a_rejected_op_the_next_op_on_its_object_builds_on_the_held_updates(cast):
    activity = ActivityFactory(stream=cast.stream, title="Build", lead_time_max=10)
    version = activity.version
    requests = [
        OpRequest(cast.participant, "activity.update", {"id": activity.pk, "title": "Ship"}),
        # Fails its rule after setting the field on the object the batch holds.
        OpRequest(cast.participant, "activity.update", {"id": activity.pk, "lead_time_min": 99}),
        OpRequest(cast.participant, "activity.move", {"id": activity.pk, "x": 7}),
    ]
    results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    assert [type(result).__name__ for result in results] == ["Op", "ValidationError", "Op"]
    assert (results[2].data["title"], results[2].data["version"]) == ("Ship", version + 2)
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.title, stored.x, stored.lead_time_min, stored.version) == (
        "Ship",
        7,
        None,
        version + 2,
    )


def test_a_held_update_the_database_refuses_sends_the_batch_one_op_at_a_time(cast):
    notes = NoteFactory.create_batch(3, stream=cast.stream, text="before")
    with connection.cursor() as cursor:  # the database, not a rule, refuses this text
        cursor.execute(
            "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.text = 'boom' THEN RAISE EXCEPTION 'no boom'; END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_boom BEFORE UPDATE ON streams_note "
            "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
        )
    requests = [
        OpRequest(cast.participant, "note.update", {"id": notes[0].pk, "text": "a"}),
        OpRequest(cast.participant, "note.update", {"id": notes[1].pk, "text": "boom"}),
        OpRequest(cast.participant, "note.update", {"id": notes[2].pk, "text": "b"}),
    ]
    results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    assert isinstance(results[1], DatabaseError)
    assert [results[0].seq, results[2].seq] == [1, 2]  # no gap for the refused one
    texts = dict(Note.objects.filter(stream=cast.stream).values_list("pk", "text"))
    assert [texts[note.pk] for note in notes] == ["a", "before", "b"]
    assert list(Op.objects.filter(stream=cast.stream).values_list("seq", flat=True)) == [1, 2]


#: Group commit's cases that hold on any database, run on SQLite too (below).
ON_ANY_DATABASE = [
    f"{__file__}::test_the_updates_of_a_batch_are_written_as_its_ops_left_them",
    f"{__file__}::test_an_op_that_reads_the_map_sees_the_moves_before_it_in_its_batch",
    f"{__file__}::test_after_a_rejected_op_the_next_op_on_its_object_builds_on_the_held_updates",
    f"{ROOT}/tests/streams/test_board_services.py::test_a_batch_shares_one_lock_and_gives_seqs_only_to_applied_ops",
    f"{ROOT}/tests/streams/test_board_services.py::test_a_batch_the_database_fails_is_applied_op_by_op",
]


def test_group_commit_applies_batches_on_the_embedded_default_sqlite(tmp_path):
    """`make run` keeps the map in SQLite, where the batch's reads once used PostgreSQL's
    `= ANY(%s)` and every batch of two ops or more was refused as unavailable. The cases
    above that hold on any database pass there, in a subprocess on a SQLite file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("REDIS_URL", "BROKER_URL")) and key != "DATABASE_URL"
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *ON_ANY_DATABASE, "-q", "-p", "no:cacheprovider",
         "-o", "addopts="],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(ON_ANY_DATABASE)} passed" in result.stdout
