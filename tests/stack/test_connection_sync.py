"""Tracker syncs through a real Celery worker on Redis and PostgreSQL, against the fake
trackers on loopback: the broker's messages carry ids, never the credential; a sync tells the
workshop's Flow pages its progress and that the flow changed; a rate limit is waited out on
the tracker's Retry-After through Celery's retry; a worker process killed in the middle of a
sync leaves nothing half-written and the redelivered task completes it once."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from tests.stack.worker import celery_worker
from tests.workitems.test_connections import body, fill
from tests.workitems.trackers import GITHUB_TOKEN, JIRA_TOKEN, FakeTrackerServer, Tracker
from vsm_site.celery import app
from workitems.events import flow_group
from workitems.models import Connection, ConnectionSync, Transition, WorkItem

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    """The fake trackers on loopback; the worker process reaches them there too."""
    server = FakeTrackerServer()
    yield server.tracker
    server.stop()


def wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def drain(layer: Any, channel: str, seconds: float = 2.0) -> list[dict[str, Any]]:
    async def receive_all() -> list[dict[str, Any]]:
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), seconds))
            except TimeoutError:
                return messages

    return async_to_sync(receive_all)()


def broker_messages() -> list[bytes]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return list(client.lrange("celery", 0, -1))


def test_the_brokers_messages_carry_ids_never_the_credential(
    cast, client_for, tracker, need_postgres, need_redis
):
    app.control.purge()
    created = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/connections/", body("jira", tracker), format="json"
    )
    connection_id = created.json()["id"]
    response = client_for(cast.facilitator).post(f"/api/connections/{connection_id}/sync/")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    messages = broker_messages()
    assert len(messages) == 1
    raw = messages[0]
    assert JIRA_TOKEN.encode() not in raw and base64.b64encode(JIRA_TOKEN.encode()) not in raw
    envelope = json.loads(raw)
    assert envelope["headers"]["task"] == "workitems.tasks.connection_sync_task"
    args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
    assert (args, kwargs) == ([connection_id, response.json()["id"]], {})
    assert JIRA_TOKEN not in json.dumps(envelope["headers"])
    app.control.purge()


def test_a_sync_through_the_worker_waits_out_a_rate_limit_and_tells_the_flow_pages(
    cast, client_for, tracker, need_postgres, need_redis
):
    fill("jira", tracker)
    created = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/connections/", body("jira", tracker), format="json"
    )
    connection_id = created.json()["id"]
    tracker.fail("/search/jql", 429, headers={"Retry-After": "2"},
                 body=b'{"errorMessages": ["Rate limit exceeded."]}')  # fmt: skip
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(flow_group(cast.workshop.pk), channel)
    with celery_worker():
        asked = time.monotonic()
        response = client_for(cast.facilitator).post(f"/api/connections/{connection_id}/sync/")
        assert response.status_code == 202
        sync_id = response.json()["id"]
        wait_for(lambda: ConnectionSync.objects.get(pk=sync_id).status == "done")
        finished = time.monotonic()
    sync = ConnectionSync.objects.get(pk=sync_id)
    assert (sync.items, sync.attempts) == (3, 2)
    assert finished - asked >= 2  # the Retry-After was honoured
    searches = tracker.calls("/search/jql")
    assert len(searches) == 3  # the limited one, then the two pages
    frames = drain(layer, channel)
    statuses = [f["sync"]["status"] for f in frames if f.get("frame") == "sync.progress"]
    assert "retrying" in statuses and statuses[-1] == "done"
    assert any(f.get("frame") == "flow.changed" and f.get("reason") == "sync" for f in frames)
    assert WorkItem.objects.filter(workshop=cast.workshop).count() == 3


def test_a_worker_killed_mid_sync_leaves_nothing_and_the_redelivery_completes(
    cast, client_for, tracker, need_postgres, need_redis
):
    fill("github", tracker)
    created = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/connections/", body("github", tracker), format="json"
    )
    connection_id = created.json()["id"]
    # The second timeline request is slow: the worker's process is killed while it waits.
    tracker.fail("/timeline", 0, delay=30, skip=1)
    with celery_worker() as worker:
        response = client_for(cast.facilitator).post(f"/api/connections/{connection_id}/sync/")
        sync_id = response.json()["id"]
        wait_for(lambda: len(tracker.calls("/timeline")) >= 2)
        [child] = psutil.Process(worker.pid).children()
        child.send_signal(signal.SIGKILL)
        assert WorkItem.objects.count() == 0  # nothing of the killed attempt
        assert Connection.objects.get(pk=connection_id).cursor is None
        wait_for(lambda: ConnectionSync.objects.get(pk=sync_id).status == "done", timeout=90)
    sync = ConnectionSync.objects.get(pk=sync_id)
    assert (sync.items, sync.attempts) == (3, 2)
    assert WorkItem.objects.filter(workshop=cast.workshop).count() == 3
    assert Transition.objects.count() == 4 + 2 + 2
    assert Connection.objects.get(pk=connection_id).lock_sync_id is None
    assert GITHUB_TOKEN not in json.dumps([sync.message, sync.errors, sync.warnings])
