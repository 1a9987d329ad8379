"""Optimistic concurrency per field: an update that says which version it was made against
is refused (a conflict, with the object as it is now) when someone else has since changed
one of its fields to another value; a field nobody else touched still applies; without a
version the last writer wins as before. The service, the socket and REST PATCH."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from streams.models import Activity, Op
from streams.services import board_update
from streams.services.board import OpRequest, ops_apply
from tests.factories import ActivityFactory, NoteFactory, WasteFactory
from tests.stack.clients import connected
from vsm_site.concurrency import EditConflict

HOUR = 3600


def _update(actor: Any, activity: Any, **data: Any) -> Any:
    return board_update(actor=actor, kind="activity", object_id=activity.pk, data=data)


# The service ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_edit_of_a_field_someone_changed_since_is_a_conflict_and_changes_nothing(cast):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    base = activity.version  # the participant goes offline with this version
    _update(cast.facilitator, activity, wait_time=4 * HOUR)  # the facilitator's later edit
    ops_before = Op.objects.count()

    with pytest.raises(EditConflict) as conflict:
        _update(cast.participant, activity, wait_time=8 * HOUR, version=base)

    assert conflict.value.fields == ["wait_time"]
    assert conflict.value.current["wait_time"] == 4 * HOUR
    assert conflict.value.current["version"] == base + 1
    assert conflict.value.by["id"] == cast.facilitator.pk
    assert "Wait time was changed by" in conflict.value.detail
    assert Activity.objects.get(pk=activity.pk).wait_time == 4 * HOUR
    assert Op.objects.count() == ops_before  # no seq taken


@pytest.mark.django_db
def test_a_stale_edit_of_a_field_nobody_else_changed_still_applies(cast):
    activity = ActivityFactory(stream=cast.stream, title="Review", wait_time=2 * HOUR)
    base = activity.version
    _update(cast.facilitator, activity, title="Code review")

    op = _update(cast.participant, activity, wait_time=8 * HOUR, version=base)

    assert (op.data["title"], op.data["wait_time"]) == ("Code review", 8 * HOUR)
    assert op.data["version"] == base + 2


@pytest.mark.django_db
def test_an_edit_without_a_version_still_overwrites_the_newer_one(cast):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    _update(cast.facilitator, activity, wait_time=4 * HOUR)

    op = _update(cast.participant, activity, wait_time=8 * HOUR)

    assert op.data["wait_time"] == 8 * HOUR


@pytest.mark.django_db
def test_a_stale_edit_to_the_value_the_field_has_now_is_no_conflict(cast):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    base = activity.version
    _update(cast.facilitator, activity, wait_time=4 * HOUR)

    op = _update(cast.participant, activity, wait_time=4 * HOUR, version=base)

    assert op.data["wait_time"] == 4 * HOUR


@pytest.mark.django_db
def test_edits_queued_offline_by_one_person_on_one_field_do_not_conflict_with_each_other(cast):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    base = activity.version  # both edits were made against it, one after the other

    _update(cast.participant, activity, wait_time=3 * HOUR, version=base)
    op = _update(cast.participant, activity, wait_time=5 * HOUR, version=base)

    assert op.data["wait_time"] == 5 * HOUR


@pytest.mark.django_db
def test_keeping_mine_sends_it_again_against_the_version_that_is_there_now(cast):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    base = activity.version
    newer = _update(cast.facilitator, activity, wait_time=4 * HOUR)
    with pytest.raises(EditConflict):
        _update(cast.participant, activity, wait_time=8 * HOUR, version=base)

    op = _update(cast.participant, activity, wait_time=8 * HOUR, version=newer.data["version"])

    assert op.data["wait_time"] == 8 * HOUR


@pytest.mark.django_db
def test_a_reference_field_changed_since_conflicts_too(cast):
    first, second, third = (ActivityFactory(stream=cast.stream) for _ in range(3))
    waste = WasteFactory(stream=cast.stream, activity=first)  # `activity` is stored as activity_id
    base = waste.version
    board_update(
        actor=cast.facilitator, kind="waste", object_id=waste.pk, data={"activity": second.pk}
    )

    with pytest.raises(EditConflict) as conflict:
        board_update(
            actor=cast.participant,
            kind="waste",
            object_id=waste.pk,
            data={"activity": third.pk, "version": base},
        )
    assert conflict.value.fields == ["activity"]
    assert conflict.value.current["activity"] == second.pk


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["2", 0, -1, 1.5, True, 2**40])
def test_a_version_that_is_not_a_version_number_is_invalid(cast, version):
    note = NoteFactory(stream=cast.stream)
    with pytest.raises(ValidationError) as invalid:
        board_update(
            actor=cast.participant,
            kind="note",
            object_id=note.pk,
            data={"text": "x", "version": version},
        )
    assert "version" in invalid.value.message_dict


@pytest.mark.django_db
def test_in_one_batch_the_later_stale_edit_conflicts_with_the_earlier_one(cast):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    base = activity.version
    results = ops_apply(
        stream_id=cast.stream.pk,
        requests=[
            OpRequest(cast.facilitator, "activity.update", {"id": activity.pk, "wait_time": 60}),
            OpRequest(
                cast.participant,
                "activity.update",
                {"id": activity.pk, "wait_time": 90, "version": base},
            ),
            OpRequest(cast.participant, "note.create", {"text": "after"}),
        ],
    )
    assert [type(result).__name__ for result in results] == ["Op", "EditConflict", "Op"]
    assert Activity.objects.get(pk=activity.pk).wait_time == 60
    assert [op.seq for op in (results[0], results[2])] == [1, 2]


# The socket -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("socket_tests")
async def test_the_socket_answers_a_stale_edit_with_a_conflict_and_the_current_object(cast):
    activity = await database_sync_to_async(ActivityFactory)(stream=cast.stream, wait_time=7200)
    participant = await connected(cast.participant, cast.stream.pk)
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    base = activity.version

    newer = await facilitator.result(
        await facilitator.op("activity.update", {"id": activity.pk, "wait_time": 4 * HOUR})
    )
    answer = await participant.result(
        await participant.op(
            "activity.update", {"id": activity.pk, "wait_time": 8 * HOUR, "version": base}
        )
    )

    answer = json.loads(json.dumps(answer))
    assert answer["reason"] == "conflict"
    assert answer["fields"] == ["wait_time"]
    assert answer["current"] == newer["data"]
    assert answer["by"]["id"] == cast.facilitator.pk
    assert answer["detail"].startswith("Wait time was changed by ")
    stored = await database_sync_to_async(Activity.objects.get)(pk=activity.pk)
    assert stored.wait_time == 4 * HOUR

    # The connection stays usable, and a field nobody else touched still applies.
    applied = await participant.result(
        await participant.op("activity.update", {"id": activity.pk, "pca": 50, "version": base})
    )
    assert applied["type"] == "applied" and applied["data"]["wait_time"] == 4 * HOUR


# REST -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_patch_is_a_409_with_the_current_object_and_without_version_it_applies(
    cast, client_for
):
    activity = ActivityFactory(stream=cast.stream, wait_time=2 * HOUR)
    base = activity.version
    facilitator, participant = client_for(cast.facilitator), client_for(cast.participant)
    url = f"/api/activities/{activity.pk}/"
    assert facilitator.patch(url, {"wait_time": 4 * HOUR}, format="json").status_code == 200

    stale = participant.patch(url, {"wait_time": 8 * HOUR, "version": base}, format="json")

    assert stale.status_code == 409
    body = stale.json()
    assert body["fields"] == ["wait_time"] and body["current"]["wait_time"] == 4 * HOUR
    assert body["detail"].startswith("Wait time was changed by ")
    assert Activity.objects.get(pk=activity.pk).wait_time == 4 * HOUR

    unversioned = participant.patch(url, {"wait_time": 8 * HOUR}, format="json")
    assert unversioned.status_code == 200 and unversioned.json()["wait_time"] == 8 * HOUR
