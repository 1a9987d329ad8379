"""A client that drops while others keep editing reconnects with `since` and ends identical."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from streams.models import ValueStream
from streams.selectors import board_snapshot
from tests.stack import servers
from tests.stack.clients import SocketClient, board_of, member_tokens, socket_headers

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]
asgi_servers = servers.asgi_servers


async def test_dropped_client_reconnects_with_since_to_another_server_and_converges(
    need_postgres, need_redis, cast, asgi_servers
):
    first, second = asgi_servers.get(2)
    keys = await database_sync_to_async(member_tokens)(cast.workshop, 3)
    path = f"/ws/streams/{cast.stream.pk}/"
    alice = SocketClient(first.ws_url(path), socket_headers(first.origin, keys[0]))
    bob = SocketClient(second.ws_url(path), socket_headers(second.origin, keys[1]))
    carol = SocketClient(first.ws_url(path), socket_headers(first.origin, keys[2]))
    for client in (alice, bob, carol):
        await client.connect()
    notes = []
    for i in range(3):
        answer = await (await alice.op("note.create", {"text": f"note {i}"}))
        notes.append(answer["data"]["id"])
    await carol.wait_seq(3)

    await carol.close()  # drops at seq 3
    dropped_at = carol.replica.seq

    async def keep_editing(client: SocketClient, offset: int) -> None:
        for step in range(20):
            note = notes[(step + offset) % len(notes)]
            await (await client.op("note.move", {"id": note, "x": step, "y": offset}))
            await (await client.op("note.update", {"id": note, "text": f"{offset}:{step}"}))

    editing = asyncio.gather(keep_editing(alice, 0), keep_editing(bob, 1))
    await asyncio.sleep(0.3)  # others are mid-way when carol comes back, on the other server
    assert (alice.replica.seq or 0) > dropped_at
    await carol.connect(since=dropped_at, url=second.ws_url(path))
    await editing

    # Every op is acknowledged, so the log is complete; alice may not have bob's last one yet.
    head = await database_sync_to_async(
        lambda: ValueStream.objects.values_list("seq", flat=True).get(pk=cast.stream.pk)
    )()
    await asyncio.gather(*(client.wait_seq(head) for client in (alice, bob, carol)))
    assert carol.sync_modes == ["snapshot", "replay"]
    assert not carol.errors and carol.replica.order == list(range(1, head + 1))
    truth = board_of(
        await database_sync_to_async(board_snapshot)(
            user=cast.facilitator, stream_id=cast.stream.pk
        )
    )
    assert carol.replica.board() == alice.replica.board() == bob.replica.board() == truth
    for client in (alice, bob, carol):
        await client.close()
