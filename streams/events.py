"""Group names, the frames the board sends, and broadcasting them once the write commits.

A frame travels the channel layer as a `board.frame` message whose `text` is the frame's JSON,
encoded once for every receiver. Messages of ops that not everyone may read carry more:

* a vote op (`vote.*`) adds `voter` (the user id) and `hidden_text`, the redacted frame every
  other member gets while the stream's votes are not revealed;
* `stream.update` adds `votes_revealed`, so a socket knows when the visible votes change.

A message without `seq` (e.g. the metrics `summary` frame) is not part of the op log and is
forwarded as it is.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streams.models import Op

if TYPE_CHECKING:
    from streams.hub import Publisher

logger = logging.getLogger(__name__)

#: The publisher of the event loop a board socket runs on (set by the socket, streams.hub);
#: database work done for the socket runs in a thread with a copy of the socket's context.
current_publisher: contextvars.ContextVar[Publisher | None] = contextvars.ContextVar(
    "current_publisher", default=None
)

BOARD_FRAME = "board.frame"


def stream_group(stream_id: int) -> str:
    return f"stream-{stream_id}"


def applied_frame(op: Op, *, by: dict[str, Any] | None) -> dict[str, Any]:
    """The `applied` frame of a committed op: the ack to its sender and the news to others."""
    return {
        "type": "applied",
        "seq": op.seq,
        "id": op.client_id or None,
        "op": op.op,
        "data": op.data,
        "by": by,
    }


def hidden_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """What a member who may not see a vote op gets instead: its place in the seq order only."""
    return {"type": "applied", "seq": frame["seq"], "op": frame["op"], "data": None, "hidden": True}


def user_ref(user: Any) -> dict[str, Any] | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def encode(frame: dict[str, Any]) -> str:
    """Serialise a frame once; every receiver gets the same text."""
    return json.dumps(frame, separators=(",", ":"), allow_nan=False, default=str)


def board_message(frame: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message that carries `frame` to every socket of the board, with what
    the ops of a kind that not everyone may read add (`_SECRET_PARTS`)."""
    message: dict[str, Any] = {"type": BOARD_FRAME, "seq": frame.get("seq"), "text": encode(frame)}
    if frame.get("type") == "applied" and isinstance(frame.get("op"), str):
        parts = _SECRET_PARTS.get(frame["op"].partition(".")[0])
        if parts is not None:
            message.update(parts(frame))
    return message


def vote_secrecy(frame: dict[str, Any]) -> dict[str, Any]:
    """A dot's op carries its voter and the redacted frame the other members get until the
    votes are revealed (a socket picks one, streams.consumers)."""
    return {
        "voter": (frame.get("by") or {}).get("id"),
        "hidden_text": encode(hidden_frame(frame)),
    }


def votes_reveal(frame: dict[str, Any]) -> dict[str, Any]:
    """`stream.update` says whether the votes are revealed, so a socket knows when the dots
    it may show change."""
    if frame["op"] == "stream.update" and isinstance(frame.get("data"), dict):
        return {"votes_revealed": bool(frame["data"].get("votes_revealed"))}
    return {}


#: The op kinds whose messages carry more than their frame: what a dot's secrecy needs.
_SECRET_PARTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "vote": vote_secrecy,
    "stream": votes_reveal,
}


def group_send(stream_id: int, message: dict[str, Any]) -> None:
    """Sends to the board's group: queued for the event loop's publisher when called for a
    board socket (the database thread must not wait), made at once anywhere else."""
    publisher = current_publisher.get()
    if publisher is not None:
        publisher.publish_threadsafe(stream_id, message)
        return
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(stream_group(stream_id), message)


def broadcast_on_commit(stream_id: int, frame: dict[str, Any]) -> None:
    """Send `frame` to everyone on the stream's board after the current transaction commits
    (at once when no transaction is open). Nothing is sent for a rolled-back write.

    A failed send (e.g. Redis down) is logged, never raised: the write is already committed,
    and every socket fills a gap in `seq` from the op log (on the next frame or heartbeat).
    """
    message = board_message(frame)
    transaction.on_commit(lambda: group_send(stream_id, message), robust=True)
