"""Board clients for tests: a replica that builds the board only from frames (as
docs/realtime.md tells a client to), and a websocket client for real server processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from channels.testing import WebsocketCommunicator

from streams.kinds import KINDS

PLURALS = {name: kind.plural for name, kind in KINDS.items()}


class GapError(AssertionError):
    """An op frame arrived out of seq order."""


class BoardReplica:
    """The board as a client knows it: a snapshot, then `applied` frames in seq order.

    `order` lists every seq applied (hidden ones too), `ops` the (seq, op, id) of each.
    """

    def __init__(self) -> None:
        self.seq: int | None = None
        self.stream: dict[str, Any] | None = None
        self.objects: dict[str, dict[int, dict[str, Any]]] = {p: {} for p in PLURALS.values()}
        self.work_states: dict[int, dict[str, Any]] = {}
        self.order: list[int] = []
        self.ops: list[tuple[int, str, str | None]] = []

    def apply(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "snapshot":
            self.seq = frame["seq"]
            self.stream = frame["stream"]
            self.objects = {
                plural: {obj["id"]: obj for obj in frame[plural]} for plural in PLURALS.values()
            }
            self.work_states = {state["id"]: state for state in frame.get("work_states", [])}
        elif frame["type"] == "applied":
            self._applied(frame)

    def _applied(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if self.seq is None:
            raise GapError(f"applied #{seq} before any snapshot or since")
        if seq <= self.seq:
            return
        if seq != self.seq + 1:
            raise GapError(f"expected #{self.seq + 1}, got #{seq}")
        self.seq = seq
        self.order.append(seq)
        self.ops.append((seq, frame["op"], frame.get("id")))
        if frame.get("hidden"):
            return
        kind, action = frame["op"].split(".")
        data = frame["data"]
        if kind == "stream":
            self.stream = data
        elif kind == "state":  # measured flow: a tracker state assigned to an activity
            self.work_states[data["id"]] = data
        elif action == "delete":
            self._delete(kind, data["id"])
        else:
            self.objects[PLURALS[kind]][data["id"]] = data

    def _delete(self, kind: str, object_id: int) -> None:
        """Removes the object and applies the database's cascades to what refers to it."""
        self.objects[PLURALS[kind]].pop(object_id, None)
        if kind == "activity":
            links = self.objects["links"]
            for link_id in [
                i for i, link in links.items() if object_id in (link["source"], link["target"])
            ]:
                del links[link_id]
            for waste in self.objects["wastes"].values():
                if waste["activity"] == object_id:
                    waste["activity"] = None
        elif kind == "waste":
            for plural in ("votes", "countermeasures"):
                owned = self.objects[plural]
                for owned_id in [i for i, obj in owned.items() if obj["waste"] == object_id]:
                    del owned[owned_id]

    def board(self) -> dict[str, list[dict[str, Any]]]:
        """The objects, in id order, comparable with `board_of(board_snapshot(...))`."""
        return {
            plural: [objects[i] for i in sorted(objects)]
            for plural, objects in self.objects.items()
        }


def board_of(snapshot: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The objects of a `board_snapshot`, through JSON like a frame."""
    snapshot = json.loads(json.dumps(snapshot, default=str))
    return {plural: snapshot[plural] for plural in PLURALS.values()}


def frames_of(text: str) -> list[dict[str, Any]]:
    """The frames of one websocket message: one frame, or an array of frames sent together."""
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


class SocketClient:
    """A `websockets` client of a real server: keeps a replica and answers ops by id."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.replica = BoardReplica()
        self.results: dict[str, dict[str, Any]] = {}
        self.synced = asyncio.Event()
        self.welcome: dict[str, Any] | None = None
        self.sync_modes: list[str] = []
        self.errors: list[str] = []
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._seq_changed = asyncio.Event()

    async def connect(self, *, since: int | None = None, url: str | None = None) -> SocketClient:
        """Connects (to `url` if given, e.g. another server) and waits for `synced`."""
        import websockets

        self.url = url or self.url
        url = self.url if since is None else f"{self.url}?since={since}"
        self.synced = asyncio.Event()
        self._socket = await websockets.connect(
            url, additional_headers=self.headers, max_size=2**24, open_timeout=10
        )
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self.synced.wait(), 10)
        return self

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        async for text in self._socket:
            for frame in frames_of(text):
                self._handle(frame)

    def _handle(self, frame: dict[str, Any]) -> None:
        try:
            self.replica.apply(frame)
        except GapError as exc:
            self.errors.append(str(exc))
        kind = frame["type"]
        if kind == "welcome":
            self.welcome = frame
        elif kind == "synced":
            self.sync_modes.append(frame["mode"])
            self.synced.set()
        if kind in ("applied", "rejected", "ack") and frame.get("id"):
            self.results[frame["id"]] = frame
            waiter = self._waiters.pop(frame["id"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
        if kind in ("applied", "snapshot"):
            self._seq_changed.set()

    async def op(self, op: str, data: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        """Sends an op; the future resolves with its applied / rejected / ack frame."""
        client_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[client_id] = future
        await self._socket.send(json.dumps({"type": "op", "id": client_id, "op": op, "data": data}))
        return future

    async def wait_seq(self, seq: int, timeout: float = 15) -> None:
        async def reached() -> None:
            while (self.replica.seq or 0) < seq:
                self._seq_changed.clear()
                await self._seq_changed.wait()

        await asyncio.wait_for(reached(), timeout)


class CommunicatorClient:
    """A Channels `WebsocketCommunicator` on the real ASGI application, with a replica."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        from vsm_site.asgi import application

        self.communicator = WebsocketCommunicator(application, path, headers=headers)
        self.replica = BoardReplica()
        self.frames: list[dict[str, Any]] = []
        self.conn: str | None = None  # this socket's presence id, from its welcome
        self.unread: list[dict[str, Any]] = []  # frames of a message not yet returned
        OPEN_COMMUNICATORS.append(self)

    async def connect(self) -> list[dict[str, Any]]:
        """Connects and reads up to `synced`; returns the frames read (welcome first)."""
        connected, _ = await self.communicator.connect(timeout=5)
        assert connected
        frames = await self.until("synced")
        self.conn = frames[0].get("conn")
        return frames

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        if not self.unread:
            self.unread.extend(frames_of(await self.communicator.receive_from(timeout)))
        frame = self.unread.pop(0)
        self.replica.apply(frame)
        self.frames.append(frame)
        return frame

    async def until(self, kind: str, timeout: float = 3, **match: Any) -> list[dict[str, Any]]:
        """Frames read until one of type `kind` whose fields equal `match` (included)."""
        read = []
        while True:
            frame = await self.recv(timeout)
            read.append(frame)
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return read

    async def send(self, frame: Any) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def op(self, op: str, data: dict[str, Any], client_id: str | None = None) -> str:
        client_id = client_id or str(uuid.uuid4())
        await self.send({"type": "op", "id": client_id, "op": op, "data": data})
        return client_id

    async def result(self, client_id: str, timeout: float = 3) -> dict[str, Any]:
        """The applied / rejected / ack frame answering op `client_id`."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in ("applied", "rejected", "ack") and frame.get("id") == client_id:
                return frame

    async def nothing(self, timeout: float = 0.2) -> bool:
        return not self.unread and await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        if self in OPEN_COMMUNICATORS:
            OPEN_COMMUNICATORS.remove(self)
            # The server may have closed it already; then this only reaps the application.
            with contextlib.suppress(Exception):
                await self.communicator.disconnect()


OPEN_COMMUNICATORS: list[CommunicatorClient] = []


async def close_communicators() -> None:
    """Disconnects every communicator a test left open (call before the database goes)."""
    for client in list(OPEN_COMMUNICATORS):
        await client.close()


def board_path(stream_id: int, since: int | None = None) -> str:
    return f"/ws/streams/{stream_id}/" + ("" if since is None else f"?since={since}")


def token_headers(key: str | None, origin: str = "http://testserver") -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if key is not None:
        headers.append((b"authorization", f"Token {key}".encode()))
    return headers


async def communicator_for(
    user: Any, stream_id: int, *, since: int | None = None
) -> CommunicatorClient:
    """A not yet connected client signed in as `user` by token (None: anonymous)."""
    from channels.db import database_sync_to_async
    from rest_framework.authtoken.models import Token

    key = None
    if user is not None:
        token, _ = await database_sync_to_async(Token.objects.get_or_create)(user=user)
        key = token.key
    client = CommunicatorClient(board_path(stream_id, since), token_headers(key))
    if isinstance(since, int) and since >= 0:
        client.replica.seq = since  # what this client already has, as a real one would
    return client


def member_tokens(workshop: Any, count: int, role: str = "participant") -> list[str]:
    """API tokens of `count` new members of `workshop` (committed when the test is)."""
    from rest_framework.authtoken.models import Token

    from tests.factories import MembershipFactory

    return [
        Token.objects.create(user=MembershipFactory(workshop=workshop, role=role).user).key
        for _ in range(count)
    ]


def socket_headers(origin: str, key: str) -> dict[str, str]:
    return {"Origin": origin, "Authorization": f"Token {key}"}


async def connected(user: Any, stream_id: int, since: int | None = None) -> CommunicatorClient:
    """An in-process socket of `user` on the board, past its welcome and sync frames."""
    client = await communicator_for(user, stream_id, since=since)
    await client.connect()
    return client
