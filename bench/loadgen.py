"""A load-generator process: a slice of the participants of a board over real websockets.

Driven by `bench.run` through stdin/stdout, one JSON object a line:

* in:  the spec (first line): mode, url, clients [{index, token, note}], rate, window, ...
* out: {"ready": n} once every client is connected (and synced, on the stack);
* in:  {"start": <monotonic s>, "duration": s} -> out: the window's figures after a drain;
* in:  {"quit": true} or end of input -> the process closes its sockets and exits.

Latency is measured from the sender's send to each receiver's receipt. The send time rides
in the frame (the op's client `id`, a cursor's `x`); CLOCK_MONOTONIC is one clock for every
process on the machine, so sender and receiver may be different processes.

Modes: `fanout` (each client sends one op every 1/rate s; receivers time others' ops),
`cursor` (each client streams cursor positions at `rate` Hz; receivers time presence frames),
`ops` (closed loop: each client keeps `window` ops in flight and times its own acks).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import sys
import time
from collections import Counter
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

LOG_BASE = math.log(1.01)  # histogram buckets 1% wide: mergeable across processes
ID_PATTERN = re.compile(r'"id":"b(\d+)-(\d+)-')
CURSOR_X = re.compile(r'"x":([0-9.eE+-]+)')
CURSOR_WRAP_MS = 1_000_000.0  # cursor x carries the send time in ms modulo this
CONNECT_CONCURRENCY = 8
DRAIN_SECONDS = 5.0  # deliveries later than this after the window count as lost


def bucket(latency_ms: float) -> int:
    return int(math.log(max(latency_ms * 1000, 1.0)) / LOG_BASE)


def bucket_ms(index: int) -> float:
    """The middle of a bucket, in ms."""
    return math.exp((index + 0.5) * LOG_BASE) / 1000


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = fraction * total, 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return bucket_ms(index)
    return bucket_ms(max(histogram))


def now_ms() -> float:
    return time.monotonic_ns() / 1e6


class Window:
    """Figures of one measurement window; only sends inside [start, end) count."""

    def __init__(self, start: float, duration: float) -> None:
        self.start_ns = int(start * 1e9)
        self.end_ns = int((start + duration) * 1e9)
        self.sent = 0
        self.received = 0
        self.frames = 0
        self.latency: Counter[int] = Counter()
        self.acks = 0
        self.ack_latency: Counter[int] = Counter()
        self.rejected: Counter[str] = Counter()

    def counts(self, sent_ns: int) -> bool:
        return self.start_ns <= sent_ns < self.end_ns

    def figures(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "received": self.received,
            "frames": self.frames,
            "latency": dict(self.latency),
            "acks": self.acks,
            "ack_latency": dict(self.ack_latency),
            "rejected": dict(self.rejected),
        }


class Participant:
    def __init__(self, spec: dict[str, Any], client: dict[str, Any]) -> None:
        self.spec = spec
        self.index: int = client["index"]
        self.token: str | None = client.get("token")
        self.note: int | None = client.get("note")
        self.url: str = client.get("url") or spec["url"]
        self.stack = spec.get("target", "stack") == "stack"
        self.socket: ClientConnection | None = None
        self.window: Window | None = None
        self.synced = asyncio.Event()
        self.in_flight = 0
        self.counter = 0
        self.acked = asyncio.Event()
        self.errors: list[str] = []

    async def connect(self) -> None:
        headers = {"Origin": self.url.replace("ws://", "http://").split("/ws/")[0]}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        self.socket = await connect(
            self.url,
            additional_headers=headers,
            max_size=2**26,
            open_timeout=30,
            ping_interval=None,
            compression=self.spec.get("compression"),
        )
        self.reader = asyncio.create_task(self.read())
        if self.stack:
            await asyncio.wait_for(self.synced.wait(), 60)

    async def read(self) -> None:
        assert self.socket is not None
        try:
            async for message in self.socket:
                text = message if isinstance(message, str) else message.decode()
                if text.startswith("["):  # frames the server sent together
                    for frame in json.loads(text):
                        self.on_frame(json.dumps(frame, separators=(",", ":")))
                else:
                    self.on_frame(text)
        except Exception as exc:  # a dropped socket is a figure, not a crash
            self.errors.append(repr(exc))

    def on_frame(self, text: str) -> None:
        window = self.window
        if not self.synced.is_set() and '"type":"synced"' in text[:40]:
            self.synced.set()
            return
        if window is None:
            return
        mode = self.spec["mode"]
        if mode == "cursor":
            if '"action":"cursors"' not in text:
                return
            window.frames += 1
            if time.monotonic_ns() >= window.end_ns:
                return
            received = now_ms()
            for match in CURSOR_X.finditer(text):  # one position per mover in the tick
                window.received += 1
                window.latency[bucket((received - float(match.group(1))) % CURSOR_WRAP_MS)] += 1
            return
        if text.startswith('{"type":"rejected"'):
            frame = json.loads(text)
            window.rejected[str(frame.get("reason"))] += 1
            if self.spec["mode"] == "ops" and frame.get("id", "").startswith("b"):
                self.in_flight -= 1
                self.acked.set()
            return
        match = ID_PATTERN.search(text[:200])
        if match is None:
            return
        window.frames += 1
        sent_ns, sender = int(match.group(1)), int(match.group(2))
        latency = (time.monotonic_ns() - sent_ns) / 1e6
        if sender == self.index:
            if window.counts(sent_ns):
                window.acks += 1
                window.ack_latency[bucket(latency)] += 1
            if mode == "ops":
                self.in_flight -= 1
                self.acked.set()
        elif window.counts(sent_ns):
            window.received += 1
            window.latency[bucket(latency)] += 1

    def op_frame(self) -> str:
        self.counter += 1
        client_id = f"b{time.monotonic_ns()}-{self.index}-{self.counter}"
        if self.counter % 2:
            op, data = "note.move", {"x": random.uniform(0, 2000), "y": random.uniform(0, 1200)}
        else:
            op, data = "note.update", {"text": f"edit {self.counter} by {self.index}"}
        return json.dumps(
            {"type": "op", "id": client_id, "op": op, "data": {"id": self.note, **data}},
            separators=(",", ":"),
        )

    def cursor_frame(self) -> str:
        return json.dumps(
            {"type": "cursor", "x": now_ms() % CURSOR_WRAP_MS, "y": float(self.index)},
            separators=(",", ":"),
        )

    async def drive(self, window: Window) -> None:
        """Sends for the window's duration: a steady rate with a random phase, or closed loop.
        A socket the server closed stops sending; its error is reported with the figures."""
        self.window = window
        try:
            await self._drive(window)
        except ConnectionClosed as exc:
            self.errors.append(repr(exc))

    async def _drive(self, window: Window) -> None:
        assert self.socket is not None
        rate = float(self.spec.get("rate", 1.0))
        end = window.end_ns / 1e9
        await asyncio.sleep(max(0.0, window.start_ns / 1e9 - time.monotonic()))
        if self.spec["mode"] == "ops":
            await self.closed_loop(end)
            return
        frame = self.cursor_frame if self.spec["mode"] == "cursor" else self.op_frame
        due = time.monotonic() + random.uniform(0, 1 / rate)
        while due < end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self.socket.send(frame())
            window.sent += 1
            due += 1 / rate

    async def closed_loop(self, end: float) -> None:
        assert self.socket is not None and self.window is not None
        in_flight_max = int(self.spec.get("window", 1))
        self.in_flight = 0
        while time.monotonic() < end:
            while self.in_flight < in_flight_max:
                self.in_flight += 1
                await self.socket.send(self.op_frame())
                self.window.sent += 1
            self.acked.clear()
            try:
                await asyncio.wait_for(self.acked.wait(), max(0.01, end - time.monotonic()))
            except TimeoutError:
                break


async def connect_all(participants: list[Participant]) -> None:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(participant: Participant) -> None:
        async with gate:
            await participant.connect()

    await asyncio.gather(*(one(participant) for participant in participants))


async def read_line() -> dict[str, Any] | None:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else None


def write_line(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def main() -> None:
    spec = await read_line()
    assert spec is not None
    participants = [Participant(spec, client) for client in spec["clients"]]
    try:
        await connect_all(participants)
        write_line({"ready": len(participants)})
        while (command := await read_line()) is not None and not command.get("quit"):
            if "window" in command:
                spec["window"] = command["window"]
            duration = float(command["duration"])
            window = Window(float(command["start"]), duration)
            await asyncio.wait_for(
                asyncio.gather(*(p.drive(window) for p in participants)), duration + 30
            )
            await asyncio.sleep(DRAIN_SECONDS)
            for participant in participants:
                participant.window = None
            errors = [error for p in participants for error in p.errors]
            write_line({**window.figures(), "errors": errors[:5], "dropped": len(errors)})
    except Exception as exc:
        write_line({"error": repr(exc)})
    finally:
        await asyncio.gather(
            *(p.socket.close() for p in participants if p.socket is not None),
            return_exceptions=True,
        )


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
