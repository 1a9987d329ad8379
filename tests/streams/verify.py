"""`verify_op`: Zulip's `verify_action` for the board services (issue 16 item 7).

Runs a service with its on-commit callbacks captured and run, as a commit would; asserts that
every frame it broadcasts is strict JSON (encoding raises on anything that is not, where the
server's encoder would quietly write `str()` of it) and that the op frames follow on from the
board's seq without a gap; then, for each member watching, applies the frames as that
member's socket gets them (another's dot hidden before the reveal, a fresh snapshot when the
reveal changes) to the snapshot that member had before, and compares the result with a fresh
snapshot after. A service whose frames do not rebuild the board fails here, whatever its own
test asserts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.test import TestCase

from streams import events
from streams.selectors import board_snapshot
from tests.stack.clients import BoardReplica, board_of


def strict_encode(frame: dict[str, Any]) -> str:
    """`streams.events.encode` without `default=str`: anything not JSON raises TypeError."""
    return json.dumps(frame, separators=(",", ":"), allow_nan=False)


@contextmanager
def broadcasts() -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """The (stream id, channel-layer message) of every broadcast made on commit inside the
    block, encoded strictly; the on-commit callbacks run when the block ends."""
    sent: list[tuple[int, dict[str, Any]]] = []
    with (
        mock.patch.object(events, "encode", strict_encode),
        mock.patch.object(
            events, "group_send", lambda stream_id, message: sent.append((stream_id, message))
        ),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        yield sent


class Watcher(BoardReplica):
    """A member's board as their socket builds it: the snapshot they had, then the messages
    as `streams.consumers.BoardConsumer._deliver` hands them on (another member's dot
    hidden before the reveal; a fresh snapshot when the reveal changes), and the workshop's
    facilitation beside the map."""

    def __init__(self, user: Any, stream_id: int) -> None:
        super().__init__()
        self.user, self.stream_id = user, stream_id
        self.workshop: dict[str, Any] | None = None
        self.resnapshot()

    def resnapshot(self) -> None:
        snapshot = _json(board_snapshot(user=self.user, stream_id=self.stream_id))
        self.apply({**snapshot, "type": "snapshot"})
        self.workshop = snapshot["workshop"]

    def deliver(self, message: dict[str, Any]) -> None:
        text = message["text"]
        revealed = bool(self.stream and self.stream.get("votes_revealed"))
        if "hidden_text" in message and not revealed and message.get("voter") != self.user.pk:
            text = message["hidden_text"]
        frame = json.loads(text)
        if frame["op"] == "workshop.update":
            self._applied({**frame, "data": None, "hidden": True})  # its seq, not an object
            self.workshop = frame["data"]
        else:
            self.apply(frame)
        if "votes_revealed" in message and message["votes_revealed"] != revealed:
            self.resnapshot()


def _json(value: Any) -> Any:
    """`value` as a client reads it (dates as text)."""
    return json.loads(json.dumps(value, default=str))


def verify_op(
    service: Callable[[], Any], *, stream_id: int, watchers: list[Any]
) -> list[dict[str, Any]]:
    """Runs `service()` (a board service call) and checks its frames as the module says, for
    every member in `watchers`. Returns the op frames, as the actor's socket gets them."""
    members = [Watcher(user, stream_id) for user in watchers]
    seq = members[0].seq
    assert seq is not None
    with broadcasts() as sent:
        service()
    messages = [message for sent_to, message in sent if sent_to == stream_id and message.get("seq")]
    assert messages, "the service broadcast no op"
    seqs = [message["seq"] for message in messages]
    assert seqs == list(range(seq + 1, seq + 1 + len(seqs))), f"frames out of seq order: {seqs}"
    for message in messages:
        for text in (message["text"], message.get("hidden_text")):
            if text is not None:
                json.loads(text, parse_constant=_no_constant)
    for member in members:
        for message in messages:
            member.deliver(message)
        fresh = _json(board_snapshot(user=member.user, stream_id=stream_id))
        who = member.user.username
        assert member.seq == fresh["seq"], who
        assert member.board() == board_of(fresh), who
        # A client keeps the seq beside the stream; the stream's own `seq` is the snapshot's.
        assert member.stream == {**fresh["stream"], "seq": (member.stream or {}).get("seq")}, who
        assert member.workshop == fresh["workshop"], who
        assert member.work_states == {state["id"]: state for state in fresh["work_states"]}, who
    return [json.loads(message["text"]) for message in messages]


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")
