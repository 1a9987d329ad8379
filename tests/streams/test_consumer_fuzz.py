"""Fuzzing the board socket with Hypothesis: any frame a client can send (any JSON, deep
nesting, numbers no float holds, odd unicode and lone surrogates escaped in the JSON text,
wrong types in every field of every op, binary frames) is answered, never with
`server_error`; the socket stays open and usable; and the board (its op log and its snapshot)
changes only when the answer was `applied`.

In process (WebsocketCommunicator on the real ASGI application, PostgreSQL). Derandomized
and bounded: the same frames on every run.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.kinds import KINDS
from streams.models import Op
from streams.selectors import board_snapshot
from streams.services.board import ACTIONS
from tests.factories import (
    ActivityFactory,
    CountermeasureFactory,
    LinkFactory,
    NoteFactory,
    VoteFactory,
    WasteFactory,
)
from tests.stack.clients import CommunicatorClient, board_of, connected, frames_of
from vsm_site.validation import storable_text
from workitems.models import WorkState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]

FRAMES_PER_ROLE = 250
TYPES = ("op", "cursor", "editing", "follow", "sync", "ping")
OP_KINDS = (*KINDS, "state", "stream", "workshop")
FIELDS = sorted({name for kind in KINDS.values() for name in kind.spec} | {"id", "version"})

# Characters of every sort, lone surrogates (json.dumps escapes them as \udXXX) included.
ODD_TEXT = st.text(
    alphabet=st.characters(categories=["Cs", "Cc", "Zs", "So", "Mn", "Lo", "Lu", "Nd", "Po"]),
    max_size=30,
)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=10**300, max_value=10**400),  # no float holds it
    st.floats(),  # NaN and infinities become the tokens NaN and Infinity, which JSON lacks
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, ODD_TEXT)
JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
    max_leaves=12,
)


def raw_texts() -> st.SearchStrategy[str]:
    """Text frames that are not a JSON document a client library would write."""
    depth = st.integers(min_value=100, max_value=30_000)
    return st.one_of(
        st.text(max_size=50),  # mostly not JSON at all
        depth.map(lambda n: "[" * n + "]" * n),  # deeper than the parser goes
        depth.map(lambda n: '{"type": "op", "data": ' + "[" * n + "]" * n + "}"),
        st.integers(min_value=4000, max_value=20_000).map(lambda n: "1" * n),  # digits
        st.sampled_from(
            [
                "1e400",
                "-1e400",
                '{"type": "cursor", "x": 1e400, "y": -1e400}',
                '{"type": "op", "id": "a", "op": "note.create", "data": {"x": 1e999999}}',
                '{"type": "op", "id": "\\ud800", "op": "note.create", "data": {"text": "x"}}',
                '{"type": "op", "id": "b", "op": "note.create",'
                ' "data": {"text": "\\udfff\\ud800"}}',
                '{"type": "ping"',
                "",
                "null",
                "[]",
                '"op"',
            ]
        ),
    )


def frames(ids: list[int]) -> st.SearchStrategy[Any]:
    """A frame: a str to send as text, or bytes to send as a binary frame."""
    value = st.one_of(JSON, st.sampled_from(ids), NUMBERS)
    data = st.one_of(JSON, st.dictionaries(st.sampled_from(FIELDS), value, max_size=6))
    op = st.fixed_dictionaries(
        {
            "type": st.just("op"),
            "id": st.one_of(st.uuids().map(str), LEAVES),
            "op": st.one_of(
                st.sampled_from([f"{kind}.{action}" for kind in OP_KINDS for action in ACTIONS]),
                ODD_TEXT,
            ),
            "data": data,
        }
    )
    target = st.one_of(
        JSON, st.fixed_dictionaries({"kind": st.sampled_from(OP_KINDS), "id": value})
    )
    presence = st.one_of(
        st.fixed_dictionaries({"type": st.just("cursor"), "x": value, "y": value}),
        st.fixed_dictionaries({"type": st.just("editing"), "target": target}),
        st.fixed_dictionaries(
            {
                "type": st.just("follow"),
                "viewport": st.one_of(
                    JSON, st.fixed_dictionaries({"x": value, "y": value, "zoom": value})
                ),
            }
        ),
        st.fixed_dictionaries({"type": st.sampled_from(TYPES)}),
        st.dictionaries(st.sampled_from(["type", "id", "op", "data"]), JSON, max_size=4),
    )
    documents = st.one_of(op, op, presence, JSON)
    return st.one_of(
        documents.map(json.dumps),  # ensure_ascii: lone surrogates escaped, as browsers send
        documents.map(lambda document: json.dumps(document, ensure_ascii=False)),
        raw_texts(),
        st.binary(max_size=64),
    )


@pytest.fixture
def board(cast: Any, settings: Any) -> SimpleNamespace:
    """One object of every kind, and a budget and a reading pace no fuzz run uses up."""
    settings.VSM_WS_OP_RATE = 1_000_000
    settings.VSM_WS_OP_BURST = 1_000_000
    settings.VSM_WS_FRAME_RATE = 1_000_000
    settings.VSM_WS_FRAME_BURST = 1_000_000
    stream = cast.stream
    first, second = ActivityFactory(stream=stream), ActivityFactory(stream=stream)
    waste = WasteFactory(stream=stream, activity=first)
    objects = [
        first,
        second,
        waste,
        LinkFactory(stream=stream, source=first, target=second),
        CountermeasureFactory(waste=waste),
        NoteFactory(stream=stream),
        VoteFactory(waste=waste, member=cast.membership("participant")),
        WorkState.objects.create(
            workshop=cast.workshop, name="Doing", order=0, flow_state="active"
        ),
    ]
    return SimpleNamespace(ids=sorted({obj.pk for obj in objects}), stream=stream)


def _state(user: Any, stream_id: int) -> tuple[int, dict[str, Any]]:
    return Op.objects.count(), board_of(board_snapshot(user=user, stream_id=stream_id))


def _expected_answer(frame: Any) -> tuple[str | None, str | None]:
    """What must answer `frame`: (`rejected` reason, or None for any answer; the op id whose
    applied / rejected / ack must come, or None)."""
    if isinstance(frame, bytes):
        return "malformed", None
    if len(frame.encode("utf-8", "surrogatepass")) > 64 * 1024:
        return "too_large", None
    try:
        document = json.loads(frame)
    except (ValueError, RecursionError):
        return "malformed", None
    if not isinstance(document, dict) or not storable_text(document):
        return "malformed", None  # a lone surrogate anywhere: no database stores it
    kind = document.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        return "unknown_type", None
    if kind == "op":
        op_id = document.get("id")
        if not isinstance(op_id, str) or not 0 < len(op_id) <= 64:
            return "malformed", None
        return None, op_id
    return None, None


async def _fuzz_one(client: CommunicatorClient, frame: Any, user: Any, stream_id: int) -> None:
    before = await database_sync_to_async(_state)(user, stream_id)
    # send_input, not send_to: an empty frame is a frame too.
    key = "bytes" if isinstance(frame, bytes) else "text"
    await client.communicator.send_input({"type": "websocket.receive", key: frame})
    # Answers keep the order of frames: everything about the fuzzed frame comes before the
    # pong of this ping (a fuzzed ping has a pong of its own).
    ping = str(uuid.uuid4())
    await client.send({"type": "ping", "id": ping})
    answers: list[dict[str, Any]] = []
    while True:
        message = await client.communicator.receive_output(5)
        assert message["type"] == "websocket.send", f"the socket closed: {message} after {frame!r}"
        received = frames_of(message["text"])
        answers.extend(received)
        if any(answer["type"] == "pong" and answer.get("id") == ping for answer in received):
            break
    answers = [a for a in answers if not (a["type"] == "pong" and a.get("id") == ping)]
    reasons = [answer.get("reason") for answer in answers if answer["type"] == "rejected"]
    assert "server_error" not in reasons, (frame, answers)
    reason, op_id = _expected_answer(frame)
    if reason is not None:
        assert reason in reasons, (frame, answers)
    applied = False
    if op_id is not None:
        mine = [a for a in answers if a.get("id") == op_id and a["type"] != "pong"]
        assert [a["type"] for a in mine][:1] in (["applied"], ["rejected"], ["ack"]), (frame, mine)
        applied = mine[0]["type"] == "applied"
    after = await database_sync_to_async(_state)(user, stream_id)
    if not applied:
        assert after == before, f"{frame!r} changed the board without being applied: {answers}"


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer"])
@settings(
    max_examples=FRAMES_PER_ROLE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_frame_is_answered_without_a_server_error_and_changes_nothing_unless_applied(
    cast, board, role, data
):
    user = cast.user(role)
    # One socket for all of the run's frames: it must stay open and usable throughout.
    sockets = board.__dict__.setdefault("sockets", {})
    if role not in sockets:
        sockets[role] = await connected(user, board.stream.pk)
    frame = data.draw(frames(board.ids), label="frame")
    await _fuzz_one(sockets[role], frame, user, board.stream.pk)
