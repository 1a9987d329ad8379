"""Group names, the frames the board sends, and broadcasting them once the write commits."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streams.models import Op


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


def user_ref(user: Any) -> dict[str, Any] | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def encode(frame: dict[str, Any]) -> str:
    """Serialise a frame once; every receiver gets the same text."""
    return json.dumps(frame, separators=(",", ":"), allow_nan=False, default=str)


def group_send(stream_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(stream_group(stream_id), message)


def broadcast_on_commit(stream_id: int, frame: dict[str, Any]) -> None:
    """Send `frame` to everyone on the stream's board after the current transaction commits
    (at once when no transaction is open). Nothing is sent for a rolled-back write."""
    text = encode(frame)
    transaction.on_commit(
        lambda: group_send(
            stream_id, {"type": "board.frame", "seq": frame.get("seq"), "text": text}
        )
    )
