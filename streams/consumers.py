"""The board's websocket (`/ws/streams/<id>/`): authenticate, join, sync, dispatch, deliver.

Contracts (the protocol is in docs/realtime.md):

* Only members of the stream's workshop stay connected; others are closed with 4401
  (not signed in) or 4404 (no such board for you). Every op is authorised again by the
  service, so a viewer, a locked board or another stream's object is rejected per message.
* Board frames with a `seq` reach the client in strictly increasing, gap-free seq order:
  duplicates are dropped; a frame that comes early (another process's broadcast is still in
  flight) is held until the ones before it arrive, and a gap still open after `GAP_WAIT`
  (a broadcast lost to a full channel or a crash) is filled from the op log.
* Answers keep the order of the client's frames: an op's `applied` frame reaches its sender
  before the answer to anything the sender sent after it.
* A failing channel layer (Redis restarting) or database ends no socket: the socket's own
  channel and its heartbeat wait for them to come back, and an op the database could not
  take is refused as `unavailable` (send it again). However the socket ends, even by a
  failure, it leaves its hub and its person's count.
* Frames reach the socket through the board's hub in this process (streams.hub), which hands
  each broadcast to every local socket; a client that stops reading is closed with 1013
  once `OUTBOX_LIMIT` frames wait for it, and catches up when it reconnects.
* Vote ops are redacted for everyone but the voter while the stream's votes are hidden.
* No input ends the connection except a frame over `CLOSE_FRAME_BYTES` (closed with 1009).
* Signing out of the session the socket was opened with closes it with 4401, leaving the
  workshop (or its deletion) with 4404, a new role in it with 4001 (reconnect), through the
  person's group (workshops.events) within moments, on any server process; the heartbeat
  checks the membership and the session again in case that message was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

from streams import extensions
from streams.auth import session_signed_in
from streams.events import encode, user_ref
from streams.hub import CURSOR_TICK, Outbox, hub_for, publisher_use
from streams.kinds import KINDS, text_max_lengths
from streams.presence import cursor_clean, editing_target_clean, viewport_clean
from streams.ratelimit import Limits, person_limits
from streams.replay import board_sync, stream_head
from streams.selectors import stream_get
from streams.services.board import ACTIONS, DatabaseUnavailable, OpAlreadyApplied, OpRequest
from vsm_site.errors import APPLICATION_REFUSALS, NotFound, Rejection, rejection_of
from vsm_site.ids import row_id
from vsm_site.validation import storable_text
from workshops.events import CLOSE_SIGNED_OUT, concerns, person_group

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_BIG = 1009
CLOSE_BEHIND = 1013  # "try again later": the client stopped reading; it resyncs on reconnect
CLOSE_FAILED = 1011  # the server failed; the client reconnects
# The person opened more sockets to the board than VSM_WS_SOCKETS_PER_PERSON: this one, their
# oldest, is closed. A client must not reconnect it (that would close the next oldest).
CLOSE_TOO_MANY = 4429
MAX_FRAME_BYTES = 64 * 1024
CLOSE_FRAME_BYTES = 1024 * 1024
SYNC_COST = 5  # a resync request costs as much as five ops
GAP_WAIT = 1.0  # how long an early frame waits for the ones before it before a log read
RETRY_SECONDS = 1.0  # between attempts to receive while the channel layer fails


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _utf8_size(text: str) -> int:
    if len(text) > CLOSE_FRAME_BYTES:
        return len(text)  # at least that many bytes; no need to encode it
    return len(text.encode("utf-8", "surrogatepass"))


class BoardConsumer(AsyncWebsocketConsumer):
    """One member's live connection to one board."""

    stream_id: int
    seq: int
    votes_revealed: bool

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' consumer loop (`AsyncConsumer.__call__`) with two differences: the socket's
        own channel waits out a channel layer that fails (its receive raising while Redis
        restarts would otherwise end every socket of the process), and a socket that ends by a
        failure still disconnects (its hub would otherwise keep it, and deliver to it, forever).
        """
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send
        try:
            await await_many_dispatch([receive, self._channel_receive], self.dispatch)
        except StopConsumer:
            pass  # websocket_disconnect: `disconnect` has run
        except BaseException:
            try:
                await self.disconnect(CLOSE_FAILED)
            except Exception:
                logger.exception("board socket: disconnecting after a failure failed")
            raise

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its `aclose_old_connections()`: that is a hop to the one
        database thread for every message (each frame the client sends, each channel-layer
        message), so a ping or an op waited there for the batch of ops in the database. Every
        database call of this socket goes through `database_sync_to_async`, which closes old
        connections around it in that thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def _channel_receive(self) -> dict[str, Any]:
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except Exception:
                logger.warning("board socket: the channel layer failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    async def connect(self) -> None:
        # 0 stands for an id no row can have (beyond 2**63 - 1): no such board, below.
        self.stream_id = row_id(self.scope["url_route"]["kwargs"]["stream_id"]) or 0
        self.user = self.scope.get("user")
        self.seq = 0
        self.votes_revealed = False
        self.joined = False
        self.conn = secrets.token_hex(6)
        self.editing: dict[str, Any] | None = None
        self.limits = Limits.from_settings()  # per person per board (streams.ratelimit)
        self.pace = self.limits.frame_pace()  # this socket's reading pace
        self.tasks: set[asyncio.Task[Any]] = set()
        self.gap_task: asyncio.Task[None] | None = None
        self.held: dict[int, dict[str, Any]] = {}  # early op frames by seq
        self.syncing = 0  # resyncs under way; frames are held meanwhile
        self.sync_lock = asyncio.Lock()
        self.waiter: tuple[int, asyncio.Future[None]] | None = None
        self.outbox = Outbox(self.send, on_overflow=self._fell_behind)
        # Accept first so the close code reaches the client (a refused handshake has none).
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            _, membership = await database_sync_to_async(stream_get)(
                user=self.user, stream_id=self.stream_id
            )
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.role, self.can_edit = str(membership.role), bool(membership.can_edit)
        self.workshop_id = int(membership.workshop_id)
        self.me = user_ref(self.user)
        await self._person_join()
        publisher_use(self.channel_layer)
        # Join before reading the log: frames committed meanwhile are held and deduplicated
        # by seq once the sync is delivered.
        self.hub = await hub_for(self.channel_layer, self.stream_id).add(self)
        self.joined = True
        self.person = (self.stream_id, int(self.user.pk))
        closing = await person_limits().joined(self.person, self.conn, self.limits)
        if closing:  # this person's oldest sockets, on whichever server process holds them
            await self.hub.announce({"type": "board.evict", "conns": closing})
        self._push(
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
                    "ops_per_second": self.limits.rate,
                    "op_burst": self.limits.burst,
                    "sockets": self.limits.sockets,
                    "frames_per_second": self.limits.frame_rate,
                    "frame_burst": self.limits.frame_burst,
                    "cursors_per_second": round(1 / CURSOR_TICK),
                    "max_length": text_max_lengths(),
                },
            }
        )
        if not await self._resync(since=self._since(), announce=True):
            return
        await self.hub.announce(
            {"type": "presence.join", **self.presence_state(), "reply_to": self.hub.channel}
        )
        self._spawn(self._heartbeats())

    async def disconnect(self, code: int) -> None:
        for task in list(getattr(self, "tasks", ())):
            task.cancel()
        if getattr(self, "workshop_id", None) is not None:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(
                    person_group(self.user.pk), self.channel_name
                )
        await self._leave_board()
        if hasattr(self, "outbox"):
            self.outbox.close()

    async def _leave_board(self) -> None:
        """Leaves the hub and the person's count and tells the board, once, whoever asks
        first (the disconnect, or a socket that fell behind) and even if the asker is
        cancelled meanwhile."""
        if getattr(self, "joined", False):
            self.joined = False
            self.leaving = asyncio.ensure_future(self._leave())
        leaving = getattr(self, "leaving", None)
        if leaving is not None:
            await asyncio.shield(leaving)

    async def _leave(self) -> None:
        await self.hub.remove(self)
        await person_limits().left(self.person, self.conn)
        await self.hub.announce({"type": "presence.leave", "conn": self.conn, "user": self.me})

    def evict(self) -> None:
        """The person opened a newer socket to the board beyond their limit: this one goes."""
        self._spawn(
            self.close(
                code=CLOSE_TOO_MANY,
                reason="This board is open in too many tabs; this one, the oldest, was closed.",
            )
        )

    async def person_close(self, message: dict[str, Any]) -> None:
        """The person signed out, left the workshop or has a new role in it (workshops.events):
        this socket closes if it is one of those the message names."""
        if concerns(message, workshop_id=self.workshop_id, session=self.scope.get("session_tag")):
            await self.close(code=message["code"], reason=message["reason"])

    async def _person_join(self) -> None:
        """Joins the person's group, through which signing out or leaving the workshop closes
        this socket (again at every heartbeat: Redis forgets a group after its expiry or a
        restart)."""
        try:
            await self.channel_layer.group_add(person_group(self.user.pk), self.channel_name)
        except Exception:  # the heartbeat checks the membership and the session itself
            logger.warning("board socket: could not join the person's group", exc_info=True)

    def presence_state(self) -> dict[str, Any]:
        """This socket's presence, as a joiner learns it."""
        return {"conn": self.conn, "user": self.me, "role": self.role, "editing": self.editing}

    # Client -> server ------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.joined:
            return
        behind = self.pace.owe()
        if behind:
            # Until this wait ends the server reads nothing more from this socket (uvicorn
            # pauses the transport while a frame waits for us), so TCP slows the sender.
            await asyncio.sleep(behind)
        if text_data is None:
            if bytes_data is not None and len(bytes_data) > CLOSE_FRAME_BYTES:
                await self.close(code=CLOSE_TOO_BIG)
                return
            self._reject(None, "malformed", "Send JSON text frames, not binary ones.")
            return
        size = _utf8_size(text_data)
        if size > CLOSE_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if size > MAX_FRAME_BYTES:
            self._reject(None, "too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            self._reject(None, "malformed", "Not valid JSON.")
            return
        if not isinstance(frame, dict):
            self._reject(None, "malformed", "Expected a JSON object.")
            return
        if not storable_text(frame):
            self._reject(None, "malformed", "Text must be valid Unicode (no lone surrogates).")
            return
        frame_id = frame.get("id") if isinstance(frame.get("id"), str) else None
        try:
            await self._dispatch(frame, frame_id)
        except Exception:
            # No input may take the connection down; the client keeps a usable socket.
            logger.exception("board socket: %s failed", frame.get("type"))
            self._reject(frame_id, "server_error", "The server failed; nothing changed.")

    async def _dispatch(self, frame: dict[str, Any], frame_id: str | None) -> None:
        kind = frame.get("type")
        if kind == "cursor":
            position = cursor_clean(frame)
            if position is None:
                self._reject(None, "invalid", "A cursor needs finite numbers x and y.")
            else:
                self.hub.cursor(self.conn, self.me, *position)
            return
        if kind not in ("op", "editing", "follow", "sync", "ping"):
            self._reject(frame_id, "unknown_type", f"Unknown frame type {kind!r}.")
            return
        cost = SYNC_COST if kind == "sync" else 1
        if not await person_limits().take(self.person, cost, self.limits):
            self._reject(
                frame_id,
                "rate_limited",
                f"Too many messages: at most {self.limits.rate:g} a second (bursts of "
                f"{self.limits.burst:g}) from one person on a board, across their tabs. "
                "Nothing changed; send it again shortly.",
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
            pong = {"type": "pong", "seq": self.seq}
            self._push({**pong, "id": frame_id} if frame_id is not None else pong)

    async def _op(self, frame: dict[str, Any], client_id: str | None) -> None:
        if client_id is None or not 0 < len(client_id) <= 64:
            self._reject(None, "malformed", "An op needs an `id`: a client-made UUID.")
            return
        op, data = frame.get("op"), frame.get("data")
        kind, _, action = op.partition(".") if isinstance(op, str) else ("", "", "")
        if (kind not in KINDS and kind not in extensions.board_op_kinds) or action not in ACTIONS:
            self._reject(client_id, "unknown_op", f"Unknown op {op!r}: expected '<kind>.<action>'.")
            return
        if not isinstance(data, dict):
            self._reject(client_id, "invalid", "The change must carry its fields as an object.")
            return
        try:
            applied = await self.hub.submit(
                OpRequest(actor=self.user, op=op, data=data, client_id=client_id)
            )
        except OpAlreadyApplied as already:
            if already.seq > self.seq:
                await self._resync(since=self.seq)  # its applied frame (with the id) comes now
            else:
                self._push({"type": "ack", "id": client_id, "seq": already.seq})
            return
        except APPLICATION_REFUSALS as refusal:
            # The envelope REST answers for the same refusal (vsm_site.errors); a conflict
            # carries the object as it is now, and the client shows both to choose from.
            rejection = rejection_of(refusal)
            assert rejection is not None
            self._send_rejection(client_id, rejection)
            return
        except DatabaseUnavailable:
            self._reject(
                client_id,
                "unavailable",
                "The board's database did not answer. Send the change again with the same id "
                "in a moment: it is applied once.",
            )
            return
        # The ack is the `applied` frame, which reaches this socket through the hub like
        # everyone else's, in seq order; later answers wait for it.
        await self._until_delivered(applied.seq)

    async def _editing(self, frame: dict[str, Any]) -> None:
        if not self.can_edit:
            self._reject(None, "forbidden", "Viewers cannot edit the map.")
            return
        try:
            self.editing = editing_target_clean(frame.get("target"))
        except ValueError as exc:
            self._reject(None, "invalid", str(exc))
            return
        await self.hub.announce(
            {
                "type": "presence.editing",
                "conn": self.conn,
                "user": self.me,
                "target": self.editing,
            }
        )

    async def _follow(self, frame: dict[str, Any]) -> None:
        """ "Bring everyone to me": a facilitator's viewport, relayed to the board (ephemeral)."""
        if self.role != "facilitator":
            self._reject(None, "forbidden", "Only a facilitator can bring everyone along.")
            return
        try:
            viewport = viewport_clean(frame.get("viewport"))
        except ValueError as exc:
            self._reject(None, "invalid", str(exc))
            return
        await self.hub.announce(
            {"type": "presence.follow", "conn": self.conn, "user": self.me, "viewport": viewport}
        )

    # Server -> client ------------------------------------------------------------------------

    def take(self, message: dict[str, Any]) -> None:
        """A board frame from the hub; op frames are delivered in seq order."""
        seq = message.get("seq")
        if seq is None:
            self.outbox.push(message["text"])
            return
        if seq <= self.seq:
            return
        if self.syncing or seq > self.seq + 1:
            # Out of order: the frame before it is most likely still in flight from another
            # process. Hold this one; if the gap is still open after GAP_WAIT, fill it from
            # the log (the stream row lock orders commits, so the missing ops are there).
            self.held[seq] = message
            self._gap_watch()
            return
        self._deliver(message)
        self._deliver_held()

    def _deliver_held(self) -> None:
        """Delivers held frames that now follow on, drops those already delivered."""
        for seq in sorted(self.held):
            if self.syncing:
                break
            if seq <= self.seq:
                del self.held[seq]
            elif seq == self.seq + 1:
                self._deliver(self.held.pop(seq))
            else:
                break
        self._gap_watch()

    def _gap_watch(self) -> None:
        if self.held and not self.syncing and self.gap_task is None:
            self.gap_task = self._spawn(self._gap_fill_later())

    async def _gap_fill_later(self) -> None:
        await asyncio.sleep(GAP_WAIT)
        self.gap_task = None
        if self.held and not self.syncing and min(self.held) > self.seq + 1:
            logger.warning(
                "board %s: frames after #%s missing for %ss; filling from the op log",
                self.stream_id,
                self.seq,
                GAP_WAIT,
            )
            await self._resync(since=self.seq)
        else:
            self._deliver_held()

    def _deliver(self, message: dict[str, Any]) -> None:
        """Sends the op frame at `self.seq + 1`, redacted if it is a vote this member may not
        see yet, and follows a change of vote visibility with a fresh snapshot."""
        text = message["text"]
        if (
            "hidden_text" in message
            and not self.votes_revealed
            and message.get("voter") != self.user.pk
        ):
            text = message["hidden_text"]
        self.outbox.push(text)
        self.seq = message["seq"]
        self._advanced()
        revealed = message.get("votes_revealed")
        if revealed is not None and revealed != self.votes_revealed:
            self.syncing += 1  # hold what follows until the snapshot is out
            self._spawn(self._resync(since=None, claimed=True))

    def _advanced(self) -> None:
        waiter = self.waiter
        if waiter is not None and self.seq >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)

    async def _until_delivered(self, seq: int) -> None:
        """Waits until the frame at `seq` is on its way to the client (from the log after
        GAP_WAIT, should its broadcast be lost)."""
        if self.seq >= seq:
            return
        future = asyncio.get_running_loop().create_future()
        self.waiter = (seq, future)
        try:
            await asyncio.wait_for(future, GAP_WAIT)
        except TimeoutError:
            try:
                await self._resync(since=self.seq)
            except Exception:  # the op is applied: its frame comes with a later heartbeat
                logger.exception("board %s: could not read the op log", self.stream_id)
        finally:
            self.waiter = None

    async def _heartbeats(self) -> None:
        """`_heartbeat_loop`, started again when a beat fails (the database restarting)."""
        while True:
            try:
                await self._heartbeat_loop()
                return
            except Exception:
                logger.exception("board %s: a heartbeat failed", self.stream_id)

    async def _heartbeat_loop(self) -> None:
        """Catches up with the log if a broadcast never came, then tells the client the seq."""
        interval = _setting("VSM_WS_HEARTBEAT_SECONDS", 20)
        while True:
            await asyncio.sleep(interval)
            try:
                head = await database_sync_to_async(stream_head)(
                    user=self.user, stream_id=self.stream_id
                )
            except NotFound:
                await self.close(code=CLOSE_NOT_FOUND)
                return
            # Signed out meanwhile, should the close message have been lost.
            if not await database_sync_to_async(session_signed_in)(self.scope, self.user):
                await self.close(code=CLOSE_SIGNED_OUT)
                return
            await self._person_join()
            if head > self.seq and not await self._resync(since=self.seq):
                return
            self._push({"type": "heartbeat", "seq": self.seq})

    # Helpers ---------------------------------------------------------------------------------

    def _since(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            return int(query["since"][0])
        except (KeyError, IndexError, ValueError):
            return None

    async def _resync(
        self, *, since: int | None, announce: bool = False, claimed: bool = False
    ) -> bool:
        """Delivers what follows `since` (a replay, or a snapshot); False if closed instead.

        Frames from the hub are held meanwhile (`claimed`: the caller already counted this
        resync in `syncing`). With `announce`, ends with a `synced` frame (the client may then
        re-send its pending ops).
        """
        if not claimed:
            self.syncing += 1
        try:
            async with self.sync_lock:
                if since is not None and self.seq > max(since, 0):
                    since = self.seq  # another resync got further meanwhile
                try:
                    sync = await database_sync_to_async(board_sync)(
                        user=self.user, stream_id=self.stream_id, since=since
                    )
                except NotFound:
                    await self.close(code=CLOSE_NOT_FOUND)
                    return False
                if sync.snapshot is not None:
                    self._push({"type": "snapshot", **sync.snapshot})
                    self.seq, self.votes_revealed = sync.seq, sync.votes_revealed
                    self._advanced()
                else:
                    self.votes_revealed = sync.votes_revealed
                    if since is not None and since > self.seq:
                        # The client holds everything up to `since`: a replay of nothing
                        # must not leave this socket at 0 (it would then resend it all).
                        self.seq = since
                        self._advanced()
                    for message in sync.messages:
                        if message["seq"] > self.seq:
                            self._deliver(message)
                if announce:
                    mode = "snapshot" if sync.snapshot is not None else "replay"
                    self._push({"type": "synced", "seq": self.seq, "mode": mode})
                return True
        finally:
            self.syncing -= 1
            if not self.syncing:
                self._deliver_held()

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        """Runs `coroutine` for as long as the socket is open."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def _fell_behind(self) -> None:
        logger.warning("board %s: socket %s fell behind; closing it", self.stream_id, self.conn)
        self._spawn(self._let_go(CLOSE_BEHIND))

    async def _let_go(self, code: int | None) -> None:
        """Takes a socket whose client stopped reading off the board at once, then closes it
        with `code` (None: the server closed it already). In that order: a close frame waits
        for room in the transport like any frame, which a client that reads nothing never
        makes, and the disconnect comes only when the connection ends, which a peer that keeps
        acknowledging with a closed window can put off indefinitely; until then the socket
        would stay in everyone's presence, in the hub and among its person's sockets, with its
        heartbeats running."""
        for task in list(self.tasks):
            if task is not asyncio.current_task():
                task.cancel()
        await self._leave_board()
        if code is not None:
            with contextlib.suppress(Exception):  # the server may have closed it meanwhile
                await self.close(code=code)

    def _reject(self, client_id: str | None, reason: str, detail: str) -> None:
        """A `rejected` frame of `reason` (a code of vsm_site.errors.REASONS)."""
        self._send_rejection(client_id, Rejection(reason, detail))

    def _send_rejection(self, client_id: str | None, rejection: Rejection) -> None:
        """The `rejected` frame: `type` and `id`, then the error envelope REST answers with."""
        self._push({"type": "rejected", "id": client_id, **rejection.envelope()})

    def _push(self, frame: dict[str, Any]) -> None:
        """Queues a frame for this client, after everything queued before it."""
        self.outbox.push(encode(frame))

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
            # Closed by the server (its keepalive gave up on the client, say): leave the board
            # now, as the disconnect waits for the connection to end (see `_let_go`).
            self._spawn(self._let_go(None))
