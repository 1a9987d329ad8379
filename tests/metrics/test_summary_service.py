"""Storing, refreshing and announcing flow summaries; daily snapshots."""

import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings

from metrics.models import FlowSnapshot, FlowSummary
from metrics.selectors import summary_payload
from metrics.services import (
    snapshot_take,
    summary_pending_clear,
    summary_recompute,
    summary_request,
)
from metrics.tasks import snapshot_all_streams
from streams.services import board_create, board_update, stream_clone, stream_update
from tests.factories import ActivityFactory, LinkFactory, VoteFactory, WasteFactory

pytestmark = pytest.mark.django_db


def _activity(cast, **data):
    return board_create(
        actor=cast.facilitator, kind="activity", stream_id=cast.stream.pk, data=data
    ).data


def test_recompute_stores_the_summary_at_the_streams_seq(cast):
    _activity(cast, title="Build", process_time=3600, wait_time=7200)
    summary = summary_recompute(stream_id=cast.stream.pk)
    cast.stream.refresh_from_db()
    assert summary.seq == cast.stream.seq == 1
    assert summary.data["lead_time"] == 10800
    assert summary_payload(summary, cast.stream)["stale"] is False


def test_summary_is_stale_while_the_stream_is_ahead(cast):
    activity = ActivityFactory(stream=cast.stream)
    summary = summary_recompute(stream_id=cast.stream.pk)
    cast.stream.seq += 1  # an op committed after the summary was computed
    cast.stream.save()
    assert summary_payload(summary, cast.stream)["stale"] is True
    assert activity.pk in summary.data["critical_path"]


def test_a_note_after_the_summary_leaves_it_current_and_an_activity_edit_does_not(cast):
    activity = _activity(cast, title="Build", process_time=3600)
    summary = summary_recompute(stream_id=cast.stream.pk)
    board_create(actor=cast.facilitator, kind="note", stream_id=cast.stream.pk, data={"text": "?"})
    cast.stream.refresh_from_db()
    assert summary_payload(summary, cast.stream)["stale"] is False  # no recompute is coming

    board_update(
        actor=cast.facilitator, kind="activity", object_id=activity["id"], data={"wait_time": 60}
    )
    cast.stream.refresh_from_db()
    assert summary_payload(summary, cast.stream)["stale"] is True


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_with_eager_tasks_every_committed_edit_leaves_a_fresh_summary(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        activity = _activity(cast, title="Build", wait_time=60)
    with django_capture_on_commit_callbacks(execute=True):
        board_update(
            actor=cast.facilitator,
            kind="activity",
            object_id=activity["id"],
            data={"wait_time": 120},
        )
    summary = FlowSummary.objects.get(stream=cast.stream)
    assert (summary.seq, summary.data["wait_time"]) == (2, 120)


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, VSM_SUMMARY_DEBOUNCE=30)
def test_a_burst_of_requests_enqueues_one_recompute(cast, monkeypatch):
    from django.core.cache import cache

    from metrics import tasks

    cache.delete(f"flow-summary-pending:{cast.stream.pk}")
    enqueued = []
    monkeypatch.setattr(
        tasks.recompute_summary, "apply_async", lambda args, countdown: enqueued.append(args)
    )
    for _ in range(100):
        summary_request(stream_id=cast.stream.pk)
    assert enqueued == [(cast.stream.pk,)]
    summary_pending_clear(stream_id=cast.stream.pk)
    summary_request(stream_id=cast.stream.pk)
    assert len(enqueued) == 2


def test_recompute_is_idempotent_and_counts_itself(cast):
    ActivityFactory(stream=cast.stream, process_time=10, wait_time=0)
    first = summary_recompute(stream_id=cast.stream.pk)
    second = summary_recompute(stream_id=cast.stream.pk)
    assert second.data == first.data
    assert second.computations == 2


def test_recompute_of_a_deleted_stream_does_nothing(cast):
    stream_id = cast.stream.pk
    cast.stream.delete()
    assert summary_recompute(stream_id=stream_id) is None


def test_recompute_pushes_a_summary_frame_to_the_board_once_committed(
    cast, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"stream-{cast.stream.pk}", channel)
    ActivityFactory(stream=cast.stream, process_time=60)
    with django_capture_on_commit_callbacks() as callbacks:
        summary_recompute(stream_id=cast.stream.pk)
    assert len(callbacks) == 1  # nothing is sent before the summary is stored
    callbacks[0]()
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "board.frame"
    assert '"type":"summary"' in message["text"] and '"process_time":60.0' in message["text"]


def test_hidden_votes_do_not_rank_wastes_in_the_summary(cast):
    waste = WasteFactory(stream=cast.stream)
    VoteFactory(waste=waste, member=cast.membership("participant"))
    hidden = summary_recompute(stream_id=cast.stream.pk)
    assert [w["votes"] for w in hidden.data["wastes"]["top"]] == [0]
    stream_update(actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": True})
    revealed = summary_recompute(stream_id=cast.stream.pk)
    assert [w["votes"] for w in revealed.data["wastes"]["top"]] == [1]


def test_a_future_state_reports_deltas_against_its_base(cast):
    first = ActivityFactory(stream=cast.stream, process_time=100, wait_time=900)
    second = ActivityFactory(stream=cast.stream, process_time=100, wait_time=900)
    LinkFactory(stream=cast.stream, source=first, target=second)
    future = stream_clone(actor=cast.facilitator, stream_id=cast.stream.pk)
    quicker = future.activities.get(title=second.title)
    board_update(
        actor=cast.facilitator, kind="activity", object_id=quicker.pk, data={"wait_time": 0}
    )
    deltas = summary_recompute(stream_id=future.pk).data["deltas"]
    assert deltas["lead_time"]["base"] == 2000
    assert deltas["lead_time"]["current"] == 1100
    assert deltas["lead_time"]["change"] == -900


def test_daily_snapshot_is_one_per_stream_per_day(cast):
    ActivityFactory(stream=cast.stream, process_time=5)
    day = datetime.date(2026, 11, 1)
    snapshot_take(stream_id=cast.stream.pk, day=day)
    snapshot_take(stream_id=cast.stream.pk, day=day)
    snapshot_take(stream_id=cast.stream.pk, day=day + datetime.timedelta(days=1))
    assert FlowSnapshot.objects.filter(stream=cast.stream).count() == 2


def test_beat_task_snapshots_every_stream(cast):
    ActivityFactory(stream=cast.stream)
    assert snapshot_all_streams() == 1
    assert FlowSnapshot.objects.get(stream=cast.stream).data["activity_count"] == 1


def test_beat_schedule_runs_the_snapshot_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["daily-flow-snapshots"]
    assert entry["task"] == snapshot_all_streams.name
    assert entry["schedule"].hour == {0}
