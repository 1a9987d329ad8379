"""One hub per board per server process: its ops' writer, and the fan-out to its sockets.

Ops the board's sockets send are applied by the hub's writer, in batches: those that arrived
while the previous batch was in the database share one transaction (streams.services.board
`ops_apply`), so a busy board pays for one lock and one commit per batch, not per op.

The board's group in the channel layer has one member per server process, the hub's channel,
not one per socket: a broadcast costs one channel-layer message per process, and the hub hands
its text (encoded once by the sender) to every socket of the board in this process. Each socket
has an `Outbox`, so a slow reader delays only itself.

A person's sockets beyond their limit are closed the same way: the process where the newest
one opened names the oldest ones (`board.evict`), and the process that holds each closes it.

Presence travels the same way. A joiner's hub channel gets one `presence.here` answer per
process (everyone there at once), and cursors are coalesced per hub: the positions of a tick
leave as one `presence.cursors` message, and every socket gets one frame per tick per process
with everybody else's latest position.

`Publisher` takes broadcasts off the database thread: a write committed under a board socket
is handed to this process's hub of the board at once (on the event loop, in commit order) and
queued for the channel layer, tagged with this process's `ORIGIN` so that its hub skips the
copy that comes back; other processes' hubs deliver it as they get it.

A channel layer that fails (Redis restarting) ends no socket and loses nothing committed: the
hub keeps delivering this process's ops, its sockets fill what other processes sent meanwhile
from the op log (streams.consumers: gap fill, heartbeat), and the hub joins the board's group
again once the layer is back (a restarted Redis has forgotten every member) and every
`GROUP_REFRESH` seconds (channels-redis forgets a member after its group expiry).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import os
import secrets
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from streams.events import current_publisher, encode, stream_group
from streams.models import Op
from streams.presence import Throttle, cursors_frame_text, presence_frame
from streams.services.board import DatabaseUnavailable, OpRequest, ops_apply

logger = logging.getLogger(__name__)

CURSOR_TICK = 1 / 20  # one cursor frame per socket per tick per process
MESSAGE_CHARS = 256 * 1024  # frames sent together in one message, at most this much JSON
OUTBOX_LIMIT = 10_000  # frames a socket may fall behind before it is closed (it resyncs)
BOARD_FRAMES = "board.frames"  # several board.frame messages in one channel-layer message
MAX_BATCH = 100  # ops applied in one transaction at most
RETRY_SECONDS = 1.0  # between attempts to receive when the channel layer fails
GROUP_REFRESH = 30.0  # seconds between joins of the board's group (channels-redis expires them)
ORIGIN = f"{os.getpid()}.{secrets.token_hex(4)}"  # this process, on the messages it publishes


class Socket(Protocol):
    """What a hub needs of a board socket (streams.consumers.BoardConsumer)."""

    conn: str
    outbox: Outbox

    def take(self, message: dict[str, Any]) -> None: ...

    def presence_state(self) -> dict[str, Any]: ...

    def evict(self) -> None: ...


class Outbox:
    """The frames waiting for one socket, written in the order they were pushed by one task.

    Frames that queued up while the previous message was being written leave together as one
    websocket message, a JSON array of them (up to `MESSAGE_CHARS`): a busy board costs a
    socket one write per batch, not one per frame. `push` never waits. A socket more than
    `limit` frames behind (a client that stopped reading) is given up: `on_overflow` runs once
    and later pushes are dropped.
    """

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        *,
        on_overflow: Callable[[], Any],
        limit: int = OUTBOX_LIMIT,
    ) -> None:
        self._send = send
        self._on_overflow = on_overflow
        self._limit = limit
        self._frames: collections.deque[str] = collections.deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.overflowed = False
        self._task = asyncio.create_task(self._write())

    def push(self, text: str) -> None:
        if self.overflowed:
            return
        if len(self._frames) >= self._limit:
            self.overflowed = True
            self._frames.clear()
            self._on_overflow()
            return
        self._frames.append(text)
        self._idle.clear()
        self._wake.set()

    async def flushed(self) -> None:
        """Returns once every frame pushed so far has been written."""
        await self._idle.wait()

    def close(self) -> None:
        self._task.cancel()

    async def _write(self) -> None:
        frames = self._frames
        while True:
            await self._wake.wait()
            self._wake.clear()
            while frames:
                text = frames.popleft()
                if frames:
                    batch, size = [text], len(text)
                    while frames and size + len(frames[0]) < MESSAGE_CHARS:
                        size += len(frames[0])
                        batch.append(frames.popleft())
                    text = "[" + ",".join(batch) + "]" if len(batch) > 1 else text
                await self._send(text)
            self._idle.set()


class BoardHub:
    """The board's sockets in this process and its one membership of the board's group."""

    def __init__(self, layer: Any, stream_id: int) -> None:
        self.layer = layer
        self.stream_id = stream_id
        self.group = stream_group(stream_id)
        self.sockets: dict[str, Socket] = {}
        self.channel: str | None = None
        self._lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._member: asyncio.Task[None] | None = None
        self._rejoin = asyncio.Event()
        self._cursors: dict[str, dict[str, Any]] = {}
        self._cursor_throttle = Throttle(interval=CURSOR_TICK, action=self._cursors_publish)
        self._ops: list[tuple[OpRequest, asyncio.Future[Op]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, socket: Socket) -> BoardHub:
        """Subscribes this process to the board on the first socket. Returns the hub that took
        the socket: another one if this hub was given up meanwhile (its last socket left)."""
        async with self._lock:
            hubs = _hubs.setdefault(asyncio.get_running_loop(), {})
            registered = hubs.setdefault(self.stream_id, self)
            if registered is self:
                if self.channel is None:
                    self.channel = channel = await self.layer.new_channel()
                    # Joined before the socket reads the log, when the layer answers; if it
                    # does not, `_membership` keeps trying and the socket fills from the log.
                    self._rejoin.set()
                    with contextlib.suppress(Exception):
                        await self.layer.group_add(self.group, channel)
                        self._rejoin.clear()
                    self._listener = asyncio.create_task(self._listen(channel))
                    self._member = asyncio.create_task(self._membership(channel))
                self.sockets[socket.conn] = socket
                return self
        return await registered.add(socket)

    async def remove(self, socket: Socket) -> None:
        """Unsubscribes this process when its last socket of the board leaves."""
        async with self._lock:
            self.sockets.pop(socket.conn, None)
            self._cursors.pop(socket.conn, None)
            if self.sockets or self.channel is None:
                return
            channel, self.channel = self.channel, None
            for task in (self._listener, self._member):
                if task is not None:
                    task.cancel()
            self._listener = self._member = None
            self._cursor_throttle.cancel()
            _forget(self)
            try:
                await self.layer.group_discard(self.group, channel)
            except Exception:  # the layer forgets the member itself (group expiry)
                logger.warning("board hub %s: could not leave the group", self.stream_id)

    async def submit(self, request: OpRequest) -> Op:
        """Applies the op with the others sent meanwhile; returns its Op, or raises what
        rejected it (streams.services.board.REJECTIONS, OpAlreadyApplied)."""
        future: asyncio.Future[Op] = asyncio.get_running_loop().create_future()
        self._ops.append((request, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_ops())
        return await future

    async def _write_ops(self) -> None:
        while self._ops:
            batch, self._ops = self._ops[:MAX_BATCH], self._ops[MAX_BATCH:]
            results = await self._apply([request for request, _ in batch])
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its socket is gone
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        self._writer = None

    async def _apply(self, requests: list[OpRequest]) -> list[Op | Exception]:
        """`ops_apply`, tried again while the database is unavailable, for up to
        VSM_WS_DATABASE_PATIENCE_SECONDS (5 by default; a restart takes a second or two): a
        restart of the database pauses the board's ops rather than refuses them; after that
        they are refused as `unavailable`. Meanwhile the database thread stays free for
        everyone else."""
        loop = asyncio.get_running_loop()
        patience = float(getattr(settings, "VSM_WS_DATABASE_PATIENCE_SECONDS", 5.0))
        deadline, delay = loop.time() + patience, 0.1
        while True:
            try:
                results = await database_sync_to_async(ops_apply)(
                    stream_id=self.stream_id, requests=requests
                )
            except Exception as exc:
                logger.exception("board hub %s: %s ops failed", self.stream_id, len(requests))
                return [exc] * len(requests)
            waiting = all(isinstance(result, DatabaseUnavailable) for result in results)
            if not waiting or loop.time() + delay > deadline:
                return results
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def announce(self, message: dict[str, Any]) -> None:
        """Sends a presence message to every process on the board (this one included). Best
        effort: presence is ephemeral, and a failing channel layer must not end the socket."""
        try:
            await self.layer.group_send(self.group, message)
        except Exception:
            logger.warning("board hub %s: %s not sent", self.stream_id, message.get("type"))

    def cursor(self, conn: str, user: dict[str, Any] | None, x: float, y: float) -> None:
        """A local socket's cursor moved; it leaves with the others of this tick."""
        self._cursors[conn] = {"conn": conn, "user": user, "x": x, "y": y}
        self._cursor_throttle.poke()

    async def _cursors_publish(self) -> None:
        cursors, self._cursors = list(self._cursors.values()), {}
        if cursors and self.channel is not None:
            self._cursors_deliver(cursors)
            await self.layer.group_send(
                self.group, {"type": "presence.cursors", "cursors": cursors, "origin": ORIGIN}
            )

    # Messages from the channel layer ---------------------------------------------------------

    async def _listen(self, channel: str) -> None:
        """Dispatches what the board's group sends this process, for as long as it has sockets.

        When the channel layer fails (Redis restarting, say), it tries again every
        `RETRY_SECONDS` and has `_membership` join the group again; meanwhile local ops still
        reach local sockets, and each socket fills what it missed from the op log.
        """
        while True:
            try:
                message = await self.layer.receive(channel)
            except Exception:
                logger.exception("board hub %s: the channel layer failed", self.stream_id)
                self._rejoin.set()
                await asyncio.sleep(RETRY_SECONDS)
                continue
            try:
                await self.dispatch(message)
            except Exception:
                logger.exception("board hub %s: %s failed", self.stream_id, message.get("type"))

    async def _membership(self, channel: str) -> None:
        """Keeps this process in the board's group for as long as it has sockets there: joins
        every `GROUP_REFRESH` seconds, and as soon as the listener saw the layer fail (a
        restarted Redis knows no member), retrying every `RETRY_SECONDS` until it answers."""
        while True:
            if not self._rejoin.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._rejoin.wait(), GROUP_REFRESH)
            try:
                await self.layer.group_add(self.group, channel)
            except Exception:
                logger.warning("board hub %s: could not join the group; retrying", self.stream_id)
                self._rejoin.set()
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._rejoin.clear()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("origin") == ORIGIN:
            return  # delivered here before it was published
        kind = message.get("type")
        if kind == "board.frame":
            self.deliver(message)
        elif kind == BOARD_FRAMES:
            for frame in message["messages"]:
                self.deliver(frame)
        elif kind == "presence.join":
            await self._joined(message)
        elif kind == "presence.here":
            socket = self.sockets.get(message["to"])
            if socket is not None:
                for member in message["members"]:
                    socket.outbox.push(encode(presence_frame("join", member)))
        elif kind == "presence.cursors":
            self._cursors_deliver(message["cursors"])
        elif kind in ("presence.leave", "presence.editing"):
            action = kind.partition(".")[2]
            self._push_others(message["conn"], encode(presence_frame(action, message)))
        elif kind == "presence.follow":
            frame = {"type": "follow", "viewport": message["viewport"], "by": message["user"]}
            self._push_others(message["conn"], encode(frame))
        elif kind == "board.evict":  # a person's oldest sockets, over their limit (ratelimit)
            for conn in message["conns"]:
                socket = self.sockets.get(conn)
                if socket is not None:
                    socket.evict()
        else:
            logger.warning("board hub %s: unknown message %r", self.stream_id, kind)

    async def _joined(self, message: dict[str, Any]) -> None:
        """Tells this process's sockets about the joiner, and the joiner about them."""
        joiner = message["conn"]
        self._push_others(joiner, encode(presence_frame("join", message)))
        members = [s.presence_state() for conn, s in self.sockets.items() if conn != joiner]
        if not members:
            return
        answer = {"type": "presence.here", "to": joiner, "members": members}
        if message["reply_to"] == self.channel:
            await self.dispatch(answer)
        else:
            await self.layer.send(message["reply_to"], answer)

    def deliver(self, message: dict[str, Any]) -> None:
        """Hands a board frame to every socket of the board in this process."""
        for socket in list(self.sockets.values()):
            socket.take(message)

    def _push_others(self, conn: str, text: str) -> None:
        for other, socket in list(self.sockets.items()):
            if other != conn:
                socket.outbox.push(text)

    def _cursors_deliver(self, cursors: list[dict[str, Any]]) -> None:
        """One frame per socket: everyone's cursor but its own (each entry encoded once)."""
        entries = {cursor["conn"]: encode(cursor) for cursor in cursors}
        everyone = cursors_frame_text(entries.values())
        for conn, socket in list(self.sockets.items()):
            if conn not in entries:
                socket.outbox.push(everyone)
            elif len(entries) > 1:
                others = (text for other, text in entries.items() if other != conn)
                socket.outbox.push(cursors_frame_text(others))


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, BoardHub]] = (
    weakref.WeakKeyDictionary()
)


def hub_for(layer: Any, stream_id: int) -> BoardHub:
    """This event loop's hub of the board (one per process and channel layer)."""
    hubs = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = hubs.get(stream_id)
    if hub is None or hub.layer is not layer:
        hub = hubs[stream_id] = BoardHub(layer, stream_id)
    return hub


def _forget(hub: BoardHub) -> None:
    hubs = _hubs.get(asyncio.get_running_loop(), {})
    if hubs.get(hub.stream_id) is hub:
        del hubs[hub.stream_id]


class Publisher:
    """Group sends queued from any thread and made, in that order, by one task of the loop.

    What queued up for one board while the previous send was on its way leaves as one
    `board.frames` message (a batch of ops, say): one channel-layer send, not one per op.
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self._queue: collections.deque[tuple[int, str | None, dict[str, Any]]] = collections.deque()
        self._wake = asyncio.Event()
        self._task = self.loop.create_task(self._run())

    def publish_threadsafe(self, stream_id: int, message: dict[str, Any]) -> None:
        # In a context of its own: the calling thread's is a copy of the one asgiref marks
        # as inside its single database thread, and what the delivery starts (a socket's gap
        # fill) could then never reach the database ("would deadlock").
        self.loop.call_soon_threadsafe(
            self._publish, stream_id, message, context=contextvars.Context()
        )

    def _publish(self, stream_id: int, message: dict[str, Any]) -> None:
        hub = _hubs.get(self.loop, {}).get(stream_id)
        origin = None
        if hub is not None and hub.channel is not None:
            hub.deliver(message)
            origin = ORIGIN
        self._queue.append((stream_id, origin, message))
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                stream_id, origin, first = self._queue.popleft()
                messages = [first]
                while self._queue and self._queue[0][:2] == (stream_id, origin):
                    messages.append(self._queue.popleft()[2])
                message = (
                    messages[0]
                    if len(messages) == 1
                    else {"type": BOARD_FRAMES, "messages": messages}
                )
                if origin is not None:
                    message = {**message, "origin": origin}
                try:
                    await self.layer.group_send(stream_group(stream_id), message)
                except Exception:
                    # Committed already: every socket fills the gap in seq from the op log.
                    logger.exception("board broadcast to stream %s failed", stream_id)


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Publisher] = (
    weakref.WeakKeyDictionary()
)


def publisher_use(layer: Any) -> None:
    """Makes this loop's publisher the current one for the calling task and what it starts."""
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None or publisher.layer is not layer:
        publisher = _publishers[loop] = Publisher(layer)
    current_publisher.set(publisher)
