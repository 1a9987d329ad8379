"""Geometry of the summary's SVG charts, computed in Python and drawn by templates (so every
label is escaped by the template engine). Coordinates are in SVG user units."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metrics.units import humanize_duration

WIDTH = 960


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

    @property
    def empty(self) -> bool:
        return not self.bars and not self.polylines


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ladder(steps: list[dict[str, Any]], lead_time: float) -> Chart:
    """The timeline ladder along the critical path, to scale: each step's wait on the upper
    rung, then its process time on the lower rung."""
    chart = Chart(
        WIDTH,
        150,
        "Timeline ladder",
        "Wait time above, process time below, along the critical path, to scale.",
    )
    if not steps or lead_time <= 0:
        return chart
    left, usable = 10.0, WIDTH - 20.0
    scale = usable / lead_time
    x = left
    for index, step in enumerate(steps):
        wait, process = step["wait_time"] * scale, step["process_time"] * scale
        name = step["title"]
        chart.bars.append(
            Bar(
                x,
                28,
                max(wait, 0.5),
                16,
                "wait",
                f"{name}: waits {humanize_duration(step['wait_time'])}",
            )
        )
        chart.bars.append(
            Bar(
                x + wait,
                70,
                max(process, 0.5),
                16,
                "process",
                f"{name}: {humanize_duration(step['process_time'])} of work",
            )
        )
        chart.lines.append((x + wait, 44, x + wait, 70, "rung"))
        if wait + process > 46:
            chart.labels.append(
                Label(x + 2, 120 + 14 * (index % 2), _short(name, int((wait + process) / 7)))
            )
        x += wait + process
    chart.labels.append(Label(left, 20, "wait", css="legend"))
    chart.labels.append(Label(left, 100, "process", css="legend"))
    return chart


def stacked_bars(rows: list[tuple[str, float, float, bool]], title: str, description: str) -> Chart:
    """Horizontal bars of (label, wait, process, highlighted): wait then process per row."""
    row_height, label_width = 26, 220
    chart = Chart(WIDTH, max(40, row_height * len(rows) + 30), title, description)
    longest = max((wait + process for _, wait, process, _ in rows), default=0)
    if longest <= 0:
        return chart
    scale = (WIDTH - label_width - 120) / longest
    for index, (name, wait, process, highlighted) in enumerate(rows):
        y = 10 + index * row_height
        css = " critical" if highlighted else ""
        chart.labels.append(
            Label(label_width - 8, y + 14, _short(name or "(no team)", 30), "end", css.strip())
        )
        chart.bars.append(
            Bar(
                label_width,
                y,
                wait * scale,
                18,
                "wait" + css,
                f"{name}: waits {humanize_duration(wait)}",
            )
        )
        chart.bars.append(
            Bar(
                label_width + wait * scale,
                y,
                process * scale,
                18,
                "process" + css,
                f"{name}: {humanize_duration(process)} of work",
            )
        )
        chart.labels.append(
            Label(
                label_width + (wait + process) * scale + 6,
                y + 14,
                f"{humanize_duration(wait)} + {humanize_duration(process)}",
                css="value",
            )
        )
    return chart


def pareto(wastes: list[dict[str, Any]]) -> Chart:
    """Wastes by votes, highest first, with the cumulative share as a line."""
    chart = Chart(
        WIDTH, 260, "Waste Pareto", "Wastes by dot votes, highest first; line: cumulative share."
    )
    voted = [waste for waste in wastes if waste.get("votes")]
    total = sum(waste["votes"] for waste in voted)
    if not total:
        return chart
    top, bottom, left = 20.0, 190.0, 40.0
    slot = (WIDTH - left - 20) / len(voted)
    most = max(waste["votes"] for waste in voted)
    points, running = [], 0
    for index, waste in enumerate(voted):
        height = (bottom - top) * waste["votes"] / most
        x = left + index * slot
        chart.bars.append(
            Bar(
                x + 4,
                bottom - height,
                slot - 8,
                height,
                "waste",
                f"{waste['text']}: {waste['votes']} dots",
            )
        )
        chart.labels.append(
            Label(x + slot / 2, bottom - height - 4, str(waste["votes"]), "middle", "value")
        )
        chart.labels.append(
            Label(
                x + slot / 2,
                bottom + 16 + 12 * (index % 2),
                _short(waste["text"], int(slot / 6)),
                "middle",
            )
        )
        running += waste["votes"]
        points.append(f"{x + slot / 2:.1f},{bottom - (bottom - top) * running / total:.1f}")
    chart.polylines.append((" ".join(points), "cumulative"))
    chart.lines.append((left, bottom, WIDTH - 20, bottom, "axis"))
    return chart


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
    chart.labels.append(Label(left, bottom + 18, snapshots[0].day.isoformat()))
    chart.labels.append(Label(right, bottom + 18, snapshots[-1].day.isoformat(), "end"))
    return chart
