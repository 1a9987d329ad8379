"""Thin Celery tasks: take ids, call a service, own retries.

Services enqueue these by importing them at module level under a `_task` name
(`from metrics.tasks import recompute_summary as recompute_summary_task`); a task imports its
service inside its body, so the two modules never import each other at load time (HackSoft's
rule; tests/test_architecture.py checks it)."""

from celery import shared_task
from django.db import OperationalError


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
    from metrics.services import summary_pending_clear, summary_recompute

    summary_pending_clear(stream_id=stream_id)
    summary_recompute(stream_id=stream_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def snapshot_all_streams() -> int:
    """Celery beat, daily: one snapshot per stream; returns how many were taken."""
    from metrics.services import snapshot_take_all

    return snapshot_take_all()
