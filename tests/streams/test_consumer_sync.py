"""The board socket's ordering and resync: replay since a seq, snapshots, gaps, duplicates,
heartbeats, hidden votes and frames from outside the op log."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

from streams.events import encode, stream_group
from streams.models import Op
from streams.services import op_apply
from streams.services.streams import stream_update
from tests.factories import WasteFactory
from tests.stack.clients import CommunicatorClient, board_of, communicator_for
from workshops.models import Membership

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


@pytest.fixture
def five_ops(cast: Any) -> list[Op]:
    """Five committed note ops on the cast's stream (seq 1..5)."""
    ops = [
        op_apply(
            actor=cast.participant, stream_id=cast.stream.pk, op="note.create", data={"text": t}
        )
        for t in "abc"
    ]
    note_id = ops[0].data["id"]
    ops.append(
        op_apply(
            actor=cast.facilitator,
            stream_id=cast.stream.pk,
            op="note.move",
            data={"id": note_id, "x": 9, "y": 9},
        )
    )
    ops.append(
        op_apply(
            actor=cast.participant,
            stream_id=cast.stream.pk,
            op="note.delete",
            data={"id": ops[1].data["id"]},
        )
    )
    return ops


async def connect(user: Any, stream_id: int, since: Any = None) -> tuple[CommunicatorClient, list]:
    client = await communicator_for(user, stream_id, since=since)
    return client, await client.connect()


def write(actor: Any, stream_id: int, op: str, data: dict[str, Any]) -> Op:
    return op_apply(actor=actor, stream_id=stream_id, op=op, data=data)


awrite = database_sync_to_async(write)


async def board_now(user: Any, stream_id: int) -> dict[str, Any]:
    from streams.selectors import board_snapshot

    return board_of(await database_sync_to_async(board_snapshot)(user=user, stream_id=stream_id))


# Replay or snapshot -------------------------------------------------------------------------


async def test_since_replays_every_later_op_in_order_then_synced(cast, five_ops):
    client, frames = await connect(cast.viewer, cast.stream.pk, since=2)
    assert [f["type"] for f in frames] == ["welcome", "applied", "applied", "applied", "synced"]
    assert [f["seq"] for f in frames[1:4]] == [3, 4, 5]
    assert [f["op"] for f in frames[1:4]] == ["note.create", "note.move", "note.delete"]
    assert frames[-1] == {"type": "synced", "seq": 5, "mode": "replay"}
    await client.close()


async def test_since_at_the_head_replays_nothing(cast, five_ops):
    client, frames = await connect(cast.viewer, cast.stream.pk, since=5)
    assert [f["type"] for f in frames] == ["welcome", "synced"]
    assert frames[-1]["mode"] == "replay"
    await client.close()


async def test_a_client_back_at_the_head_is_sent_only_what_follows(cast, five_ops):
    """Reconnecting with `since` at the head replays nothing and leaves the socket at that
    seq: what comes next is the next op alone, never the ops the client holds again."""
    client, frames = await connect(cast.viewer, cast.stream.pk, since=5)
    assert frames[-1] == {"type": "synced", "seq": 5, "mode": "replay"}
    await client.send({"type": "ping"})
    assert (await client.until("pong"))[-1]["seq"] == 5
    await awrite(cast.participant, cast.stream.pk, "note.create", {"text": "next"})
    assert [f["seq"] for f in await client.until("applied")] == [6]
    await client.close()


async def test_replayed_client_converges_with_a_fresh_snapshot(cast, five_ops):
    old, _ = await connect(cast.viewer, cast.stream.pk)  # at seq 5
    await awrite(
        cast.participant, cast.stream.pk, "note.update", {"id": five_ops[0].data["id"], "text": "z"}
    )
    await old.until("applied", seq=6)
    await old.close()
    await awrite(cast.participant, cast.stream.pk, "note.create", {"text": "while away"})
    back = await communicator_for(cast.viewer, cast.stream.pk, since=old.replica.seq)
    back.replica = old.replica
    frames = await back.connect()
    assert frames[-1]["mode"] == "replay" and back.replica.seq == 7
    assert back.replica.board() == await board_now(cast.viewer, cast.stream.pk)
    await back.close()


@pytest.mark.parametrize("since", [None, -1, "abc", 99])
async def test_missing_or_unusable_since_gets_a_snapshot(cast, five_ops, since):
    client, frames = await connect(cast.viewer, cast.stream.pk, since=since)
    assert [f["type"] for f in frames] == ["welcome", "snapshot", "synced"]
    assert frames[1]["seq"] == 5 and len(frames[1]["notes"]) == 2
    assert frames[-1] == {"type": "synced", "seq": 5, "mode": "snapshot"}
    await client.close()


async def test_gap_longer_than_the_replay_limit_gets_a_snapshot(cast, five_ops, settings):
    settings.VSM_WS_REPLAY_LIMIT = 2
    client, frames = await connect(cast.viewer, cast.stream.pk, since=1)
    assert frames[-1]["mode"] == "snapshot"
    client, frames = await connect(cast.viewer, cast.stream.pk, since=3)
    assert frames[-1]["mode"] == "replay"


async def test_since_older_than_the_retained_log_gets_a_snapshot(cast, five_ops):
    await database_sync_to_async(Op.objects.filter(seq__lte=3).delete)()
    client, frames = await connect(cast.viewer, cast.stream.pk, since=1)
    assert frames[-1]["mode"] == "snapshot"
    client, frames = await connect(cast.viewer, cast.stream.pk, since=3)
    assert [f["seq"] for f in frames if f["type"] == "applied"] == [4, 5]


async def test_sync_request_gets_a_fresh_snapshot(cast, five_ops):
    client, _ = await connect(cast.viewer, cast.stream.pk, since=5)
    await client.send({"type": "sync"})
    frames = await client.until("synced")
    assert [f["type"] for f in frames] == ["snapshot", "synced"]
    await client.close()


# Ordering: duplicates, gaps, concurrent commits ---------------------------------------------


async def test_duplicate_broadcast_is_dropped(cast, five_ops):
    client, _ = await connect(cast.viewer, cast.stream.pk)
    await get_channel_layer().group_send(
        stream_group(cast.stream.pk), board_message_of(five_ops[4])
    )
    assert await client.nothing()
    await client.close()


def board_message_of(op: Op) -> dict[str, Any]:
    from streams.replay import op_message

    return op_message(op)


async def test_gap_is_filled_from_the_log_before_the_frame_that_shows_it(cast, monkeypatch):
    client, _ = await connect(cast.viewer, cast.stream.pk)
    monkeypatch.setattr("streams.events.group_send", lambda stream_id, message: None)
    await awrite(cast.participant, cast.stream.pk, "note.create", {"text": "lost broadcast"})
    monkeypatch.undo()
    await awrite(cast.participant, cast.stream.pk, "note.create", {"text": "arrives"})
    first, second = await client.recv(), await client.recv()
    assert (first["seq"], first["data"]["text"]) == (1, "lost broadcast")
    assert (second["seq"], second["data"]["text"]) == (2, "arrives")
    await client.close()


async def test_heartbeat_catches_a_missed_broadcast_and_carries_the_seq(
    cast, monkeypatch, settings
):
    settings.VSM_WS_HEARTBEAT_SECONDS = 0.2
    client, frames = await connect(cast.viewer, cast.stream.pk)
    assert frames[0]["heartbeat"] == 0.2
    monkeypatch.setattr("streams.events.group_send", lambda stream_id, message: None)
    await awrite(cast.participant, cast.stream.pk, "note.create", {"text": "lost"})
    monkeypatch.undo()
    frames = await client.until("heartbeat", timeout=2)
    assert [f["type"] for f in frames] == ["applied", "heartbeat"]
    assert frames[-1]["seq"] == frames[0]["seq"] == 1
    await client.close()


async def test_heartbeat_closes_the_socket_of_a_removed_member(cast, settings):
    settings.VSM_WS_HEARTBEAT_SECONDS = 0.2
    client, _ = await connect(cast.participant, cast.stream.pk)
    await database_sync_to_async(Membership.objects.filter(user=cast.participant).delete)()
    closing = await client.communicator.receive_output(2)
    assert closing == {"type": "websocket.close", "code": 4404}


async def test_ops_committed_while_clients_connect_are_neither_lost_nor_reordered(cast):
    def writer() -> None:
        try:
            for i in range(40):
                write(cast.participant, cast.stream.pk, "note.create", {"text": f"n{i}"})
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    clients = []
    for pause in (0, 0.02, 0.05, 0.1):
        await asyncio.sleep(pause)
        clients.append((await connect(cast.viewer, cast.stream.pk, since=0))[0])
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    for client in clients:
        while client.replica.seq < 40:
            await client.recv()
        assert client.replica.order == list(range(1, 41))  # every seq once, in order
        assert len(client.replica.objects["notes"]) == 40
        await client.close()


async def test_frames_without_seq_are_forwarded_as_they_are(cast):
    client, _ = await connect(cast.viewer, cast.stream.pk)
    text = encode({"type": "summary", "stream": cast.stream.pk, "lead_time": 12.5})
    await get_channel_layer().group_send(
        stream_group(cast.stream.pk), {"type": "board.frame", "text": text}
    )
    assert await client.communicator.receive_from(2) == text
    await client.close()


# Hidden votes -------------------------------------------------------------------------------


@pytest.fixture
def waste(cast: Any) -> Any:
    return WasteFactory(stream=cast.stream)


async def test_hidden_vote_reaches_only_the_voter_live_in_replay_and_snapshot(cast, waste):
    voter, _ = await connect(cast.participant, cast.stream.pk)
    other, _ = await connect(cast.facilitator, cast.stream.pk)
    client_id = await voter.op("vote.create", {"waste": waste.pk})
    mine = await voter.result(client_id)
    theirs = (await other.until("applied"))[-1]
    assert mine["data"]["waste"] == waste.pk and mine["by"]["id"] == cast.participant.pk
    assert theirs == {
        "type": "applied",
        "seq": 1,
        "op": "vote.create",
        "data": None,
        "hidden": True,
    }
    assert "by" not in theirs and client_id not in json.dumps(theirs)

    replayed, frames = await connect(cast.viewer, cast.stream.pk, since=0)
    assert frames[1] == theirs
    replayed, frames = await connect(cast.participant, cast.stream.pk, since=0)
    assert frames[1]["data"] == mine["data"]
    _, frames = await connect(cast.viewer, cast.stream.pk)
    assert frames[1]["votes"] == []
    _, frames = await connect(cast.participant, cast.stream.pk)
    assert frames[1]["votes"] == [mine["data"]]


async def test_revealing_votes_sends_everyone_a_snapshot_with_all_votes(cast, waste):
    other, _ = await connect(cast.facilitator, cast.stream.pk)
    await awrite(cast.participant, cast.stream.pk, "vote.create", {"waste": waste.pk})
    await other.until("applied", seq=1)
    assert other.replica.objects["votes"] == {}

    await database_sync_to_async(stream_update)(
        actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": True}
    )
    frames = await other.until("snapshot")
    assert [f["type"] for f in frames] == ["applied", "snapshot"]
    assert frames[0]["op"] == "stream.update" and len(frames[1]["votes"]) == 1
    assert other.replica.board() == await board_now(cast.facilitator, cast.stream.pk)

    # Once revealed, vote ops are whole for everyone.
    await awrite(cast.participant, cast.stream.pk, "vote.create", {"waste": waste.pk})
    frame = (await other.until("applied"))[-1]
    assert frame["data"]["waste"] == waste.pk and "hidden" not in frame

    # Hidden again: each member sees only their own dots.
    await database_sync_to_async(stream_update)(
        actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": False}
    )
    frames = await other.until("snapshot")
    assert frames[-1]["votes"] == []


async def test_reconnect_across_a_reveal_gets_a_snapshot(cast, waste):
    await awrite(cast.participant, cast.stream.pk, "vote.create", {"waste": waste.pk})
    await database_sync_to_async(stream_update)(
        actor=cast.facilitator, stream_id=cast.stream.pk, data={"votes_revealed": True}
    )
    _, frames = await connect(cast.viewer, cast.stream.pk, since=1)
    assert frames[-1]["mode"] == "snapshot" and len(frames[1]["votes"]) == 1
