"""A large work-item import through a real Celery worker on Redis and PostgreSQL: the upload
is accepted at once (202), the worker reports progress to the workshop's Flow pages, merges,
tells them the flow changed, and the measured flow counts what the file holds."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.stack.worker import celery_worker
from workitems.events import flow_group
from workitems.models import Transition, WorkItem, WorkItemImport

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

ITEMS = 50_000
STATES = ("Backlog", "In Progress", "Review", "Done")  # 4 transitions an item: 200,000
START = datetime(2024, 1, 1, tzinfo=UTC)


def long_csv() -> bytes:
    """Item n enters Backlog on day n % 150, works 2 days, waits 1 in Review, and is done
    (every item but the multiples of 10, which stay in Review)."""
    out = io.StringIO()
    out.write("item_id,state,entered_at,title,type\n")
    for n in range(ITEMS):
        day = START + timedelta(days=n % 150, hours=n % 7)
        steps = STATES if n % 10 else STATES[:3]
        for offset, state in zip((0, 1, 3, 4), steps, strict=False):
            at = (day + timedelta(days=offset)).isoformat()
            out.write(f"W-{n},{state},{at},Item {n},{'Bug' if n % 4 == 0 else 'Story'}\n")
    return out.getvalue().encode()


def drain(layer: Any, channel: str, until: float) -> list[dict[str, Any]]:
    async def receive_all() -> list[dict[str, Any]]:
        messages = []
        while time.monotonic() < until:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), 1.0))
            except TimeoutError:
                if messages and messages[-1].get("frame") == "flow.changed":
                    break
        return messages

    return async_to_sync(receive_all)()


@override_settings(VSM_IMPORT_INLINE_BYTES=1024)
def test_a_200000_transition_file_imports_through_the_worker_with_progress(
    cast: Any, client_for: Any, need_postgres: None, need_redis: str
) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(flow_group(cast.workshop.pk), channel)
    content = long_csv()
    with celery_worker():
        response = client_for(cast.facilitator).post(
            f"/api/workshops/{cast.workshop.pk}/work-items/import/",
            {"file": SimpleUploadedFile("history.csv", content, content_type="text/csv")},
            format="multipart",
        )
        assert response.status_code == 202, response.json()
        assert response.json()["status"] == "pending"
        frames = drain(layer, channel, until=time.monotonic() + 240)

    record = WorkItemImport.objects.get(pk=response.json()["id"])
    assert (record.status, record.items, record.transitions) == ("done", ITEMS, 200_000 - 5_000)
    assert WorkItem.objects.filter(workshop=cast.workshop).count() == ITEMS
    assert Transition.objects.filter(item__workshop=cast.workshop).count() == 195_000
    progress = [frame["import"] for frame in frames if frame.get("frame") == "import.progress"]
    running = [entry["progress"] for entry in progress if entry["status"] == "running"]
    assert len(running) >= 2, progress
    assert running == sorted(running) and 0 < running[0] < 1
    assert progress[-1]["status"] == "done" and progress[-1]["progress"] == 1.0
    assert frames[-1] == {"type": "flow.frame", "frame": "flow.changed", "reason": "import"}

    metrics = client_for(cast.viewer).get(
        f"/api/workshops/{cast.workshop.pk}/flow-metrics/",
        {"start": "2024-01-01", "end": "2024-12-31", "as_of": "2025-01-01T00:00:00Z"},
    )
    assert metrics.status_code == 200
    body = metrics.json()
    assert body["velocity"]["total"] == ITEMS - ITEMS // 10
    # Flow time: In Progress (day 1) to Done (day 4) = 3 days for every done item.
    assert body["flow_time"]["p50_days"] == pytest.approx(3.0)
    # "Review" is guessed active (no waiting word in its name): all flow time is active.
    assert body["efficiency"]["portfolio"] == pytest.approx(1.0)
    assert len(body["aging"]) == ITEMS // 10
