"""One person's limits on one board hold across all their sockets: the op budget is shared by
their tabs, and opening more sockets than allowed closes their oldest with 4429. Counted in
this process (the embedded default) and in Redis (every server process at once)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from streams.consumers import CLOSE_TOO_MANY
from streams.models import Op
from tests.stack.clients import communicator_for, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


@pytest.fixture(params=["process", "redis"])
def counted_in(request: Any, settings: Any) -> str:
    """Where the limits are counted: this process, or Redis (its keys for this test's ids
    cleared first: ids start again in every test database)."""
    if request.param == "redis":
        request.getfixturevalue("need_redis")
        settings.VSM_WS_LIMITS_REDIS_URL = settings.CACHES["default"]["LOCATION"]
        forget_counts(settings.VSM_WS_LIMITS_REDIS_URL)
    return str(request.param)


def forget_counts(url: str) -> None:
    """Clears the limits' keys in Redis (ids start again in every test database)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter("vsm:ws:*"))
    if keys:
        client.delete(*keys)
    client.close()


async def op_count() -> int:
    return await database_sync_to_async(Op.objects.count)()


async def test_a_persons_tabs_share_one_op_budget(cast, settings, counted_in):
    settings.VSM_WS_OP_RATE = 0.01
    settings.VSM_WS_OP_BURST = 4
    tabs = [await connected(cast.participant, cast.stream.pk) for _ in range(3)]
    answers = []
    for step in range(9):
        tab = tabs[step % 3]
        answers.append(await tab.result(await tab.op("note.create", {"text": f"n{step}"})))
    assert [a["type"] for a in answers] == ["applied"] * 4 + ["rejected"] * 5
    assert {a["reason"] for a in answers[4:]} == {"rate_limited"}
    assert "from one person on a board" in answers[4]["detail"]
    assert await op_count() == 4

    other = await connected(cast.facilitator, cast.stream.pk)  # someone else: their own
    mine = await other.result(await other.op("note.create", {"text": "mine"}))
    assert mine["type"] == "applied"


async def test_the_welcome_states_the_limits_per_person(cast, settings, counted_in):
    settings.VSM_WS_SOCKETS_PER_PERSON = 4
    client = await communicator_for(cast.participant, cast.stream.pk)
    welcome = (await client.connect())[0]
    assert welcome["limits"]["sockets"] == 4
    assert (welcome["limits"]["ops_per_second"], welcome["limits"]["op_burst"]) == (30, 60)


async def closed_with(client: Any) -> dict[str, Any]:
    while True:
        output = await client.communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output


async def test_a_socket_over_the_limit_closes_the_persons_oldest(cast, settings, counted_in):
    settings.VSM_WS_SOCKETS_PER_PERSON = 2
    oldest = await connected(cast.participant, cast.stream.pk)
    middle = await connected(cast.participant, cast.stream.pk)
    watcher = await connected(cast.viewer, cast.stream.pk)
    newest = await connected(cast.participant, cast.stream.pk)

    closed = await closed_with(oldest)
    assert closed["code"] == CLOSE_TOO_MANY == 4429
    assert "too many tabs" in closed["reason"]
    for tab in (middle, newest, watcher):  # the others stay, and work
        await tab.send({"type": "ping"})
        assert (await tab.until("pong"))[-1]["type"] == "pong"


async def test_a_closed_socket_frees_its_place(cast, settings, counted_in):
    settings.VSM_WS_SOCKETS_PER_PERSON = 2
    first = await connected(cast.participant, cast.stream.pk)
    second = await connected(cast.participant, cast.stream.pk)
    await first.close()
    await asyncio.sleep(0.1)
    third = await connected(cast.participant, cast.stream.pk)
    for tab in (second, third):
        await tab.send({"type": "ping"})
        assert (await tab.until("pong"))[-1]["type"] == "pong"
