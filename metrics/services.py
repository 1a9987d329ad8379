"""Computing, storing and announcing flow summaries; daily snapshots for trends."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from metrics.flow import flow_deltas, flow_summary
from metrics.models import FlowSnapshot, FlowSummary
from metrics.selectors import stream_facts, summary_payload
from streams.events import encode, group_send
from streams.models import ValueStream

logger = logging.getLogger(__name__)
TOP_WASTES = 20  # enough for the Pareto chart
FORECAST_BUDGET = 400_000  # Monte Carlo runs x activities per recompute


def _pending_key(stream_id: int) -> str:
    return f"flow-summary-pending:{stream_id}"


def summary_request(*, stream_id: int) -> None:
    """Asks for a recompute after a change. Call it once the change has committed.

    Debounced: the first request of a burst enqueues one task after VSM_SUMMARY_DEBOUNCE
    seconds; requests while that task is pending add nothing. The task clears the flag before
    it reads, so a change that lands during a recompute asks for another.
    """
    from metrics.tasks import recompute_summary

    if settings.CELERY_TASK_ALWAYS_EAGER:
        recompute_summary.delay(stream_id)
        return
    if cache.add(_pending_key(stream_id), 1, timeout=60):
        recompute_summary.apply_async((stream_id,), countdown=settings.VSM_SUMMARY_DEBOUNCE)


def summary_pending_clear(*, stream_id: int) -> None:
    cache.delete(_pending_key(stream_id))


def _compute(stream: ValueStream) -> dict:
    activities, links, wastes = stream_facts(stream)
    # The forecast costs runs x activities; bound it so a huge map stays well under a second.
    runs = max(50, min(2000, FORECAST_BUDGET // max(1, len(activities))))
    data = flow_summary(activities, links, wastes, top_wastes=TOP_WASTES, simulations=runs)
    data["deltas"] = None
    if stream.based_on_id:
        base = ValueStream.objects.filter(pk=stream.based_on_id).first()
        if base is not None:
            base_activities, base_links, base_wastes = stream_facts(base)
            data["deltas"] = flow_deltas(
                data, flow_summary(base_activities, base_links, base_wastes)
            )
            data["deltas_against"] = {"id": base.pk, "name": base.name, "state": base.state}
    return data


def summary_recompute(*, stream_id: int) -> FlowSummary | None:
    """Computes the stream's summary from committed state and stores it when newer than the
    stored one; then pushes a `summary` frame to the board's group. Idempotent; returns None
    when the stream is gone."""
    with transaction.atomic():
        stream = ValueStream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None:
            return None
        data = _compute(stream)
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
        frame = {"type": "summary", "summary": summary_payload(summary, stream)}
    group_send(stream_id, {"type": "board.frame", "text": encode(frame)})
    return summary


def summary_get_or_compute(*, stream: ValueStream) -> FlowSummary:
    """The stored summary, computed now when the stream has none yet (a new clone, say)."""
    summary = FlowSummary.objects.filter(stream=stream).first()
    if summary is None:
        summary = summary_recompute(stream_id=stream.pk)
        assert summary is not None  # the stream exists: the caller holds it
    return summary


def snapshot_take(*, stream_id: int, day: date | None = None) -> FlowSnapshot | None:
    """Stores the day's snapshot of the stream's current summary (replacing that day's)."""
    stream = ValueStream.objects.filter(pk=stream_id).first()
    if stream is None:
        return None
    summary = summary_get_or_compute(stream=stream)
    if summary.seq < stream.seq:
        summary = summary_recompute(stream_id=stream_id) or summary
    snapshot, _ = FlowSnapshot.objects.update_or_create(
        stream=stream,
        day=day or timezone.localdate(),
        defaults={"data": summary.data, "seq": summary.seq},
    )
    return snapshot
