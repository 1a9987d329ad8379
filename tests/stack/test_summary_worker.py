"""The flow summary through a real Celery worker on Redis and PostgreSQL."""

import asyncio
import json
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from metrics.models import FlowSummary
from streams.models import ValueStream
from streams.services import board_create, board_update
from tests.stack.worker import celery_worker

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

EDITS = 100


def test_a_burst_of_edits_ends_in_a_fresh_summary_with_few_recomputes(
    cast, need_postgres, need_redis
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"stream-{cast.stream.pk}", channel)
    activity = board_create(
        actor=cast.participant,
        kind="activity",
        stream_id=cast.stream.pk,
        data={"title": "Build", "process_time": 60},
    ).data
    with celery_worker():
        for wait in range(1, EDITS + 1):
            with transaction.atomic():
                board_update(
                    actor=cast.participant,
                    kind="activity",
                    object_id=activity["id"],
                    data={"wait_time": wait * 60},
                )
        last_edit = time.monotonic()
        final_seq = ValueStream.objects.get(pk=cast.stream.pk).seq
        summary = None
        while time.monotonic() - last_edit < 2.0:
            summary = FlowSummary.objects.filter(stream=cast.stream, seq=final_seq).first()
            if summary is not None:
                break
            time.sleep(0.05)
    assert summary is not None, "no fresh summary within 2 s of the last edit"
    assert summary.data["wait_time"] == EDITS * 60
    # The debounce recomputes at most once per window while edits keep coming: a handful for
    # the whole burst (the bound leaves room for a loaded machine stretching the burst).
    assert summary.computations <= EDITS // 5, summary.computations
    pushed = [
        json.loads(message["text"])["summary"]["seq"]
        for message in _drain(layer, channel)
        if message.get("text", "").startswith('{"type":"summary"')
    ]
    assert pushed[-1] == final_seq and len(pushed) == summary.computations


def _drain(layer, channel):
    """Every message waiting on `channel` (the last one arrives within a second)."""

    async def receive_or_none():
        try:
            return await asyncio.wait_for(layer.receive(channel), 1.0)
        except TimeoutError:
            return None

    while (message := async_to_sync(receive_or_none)()) is not None:
        yield message
