"""Presence on a board: who is here, their cursors, what they edit. Ephemeral by design: it
travels the channel layer only, is never written to the database and has no seq.

Every socket keeps its own presence (`conn`, user, the object being edited) and announces it
to the board's group; the hub of every process answers a joiner with its sockets
(streams.hub), so no shared store is needed and several server processes work alike.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from streams.kinds import KINDS
from vsm_site.ids import row_id
from vsm_site.validation import finite_float

COORDINATE_LIMIT = 1e6


def presence_frame(action: str, message: dict[str, Any]) -> dict[str, Any]:
    """The client frame of a presence message: `join`, `leave` or `editing`."""
    frame: dict[str, Any] = {
        "type": "presence",
        "action": action,
        "conn": message["conn"],
        "user": message["user"],
    }
    if action == "join":
        frame["role"] = message.get("role")
        frame["editing"] = message.get("editing")
    elif action == "editing":
        frame["target"] = message.get("target")
    return frame


def cursors_frame_text(entries: Iterable[str]) -> str:
    """The client frame of a tick's cursors, `{"type": "presence", "action": "cursors",
    "cursors": [{conn, user, x, y}, ...]}` (latest positions), from the JSON of each entry."""
    return '{"type":"presence","action":"cursors","cursors":[' + ",".join(entries) + "]}"


def viewport_clean(value: Any) -> dict[str, float] | None:
    """A facilitator's viewport {x, y, zoom} (the centre in board units), or None to stop
    leading. Raises ValueError for anything else."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"x", "y", "zoom"}:
        raise ValueError("A viewport is {x, y, zoom}, or null to stop.")
    numbers = {}
    for name in ("x", "y", "zoom"):
        number = value[name]
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"viewport.{name} must be a number.")
        finite = finite_float(number)
        if finite is None:  # NaN, an infinity, or an integer beyond any float (10**400)
            raise ValueError("A viewport needs finite numbers.")
        numbers[name] = finite
    if abs(numbers["x"]) > COORDINATE_LIMIT or abs(numbers["y"]) > COORDINATE_LIMIT:
        raise ValueError(f"viewport x and y must be within ±{COORDINATE_LIMIT:g}.")
    if not 0.05 <= numbers["zoom"] <= 10:
        raise ValueError("viewport.zoom must be between 0.05 and 10.")
    return numbers


def cursor_clean(frame: dict[str, Any]) -> tuple[float, float] | None:
    """(x, y) of a cursor frame, or None unless both are finite board coordinates (an
    integer beyond any float, 10**400 say, is not)."""
    x, y = finite_float(frame.get("x")), finite_float(frame.get("y"))
    if x is None or y is None or abs(x) > COORDINATE_LIMIT or abs(y) > COORDINATE_LIMIT:
        return None
    return x, y


def editing_target_clean(target: Any) -> dict[str, Any] | None:
    """`{"kind", "id"}` of a known kind with an integer id; raises ValueError otherwise.
    None (stopped editing) is valid."""
    if target is None:
        return None
    if not isinstance(target, dict):
        raise ValueError("Expected null or {kind, id}.")
    kind, object_id = target.get("kind"), target.get("id")
    if kind not in KINDS or isinstance(object_id, str) or row_id(object_id) is None:
        raise ValueError("Expected null or {kind, id} of an object on the board.")
    return {"kind": kind, "id": object_id}


class Throttle:
    """Runs `action` at most once per `interval` seconds, however often it is poked: at once
    after a quiet interval, otherwise once at the end of the current one (so whatever `action`
    reads then, e.g. the latest cursor positions, is sent within one interval)."""

    def __init__(
        self,
        *,
        interval: float,
        action: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._action = action
        self._clock = clock
        self._last = -math.inf
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        if self._task is None:
            delay = max(0.0, self._last + self.interval - self._clock())
            self._task = asyncio.create_task(self._run_after(delay))

    async def _run_after(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        self._task = None
        self._last = self._clock()
        await self._action()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
