"""Thin Celery tasks: take ids, call a service, own retries."""

from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

# Retries of one sync: transient failures wait 30 s, 60 s, 120 s… (at most 30 minutes), with
# full jitter; a rate limit waits what the tracker asked for.
SYNC_MAX_RETRIES = 8
SYNC_BACKOFF_SECONDS = 30
SYNC_BACKOFF_MAX_SECONDS = 1800


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def work_item_import_run_task(import_id: int) -> None:
    """Runs one work-item import (the service is idempotent: a redelivery is harmless)."""
    from workitems.services import work_item_import_run

    work_item_import_run(import_id=import_id)


def sync_countdown(error: Any, retries: int) -> float:
    """Seconds before the next attempt: the tracker's own wait for a rate limit (Retry-After,
    X-RateLimit-Reset), else Celery's exponential backoff with full jitter."""
    from workitems.connectors import RateLimited

    if isinstance(error, RateLimited):
        return float(error.retry_after)
    return float(
        get_exponential_backoff_interval(
            SYNC_BACKOFF_SECONDS, retries, SYNC_BACKOFF_MAX_SECONDS, full_jitter=True
        )
        or 1
    )


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=SYNC_MAX_RETRIES,
)
def connection_sync_task(self: Any, connection_id: int, sync_id: int) -> None:
    """Runs one attempt of a connection's sync (ids only: never a credential in a message).
    A redelivery after a lost worker runs the same sync again (nothing of the lost attempt
    was written). Transient failures are retried with `self.retry(countdown=…)`; where tasks
    run eagerly (no worker) a sync is never retried at once, it fails saying why."""
    from workitems.connections import (
        connection_sync_give_up,
        connection_sync_retry_wait,
        connection_sync_run,
    )
    from workitems.connectors import Transient

    may_retry = not self.request.is_eager and self.request.retries < SYNC_MAX_RETRIES
    try:
        connection_sync_run(sync_id=sync_id, may_retry=may_retry)
    except Transient as error:
        if not may_retry:  # the service ends it failed itself; this is a safety net
            connection_sync_give_up(sync_id=sync_id, message=error.message)
            return
        countdown = sync_countdown(error, self.request.retries)
        connection_sync_retry_wait(sync_id=sync_id, countdown=countdown, message=error.message)
        raise self.retry(countdown=countdown, exc=None) from None


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def connection_sync_due_task() -> int:
    """Celery beat (every 5 minutes): queues the syncs that are due; returns how many."""
    from workitems.connections import connection_syncs_due

    return len(connection_syncs_due())
