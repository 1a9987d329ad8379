"""Two real ASGI server processes share a board through Redis: every client on either server
receives every op, in one seq order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from streams.models import Op
from streams.selectors import board_snapshot
from tests.stack import servers
from tests.stack.clients import SocketClient, board_of, member_tokens, socket_headers

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]
asgi_servers = servers.asgi_servers


@pytest.fixture
def tokens(cast: Any) -> dict[str, list[str]]:
    return {
        "editors": member_tokens(cast.workshop, 4),
        "viewers": member_tokens(cast.workshop, 2, role="viewer"),
    }


async def test_clients_on_two_servers_receive_every_op_in_the_same_seq_order(
    need_postgres, need_redis, cast, tokens, asgi_servers
):
    servers = asgi_servers.get(2)
    path = f"/ws/streams/{cast.stream.pk}/"
    keys = tokens["editors"] + tokens["viewers"]
    clients = [
        SocketClient(servers[i % 2].ws_url(path), socket_headers(servers[i % 2].origin, key))
        for i, key in enumerate(keys)
    ]
    await asyncio.gather(*(client.connect() for client in clients))
    editors = [client for client in clients if client.welcome["can_edit"]]
    assert len(editors) == 4

    async def edit(client: SocketClient, rounds: int) -> None:
        for step in range(rounds):
            answer = await (await client.op("note.create", {"text": f"{step}", "x": step}))
            assert answer["type"] == "applied", answer
            note = answer["data"]["id"]
            answer = await (await client.op("note.move", {"id": note, "x": 1, "y": step}))
            assert answer["type"] == "applied", answer

    await asyncio.gather(*(edit(client, 10) for client in editors))
    head = await database_sync_to_async(Op.objects.filter(stream=cast.stream).count)()
    assert head == 80
    await asyncio.gather(*(client.wait_seq(head) for client in clients))

    order = clients[0].replica.ops
    assert [seq for seq, _, _ in order] == list(range(1, head + 1))
    truth = board_of(
        await database_sync_to_async(board_snapshot)(
            user=cast.facilitator, stream_id=cast.stream.pk
        )
    )
    for client in clients:
        assert not client.errors
        assert client.replica.ops == order  # same ops, same ids, same seq order everywhere
        assert client.replica.board() == truth
    await asyncio.gather(*(client.close() for client in clients))
