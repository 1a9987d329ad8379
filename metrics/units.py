"""Human units for durations. Convention: a day is VSM_HOURS_PER_DAY working hours (8 by
default), a week five such days; the board and the summary use the same convention."""

from __future__ import annotations

import math

from django.conf import settings


def seconds_per_day() -> int:
    return settings.VSM_HOURS_PER_DAY * 3600


def humanize_duration(seconds: float | None) -> str:
    """'0', '45m', '3h 30m', '2d 4h', '3w 2d': the two largest non-zero units."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, float(seconds))
    day = seconds_per_day()
    units = (("w", 5 * day), ("d", day), ("h", 3600), ("m", 60))
    if seconds < 60:
        return "0" if seconds == 0 else f"{seconds:.0f}s"
    parts: list[str] = []
    remaining = round(seconds / 60) * 60
    for name, size in units:
        count = int(remaining // size)
        if count:
            parts.append(f"{count}{name}")
            remaining -= count * size
        if len(parts) == 2:
            break
    return " ".join(parts) or "0"
