"""One person's limits on a board hold across server processes (Redis): their sockets on two
uvicorn processes share one op budget, and a socket beyond the limit on one process closes
their oldest on the other with 4429."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from tests.stack import servers
from tests.stack.clients import member_tokens, socket_headers
from tests.streams.test_consumer_limits import forget_counts

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(need_postgres: None, need_redis: str) -> Iterator[list[servers.AsgiServer]]:
    """Two uvicorn processes on Redis with small limits: 4 ops at once, 2 sockets."""
    forget_counts(settings.CACHES["default"]["LOCATION"])
    env = {"VSM_WS_OP_RATE": "0.01", "VSM_WS_OP_BURST": "4", "VSM_WS_SOCKETS_PER_PERSON": "2"}
    started = [
        servers.spawn_asgi_server(database_url=servers.database_url_for_tests(), env=env)
        for _ in range(2)
    ]
    try:
        yield [servers.wait_until_serving(server) for server in started]
    finally:
        for server in started:
            server.stop()
            server.log.unlink(missing_ok=True)


class Tab:
    """A raw board socket: sends ops, reads frames until the answer to one."""

    def __init__(self, server: servers.AsgiServer, stream_id: int, key: str) -> None:
        self.url = server.ws_url(f"/ws/streams/{stream_id}/")
        self.headers = socket_headers(server.origin, key)
        self.socket: Any = None

    async def open(self) -> Tab:
        import websockets

        self.socket = await websockets.connect(self.url, additional_headers=self.headers)
        while "synced" not in [frame["type"] for frame in await self.frames()]:
            pass
        return self

    async def frames(self) -> list[dict[str, Any]]:
        data = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        return data if isinstance(data, list) else [data]

    async def op(self, text: str) -> dict[str, Any]:
        op_id = str(uuid.uuid4())
        await self.socket.send(
            json.dumps({"type": "op", "id": op_id, "op": "note.create", "data": {"text": text}})
        )
        while True:
            for frame in await self.frames():
                if frame.get("id") == op_id and frame["type"] in ("applied", "rejected"):
                    return frame


async def test_a_persons_sockets_on_two_processes_share_the_budget_and_the_limit(cast, two_servers):
    first, second = two_servers
    [key] = await database_sync_to_async(member_tokens)(cast.workshop, 1)
    here = await Tab(first, cast.stream.pk, key).open()
    there = await Tab(second, cast.stream.pk, key).open()
    answers = [await (here if n % 2 else there).op(f"n{n}") for n in range(7)]
    assert [answer["type"] for answer in answers] == ["applied"] * 4 + ["rejected"] * 3
    assert {answer["reason"] for answer in answers[4:]} == {"rate_limited"}

    await Tab(second, cast.stream.pk, key).open()  # a third socket, on the second process
    with pytest.raises(ConnectionClosed):
        while True:
            await here.frames()
    assert here.socket.close_code == 4429  # the oldest, on the first process
    assert there.socket.close_code is None
