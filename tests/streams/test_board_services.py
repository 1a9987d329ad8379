"""Rules of the board services: op log, seq, validation and authorisation."""

import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from streams.models import Activity, Op
from streams.services import board_create, board_delete, board_move, board_update
from tests.factories import ActivityFactory, StreamFactory

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
    with pytest.raises(Http404):
        board_create(
            actor=cast.outsider, kind="note", stream_id=cast.stream.pk, data={"text": "hi"}
        )


def test_object_of_another_stream_is_not_found_through_this_board(cast):
    other = ActivityFactory(stream=StreamFactory(workshop=cast.workshop))
    with pytest.raises(Http404):
        board_delete(
            actor=cast.participant, kind="activity", object_id=other.pk, within=cast.stream.pk
        )
