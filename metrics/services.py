"""Computing, storing and announcing flow summaries; daily snapshots for trends."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from metrics.models import FlowSnapshot, FlowSummary
from metrics.selectors import (
    map_measured,
    map_measured_flow,
    summary_current,
    summary_data,
    summary_payload,
)
from metrics.tasks import recompute_summary as recompute_summary_task
from streams.events import broadcast_on_commit
from streams.models import ValueStream
from streams.selectors import stream_get
from streams.services.streams import stream_clone
from workitems.models import StateActivity

logger = logging.getLogger(__name__)


def _pending_key(stream_id: int) -> str:
    return f"flow-summary-pending:{stream_id}"


def summary_request(*, stream_id: int) -> None:
    """Asks for a recompute after a change. Call it once the change has committed.

    Debounced: the first request of a burst enqueues one task after VSM_SUMMARY_DEBOUNCE
    seconds; requests while that task is pending add nothing. The task clears the flag before
    it reads, so a change that lands during a recompute asks for another.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        recompute_summary_task.delay(stream_id)
        return
    if cache.add(_pending_key(stream_id), 1, timeout=60):
        recompute_summary_task.apply_async((stream_id,), countdown=settings.VSM_SUMMARY_DEBOUNCE)


def summary_pending_clear(*, stream_id: int) -> None:
    cache.delete(_pending_key(stream_id))


def derived_summaries_request(*, stream_id: int) -> None:
    """After a change of a stream, asks for a recompute of the streams based on it (a future
    state compares its figures with its current state's: `deltas`), so their boards and
    summaries follow it live. One level: a recompute itself asks for nothing more."""
    for derived in ValueStream.objects.filter(based_on_id=stream_id).values_list("id", flat=True):
        summary_request(stream_id=derived)


def summary_recompute(*, stream_id: int) -> FlowSummary | None:
    """Computes the stream's summary from committed state and stores it when newer than the
    stored one; once that commits, a `summary` frame goes to the board's group through the
    board's one broadcast path (`streams.events.broadcast_on_commit`). Holds the stream's row
    lock while it reads. Idempotent; returns None when the stream is gone."""
    with transaction.atomic():
        stream = ValueStream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None:
            return None
        data = summary_data(stream)
        summary = FlowSummary.objects.filter(stream=stream).first()
        if summary is None:
            summary = FlowSummary(stream=stream, seq=-1)
        if summary.seq > stream.seq:
            return summary
        summary.data = data
        summary.seq = stream.seq
        summary.computed_at = timezone.now()
        summary.computations += 1
        summary.save()
        broadcast_on_commit(
            stream_id, {"type": "summary", "summary": summary_payload(summary, stream)}
        )
    return summary


def snapshot_take(*, stream_id: int, day: date | None = None) -> FlowSnapshot | None:
    """Stores the day's snapshot of the stream's current summary (replacing that day's)."""
    stream = ValueStream.objects.filter(pk=stream_id).first()
    if stream is None:
        return None
    summary = FlowSummary.objects.filter(stream=stream).first()
    if summary is None or summary.seq < stream.seq:
        summary = summary_recompute(stream_id=stream_id) or summary_current(stream=stream)
    data = dict(summary.data)
    measured = measured_summary(stream, as_of=timezone.now())
    if measured is not None:
        data["measured"] = measured
    snapshot, _ = FlowSnapshot.objects.update_or_create(
        stream=stream,
        day=day or timezone.localdate(),
        defaults={"data": data, "seq": summary.seq},
    )
    return snapshot


def snapshot_take_all(*, day: date | None = None) -> int:
    """The day's snapshot of every stream (Celery beat, daily); returns how many were taken."""
    stream_ids = list(ValueStream.objects.values_list("id", flat=True))
    for stream_id in stream_ids:
        snapshot_take(stream_id=stream_id, day=day)
    return len(stream_ids)


MEASURED_DAYS = 90  # the window of a snapshot's measured figures, ending on its day


def measured_summary(stream: ValueStream, *, as_of: datetime) -> dict[str, Any] | None:
    """The map's flow on the measured figures of the last MEASURED_DAYS days (the items done
    in them): lead, process and wait time along the longest path, flow efficiency and rolled
    %C&A, as the summary computes them from estimates; activities without measured figures
    keep their estimates. None while no tracker state is assigned to an activity of the
    map."""
    if not StateActivity.objects.filter(stream=stream).exists():
        return None
    end = as_of.astimezone(UTC).date()
    figures = map_measured(
        stream, start=end - timedelta(days=MEASURED_DAYS - 1), end=end, as_of=as_of
    )
    flow = map_measured_flow(stream, figures)
    return {
        **{name: flow[name] for name in ("lead_time", "process_time", "wait_time")},
        "flow_efficiency": flow["flow_efficiency"],
        "rolled_pca": flow["rolled_pca"],
        "flow_time_median": figures["flow_time_median"],
        "mapped_share": figures["coverage"]["mapped_share"],
        "items_done": figures["items_done"],
    }


def stream_measured_apply(
    *, actor: User, stream_id: int, start: date, end: date, as_of: datetime
) -> ValueStream:
    """A facilitator's data-driven current state: a new current-state map `based_on` this one,
    whose activities take their measured median process and wait times and measured %C&A
    from the items done in the window, each where it was measured; the rest keep the
    estimates.
    The summary then compares estimate and reality like any two mappings. ValidationError
    when no activity has measured figures."""
    stream, membership = stream_get(user=actor, stream_id=stream_id)
    if not membership.is_facilitator:
        raise PermissionDenied("Only a facilitator creates maps.")
    figures = map_measured(stream, start=start, end=end, as_of=as_of)
    changes: dict[int, dict[str, Any]] = {}
    for activity in figures["activities"]:
        measured = activity["measured"] or {}
        fields = {
            name: measured[name]
            for name in ("process_time", "wait_time", "pca")
            if measured.get(name) is not None
        }
        if fields:
            changes[activity["id"]] = fields
    if not changes:
        raise ValidationError(
            {
                "non_field_errors": [
                    "No activity has measured figures in this window: assign tracker states "
                    "to activities, or choose a window in which items were done."
                ]
            }
        )
    name = f"{stream.name[:140]} (measured {start:%-d %b} to {end:%-d %b %Y})"
    return stream_clone(
        actor=actor,
        stream_id=stream.pk,
        data={"state": "current", "name": name},
        activity_changes=changes,
    )
