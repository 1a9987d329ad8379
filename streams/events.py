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

import asyncio
import json
import logging
import os
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streams.models import Op

logger = logging.getLogger(__name__)

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
    """The channel-layer message that carries `frame` to every socket of the board."""
    message: dict[str, Any] = {"type": BOARD_FRAME, "seq": frame.get("seq"), "text": encode(frame)}
    if frame.get("type") == "applied" and isinstance(frame.get("op"), str):
        if frame["op"].startswith("vote."):
            message["voter"] = (frame.get("by") or {}).get("id")
            message["hidden_text"] = encode(hidden_frame(frame))
        elif frame["op"] == "stream.update" and isinstance(frame.get("data"), dict):
            message["votes_revealed"] = bool(frame["data"].get("votes_revealed"))
    return message


class _Publisher:
    """Publishes board messages from this process's event loop, in the order they were
    handed over, without making the committing thread wait for the channel layer.

    A server process starts it on its loop when a board socket connects. Writes committed on
    that process's database thread then only queue their message (the op is already safe in
    the log: a message lost with the process is filled from the log by every socket). Other
    processes (the Celery worker, management commands) publish directly and wait.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: asyncio.Queue[tuple[int, dict[str, Any]]] | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Binds the publisher to the running event loop, (re)starting its task if needed."""
        loop = asyncio.get_running_loop()
        if self.loop is loop and self.task is not None and not self.task.done():
            return
        self.loop, self.queue = loop, asyncio.Queue()
        self.task = loop.create_task(self._run(self.queue))

    async def _run(self, queue: asyncio.Queue[tuple[int, dict[str, Any]]]) -> None:
        while True:
            stream_id, message = await queue.get()
            try:
                await get_channel_layer().group_send(stream_group(stream_id), message)
            except Exception:
                logger.exception("board: publishing to stream %s failed", stream_id)

    def offer(self, stream_id: int, message: dict[str, Any]) -> bool:
        """Queues the message when the caller runs for this publisher's loop (on it, or in a
        thread that loop handed sync work to); False otherwise: the caller sends itself."""
        loop, queue, task = self.loop, self.queue, self.task
        if loop is None or queue is None or task is None or task.done():
            return False
        if _calling_loop() is not loop:
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loop.call_soon_threadsafe(queue.put_nowait, (stream_id, message))
        else:
            queue.put_nowait((stream_id, message))
        return True


def _calling_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this code runs for: the running one, or the loop whose sync_to_async
    call runs this thread (as asgiref's async_to_sync finds it)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    local = SyncToAsync.threadlocal
    loop = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() else None


publisher = _Publisher()


def group_send(stream_id: int, message: dict[str, Any]) -> None:
    """Sends `message` to the board's group: queued on this process's publisher when it runs
    (see `_Publisher`), otherwise directly, waiting for the channel layer."""
    if publisher.offer(stream_id, message):
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
