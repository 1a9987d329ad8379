"""Geometry of the summary's SVG charts, computed in Python and drawn by templates (so every
label is escaped by the template engine). Coordinates are in SVG user units.

No label is drawn outside its chart or over another: text is shortened to the room it has,
estimated from its length (see `_fit`), and a shortened label carries its full text as a
tooltip (`<title>`). Every chart with two kinds of bar has a legend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vsm_site.units import humanize_duration

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
class Dot:
    """A data point of a line, with its figures as a tooltip."""

    x: float
    y: float
    css: str
    title: str


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
    dots: list[Dot] = field(default_factory=list)

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
    _ladder_rungs(chart, steps, left=10.0, scale=(WIDTH - 20.0) / lead_time, top=34.0, gap=26.0)
    return chart


def _ladder_rungs(
    chart: Chart,
    steps: list[dict[str, Any]],
    *,
    left: float,
    scale: float,
    top: float,
    gap: float,
    css: dict[int, str] | None = None,
    notes: dict[int, str] | None = None,
) -> None:
    """One ladder drawn from `left` at `scale` px a second: each step's wait bar at `top`,
    its process bar `gap` px below the wait bar, their durations above and below, and the
    names beneath in two alternating rows. `css` adds a class to a step's bars (by id);
    `notes` adds a sentence to their tooltips."""
    css, notes = css or {}, notes or {}
    bar = 16.0
    wait_y, process_y = top, top + bar + gap
    names_y = process_y + bar + 32
    right = chart.width - 10.0
    # The right edge of the last label drawn on each row: a label that would overlap it is
    # left out (the bars' tooltips still hold every figure).
    taken = {"wait": 0.0, "process": 0.0}
    starts: list[float] = []
    x = left
    for step in steps:
        starts.append(x)
        x += (step["wait_time"] + step["process_time"]) * scale
    starts.append(right)

    def duration_label(row: str, centre: float, y: float, seconds: float) -> None:
        text = humanize_duration(seconds)
        half = text_width(text) / 2
        start = max(left, min(centre - half, right - 2 * half))
        if seconds > 0 and start >= taken[row] + 6:
            chart.labels.append(Label(start + half, y, text, "middle", "value"))
            taken[row] = start + 2 * half

    for index, step in enumerate(steps):
        x = starts[index]
        wait, process = step["wait_time"] * scale, step["process_time"] * scale
        name = step["title"]
        team = f" ({step['team']})" if step.get("team") else ""
        extra = f" {css[step['id']]}" if step.get("id") in css else ""
        note = f" ({notes[step['id']]})" if step.get("id") in notes else ""
        chart.bars.append(
            Bar(
                x,
                wait_y,
                max(wait, 0.5),
                bar,
                "wait" + extra,
                f"{name}{team}: waits {humanize_duration(step['wait_time'])}{note}",
            )
        )
        chart.bars.append(
            Bar(
                x + wait,
                process_y,
                max(process, 0.5),
                bar,
                "process" + extra,
                f"{name}{team}: {humanize_duration(step['process_time'])} of work{note}",
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
        name_label = _label(x + 2, names_y + 15 * (index % 2), name, room)
        if name_label is not None:
            name_label.title = f"{name}{team}"
            chart.labels.append(name_label)


PAIRED_ROW = 132.0  # the height of one ladder of the paired ladder, names included
PAIRED_LEFT = 104.0  # the room of the row names ("Estimated", "Measured") and lead times


def paired_ladder(
    estimated: list[dict[str, Any]],
    estimated_lead_time: float,
    measured: list[dict[str, Any]],
    measured_lead_time: float,
    *,
    kept: set[int] | frozenset[int] = frozenset(),
    notes: dict[int, str] | None = None,
) -> Chart:
    """Two timeline ladders on one scale: the map's estimates above, the map on measured
    figures below, each along its own longest path (the measured one may take another
    branch). Steps in `kept` (activities without measured figures) keep their estimates on
    the measured ladder and are drawn pale; `notes` (by activity id) adds a sentence to a
    measured step's tooltips."""
    chart = Chart(
        WIDTH,
        30 + 2 * PAIRED_ROW,
        "Estimated and measured timeline",
        "The map's estimates above, the median times of the done items below, each along "
        "its longest path, on one scale.",
    )
    longest = max(estimated_lead_time, measured_lead_time)
    if not estimated or not measured or longest <= 0:
        return chart
    legend = list(WAIT_PROCESS_LEGEND)
    if any(step["id"] in kept for step in measured):
        legend.append(("process kept", "estimate kept (nothing measured)", "swatch"))
    _legend(chart, legend)
    scale = (WIDTH - 10.0 - PAIRED_LEFT) / longest
    for row, (name, steps, lead_time) in enumerate(
        (
            ("Estimated", estimated, estimated_lead_time),
            ("Measured", measured, measured_lead_time),
        )
    ):
        top = 30 + row * PAIRED_ROW
        if row:
            chart.lines.append((10, top - 8, WIDTH - 10, top - 8, "grid"))
        chart.labels.append(Label(10, top + 22, name, css="row-name"))
        lead = humanize_duration(lead_time)
        chart.labels.append(Label(10, top + 40, lead, css="value", title=f"{name} lead time"))
        _ladder_rungs(
            chart,
            steps,
            left=PAIRED_LEFT,
            scale=scale,
            top=top + 18,
            gap=16.0,
            css={step["id"]: "kept" for step in steps if row and step["id"] in kept},
            notes=notes if row else None,
        )
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
    """Lead time per day from the daily snapshots: the map's estimate and, from the snapshots
    that recorded it (`data["measured"]`), the map on measured figures."""
    return _snapshot_trend(
        snapshots,
        "lead_time",
        "Lead time trend",
        "Lead time of the daily snapshots: the map's estimate and the map on measured "
        "figures (the items done in the 90 days to each snapshot).",
        humanize_duration,
        200,
    )


def efficiency_trend(snapshots: list[Any]) -> Chart:
    """Flow efficiency per day from the daily snapshots, estimated and measured."""
    return _snapshot_trend(
        snapshots,
        "flow_efficiency",
        "Flow efficiency trend",
        "Process time over lead time along the longest path, estimated and measured.",
        lambda value: f"{value * 100:.0f}%",
        170,
    )


def _snapshot_trend(
    snapshots: list[Any],
    figure: str,
    title: str,
    description: str,
    show: Any,
    height: float,
) -> Chart:
    """`figure` of each snapshot's estimate (a line) and of its measured figures where it has
    them (a dashed line, broken where a snapshot has none), one point per snapshot, each point
    with its day and value as a tooltip. Empty with fewer than two snapshots."""
    chart = Chart(WIDTH, height, title, description)
    if len(snapshots) < 2:
        return chart
    estimates = [float(snapshot.data.get(figure) or 0.0) for snapshot in snapshots]
    measured: list[float | None] = []
    for snapshot in snapshots:
        value = (snapshot.data.get("measured") or {}).get(figure)
        measured.append(float(value) if isinstance(value, int | float) else None)
    has_measured = any(value is not None for value in measured)
    legend = [("trend", "estimate (the map)", "line")]
    if has_measured:
        legend.append(("measured", "measured (tracker states)", "line"))
    _legend(chart, legend)
    top, bottom, left, right = 30.0, height - 40.0, 60.0, WIDTH - 20.0
    highest = max([*estimates, *(value for value in measured if value is not None)]) or 1.0
    step = (right - left) / (len(snapshots) - 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return round(left + index * step, 1), round(bottom - (bottom - top) * value / highest, 1)

    chart.polylines.append(
        (
            " ".join(f"{x},{y}" for x, y in (point(i, v) for i, v in enumerate(estimates))),
            "trend",
        )
    )
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(measured):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(point(index, value))
    for run in runs:
        if len(run) > 1:
            chart.polylines.append((" ".join(f"{x},{y}" for x, y in run), "measured"))
    for index, snapshot in enumerate(snapshots):
        day = _day(snapshot.day)
        other = measured[index]
        both = f"estimate {show(estimates[index])}" + (
            f", measured {show(other)}" if other is not None else ""
        )
        x, y = point(index, estimates[index])
        chart.dots.append(Dot(x, y, "trend", f"{day}: {both}"))
        if other is not None:
            x, y = point(index, other)
            chart.dots.append(Dot(x, y, "measured", f"{day}: {both}"))
    chart.lines.append((left, bottom, right, bottom, "axis"))
    chart.lines.append((left, top, right, top, "grid"))
    chart.labels.append(Label(left - 6, top + 4, show(highest), "end", "value"))
    chart.labels.append(Label(left - 6, bottom + 4, show(0.0), "end", "value"))
    chart.labels.append(Label(left, bottom + 18, _day(snapshots[0].day)))
    chart.labels.append(Label(right, bottom + 18, _day(snapshots[-1].day), "end"))
    return chart
