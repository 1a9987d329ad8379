""" "Bring everyone to me": a facilitator's viewport reaches everyone else; nobody else can
lead, bad viewports are rejected, and nothing enters the op log."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from streams.models import Op
from tests.stack.clients import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


async def test_facilitators_viewport_reaches_the_others_not_the_log(cast):
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    participant = await connected(cast.participant, cast.stream.pk)
    viewport = {"x": 120.5, "y": -40, "zoom": 1.5}
    await facilitator.send({"type": "follow", "viewport": viewport})
    frame = (await participant.until("follow"))[-1]
    assert frame["viewport"] == {"x": 120.5, "y": -40.0, "zoom": 1.5}
    assert frame["by"]["id"] == cast.facilitator.pk
    await facilitator.send({"type": "follow", "viewport": None})
    assert (await participant.until("follow"))[-1]["viewport"] is None
    assert await database_sync_to_async(Op.objects.count)() == 0


@pytest.mark.parametrize("role", ["participant", "viewer"])
async def test_only_a_facilitator_can_lead(cast, role):
    leader = await connected(cast.user(role), cast.stream.pk)
    watcher = await connected(cast.facilitator, cast.stream.pk)
    await leader.send({"type": "follow", "viewport": {"x": 0, "y": 0, "zoom": 1}})
    rejected = (await leader.until("rejected"))[-1]
    assert rejected["reason"] == "forbidden"
    frames = []
    while not await watcher.nothing(0.2):
        frames.append(await watcher.recv())
    assert not [frame for frame in frames if frame["type"] == "follow"]


@pytest.mark.parametrize(
    "viewport",
    [
        {"x": 0, "y": 0},
        {"x": "0", "y": 0, "zoom": 1},
        {"x": 0, "y": 0, "zoom": 0},
        {"x": 1e9, "y": 0, "zoom": 1},
        {"x": 0, "y": 0, "zoom": 1, "extra": 1},
        [0, 0, 1],
        {"x": True, "y": 0, "zoom": 1},
    ],
)
async def test_a_bad_viewport_is_rejected_and_the_socket_stays_usable(cast, viewport):
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    await facilitator.send({"type": "follow", "viewport": viewport})
    assert (await facilitator.until("rejected"))[-1]["reason"] == "invalid"
    await facilitator.send({"type": "ping"})
    assert (await facilitator.until("pong"))[-1]["type"] == "pong"
