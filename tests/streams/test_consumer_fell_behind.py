"""A socket whose client stopped reading leaves the board as soon as its outbox overflows, even
though its close frame cannot be written (tests/stack/test_load_churn.py does it on uvicorn)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.consumer import AsyncConsumer

from streams.hub import Outbox, _hubs
from streams.ratelimit import Limits, person_limits
from tests.stack.clients import CommunicatorClient, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


async def presence(client: CommunicatorClient, action: str) -> dict[str, Any]:
    return (await client.until("presence", action=action))[-1]


async def test_a_socket_that_fell_behind_leaves_the_board_before_its_close_is_written(
    cast, monkeypatch
):
    """The participant's client stops reading: every write to it, its close frame included,
    waits for ever, as a server's does for a peer whose receive window stays closed. Once
    its outbox overflows, the others see it leave, the hub no longer holds it and its
    person's count drops, without waiting for the connection to end."""
    monkeypatch.setitem(Outbox.__init__.__kwdefaults__, "limit", 5)
    stalled = asyncio.Event()
    send = AsyncConsumer.send

    async def stalling_send(consumer: Any, message: dict[str, Any]) -> None:
        user = getattr(consumer, "user", None)
        if stalled.is_set() and user is not None and user.pk == cast.participant.pk:
            await asyncio.Event().wait()  # never written
        await send(consumer, message)

    monkeypatch.setattr(AsyncConsumer, "send", stalling_send)
    watcher = await connected(cast.facilitator, cast.stream.pk)
    await connected(cast.participant, cast.stream.pk)
    conn = (await presence(watcher, "join"))["conn"]
    stalled.set()
    for step in range(8):  # each applied frame waits for the stalled client too
        answer = await watcher.result(await watcher.op("note.create", {"text": f"{step}"}))
        assert answer["type"] == "applied"

    leaves = [f for f in watcher.frames if f["type"] == "presence" and f["action"] == "leave"]
    left = leaves[0] if leaves else await presence(watcher, "leave")
    assert (left["conn"], left["user"]["id"]) == (conn, cast.participant.pk)
    hub = _hubs[asyncio.get_running_loop()][cast.stream.pk]
    assert conn not in hub.sockets
    person = (cast.stream.pk, cast.participant.pk)
    one_socket = Limits(rate=1, burst=1, sockets=1)
    assert await person_limits().joined(person, "probe", one_socket) == []  # none older
    await person_limits().left(person, "probe")
