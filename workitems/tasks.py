"""Thin Celery tasks: take ids, call a service, own retries."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def work_item_import_run_task(import_id: int) -> None:
    """Runs one work-item import (the service is idempotent: a redelivery is harmless)."""
    from workitems.services import work_item_import_run

    work_item_import_run(import_id=import_id)
