"""Thin Celery tasks: take ids, call a service, own retries."""

from celery import shared_task
from django.db import OperationalError

from metrics.services import snapshot_take, summary_pending_clear, summary_recompute
from streams.models import ValueStream


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def recompute_summary(stream_id: int) -> None:
    """Recomputes one stream's summary (debounced by `summary_request`)."""
    summary_pending_clear(stream_id=stream_id)
    summary_recompute(stream_id=stream_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def snapshot_all_streams() -> int:
    """Celery beat, daily: one snapshot per stream; returns how many were taken."""
    stream_ids = list(ValueStream.objects.values_list("id", flat=True))
    for stream_id in stream_ids:
        snapshot_take(stream_id=stream_id)
    return len(stream_ids)
