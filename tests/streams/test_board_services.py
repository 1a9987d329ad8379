"""Rules of the board services: op log, seq, validation and authorisation."""

import math
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from streams.models import Activity, Link, Note, Op, Vote
from streams.services import board_create, board_delete, board_move, board_update, op_apply
from streams.services.board import OpAlreadyApplied, OpRequest, ops_apply
from tests.factories import (
    ActivityFactory,
    LinkFactory,
    StreamFactory,
    VoteFactory,
    WasteFactory,
)
from vsm_site.errors import NotFound

pytestmark = pytest.mark.django_db


def test_each_write_appends_one_op_with_the_next_seq(cast):
    first = board_create(
        actor=cast.participant, kind="activity", stream_id=cast.stream.pk, data={"title": "Build"}
    )
    second = board_move(
        actor=cast.participant,
        kind="activity",
        object_id=first.data["id"],
        data={"x": 10, "y": 20},
    )
    assert [op.seq for op in Op.objects.filter(stream=cast.stream)] == [1, 2]
    assert (first.op, second.op) == ("activity.create", "activity.move")
    assert second.data["x"] == 10 and second.data["version"] == 2


def test_rejected_write_changes_nothing_and_leaves_no_gap_in_the_log(cast):
    with pytest.raises(ValidationError):
        board_create(
            actor=cast.participant,
            kind="activity",
            stream_id=cast.stream.pk,
            data={"title": "Build", "wait_time": math.nan},
        )
    board_create(
        actor=cast.participant, kind="activity", stream_id=cast.stream.pk, data={"title": "Ok"}
    )
    assert list(Op.objects.values_list("seq", flat=True)) == [1]
    assert Activity.objects.count() == 1


def test_update_sets_only_the_fields_sent(cast):
    activity = ActivityFactory(stream=cast.stream, title="Old", team="Dev")
    board_update(
        actor=cast.participant, kind="activity", object_id=activity.pk, data={"title": "New"}
    )
    activity.refresh_from_db()
    assert (activity.title, activity.team) == ("New", "Dev")


def test_viewer_cannot_write(cast):
    with pytest.raises(PermissionDenied):
        board_create(actor=cast.viewer, kind="note", stream_id=cast.stream.pk, data={"text": "hi"})


def test_outsider_cannot_see_that_the_stream_exists(cast):
    with pytest.raises(NotFound):
        board_create(
            actor=cast.outsider, kind="note", stream_id=cast.stream.pk, data={"text": "hi"}
        )


def test_object_of_another_stream_is_not_found_through_this_board(cast):
    other = ActivityFactory(stream=StreamFactory(workshop=cast.workshop))
    with pytest.raises(NotFound):
        board_delete(
            actor=cast.participant, kind="activity", object_id=other.pk, within=cast.stream.pk
        )


# Dots ----------------------------------------------------------------------------------------


def test_a_member_cannot_place_more_dots_than_the_budget_on_a_stream(cast, settings):
    settings.VSM_DOT_BUDGET = 2
    waste = WasteFactory(stream=cast.stream)
    for _ in range(2):
        board_create(
            actor=cast.participant, kind="vote", stream_id=cast.stream.pk, data={"waste": waste.pk}
        )
    with pytest.raises(ValidationError) as refused:
        board_create(
            actor=cast.participant, kind="vote", stream_id=cast.stream.pk, data={"waste": waste.pk}
        )
    assert refused.value.message_dict == {"waste": ["You have used all 2 of your dots."]}
    assert Vote.objects.count() == 2 and Op.objects.count() == 2


def test_the_dot_budget_is_per_member_and_per_stream(cast, settings):
    settings.VSM_DOT_BUDGET = 1
    waste = WasteFactory(stream=cast.stream)
    other_waste = WasteFactory(stream=StreamFactory(workshop=cast.workshop))
    for actor, target in (
        (cast.participant, waste),
        (cast.facilitator, waste),
        (cast.participant, other_waste),
    ):
        board_create(
            actor=actor, kind="vote", stream_id=target.stream_id, data={"waste": target.pk}
        )
    assert Vote.objects.count() == 3


def test_taking_back_a_dot_frees_it_for_another_waste(cast, settings):
    settings.VSM_DOT_BUDGET = 1
    first, second = WasteFactory(stream=cast.stream), WasteFactory(stream=cast.stream)
    op = board_create(
        actor=cast.participant, kind="vote", stream_id=cast.stream.pk, data={"waste": first.pk}
    )
    board_delete(actor=cast.participant, kind="vote", object_id=op.data["id"])
    board_create(
        actor=cast.participant, kind="vote", stream_id=cast.stream.pk, data={"waste": second.pk}
    )
    assert list(Vote.objects.values_list("waste_id", flat=True)) == [second.pk]


def test_api_answers_400_when_the_dots_are_used_up(cast, client_for, settings):
    settings.VSM_DOT_BUDGET = 1
    waste = WasteFactory(stream=cast.stream)
    client = client_for(cast.participant)
    assert client.post(f"/api/wastes/{waste.pk}/votes/").status_code == 201
    response = client.post(f"/api/wastes/{waste.pk}/votes/")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["waste"]
    assert Vote.objects.count() == 1


@pytest.mark.parametrize("role", ["facilitator", "viewer"])
def test_only_the_voter_can_take_back_a_dot_once_the_votes_are_revealed(cast, role):
    cast.stream.votes_revealed = True
    cast.stream.save()
    vote = VoteFactory(
        waste=WasteFactory(stream=cast.stream), member=cast.membership("participant")
    )
    with pytest.raises(PermissionDenied):
        board_delete(actor=cast.user(role), kind="vote", object_id=vote.pk)
    assert Vote.objects.filter(pk=vote.pk).exists() and not Op.objects.exists()


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer"])
def test_another_members_hidden_dot_is_not_found_as_if_it_did_not_exist(cast, role):
    vote = VoteFactory(waste=WasteFactory(stream=cast.stream), member=cast.membership("viewer"))
    if role == "viewer":
        vote = VoteFactory(
            waste=WasteFactory(stream=cast.stream), member=cast.membership("participant")
        )
    for within in (None, cast.stream.pk):
        with pytest.raises(NotFound, match="No such vote."):
            board_delete(actor=cast.user(role), kind="vote", object_id=vote.pk, within=within)
    assert Vote.objects.filter(pk=vote.pk).exists() and not Op.objects.exists()


def test_viewer_cannot_vote(cast):
    waste = WasteFactory(stream=cast.stream)
    with pytest.raises(PermissionDenied):
        board_create(
            actor=cast.viewer, kind="vote", stream_id=cast.stream.pk, data={"waste": waste.pk}
        )


def test_a_vote_is_cast_by_the_actor_whatever_the_payload_says(cast):
    waste = WasteFactory(stream=cast.stream)
    with pytest.raises(ValidationError):
        board_create(
            actor=cast.participant,
            kind="vote",
            stream_id=cast.stream.pk,
            data={"waste": waste.pk, "member_id": cast.membership("facilitator").pk},
        )
    op = board_create(
        actor=cast.participant,
        kind="vote",
        stream_id=cast.stream.pk,
        data={"waste": waste.pk, "member": cast.membership("facilitator").pk},
    )
    assert op.data["member"] == cast.membership("participant").pk


# Locked board --------------------------------------------------------------------------------


@pytest.fixture
def locked(cast):
    cast.stream.locked = True
    cast.stream.save()
    return cast


def test_participant_cannot_add_to_a_locked_board(locked):
    with pytest.raises(PermissionDenied):
        board_create(
            actor=locked.participant, kind="note", stream_id=locked.stream.pk, data={"text": "x"}
        )
    assert not Op.objects.exists()


@pytest.mark.parametrize("write", ["update", "move", "delete"])
def test_participant_cannot_change_a_locked_board(locked, write):
    activity = ActivityFactory(stream=locked.stream, title="Old")
    with pytest.raises(PermissionDenied):
        if write == "delete":
            board_delete(actor=locked.participant, kind="activity", object_id=activity.pk)
        else:
            service = board_update if write == "update" else board_move
            service(actor=locked.participant, kind="activity", object_id=activity.pk, data={"x": 5})
    activity.refresh_from_db()
    assert (activity.x, activity.version) == (0, 1)


def test_participant_cannot_vote_on_a_locked_board(locked):
    waste = WasteFactory(stream=locked.stream)
    with pytest.raises(PermissionDenied):
        board_create(
            actor=locked.participant,
            kind="vote",
            stream_id=locked.stream.pk,
            data={"waste": waste.pk},
        )


def test_facilitator_can_still_edit_a_locked_board(locked):
    op = board_create(
        actor=locked.facilitator, kind="note", stream_id=locked.stream.pk, data={"text": "x"}
    )
    board_update(actor=locked.facilitator, kind="note", object_id=op.data["id"], data={"text": "y"})
    board_delete(actor=locked.facilitator, kind="note", object_id=op.data["id"])
    assert [op.seq for op in Op.objects.all()] == [1, 2, 3]


def test_api_refuses_a_participant_on_a_locked_board_and_lets_the_facilitator_in(
    locked, client_for
):
    url = f"/api/streams/{locked.stream.pk}/notes/"
    refused = client_for(locked.participant).post(url, {"text": "x"}, format="json")
    allowed = client_for(locked.facilitator).post(url, {"text": "x"}, format="json")
    assert (refused.status_code, allowed.status_code) == (403, 201)
    assert Note.objects.count() == 1


# The op log --------------------------------------------------------------------------------


def test_move_sets_only_position_fields(cast):
    activity = ActivityFactory(stream=cast.stream)
    with pytest.raises(ValidationError) as refused:
        board_move(
            actor=cast.participant,
            kind="activity",
            object_id=activity.pk,
            data={"x": 1, "title": "Renamed"},
        )
    assert list(refused.value.message_dict) == ["title"]


@pytest.mark.parametrize("kind", ["link", "vote"])
def test_links_and_votes_cannot_be_changed_in_place(cast, kind):
    obj = (
        LinkFactory(stream=cast.stream)
        if kind == "link"
        else VoteFactory(waste=WasteFactory(stream=cast.stream))
    )
    with pytest.raises(ValidationError):
        board_update(actor=cast.facilitator, kind=kind, object_id=obj.pk, data={})


def test_deleting_an_activity_logs_one_op_and_its_links_go_with_it(cast):
    link = LinkFactory(stream=cast.stream)
    op = board_delete(actor=cast.participant, kind="activity", object_id=link.source_id)
    assert (op.op, op.data, op.seq) == ("activity.delete", {"id": link.source_id}, 1)
    assert not Link.objects.exists()


def test_op_apply_refuses_unknown_kinds_and_actions(cast):
    for op in ("activity.explode", "robot.create", "activity", "a.b.c", 7):
        with pytest.raises(ValidationError):
            op_apply(actor=cast.participant, stream_id=cast.stream.pk, op=op, data={})
    assert not Op.objects.exists()


def test_an_op_sent_again_with_its_client_id_is_not_applied_twice(cast, settings):
    note = op_apply(
        actor=cast.participant,
        stream_id=cast.stream.pk,
        op="note.create",
        data={"text": "a"},
        client_id="c-1",
    )
    with pytest.raises(OpAlreadyApplied) as already:
        op_apply(
            actor=cast.participant,
            stream_id=cast.stream.pk,
            op="note.create",
            data={"text": "a"},
            client_id="c-1",
        )
    assert already.value.seq == note.seq
    assert Note.objects.filter(stream=cast.stream).count() == 1
    assert Op.objects.filter(stream=cast.stream).count() == 1
    cast.stream.refresh_from_db()
    assert cast.stream.seq == note.seq  # the attempt gave its seq back

    # Another member's op with the same id, and ops without an id, are their own.
    op_apply(
        actor=cast.facilitator,
        stream_id=cast.stream.pk,
        op="note.create",
        data={"text": "b"},
        client_id="c-1",
    )
    for _ in range(2):
        op_apply(
            actor=cast.participant, stream_id=cast.stream.pk, op="note.create", data={"text": "c"}
        )
    assert Note.objects.filter(stream=cast.stream).count() == 4

    # Only the last `VSM_WS_REPLAY_LIMIT` ops are looked at.
    settings.VSM_WS_REPLAY_LIMIT = 2
    again = op_apply(
        actor=cast.participant,
        stream_id=cast.stream.pk,
        op="note.move",
        data={"id": note.data["id"], "x": 5},
        client_id="c-1",
    )
    assert again.seq == 5


def test_a_batch_shares_one_lock_and_gives_seqs_only_to_applied_ops(cast):
    note = op_apply(
        actor=cast.participant, stream_id=cast.stream.pk, op="note.create", data={"text": "a"}
    )
    requests = [
        OpRequest(cast.participant, "note.move", {"id": note.data["id"], "x": 5}, "m1"),
        OpRequest(cast.participant, "note.update", {"id": note.data["id"], "colour": "red"}),
        OpRequest(cast.participant, "note.update", {"id": 10**9, "text": "b"}),
        OpRequest(cast.viewer, "note.create", {"text": "c"}),
        OpRequest(cast.facilitator, "note.create", {"text": "d"}, "c1"),
        OpRequest(cast.participant, "note.move", {"id": note.data["id"], "x": 6}, "m1"),
    ]
    with CaptureQueriesContext(connection) as queries:
        results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    kinds = [type(result).__name__ for result in results]
    assert kinds == [
        "Op",
        "ValidationError",
        "NotFound",
        "PermissionDenied",
        "Op",
        "OpAlreadyApplied",
    ]
    assert [results[0].seq, results[4].seq, results[5].seq] == [2, 3, 2]
    assert list(Op.objects.filter(stream=cast.stream).values_list("seq", flat=True)) == [1, 2, 3]
    cast.stream.refresh_from_db()
    assert cast.stream.seq == 3
    stream_writes = [
        q for q in queries.captured_queries if "UPDATE streams_valuestream" in q["sql"]
    ]
    assert len(stream_writes) == 2  # the lock, and the seq the batch ends at


def test_a_batch_the_database_fails_is_applied_op_by_op(cast, monkeypatch):
    save = Note.save

    def save_or_fail(self: Note, *args: Any, **kwargs: Any) -> None:
        if self.text == "boom":
            raise DatabaseError("the disk is full")
        save(self, *args, **kwargs)

    monkeypatch.setattr(Note, "save", save_or_fail)
    results = ops_apply(
        stream_id=cast.stream.pk,
        requests=[
            OpRequest(cast.participant, "note.create", {"text": text})
            for text in ("a", "boom", "b")
        ],
    )
    assert isinstance(results[1], DatabaseError)
    assert [results[0].seq, results[2].seq] == [1, 2]  # no gap for the failed one
    assert sorted(Note.objects.filter(stream=cast.stream).values_list("text", flat=True)) == [
        "a",
        "b",
    ]


def test_an_op_rejected_in_a_batch_leaves_nothing_for_the_next_op_on_that_object(cast):
    activity = ActivityFactory(stream=cast.stream, title="Build", lead_time_max=10)
    requests = [
        # Fails its rule after the fields were set on the (shared) object.
        OpRequest(cast.participant, "activity.update", {"id": activity.pk, "lead_time_min": 99}),
        OpRequest(cast.participant, "activity.update", {"id": activity.pk, "title": "Ship"}),
    ]
    results = ops_apply(stream_id=cast.stream.pk, requests=requests)
    assert isinstance(results[0], ValidationError) and isinstance(results[1], Op)
    activity.refresh_from_db()
    assert (activity.title, activity.lead_time_min) == ("Ship", None)
    assert results[1].data["lead_time_min"] is None
