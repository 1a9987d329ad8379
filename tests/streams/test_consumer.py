"""The board socket: who may connect, every op kind and action, and every rejection."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from streams.kinds import KINDS
from streams.models import Note, Op
from streams.selectors import board_snapshot
from tests.factories import (
    ActivityFactory,
    CountermeasureFactory,
    LinkFactory,
    NoteFactory,
    StreamFactory,
    VoteFactory,
    WasteFactory,
)
from tests.stack.clients import (
    CommunicatorClient,
    board_of,
    board_path,
    communicator_for,
    connected,
    token_headers,
)
from workitems.models import WorkState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


@pytest.fixture
def board(cast: Any) -> SimpleNamespace:
    """One object of every kind on the cast's stream (made without the op log: seq stays 0)."""
    stream = cast.stream
    first, second, third = (ActivityFactory(stream=stream) for _ in range(3))
    waste = WasteFactory(stream=stream, activity=first)
    return SimpleNamespace(
        first=first,
        second=second,
        third=third,
        link=LinkFactory(stream=stream, source=first, target=second),
        waste=waste,
        countermeasure=CountermeasureFactory(waste=waste),
        note=NoteFactory(stream=stream),
        vote=VoteFactory(waste=waste, member=cast.membership("participant")),
    )


async def op_count() -> int:
    return await database_sync_to_async(Op.objects.count)()


async def snapshot_board(user: Any, stream_id: int) -> dict[str, Any]:
    snapshot = await database_sync_to_async(board_snapshot)(user=user, stream_id=stream_id)
    return board_of(snapshot)


async def assert_still_usable(client: CommunicatorClient) -> None:
    answer = await client.result(await client.op("note.create", {"text": "still here"}))
    assert answer["type"] == "applied"


# Who may connect ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer"])
async def test_member_gets_welcome_then_snapshot_then_synced(cast, role):
    client = await communicator_for(cast.user(role), cast.stream.pk)
    frames = await client.connect()
    assert [frame["type"] for frame in frames] == ["welcome", "snapshot", "synced"]
    welcome, snapshot, synced = frames
    assert welcome["role"] == role
    assert welcome["can_edit"] is (role != "viewer")
    assert welcome["limits"]["frame_bytes"] == 64 * 1024
    assert snapshot["seq"] == synced["seq"] == 0 and synced["mode"] == "snapshot"
    await client.close()


async def test_welcome_carries_the_servers_text_limits_of_every_kind(cast):
    client = await communicator_for(cast.participant, cast.stream.pk)
    welcome = (await client.connect())[0]
    await client.close()

    lengths = welcome["limits"]["max_length"]
    assert lengths["note"] == {"text": KINDS["note"].spec["text"].max_length} == {"text": 1000}
    assert lengths["waste"] == {"text": 500}
    assert lengths["activity"]["title"] == 200 and lengths["activity"]["team"] == 100
    assert lengths["countermeasure"]["measure"] == 2000
    assert "link" not in lengths and "vote" not in lengths  # no text fields


async def test_anonymous_is_closed_with_4401(cast):
    client = await communicator_for(None, cast.stream.pk)
    connected_, _ = await client.communicator.connect()
    assert connected_
    assert await client.communicator.receive_output(2) == {"type": "websocket.close", "code": 4401}


async def test_non_member_is_closed_with_4404_like_an_unknown_board(cast):
    for stream_id in (cast.stream.pk, 999_999):
        client = await communicator_for(cast.outsider, stream_id)
        await client.communicator.connect()
        closing = await client.communicator.receive_output(2)
        assert closing == {"type": "websocket.close", "code": 4404}


async def test_foreign_origin_is_refused(cast):
    communicator = CommunicatorClient(
        board_path(cast.stream.pk), token_headers(None, origin="http://evil.example")
    ).communicator
    connected_, _ = await communicator.connect()
    assert not connected_


async def test_session_cookie_signs_the_browser_in(cast):
    browser = Client()
    await database_sync_to_async(browser.force_login)(cast.participant)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    client = CommunicatorClient(
        board_path(cast.stream.pk), [*token_headers(None), (b"cookie", cookie)]
    )
    welcome = (await client.connect())[0]
    assert welcome["user"]["id"] == cast.participant.pk
    await client.close()


# Every op kind and action -------------------------------------------------------------------

OPS = [
    ("activity.create", lambda b: {"title": "Deploy", "process_time": 60, "x": 10}),
    ("activity.update", lambda b: {"id": b.first.pk, "title": "Renamed", "wait_time": 5}),
    ("activity.move", lambda b: {"id": b.first.pk, "x": 5, "y": 6, "lane": 2}),
    ("activity.delete", lambda b: {"id": b.first.pk}),
    ("link.create", lambda b: {"source": b.second.pk, "target": b.third.pk}),
    ("link.delete", lambda b: {"id": b.link.pk}),
    ("waste.create", lambda b: {"text": "Hand-off", "category": "transportation"}),
    ("waste.update", lambda b: {"id": b.waste.pk, "category": "defects"}),
    ("waste.move", lambda b: {"id": b.waste.pk, "x": -40, "y": 12.5}),
    ("waste.delete", lambda b: {"id": b.waste.pk}),
    ("vote.create", lambda b: {"waste": b.waste.pk}),
    ("vote.delete", lambda b: {"id": b.vote.pk}),
    ("countermeasure.create", lambda b: {"waste": b.waste.pk, "title": "Pair on it"}),
    ("countermeasure.update", lambda b: {"id": b.countermeasure.pk, "status": "planned"}),
    ("countermeasure.move", lambda b: {"id": b.countermeasure.pk, "x": 1, "y": 2}),
    ("countermeasure.delete", lambda b: {"id": b.countermeasure.pk}),
    ("note.create", lambda b: {"text": "Why two approvals?", "kind": "question"}),
    ("note.update", lambda b: {"id": b.note.pk, "text": "Edited", "color": "#ffffff"}),
    ("note.move", lambda b: {"id": b.note.pk, "x": 300, "y": 200}),
    ("note.delete", lambda b: {"id": b.note.pk}),
]


@pytest.mark.parametrize(("op", "data"), OPS, ids=[op for op, _ in OPS])
async def test_op_is_acked_to_sender_broadcast_to_all_and_every_replica_matches_db(
    cast, board, op, data
):
    sender = await connected(cast.participant, cast.stream.pk)
    other = await connected(cast.facilitator, cast.stream.pk)
    client_id = await sender.op(op, data(board))

    ack = await sender.result(client_id)
    news = (await other.until("applied"))[-1]

    assert ack["type"] == "applied", ack
    assert (ack["seq"], ack["op"], ack["by"]["id"]) == (1, op, cast.participant.pk)
    if op.startswith("vote."):  # votes are hidden until revealed: only the seq is shared
        assert news == {"type": "applied", "seq": 1, "op": op, "data": None, "hidden": True}
    else:
        assert news == ack
    assert sender.replica.board() == await snapshot_board(cast.participant, cast.stream.pk)
    assert other.replica.board() == await snapshot_board(cast.facilitator, cast.stream.pk)
    await sender.close()
    await other.close()


@pytest.mark.parametrize("op", ["link.update", "link.move", "vote.update", "vote.move"])
async def test_links_and_votes_cannot_be_changed_only_replaced(cast, board, op):
    client = await connected(cast.participant, cast.stream.pk)
    target = board.link if op.startswith("link") else board.vote
    answer = await client.result(await client.op(op, {"id": target.pk, "x": 1}))
    assert answer["type"] == "rejected" and answer["reason"] == "invalid"
    assert await op_count() == 0
    await client.close()


async def test_rest_write_reaches_the_socket_with_a_seq(cast, client_for):
    client = await connected(cast.viewer, cast.stream.pk)
    api = client_for(cast.participant)
    response = await database_sync_to_async(api.post)(
        f"/api/streams/{cast.stream.pk}/notes/", {"text": "from REST"}, format="json"
    )
    assert response.status_code == 201, response.content
    frame = (await client.until("applied"))[-1]
    assert (frame["seq"], frame["op"], frame["data"]["text"]) == (1, "note.create", "from REST")
    await client.close()


async def test_resending_an_applied_op_is_acked_not_applied_twice(cast):
    first = await connected(cast.participant, cast.stream.pk)
    client_id = await first.op("note.create", {"text": "once"})
    assert (await first.result(client_id))["seq"] == 1
    await first.close()
    # After a reconnect through a snapshot the client cannot tell; it sends the op again.
    second = await connected(cast.participant, cast.stream.pk)
    answer = await second.result(await second.op("note.create", {"text": "once"}, client_id))
    assert answer == {"type": "ack", "id": client_id, "seq": 1}
    assert await database_sync_to_async(Note.objects.count)() == 1
    await second.close()


# Roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["facilitator", "participant"])
async def test_editors_change_the_board(cast, role):
    client = await connected(cast.user(role), cast.stream.pk)
    answer = await client.result(await client.op("note.create", {"text": role}))
    assert answer["type"] == "applied"
    await client.close()


async def test_viewer_receives_but_every_change_is_rejected(cast):
    viewer = await connected(cast.viewer, cast.stream.pk)
    participant = await connected(cast.participant, cast.stream.pk)
    answer = await viewer.result(await viewer.op("note.create", {"text": "may I?"}))
    assert answer["reason"] == "forbidden" and "Viewers" in answer["detail"]
    await participant.op("note.create", {"text": "yes"})
    frame = (await viewer.until("applied"))[-1]
    assert frame["data"]["text"] == "yes" and frame["seq"] == 1
    await viewer.close()
    await participant.close()


# Rejections: each reason, nothing changes, the socket stays usable -------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        ("[" * 5000 + "]" * 5000, "malformed"),
        (json.dumps({"type": "op", "op": "note.create", "data": {"text": "no id"}}), "malformed"),
        (json.dumps({"type": "shout"}), "unknown_type"),
        (json.dumps({"type": "op", "id": "a", "op": "sticker.create", "data": {}}), "unknown_op"),
        (json.dumps({"type": "op", "id": "a", "op": "note.paint", "data": {}}), "unknown_op"),
        (json.dumps({"type": "op", "id": "a", "op": "note", "data": {}}), "unknown_op"),
        (json.dumps({"type": "op", "id": "a", "op": "note.create", "data": [1]}), "invalid"),
        (json.dumps({"type": "op", "id": "a", "op": "note.create", "data": {}}), "invalid"),
        # A lone surrogate, which JSON's escapes can spell and no database stores.
        (
            json.dumps({"type": "op", "id": "a", "op": "note.create", "data": {"text": "\ud800"}}),
            "malformed",
        ),
        (json.dumps({"type": "op", "id": "\udfff", "op": "note.create", "data": {}}), "malformed"),
    ],
)
async def test_bad_frame_is_rejected_and_the_socket_stays_usable(cast, text, reason):
    client = await connected(cast.participant, cast.stream.pk)
    await client.communicator.send_to(text_data=text)
    frame = await client.recv()
    assert frame["type"] == "rejected" and frame["reason"] == reason, frame
    assert await op_count() == 0
    await assert_still_usable(client)
    await client.close()


async def test_validation_rejection_names_the_field(cast):
    client = await connected(cast.participant, cast.stream.pk)
    answer = await client.result(await client.op("activity.create", {"title": "", "pca": 140}))
    assert answer["reason"] == "invalid"
    assert set(answer["errors"]) >= {"title", "pca"}
    assert await op_count() == 0
    await client.close()


async def test_locked_board_rejects_participants_but_not_the_facilitator(cast):
    cast.stream.locked = True
    await database_sync_to_async(cast.stream.save)()
    participant = await connected(cast.participant, cast.stream.pk)
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    answer = await participant.result(await participant.op("note.create", {"text": "late"}))
    assert answer["reason"] == "forbidden" and "locked" in answer["detail"]
    answer = await facilitator.result(await facilitator.op("note.create", {"text": "fine"}))
    assert answer["type"] == "applied"
    await participant.close()
    await facilitator.close()


async def test_another_streams_objects_cannot_be_touched(cast):
    sibling = await database_sync_to_async(StreamFactory)(workshop=cast.workshop)
    foreign = await database_sync_to_async(StreamFactory)()
    notes = [await database_sync_to_async(NoteFactory)(stream=s) for s in (sibling, foreign)]
    activity = await database_sync_to_async(ActivityFactory)(stream=sibling)
    mine = await database_sync_to_async(ActivityFactory)(stream=cast.stream)
    client = await connected(cast.participant, cast.stream.pk)
    for note in notes:
        for op in ("note.update", "note.move", "note.delete"):
            answer = await client.result(await client.op(op, {"id": note.pk, "x": 1}))
            assert answer["reason"] == "not_found", (op, answer)
    answer = await client.result(
        await client.op("link.create", {"source": mine.pk, "target": activity.pk})
    )
    assert answer["reason"] == "invalid" and "target" in answer["errors"]
    assert await op_count() == 0
    await client.close()


async def test_deleted_object_is_not_found(cast):
    client = await connected(cast.participant, cast.stream.pk)
    answer = await client.result(await client.op("note.update", {"id": 123456, "text": "x"}))
    assert answer["reason"] == "not_found"
    await assert_still_usable(client)
    await client.close()


async def test_op_rate_is_bounded_with_a_rejection(cast, settings):
    settings.VSM_WS_OP_RATE = 0.01
    settings.VSM_WS_OP_BURST = 3
    client = await connected(cast.participant, cast.stream.pk)
    sent = [await client.op("note.create", {"text": f"n{i}"}) for i in range(5)]
    answers = [await client.result(client_id) for client_id in sent]
    assert [a["type"] for a in answers] == ["applied"] * 3 + ["rejected"] * 2
    assert {a.get("reason") for a in answers[3:]} == {"rate_limited"}
    assert await op_count() == 3
    await client.close()


async def test_oversized_frame_is_rejected_and_the_socket_stays_usable(cast):
    client = await connected(cast.participant, cast.stream.pk)
    await client.op("note.create", {"text": "x" * (65 * 1024)})
    frame = await client.recv()
    assert frame == {
        "type": "rejected",
        "id": None,
        "reason": "too_large",
        "detail": "Frames are limited to 65536 bytes.",
    }
    await assert_still_usable(client)
    await client.close()


async def test_huge_frame_closes_the_socket_with_1009(cast):
    client = await connected(cast.participant, cast.stream.pk)
    await client.communicator.send_to(text_data="x" * (1024 * 1024 + 1))
    assert await client.communicator.receive_output(2) == {"type": "websocket.close", "code": 1009}


async def test_binary_frame_is_rejected(cast):
    client = await connected(cast.participant, cast.stream.pk)
    await client.communicator.send_to(bytes_data=b"\x00\x01")
    frame = await client.recv()
    assert frame["reason"] == "malformed"
    await assert_still_usable(client)
    await client.close()


async def test_unexpected_failure_is_a_rejection_not_a_crash(cast, monkeypatch):
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("streams.services.board.op_apply", explode)
    client = await connected(cast.participant, cast.stream.pk)
    answer = await client.result(await client.op("note.create", {"text": "x"}))
    assert answer["reason"] == "server_error"
    monkeypatch.undo()
    await assert_still_usable(client)
    await client.close()


# Measured flow: tracker states assigned to activities ---------------------------------------


async def test_a_facilitator_assigns_a_state_live_and_everyone_sees_it(cast, board):
    state = await database_sync_to_async(WorkState.objects.create)(
        workshop=cast.workshop, name="In Dev", order=0, flow_state="active"
    )
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    viewer = await connected(cast.viewer, cast.stream.pk)
    assert viewer.replica.work_states[state.pk]["activity"] is None  # in the snapshot

    answer = await facilitator.result(
        await facilitator.op("state.update", {"id": state.pk, "activity": board.first.pk})
    )
    news = (await viewer.until("applied"))[-1]

    assert answer["type"] == "applied" and news == answer
    assert news["data"] == {
        "id": state.pk,
        "name": "In Dev",
        "order": 0,
        "flow_state": "active",
        "activity": board.first.pk,
    }
    assert viewer.replica.work_states[state.pk]["activity"] == board.first.pk
    again = await connected(cast.participant, cast.stream.pk)  # a new snapshot agrees
    assert again.replica.work_states[state.pk]["activity"] == board.first.pk
    for client in (facilitator, viewer, again):
        await client.close()


@pytest.mark.parametrize(
    ("who", "target", "reason"),
    [
        ("participant", "mine", "forbidden"),
        ("facilitator", "foreign_state", "not_found"),
        ("facilitator", "foreign_activity", "invalid"),
    ],
)
async def test_assigning_a_state_is_refused_and_changes_nothing(cast, board, who, target, reason):
    mine = await database_sync_to_async(WorkState.objects.create)(
        workshop=cast.workshop, name="In Dev", order=0, flow_state="active"
    )
    elsewhere = await database_sync_to_async(StreamFactory)()
    foreign = await database_sync_to_async(WorkState.objects.create)(
        workshop=elsewhere.workshop, name="Other", order=0, flow_state="active"
    )
    other_activity = await database_sync_to_async(ActivityFactory)(stream=elsewhere)
    data = {
        "mine": {"id": mine.pk, "activity": board.first.pk},
        "foreign_state": {"id": foreign.pk, "activity": board.first.pk},
        "foreign_activity": {"id": mine.pk, "activity": other_activity.pk},
    }[target]
    client = await connected(cast.user(who), cast.stream.pk)

    answer = await client.result(await client.op("state.update", data))

    assert answer["type"] == "rejected" and answer["reason"] == reason, answer
    assert await op_count() == 0
    await client.close()
