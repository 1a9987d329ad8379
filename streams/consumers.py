"""The board's websocket (`/ws/streams/<id>/`): authenticate, join, sync, dispatch, deliver.

Contracts (the protocol is in docs/realtime.md):

* Only members of the stream's workshop stay connected; others are closed with 4401
  (not signed in) or 4404 (no such board for you). Every op is authorised again by the
  service, so a viewer, a locked board or another stream's object is rejected per message.
* Board frames with a `seq` reach the client in strictly increasing, gap-free seq order:
  duplicates are dropped; a frame that comes early (another process's broadcast is still in
  flight) is held until the ones before it arrive, and a gap still open after `GAP_WAIT`
  (a broadcast lost to a full channel or a crash) is filled from the op log.
* Vote ops are redacted for everyone but the voter while the stream's votes are hidden.
* No input ends the connection except a frame over `CLOSE_FRAME_BYTES` (closed with 1009).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from streams.events import encode, stream_group, user_ref
from streams.kinds import KINDS
from streams.presence import (
    Coalescer,
    cursor_clean,
    editing_target_clean,
    presence_frame,
    viewport_clean,
)
from streams.ratelimit import TokenBucket
from streams.replay import board_sync, op_applied_get, stream_head
from streams.selectors import stream_get
from streams.services.board import ACTIONS, op_apply

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_BIG = 1009
MAX_FRAME_BYTES = 64 * 1024
CLOSE_FRAME_BYTES = 1024 * 1024
CURSOR_INTERVAL = 1 / 20  # at most 20 cursor updates a second per connection
SYNC_COST = 5  # a resync request costs as much as five ops
GAP_WAIT = 1.0  # how long an early frame waits for the ones before it before a log read


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _utf8_size(text: str) -> int:
    if len(text) > CLOSE_FRAME_BYTES:
        return len(text)  # at least that many bytes; no need to encode it
    return len(text.encode("utf-8", "surrogatepass"))


def _op_submit(
    *, user: Any, stream_id: int, client_id: str, op: str, data: Any
) -> tuple[int, bool]:
    """Applies the op unless this user already did with this id: (seq, was_duplicate)."""
    previous = op_applied_get(stream_id=stream_id, client_id=client_id, actor=user)
    if previous is not None:
        return previous.seq, True
    return op_apply(
        actor=user, stream_id=stream_id, op=op, data=data, client_id=client_id
    ).seq, False


def _error_detail(exc: ValidationError) -> tuple[str, dict[str, list[str]] | None]:
    if hasattr(exc, "error_dict"):
        errors = exc.message_dict
        first = next(iter(errors.items()))
        return f"{first[0]}: {first[1][0]}", errors
    return "; ".join(exc.messages) or "Invalid change.", None


class BoardConsumer(AsyncWebsocketConsumer):
    """One member's live connection to one board."""

    stream_id: int
    seq: int
    votes_revealed: bool

    async def connect(self) -> None:
        self.stream_id = int(self.scope["url_route"]["kwargs"]["stream_id"])
        self.user = self.scope.get("user")
        self.seq = 0
        self.votes_revealed = False
        self.joined = False
        self.conn = secrets.token_hex(6)
        self.editing: dict[str, Any] | None = None
        self.group = stream_group(self.stream_id)
        self.bucket = TokenBucket(
            rate=_setting("VSM_WS_OP_RATE", 30), burst=_setting("VSM_WS_OP_BURST", 60)
        )
        self.cursor = Coalescer(interval=CURSOR_INTERVAL, send=self._cursor_send)
        self.heartbeat_task: asyncio.Task[None] | None = None
        self.gap_task: asyncio.Task[None] | None = None
        self.held: dict[int, dict[str, Any]] = {}  # early op frames by seq
        # Accept first so the close code reaches the client (a refused handshake has none).
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            _, membership = await database_sync_to_async(stream_get)(
                user=self.user, stream_id=self.stream_id
            )
        except Http404:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.role, self.can_edit = str(membership.role), bool(membership.can_edit)
        self.me = user_ref(self.user)
        # Join before reading the log: frames committed meanwhile wait in this channel and
        # are deduplicated by seq once the sync is delivered.
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        await self._send_frame(
            {
                "type": "welcome",
                "conn": self.conn,
                "user": self.me,
                "role": self.role,
                "can_edit": self.can_edit,
                "stream": self.stream_id,
                "heartbeat": _setting("VSM_WS_HEARTBEAT_SECONDS", 20),
                "limits": {
                    "frame_bytes": MAX_FRAME_BYTES,
                    "ops_per_second": self.bucket.rate,
                    "op_burst": self.bucket.burst,
                    "cursors_per_second": round(1 / CURSOR_INTERVAL),
                },
            }
        )
        if not await self._resync(since=self._since(), announce=True):
            return
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "presence.join",
                "conn": self.conn,
                "user": self.me,
                "role": self.role,
                "editing": None,
                "reply_to": self.channel_name,
            },
        )
        self.heartbeat_task = asyncio.create_task(self._heartbeat_loop())

    async def disconnect(self, code: int) -> None:
        for task in (self.heartbeat_task, self.gap_task):
            if task is not None:
                task.cancel()
        if hasattr(self, "cursor"):
            self.cursor.cancel()
        if getattr(self, "joined", False):
            self.joined = False
            await self.channel_layer.group_send(
                self.group, {"type": "presence.leave", "conn": self.conn, "user": self.me}
            )
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # Client -> server ------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.joined:
            return
        if text_data is None:
            if bytes_data is not None and len(bytes_data) > CLOSE_FRAME_BYTES:
                await self.close(code=CLOSE_TOO_BIG)
                return
            await self._reject(None, "malformed", "Send JSON text frames, not binary ones.")
            return
        size = _utf8_size(text_data)
        if size > CLOSE_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if size > MAX_FRAME_BYTES:
            await self._reject(None, "too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._reject(None, "malformed", "Not valid JSON.")
            return
        if not isinstance(frame, dict):
            await self._reject(None, "malformed", "Expected a JSON object.")
            return
        frame_id = frame.get("id") if isinstance(frame.get("id"), str) else None
        try:
            await self._dispatch(frame, frame_id)
        except Exception:
            # No input may take the connection down; the client keeps a usable socket.
            logger.exception("board socket: %s failed", frame.get("type"))
            await self._reject(frame_id, "server_error", "The server failed; nothing changed.")

    async def _dispatch(self, frame: dict[str, Any], frame_id: str | None) -> None:
        kind = frame.get("type")
        if kind == "cursor":
            position = cursor_clean(frame)
            if position is None:
                await self._reject(None, "invalid", "A cursor needs finite numbers x and y.")
            else:
                await self.cursor.offer(position)
            return
        if kind not in ("op", "editing", "follow", "sync", "ping"):
            await self._reject(frame_id, "unknown_type", f"Unknown frame type {kind!r}.")
            return
        if not self.bucket.take(SYNC_COST if kind == "sync" else 1):
            await self._reject(
                frame_id,
                "rate_limited",
                f"Too many messages: at most {self.bucket.rate:g} a second "
                f"(bursts of {self.bucket.burst:g}). Nothing changed; send it again shortly.",
            )
            return
        if kind == "op":
            await self._op(frame, frame_id)
        elif kind == "editing":
            await self._editing(frame)
        elif kind == "follow":
            await self._follow(frame)
        elif kind == "sync":
            await self._resync(since=None, announce=True)
        else:
            await self._send_frame({"type": "pong", "seq": self.seq})

    async def _op(self, frame: dict[str, Any], client_id: str | None) -> None:
        if client_id is None or not 0 < len(client_id) <= 64:
            await self._reject(None, "malformed", "An op needs an `id`: a client-made UUID.")
            return
        op, data = frame.get("op"), frame.get("data")
        kind, _, action = op.partition(".") if isinstance(op, str) else ("", "", "")
        if kind not in KINDS or action not in ACTIONS:
            await self._reject(
                client_id, "unknown_op", f"Unknown op {op!r}: expected '<kind>.<action>'."
            )
            return
        if not isinstance(data, dict):
            await self._reject(client_id, "invalid", "data: Expected an object.")
            return
        try:
            seq, duplicate = await database_sync_to_async(_op_submit)(
                user=self.user, stream_id=self.stream_id, client_id=client_id, op=op, data=data
            )
        except ValidationError as exc:
            detail, errors = _error_detail(exc)
            await self._reject(client_id, "invalid", detail, errors=errors)
            return
        except PermissionDenied as exc:
            await self._reject(client_id, "forbidden", str(exc) or "Not allowed.")
            return
        except Http404 as exc:
            await self._reject(client_id, "not_found", str(exc) or "No such object.")
            return
        if duplicate:
            if seq > self.seq:
                await self._resync(since=self.seq)  # its applied frame (with the id) comes now
            else:
                await self._send_frame({"type": "ack", "id": client_id, "seq": seq})
        # Otherwise the ack is the `applied` frame, which reaches this socket through the
        # group like everyone else's, in seq order.

    async def _editing(self, frame: dict[str, Any]) -> None:
        if not self.can_edit:
            await self._reject(None, "forbidden", "Viewers cannot edit the map.")
            return
        try:
            self.editing = editing_target_clean(frame.get("target"))
        except ValueError as exc:
            await self._reject(None, "invalid", str(exc))
            return
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "presence.editing",
                "conn": self.conn,
                "user": self.me,
                "target": self.editing,
            },
        )

    async def _follow(self, frame: dict[str, Any]) -> None:
        """ "Bring everyone to me": a facilitator's viewport, relayed to the board (ephemeral)."""
        if self.role != "facilitator":
            await self._reject(None, "forbidden", "Only a facilitator can bring everyone along.")
            return
        try:
            viewport = viewport_clean(frame.get("viewport"))
        except ValueError as exc:
            await self._reject(None, "invalid", str(exc))
            return
        await self.channel_layer.group_send(
            self.group,
            {"type": "presence.follow", "conn": self.conn, "user": self.me, "viewport": viewport},
        )

    async def _cursor_send(self, position: tuple[float, float]) -> None:
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "presence.cursor",
                "conn": self.conn,
                "user": self.me,
                "x": position[0],
                "y": position[1],
            },
        )

    # Server -> client ------------------------------------------------------------------------

    async def board_frame(self, message: dict[str, Any]) -> None:
        """A frame for everyone on the board; op frames are delivered in seq order."""
        seq = message.get("seq")
        if seq is None:
            await self.send(text_data=message["text"])
            return
        if seq <= self.seq:
            return
        if seq > self.seq + 1:
            # Out of order: the frame before it is most likely still in flight from another
            # process. Hold this one; if the gap is still open after GAP_WAIT, fill it from
            # the log (the stream row lock orders commits, so the missing ops are there).
            self.held[seq] = message
            if self.gap_task is None:
                self.gap_task = asyncio.create_task(self._gap_check_later())
            return
        await self._deliver(message)
        await self._deliver_held()

    async def board_gap(self, message: dict[str, Any]) -> None:
        """GAP_WAIT after a frame came early: fill what is still missing from the log."""
        self.gap_task = None
        if self.held and min(self.held) > self.seq + 1:
            logger.warning(
                "board %s: frames after #%s missing for %ss; filling from the op log",
                self.stream_id,
                self.seq,
                GAP_WAIT,
            )
            if not await self._resync(since=self.seq):
                return
        await self._deliver_held()

    async def _deliver_held(self) -> None:
        """Delivers held frames that now follow on, drops those already delivered."""
        for seq in sorted(self.held):
            if seq <= self.seq:
                del self.held[seq]
            elif seq == self.seq + 1:
                await self._deliver(self.held.pop(seq))
            else:
                break
        if self.held and self.gap_task is None:
            self.gap_task = asyncio.create_task(self._gap_check_later())

    async def _gap_check_later(self) -> None:
        await asyncio.sleep(GAP_WAIT)
        # Through this socket's own channel, so it is handled in order with the frames.
        await self._send_to_channel(self.channel_name, {"type": "board.gap"})

    async def board_heartbeat(self, message: dict[str, Any]) -> None:
        """Catches up with the log if a broadcast never came, then tells the client the seq."""
        try:
            head = await database_sync_to_async(stream_head)(
                user=self.user, stream_id=self.stream_id
            )
        except Http404:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if head > self.seq:
            if not await self._resync(since=self.seq):
                return
            await self._deliver_held()
        await self._send_frame({"type": "heartbeat", "seq": self.seq})

    async def presence_join(self, message: dict[str, Any]) -> None:
        if message["conn"] == self.conn:
            return
        await self._send_frame(presence_frame("join", message))
        await self._send_to_channel(
            message["reply_to"],
            {
                "type": "presence.here",
                "conn": self.conn,
                "user": self.me,
                "role": self.role,
                "editing": self.editing,
            },
        )

    async def presence_here(self, message: dict[str, Any]) -> None:
        await self._send_frame(presence_frame("join", message))

    async def presence_leave(self, message: dict[str, Any]) -> None:
        if message["conn"] != self.conn:
            await self._send_frame(presence_frame("leave", message))

    async def presence_cursor(self, message: dict[str, Any]) -> None:
        if message["conn"] != self.conn:
            await self._send_frame(presence_frame("cursor", message))

    async def presence_editing(self, message: dict[str, Any]) -> None:
        if message["conn"] != self.conn:
            await self._send_frame(presence_frame("editing", message))

    async def presence_follow(self, message: dict[str, Any]) -> None:
        if message["conn"] != self.conn:
            await self._send_frame(
                {"type": "follow", "viewport": message["viewport"], "by": message["user"]}
            )

    # Helpers ---------------------------------------------------------------------------------

    def _since(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            return int(query["since"][0])
        except (KeyError, IndexError, ValueError):
            return None

    async def _resync(self, *, since: int | None, announce: bool = False) -> bool:
        """Delivers what follows `since` (a replay, or a snapshot); False if closed instead.

        With `announce`, ends with a `synced` frame (the client may then re-send its pending ops).
        """
        try:
            sync = await database_sync_to_async(board_sync)(
                user=self.user, stream_id=self.stream_id, since=since
            )
        except Http404:
            await self.close(code=CLOSE_NOT_FOUND)
            return False
        if sync.snapshot is not None:
            await self._send_frame({"type": "snapshot", **sync.snapshot})
            self.seq, self.votes_revealed = sync.seq, sync.votes_revealed
        else:
            self.votes_revealed = sync.votes_revealed
            for message in sync.messages:
                if message["seq"] > self.seq:
                    await self._deliver(message)
        if announce:
            mode = "snapshot" if sync.snapshot is not None else "replay"
            await self._send_frame({"type": "synced", "seq": self.seq, "mode": mode})
        return True

    async def _deliver(self, message: dict[str, Any]) -> None:
        """Sends the op frame at `self.seq + 1`, redacted if it is a vote this member may not
        see yet, and follows a change of vote visibility with a fresh snapshot."""
        text = message["text"]
        if (
            "hidden_text" in message
            and not self.votes_revealed
            and message.get("voter") != self.user.pk
        ):
            text = message["hidden_text"]
        await self.send(text_data=text)
        self.seq = message["seq"]
        revealed = message.get("votes_revealed")
        if revealed is not None and revealed != self.votes_revealed:
            await self._resync(since=None)

    async def _heartbeat_loop(self) -> None:
        interval = _setting("VSM_WS_HEARTBEAT_SECONDS", 20)
        while True:
            await asyncio.sleep(interval)
            # Through this socket's own channel, so it is handled in order with the frames.
            await self._send_to_channel(self.channel_name, {"type": "board.heartbeat"})

    async def _send_to_channel(self, channel: str, message: dict[str, Any]) -> None:
        """A direct channel-layer send that never takes the socket down: when the receiving
        process's queue is full (a crowd joining at once), the message is dropped. Only
        ephemeral or self-healing messages go this way (presence, heartbeat, gap checks)."""
        try:
            await self.channel_layer.send(channel, message)
        except ChannelFull:
            logger.warning("board socket: channel full, dropped %s", message.get("type"))

    async def _reject(
        self,
        client_id: str | None,
        reason: str,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        frame: dict[str, Any] = {
            "type": "rejected",
            "id": client_id,
            "reason": reason,
            "detail": detail,
        }
        if errors:
            frame["errors"] = errors
        await self._send_frame(frame)

    async def _send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=encode(frame))

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Sends unless the client is gone. Frames queued for this socket can be handled after
        the client closed but before its disconnect message; the server then refuses the send
        (RuntimeError, or uvicorn's ClientDisconnected, an OSError), which must not crash."""
        if getattr(self, "gone", False):
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except (RuntimeError, OSError):
            self.gone = True
