"""Presence on the board socket: join and leave, coalesced cursors, who edits what; never in
the op log."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from streams.hub import Outbox
from streams.models import Op
from streams.presence import Throttle
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


async def test_cursors_are_coalesced_to_one_frame_a_tick_keeping_the_last(cast):
    watcher = await connected(cast.facilitator, cast.stream.pk)
    first = await connected(cast.participant, cast.stream.pk)
    second = await connected(cast.participant, cast.stream.pk)
    await presence(watcher, "join")
    await presence(watcher, "join")
    started = time.monotonic()
    for step in range(40):  # far faster than 20/s, from two people at once
        await first.send({"type": "cursor", "x": step, "y": 2 * step})
        await second.send({"type": "cursor", "x": -step, "y": -2 * step})
    frames, latest = 0, {}
    while sorted(latest.values()) != [(-39, -78), (39, 78)]:
        frame = await watcher.recv()
        if frame["type"] == "presence" and frame["action"] == "cursors":
            frames += 1
            conns = [cursor["conn"] for cursor in frame["cursors"]]
            assert len(conns) == len(set(conns))  # one entry per person per frame
            latest.update({c["conn"]: (c["x"], c["y"]) for c in frame["cursors"]})
    elapsed = time.monotonic() - started
    assert frames <= 1 + 20 * elapsed, (frames, elapsed)
    assert frames < 40
    seen_by_first = []
    while not await first.nothing(0.1):
        frame = await first.recv()
        if frame.get("action") == "cursors":
            seen_by_first += [cursor["conn"] for cursor in frame["cursors"]]
    assert seen_by_first and set(seen_by_first) == set(latest) - {first.conn}  # no echo


async def test_throttle_runs_at_most_once_per_interval():
    runs: list[float] = []
    now = [0.0]

    async def action() -> None:
        runs.append(now[0])

    throttle = Throttle(interval=0.05, action=action, clock=lambda: now[0])
    throttle.poke()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert runs == [0.0]  # at once after a quiet interval
    now[0] = 0.01
    for _ in range(10):
        throttle.poke()
    await asyncio.sleep(0.01)
    assert runs == [0.0]  # the rest waits for the end of the interval (0.04 s from now)
    now[0] = 0.05
    await asyncio.sleep(0.05)
    assert runs == [0.0, 0.05]


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


async def test_the_board_group_has_one_member_per_process_not_per_socket(cast):
    from channels.layers import get_channel_layer

    from streams.events import stream_group

    sockets = [await connected(cast.participant, cast.stream.pk) for _ in range(3)]
    groups = get_channel_layer().groups
    assert len(groups[stream_group(cast.stream.pk)]) == 1
    for socket in sockets:
        await socket.close()
    await asyncio.sleep(0.05)
    assert not groups.get(stream_group(cast.stream.pk))  # the last one out unsubscribes


async def test_outbox_gives_up_on_a_reader_that_stopped():
    written: list[str] = []
    stuck = asyncio.Event()
    overflowed: list[bool] = []

    async def send(text: str) -> None:
        if text == "stall":
            await stuck.wait()  # a client that stopped reading
        written.append(text)

    outbox = Outbox(send, on_overflow=lambda: overflowed.append(True), limit=3)
    for text in ("a", "b", "c"):
        outbox.push(text)
    await outbox.flushed()
    assert written == ["[a,b,c]"]  # queued together, so sent together
    outbox.push("stall")
    await asyncio.sleep(0)
    for text in ("1", "2", "3", "4", "5"):
        outbox.push(text)
    assert overflowed == [True]  # once, on the fourth frame waiting behind the stalled one
    outbox.close()


async def test_a_hub_survives_a_failing_channel_layer_and_joins_the_group_again(monkeypatch):
    from channels.layers import InMemoryChannelLayer

    from streams import hub as hubs

    class Flaky(InMemoryChannelLayer):
        failures = 1

        async def receive(self, channel: str) -> dict[str, Any]:
            if self.failures:
                self.failures -= 1
                self.groups.clear()  # a Redis restart loses the group
                raise ConnectionError("Redis is restarting")
            return await super().receive(channel)

    class Socket:
        conn = "s1"

        def __init__(self) -> None:
            self.taken: list[dict[str, Any]] = []

        def take(self, message: dict[str, Any]) -> None:
            self.taken.append(message)

    monkeypatch.setattr(hubs, "RETRY_SECONDS", 0.01)
    layer = Flaky()
    socket = Socket()
    hub = await hubs.hub_for(layer, 99).add(socket)
    await asyncio.sleep(0.05)  # the failure, the pause, and the group joined again
    await layer.group_send(hub.group, {"type": "board.frame", "text": "{}"})
    for _ in range(100):
        if socket.taken:
            break
        await asyncio.sleep(0.01)
    assert socket.taken == [{"type": "board.frame", "text": "{}"}]
    await hub.remove(socket)


async def test_outbox_sends_what_queued_up_meanwhile_as_one_array():
    messages: list[str] = []

    async def send(text: str) -> None:
        messages.append(text)

    outbox = Outbox(send, on_overflow=lambda: None)
    for text in ('{"a":1}', '{"b":2}', '{"c":3}'):
        outbox.push(text)  # before the writer runs: one message
    await outbox.flushed()
    outbox.push('{"d":4}')  # alone: as it is
    await outbox.flushed()
    assert messages == ['[{"a":1},{"b":2},{"c":3}]', '{"d":4}']
    outbox.close()
