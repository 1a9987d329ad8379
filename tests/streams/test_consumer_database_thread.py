"""A board socket's frames do not queue for the database thread (issue 15): Channels'
`dispatch` hopped to the one thread `database_sync_to_async` runs on for every message, so
each frame a client sent (a ping, an op) waited there behind the board's batch of ops."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async

from tests.stack.clients import communicator_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


async def test_a_ping_is_answered_while_the_database_thread_is_busy(cast: Any) -> None:
    client = await communicator_for(cast.participant, cast.stream.pk)
    await client.connect()
    busy, release = threading.Event(), threading.Event()

    def hold_the_database_thread() -> None:  # a batch of ops that takes a while, say
        busy.set()
        release.wait(timeout=30)

    holding = asyncio.ensure_future(database_sync_to_async(hold_the_database_thread)())
    try:
        await asyncio.get_running_loop().run_in_executor(None, busy.wait, 10)
        await client.send({"type": "ping", "id": "p1"})
        pong = await client.until("pong", timeout=5)
        assert pong[-1]["id"] == "p1"
    finally:
        release.set()
        await holding
