"""The board drawn as a standalone SVG document (for the SVG and PNG exports).

Layout is the board's own: every sticky at its x, y. Text is fitted here and escaped by the
template engine; no user text is ever markup. Text never runs outside its card: it is
wrapped to the card's width (estimated from the font size), and what does not fit ends in
an ellipsis, with the whole text in the card's `<title>`.

A caller may put a `header` above the map (the export's title, state, date, headline
figures, ladder and top wastes: see metrics.exports), so the picture stands alone."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string

from streams.models import Activity, Countermeasure, Link, LinkKind, Note, ValueStream, Waste
from vsm_site.units import humanize_duration

ACTIVITY_SIZE = (200.0, 120.0)
STICKY_SIZE = (180.0, 100.0)
MARGIN = 40.0
PADDING = 10.0
COLORS = {"waste": "#fecaca", "countermeasure": "#bbf7d0", "note": "#bfdbfe", "question": "#e9d5ff"}
# Width of an average character as a share of the font size (DejaVu Sans, bold a little
# wider): generous, so fitted text stays inside its card.
CHAR_WIDTH = {False: 0.6, True: 0.68}
HEADER_MIN_WIDTH = 1000.0
LADDER_WIDTH = 960.0  # the summary's charts (metrics.charts.WIDTH)


def chars_that_fit(width: float, font: float, bold: bool = False) -> int:
    return max(1, int(width / (font * CHAR_WIDTH[bold])))


def fit_lines(text: str, width: float, font: float, lines: int, bold: bool = False) -> list[str]:
    """`text` wrapped to `width` px in at most `lines` lines, the last one ending in '…' when
    something was left out (a word longer than a line is broken)."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=chars_that_fit(width, font, bold),
        max_lines=lines,
        placeholder=" …",
    ) or [""]


def fit_line(text: str, width: float, font: float, bold: bool = False) -> str:
    """`text` on one line of `width` px, shortened with '…' when it does not fit."""
    text = " ".join(text.split())
    limit = chars_that_fit(width, font, bold)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


@dataclass
class Sticky:
    x: float
    y: float
    width: float
    height: float
    fill: str
    lines: list[str]
    captions: list[str]
    kind: str
    full_text: str  # the card's whole text, for its <title>

    @property
    def text_x(self) -> float:
        return self.x + PADDING

    @property
    def text_y(self) -> float:
        return self.y + 24

    @property
    def caption_rows(self) -> list[tuple[float, str]]:
        """(y, caption) from the bottom of the card upwards."""
        bottom = self.y + self.height - PADDING
        count = len(self.captions)
        return [
            (bottom - 14 * (count - 1 - index), text) for index, text in enumerate(self.captions)
        ]


def _sticky(
    x: float,
    y: float,
    size: tuple[float, float],
    fill: str,
    kind: str,
    text: str,
    captions: list[str],
    lines: int,
) -> Sticky:
    width, height = size
    inner = width - 2 * PADDING
    shown = [fit_line(caption, inner, 11) for caption in captions if caption]
    full = "\n".join([text, *[caption for caption in captions if caption]])
    return Sticky(
        x, y, width, height, fill, fit_lines(text, inner, 14, lines, True), shown, kind, full
    )


@dataclass
class Header:
    """What stands above the map, laid out by `header_layout`."""

    width: float
    height: float
    x: float
    y: float
    title: str
    title_full: str
    subtitle: str
    figures: list[dict[str, Any]] = field(default_factory=list)
    ladder: Any = None
    ladder_transform: str = ""
    wastes_heading: str = ""
    wastes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title_y(self) -> float:
        return self.y + 38

    @property
    def subtitle_y(self) -> float:
        return self.y + 62

    @property
    def wastes_heading_y(self) -> float:
        return self.wastes[0]["y"] - 22 if self.wastes else self.y


def header_layout(header: dict[str, Any], left: float, top: float, width: float) -> Header:
    """Positions of the header's parts in a band `width` wide whose top-left is (left, top).

    `header`: title, subtitle, figures [(label, value)], ladder (a metrics.charts.Chart, may
    be empty), wastes_heading, wastes [(text, detail)]."""
    inner = width - 2 * PADDING - 20
    x = left + 20
    laid = Header(
        width=width,
        height=0,
        x=x,
        y=top,
        title=fit_line(header["title"], inner, 24, True),
        title_full=header["title"],
        subtitle=fit_line(header["subtitle"], inner, 13),
    )
    figures = header.get("figures", [])
    if figures:
        gap = 10.0
        box = (inner - gap * (len(figures) - 1)) / len(figures)
        for index, (label, value) in enumerate(figures):
            box_x = x + index * (box + gap)
            laid.figures.append(
                {
                    "x": box_x,
                    "y": top + 80,
                    "width": box,
                    "label": fit_line(label, box - 20, 11),
                    "value": fit_line(value, box - 20, 17, True),
                    "full": f"{label}: {value}",
                    "text_x": box_x + 10,
                    "label_y": top + 98,
                    "value_y": top + 122,
                }
            )
    y = top + 150
    ladder = header.get("ladder")
    if ladder is not None and not ladder.empty:
        scale = min(inner / LADDER_WIDTH, 1.5)
        laid.ladder = ladder
        laid.ladder_transform = f"translate({x} {y}) scale({scale:.4f})"
        y += ladder.height * scale + 10
    wastes = header.get("wastes", [])
    if wastes:
        laid.wastes_heading = fit_line(header.get("wastes_heading", ""), inner, 14, True)
        y += 20
        for index, (text, detail) in enumerate(wastes, 1):
            y += 19
            line = f"{index}. {text}" + (f" — {detail}" if detail else "")
            laid.wastes.append({"y": y, "text": fit_line(line, inner, 13), "full": line})
        y += 6
    laid.height = y - top + 20
    return laid


def board_svg(stream: ValueStream, header: dict[str, Any] | None = None) -> str:
    """The SVG text of the stream's board, with `header` (see `header_layout`) above it."""
    stickies: list[Sticky] = []
    centres: dict[int, tuple[float, float, float, float]] = {}
    for a in Activity.objects.filter(stream=stream).order_by("order", "id"):
        width, height = ACTIVITY_SIZE
        centres[a.pk] = (a.x, a.y, width, height)
        figures = (
            f"P {humanize_duration(a.process_time)} · W {humanize_duration(a.wait_time)} · "
            f"{a.pca:g}% C&A"
        )
        stickies.append(
            _sticky(a.x, a.y, ACTIVITY_SIZE, a.color, "activity", a.title, [a.team, figures], 3)
        )
    for w in Waste.objects.filter(stream=stream):
        stickies.append(
            _sticky(
                w.x, w.y, STICKY_SIZE, COLORS["waste"], "waste", w.text,
                [w.get_category_display()], 3,
            )
        )  # fmt: skip
    for c in Countermeasure.objects.filter(stream=stream):
        stickies.append(
            _sticky(
                c.x, c.y, STICKY_SIZE, COLORS["countermeasure"], "countermeasure",
                c.title or c.future_condition, [c.get_status_display()], 3,
            )
        )  # fmt: skip
    for n in Note.objects.filter(stream=stream):
        fill = COLORS["question"] if n.kind == "question" else n.color
        stickies.append(
            _sticky(n.x, n.y, STICKY_SIZE, fill, "note", n.text, [n.get_kind_display()], 4)
        )
    arrows = []
    loops = []  # rework loops: dashed, below the cards, from the source back to the target
    links = Link.objects.filter(stream=stream).values_list("source_id", "target_id", "kind")
    for source, target, kind in links:
        sx, sy, sw, sh = centres[source]
        tx, ty, tw, th = centres[target]
        if kind == LinkKind.REWORK:
            start, end = (sx + sw / 2, sy + sh), (tx + tw / 2, ty + th)
            dip = max(start[1], end[1]) + 60
            loops.append(
                f"M{start[0]},{start[1]} C{start[0]},{dip} {end[0]},{dip} {end[0]},{end[1]}"
            )
        else:
            arrows.append((sx + sw, sy + sh / 2, tx, ty + th / 2))
    if stickies:
        left = min(s.x for s in stickies) - MARGIN
        top = min(s.y for s in stickies) - MARGIN
        right = max(s.x + s.width for s in stickies) + MARGIN
        bottom = max(s.y + s.height for s in stickies) + MARGIN
    else:
        left, top, right, bottom = 0.0, 0.0, 400.0, 200.0
    laid = None
    if header is not None:
        right = max(right, left + HEADER_MIN_WIDTH)
        laid = header_layout(header, left, top, right - left)
        laid.y = top - laid.height
        laid = header_layout(header, left, laid.y, right - left)  # placed above the map
        top = laid.y
    context: dict[str, Any] = {
        "stream": stream,
        "stickies": stickies,
        "arrows": arrows,
        "loops": loops,
        "header": laid,
        "box": (left, top, right - left, bottom - top),
    }
    return render_to_string("streams/board.svg", context)
