"""Geometry of the summary's SVG charts, computed in Python and drawn by templates (so every
label is escaped by the template engine). Coordinates are in SVG user units.

No label is drawn outside its chart or over another: text is shortened to the room it has,
estimated from its length (see `_fit`), and a shortened label carries its full text as a
tooltip (`<title>`). Every chart with two kinds of bar has a legend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from metrics.units import humanize_duration

WIDTH = 960
FONT = 12  # px, the charts' text (static/css/app.css .svg-chart text)
# Width of an average character as a share of the font size: generous for DejaVu Sans and
# Arial, so a fitted label never runs past the room it was given.
CHAR_WIDTH = 0.62


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""
    title: str = ""  # the full text, when `text` had to be shortened


@dataclass
class LegendItem:
    x: float
    y: float
    css: str  # the css of the bars (or line) it explains
    text: str
    shape: str = "swatch"  # or "line"

    @property
    def mark_top(self) -> float:
        return self.y - 9

    @property
    def mark_middle(self) -> float:
        return self.y - 4

    @property
    def mark_end(self) -> float:
        return self.x + 14

    @property
    def text_x(self) -> float:
        return self.x + 20


@dataclass
class Chart:
    width: float
    height: float
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    polylines: list[tuple[str, str]] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.bars and not self.polylines


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def text_width(text: str, font: float = FONT) -> float:
    """The estimated width of `text` in px (see CHAR_WIDTH)."""
    return len(text) * font * CHAR_WIDTH


def _fit(text: str, room: float, font: float = FONT) -> str:
    """`text`, shortened with an ellipsis to fit `room` px; '' when not even two characters
    and the ellipsis fit."""
    limit = int(room / (font * CHAR_WIDTH))
    if len(text) <= limit:
        return text
    return _short(text, limit) if limit >= 3 else ""


def _label(
    x: float, y: float, text: str, room: float, anchor: str = "start", css: str = ""
) -> Label | None:
    """A label of `text` fitted to `room`, with the full text as its tooltip when shortened;
    None when nothing readable fits."""
    shown = _fit(text, room)
    if not shown:
        return None
    return Label(x, y, shown, anchor, css, text if shown != text else "")


def _legend(chart: Chart, items: list[tuple[str, str, str]], *, y: float = 12) -> None:
    """Legend items (css, text, shape) in a row from the chart's right edge leftwards."""
    x = chart.width - 10 - sum(text_width(text) + 34 for _, text, _ in items) + 12
    for css, text, shape in items:
        chart.legend.append(LegendItem(x, y, css, text, shape))
        x += text_width(text) + 34


WAIT_PROCESS_LEGEND = [("wait", "wait time", "swatch"), ("process", "process time", "swatch")]


def ladder(steps: list[dict[str, Any]], lead_time: float) -> Chart:
    """The timeline ladder along the critical path, to scale: each step's wait on the upper
    rung, then its process time on the lower rung, each labelled with its duration where
    there is room, and the step's name beneath."""
    chart = Chart(
        WIDTH,
        150,
        "Timeline ladder",
        "Wait time above, process time below, along the critical path, to scale.",
    )
    if not steps or lead_time <= 0:
        return chart
    _legend(chart, WAIT_PROCESS_LEGEND)
    left, usable = 10.0, WIDTH - 20.0
    wait_y, process_y, bar = 34.0, 76.0, 16.0
    scale = usable / lead_time
    # The right edge of the last label drawn on each row: a label that would overlap it is
    # left out (the bars' tooltips still hold every figure).
    taken = {"wait": 0.0, "process": 0.0}
    starts: list[float] = []
    x = left
    for step in steps:
        starts.append(x)
        x += (step["wait_time"] + step["process_time"]) * scale
    starts.append(WIDTH - 10.0)

    def duration_label(row: str, centre: float, y: float, seconds: float) -> None:
        text = humanize_duration(seconds)
        half = text_width(text) / 2
        start = max(left, min(centre - half, WIDTH - 10 - 2 * half))
        if seconds > 0 and start >= taken[row] + 6:
            chart.labels.append(Label(start + half, y, text, "middle", "value"))
            taken[row] = start + 2 * half

    for index, step in enumerate(steps):
        x = starts[index]
        wait, process = step["wait_time"] * scale, step["process_time"] * scale
        name = step["title"]
        team = f" ({step['team']})" if step.get("team") else ""
        chart.bars.append(
            Bar(
                x,
                wait_y,
                max(wait, 0.5),
                bar,
                "wait",
                f"{name}{team}: waits {humanize_duration(step['wait_time'])}",
            )
        )
        chart.bars.append(
            Bar(
                x + wait,
                process_y,
                max(process, 0.5),
                bar,
                "process",
                f"{name}{team}: {humanize_duration(step['process_time'])} of work",
            )
        )
        chart.lines.append((x + wait, wait_y + bar, x + wait, process_y, "rung"))
        duration_label("wait", x + wait / 2, wait_y - 4, step["wait_time"])
        duration_label(
            "process", x + wait + process / 2, process_y + bar + 13, step["process_time"]
        )
        # Names alternate between two rows, so each may use the room up to the step after
        # the next one.
        room = starts[min(index + 2, len(steps))] - x - 6
        name_label = _label(x + 2, 124 + 15 * (index % 2), name, room)
        if name_label is not None:
            name_label.title = f"{name}{team}"
            chart.labels.append(name_label)
    return chart


def stacked_bars(
    rows: list[tuple[str, float, float, bool]], title: str, description: str, width: float = WIDTH
) -> Chart:
    """Horizontal bars of (label, wait, process, highlighted): wait then process per row,
    each row's name fitted to the left column and its figures after the bar."""
    row_height, label_width, top = 26, min(220.0, 0.3 * width), 26
    chart = Chart(width, max(40, row_height * len(rows) + top + 10), title, description)
    longest = max((wait + process for _, wait, process, _ in rows), default=0)
    if longest <= 0:
        return chart
    _legend(chart, WAIT_PROCESS_LEGEND)
    figures = [
        f"{humanize_duration(wait)} + {humanize_duration(process)}" for _, wait, process, _ in rows
    ]
    room_for_figures = max(text_width(text) for text in figures) + 16
    scale = (width - label_width - room_for_figures) / longest
    for index, (name, wait, process, highlighted) in enumerate(rows):
        y = top + index * row_height
        css = " critical" if highlighted else ""
        shown = name or "(no team)"
        label = _label(label_width - 8, y + 14, shown, label_width - 12, "end", css.strip())
        if label is not None:
            chart.labels.append(label)
        chart.bars.append(
            Bar(
                label_width,
                y,
                wait * scale,
                18,
                "wait" + css,
                f"{shown}: waits {humanize_duration(wait)}",
            )
        )
        chart.bars.append(
            Bar(
                label_width + wait * scale,
                y,
                process * scale,
                18,
                "process" + css,
                f"{shown}: {humanize_duration(process)} of work",
            )
        )
        chart.labels.append(
            Label(label_width + (wait + process) * scale + 6, y + 14, figures[index], css="value")
        )
    return chart


def pareto(
    wastes: list[dict[str, Any]], categories: dict[str, str] | None = None, width: float = WIDTH
) -> Chart:
    """Wastes by votes, highest first (dots on the left axis), with the cumulative share of
    the dots as a line against the percentage axis on the right."""
    chart = Chart(
        width,
        244,
        "Waste Pareto",
        "Wastes by dot votes, highest first; line: cumulative share of the dots (right axis).",
    )
    voted = [waste for waste in wastes if waste.get("votes")]
    total = sum(waste["votes"] for waste in voted)
    if not total:
        return chart
    categories = categories or {}
    top, bottom, left, right = 30.0, 200.0, 40.0, width - 56.0
    _legend(chart, [("waste", "dots", "swatch"), ("cumulative", "cumulative share", "line")])
    slot = (right - left) / len(voted)
    most = max(waste["votes"] for waste in voted)
    points, running = [], 0
    for index, waste in enumerate(voted):
        height = (bottom - top) * waste["votes"] / most
        x = left + index * slot
        category = categories.get(waste.get("category", ""), "")
        dots = f"{waste['votes']} dot{'s' if waste['votes'] != 1 else ''}"
        chart.bars.append(
            Bar(
                x + 4,
                bottom - height,
                slot - 8,
                height,
                "waste",
                f"{waste['text']}: {dots}{f' · {category}' if category else ''}",
            )
        )
        chart.labels.append(
            Label(x + slot / 2, bottom - height - 4, str(waste["votes"]), "middle", "value")
        )
        # Names alternate between two rows, so each may use two slots' width, centred under
        # its bar and never past the chart's edges.
        centre = x + slot / 2
        room = min(2 * slot - 8, 2 * min(centre, width - centre) - 8)
        label = _label(centre, bottom + 16 + 13 * (index % 2), waste["text"], room, "middle")
        if label is not None:
            chart.labels.append(label)
        running += waste["votes"]
        points.append(f"{x + slot / 2:.1f},{bottom - (bottom - top) * running / total:.1f}")
    chart.polylines.append((" ".join(points), "cumulative"))
    chart.lines.append((left, bottom, right, bottom, "axis"))
    chart.lines.append((left, top, left, bottom, "axis"))
    chart.lines.append((right, top, right, bottom, "axis"))
    chart.labels.append(Label(left - 6, top + 4, str(most), "end", "value"))
    chart.labels.append(Label(left - 6, bottom, "0", "end", "value"))
    chart.labels.append(Label(left - 6, top - 12, "dots", "end", "legend"))
    for share in (0, 25, 50, 75, 100):
        y = bottom - (bottom - top) * share / 100
        chart.lines.append((right, y, right + 4, y, "axis"))
        if share:
            chart.lines.append((left, y, right, y, "grid"))
        chart.labels.append(Label(right + 7, y + 4, f"{share}%", css="value"))
    return chart


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def trend(snapshots: list[Any]) -> Chart:
    """Lead time per day from the daily snapshots."""
    chart = Chart(WIDTH, 200, "Lead time trend", "Lead time of the daily snapshots.")
    if len(snapshots) < 2:
        return chart
    values = [snapshot.data.get("lead_time", 0.0) for snapshot in snapshots]
    top, bottom, left, right = 20.0, 160.0, 60.0, WIDTH - 20.0
    highest = max(values) or 1.0
    step = (right - left) / (len(values) - 1)
    points = [
        f"{left + index * step:.1f},{bottom - (bottom - top) * value / highest:.1f}"
        for index, value in enumerate(values)
    ]
    chart.polylines.append((" ".join(points), "trend"))
    chart.lines.append((left, bottom, right, bottom, "axis"))
    chart.labels.append(Label(left - 6, top + 4, humanize_duration(highest), "end", "value"))
    chart.labels.append(Label(left, bottom + 18, _day(snapshots[0].day)))
    chart.labels.append(Label(right, bottom + 18, _day(snapshots[-1].day), "end"))
    return chart
