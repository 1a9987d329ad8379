"""Human units for durations and percentages. Convention: a day is VSM_HOURS_PER_DAY working
hours (8 by default), a week five such days; the board and the summary use the same
convention.

Here, below every app, because both `streams` (the map's picture, the CSV export) and
`metrics` (the summary, its report and charts) write durations the same way, and `streams`
may not import `metrics` (docs/architecture.md)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.conf import settings


def seconds_per_day() -> int:
    return settings.VSM_HOURS_PER_DAY * 3600


def humanize_duration(seconds: float | None, parts: int | None = 2) -> str:
    """'0', '45m', '3h 30m', '2d 4h', '3w 2d': the `parts` largest non-zero units (all of
    them, down to minutes, with `parts=None`: '1w 2d 4h 30m' for a headline, where the
    compact form would hide the 4h 30m that a figure beside it is made of)."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, float(seconds))
    day = seconds_per_day()
    units = (("w", 5 * day), ("d", day), ("h", 3600), ("m", 60))
    if seconds < 60:
        return "0" if seconds == 0 else f"{seconds:.0f}s"
    shown: list[str] = []
    remaining = round(seconds / 60) * 60
    for name, size in units:
        count = int(remaining // size)
        if count:
            shown.append(f"{count}{name}")
            remaining -= count * size
        if parts is not None and len(shown) == parts:
            break
    return " ".join(shown) or "0"


def whole_percent(value: float | None) -> str:
    """A percentage (0..100) rounded to a whole percent, halves up: '72%'. The board rounds
    rolled %C&A so (`Math.round` in static/js/board/ladder.js); the summary, its report and
    the exports show it the same way."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{math.floor(value + 0.5):.0f}%"


def human_datetime(value: datetime | str | None) -> str:
    """'30 Nov 2026, 12:41 UTC' for an aware datetime or its ISO text ('' for None)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
