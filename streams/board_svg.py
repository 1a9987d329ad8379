"""The board drawn as a standalone SVG document (for the SVG and PNG exports).

Layout is the board's own: every sticky at its x, y. Text is wrapped here and escaped by the
template engine; no user text is ever markup."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from metrics.units import humanize_duration
from streams.models import Activity, Countermeasure, Link, Note, ValueStream, Waste

ACTIVITY_SIZE = (200.0, 120.0)
STICKY_SIZE = (180.0, 100.0)
MARGIN = 40.0
COLORS = {"waste": "#fecaca", "countermeasure": "#bbf7d0", "note": "#bfdbfe", "question": "#e9d5ff"}


@dataclass
class Sticky:
    x: float
    y: float
    width: float
    height: float
    fill: str
    lines: list[str]
    caption: str
    kind: str


def _wrap(text: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(text, width=width, max_lines=lines, placeholder="…") or [""]
    return wrapped


def board_svg(stream: ValueStream) -> str:
    """The SVG text of the stream's board."""
    stickies: list[Sticky] = []
    centres: dict[int, tuple[float, float, float, float]] = {}
    for a in Activity.objects.filter(stream=stream).order_by("order", "id"):
        width, height = ACTIVITY_SIZE
        centres[a.pk] = (a.x, a.y, width, height)
        caption = (
            f"{a.team + ' · ' if a.team else ''}P {humanize_duration(a.process_time)} · "
            f"W {humanize_duration(a.wait_time)} · {a.pca:g}% C&A"
        )
        stickies.append(
            Sticky(a.x, a.y, width, height, a.color, _wrap(a.title, 24, 3), caption, "activity")
        )
    for w in Waste.objects.filter(stream=stream):
        stickies.append(
            Sticky(
                w.x,
                w.y,
                *STICKY_SIZE,
                COLORS["waste"],
                _wrap(w.text, 22, 3),
                w.get_category_display(),
                "waste",
            )
        )
    for c in Countermeasure.objects.filter(stream=stream):
        stickies.append(
            Sticky(
                c.x,
                c.y,
                *STICKY_SIZE,
                COLORS["countermeasure"],
                _wrap(c.title or c.future_condition, 22, 3),
                c.get_status_display(),
                "countermeasure",
            )
        )
    for n in Note.objects.filter(stream=stream):
        fill = COLORS["question"] if n.kind == "question" else n.color
        stickies.append(
            Sticky(n.x, n.y, *STICKY_SIZE, fill, _wrap(n.text, 22, 4), n.get_kind_display(), "note")
        )
    arrows = []
    for source, target in Link.objects.filter(stream=stream).values_list("source_id", "target_id"):
        sx, sy, sw, sh = centres[source]
        tx, ty, _, th = centres[target]
        arrows.append((sx + sw, sy + sh / 2, tx, ty + th / 2))
    if stickies:
        left = min(s.x for s in stickies) - MARGIN
        top = min(s.y for s in stickies) - MARGIN
        right = max(s.x + s.width for s in stickies) + MARGIN
        bottom = max(s.y + s.height for s in stickies) + MARGIN
    else:
        left, top, right, bottom = 0.0, 0.0, 400.0, 200.0
    context: dict[str, Any] = {
        "stream": stream,
        "stickies": stickies,
        "arrows": arrows,
        "box": (left, top, right - left, bottom - top),
    }
    return render_to_string("streams/board.svg", context)
