"""Presence on the board socket: join and leave, coalesced cursors, who edits what; never in
the op log."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from streams.models import Op
from streams.presence import Coalescer
from tests.stack.clients import CommunicatorClient, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


async def presence(client: CommunicatorClient, action: str) -> dict[str, Any]:
    return (await client.until("presence", action=action))[-1]


async def test_joiner_is_announced_and_learns_who_is_here(cast):
    first = await connected(cast.facilitator, cast.stream.pk)
    second = await connected(cast.viewer, cast.stream.pk)
    joined = await presence(first, "join")
    here = await presence(second, "join")
    assert joined["user"]["id"] == cast.viewer.pk and joined["role"] == "viewer"
    assert here["user"]["id"] == cast.facilitator.pk and here["role"] == "facilitator"
    assert joined["conn"] != here["conn"]


async def test_leaving_is_announced(cast):
    first = await connected(cast.facilitator, cast.stream.pk)
    second = await connected(cast.participant, cast.stream.pk)
    conn = (await presence(first, "join"))["conn"]
    await second.close()
    left = await presence(first, "leave")
    assert (left["conn"], left["user"]["id"]) == (conn, cast.participant.pk)


async def test_two_tabs_of_one_user_are_two_presences(cast):
    watcher = await connected(cast.facilitator, cast.stream.pk)
    await connected(cast.participant, cast.stream.pk)
    await connected(cast.participant, cast.stream.pk)
    first, second = await presence(watcher, "join"), await presence(watcher, "join")
    assert first["conn"] != second["conn"]


async def test_cursors_are_coalesced_to_twenty_a_second_keeping_the_last(cast):
    watcher = await connected(cast.facilitator, cast.stream.pk)
    mover = await connected(cast.participant, cast.stream.pk)
    await presence(watcher, "join")
    started = time.monotonic()
    for step in range(40):  # far faster than 20/s
        await mover.send({"type": "cursor", "x": step, "y": 2 * step})
    cursors = []
    while not cursors or cursors[-1] != (39, 78):
        frame = await watcher.recv()
        if frame["type"] == "presence" and frame["action"] == "cursor":
            cursors.append((frame["x"], frame["y"]))
    elapsed = time.monotonic() - started
    assert len(cursors) <= 1 + 20 * elapsed, (len(cursors), elapsed)
    assert len(cursors) < 40
    echoed = []
    while not await mover.nothing(0.1):
        echoed.append((await mover.recv()).get("action"))
    assert "cursor" not in echoed  # no echo of one's own cursor


async def test_coalescer_sends_at_most_once_per_interval():
    sent: list[int] = []
    now = [0.0]

    async def send(value: int) -> None:
        sent.append(value)

    coalescer = Coalescer(interval=0.05, send=send, clock=lambda: now[0])
    for value in range(10):
        await coalescer.offer(value)
    assert sent == [0]
    await asyncio.sleep(0.01)  # the pending flush (delay computed from the fake clock: 0.05)
    await asyncio.sleep(0.06)
    assert sent == [0, 9]


@pytest.mark.parametrize("frame", [{"x": "1", "y": 2}, {"x": 1}, {"x": 1e300, "y": 0}])
async def test_bad_cursor_is_rejected(cast, frame):
    client = await connected(cast.participant, cast.stream.pk)
    await client.send({"type": "cursor", **frame})
    assert (await client.recv())["reason"] == "invalid"


async def test_editing_is_shared_and_told_to_later_joiners(cast):
    watcher = await connected(cast.facilitator, cast.stream.pk)
    editor = await connected(cast.participant, cast.stream.pk)
    await presence(watcher, "join")
    await editor.send({"type": "editing", "target": {"kind": "note", "id": 7}})
    frame = await presence(watcher, "editing")
    assert (frame["user"]["id"], frame["target"]) == (
        cast.participant.pk,
        {"kind": "note", "id": 7},
    )

    late = await connected(cast.viewer, cast.stream.pk)
    roster = [await presence(late, "join"), await presence(late, "join")]
    editing = {f["user"]["id"]: f["editing"] for f in roster}
    assert editing == {cast.participant.pk: {"kind": "note", "id": 7}, cast.facilitator.pk: None}

    await editor.send({"type": "editing", "target": None})
    assert (await presence(watcher, "editing"))["target"] is None


async def test_viewer_cannot_claim_to_edit(cast):
    viewer = await connected(cast.viewer, cast.stream.pk)
    await viewer.send({"type": "editing", "target": {"kind": "note", "id": 1}})
    assert (await viewer.recv())["reason"] == "forbidden"


async def test_bad_editing_target_is_rejected(cast):
    client = await connected(cast.participant, cast.stream.pk)
    await client.send({"type": "editing", "target": {"kind": "spaceship", "id": 1}})
    assert (await client.recv())["reason"] == "invalid"


async def test_presence_never_enters_the_op_log(cast):
    first = await connected(cast.facilitator, cast.stream.pk)
    second = await connected(cast.participant, cast.stream.pk)
    await second.send({"type": "cursor", "x": 1, "y": 1})
    await second.send({"type": "editing", "target": {"kind": "note", "id": 1}})
    await presence(first, "editing")
    await second.close()
    await presence(first, "leave")
    assert await database_sync_to_async(Op.objects.count)() == 0
