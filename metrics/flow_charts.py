"""The Flow page's figures and SVG charts, computed from the measured-flow payload (see
`metrics.measured.measured_flow`; docs/flow-metrics.md defines every figure).

Pure: no ORM, no clock, no request. Per-period figures (velocity and distribution by type,
efficiency, mean load) are aggregated here from the payload's `done` and `load` lists, so the
page never asks for the figures once per period. Geometry is in SVG user units; templates
draw it (templates/metrics/_flow_chart.html), so every label and title is escaped there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any, cast

FLOW_TYPES: tuple[str, ...] = ("feature", "defect", "risk", "debt")
PERCENTILES: tuple[int, ...] = (50, 70, 85, 95)
WIDTH = 960
LEFT = 60.0  # room for the y axis' tick labels
TOP = 30.0  # room for the y axis' caption
PLOT_HEIGHT = 190.0
BOTTOM = TOP + PLOT_HEIGHT
HEIGHT = BOTTOM + 36  # the date labels under the axis
RIGHT = WIDTH - 24.0
RIGHT_WITH_NOTES = WIDTH - 96.0  # room for "p85 12 days" at the right of reference lines
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Formatting ------------------------------------------------------------------------------------


def days_text(days: float | None) -> str:
    """Calendar days for people: '—', '0.4 days', '1 day', '4.5 days', '12 days'."""
    if days is None or not math.isfinite(days):
        return "—"
    if round(days, 1) == 0:
        return "0 days"
    text = f"{days:.1f}" if days < 10 else f"{days:.0f}"
    if text.endswith(".0") and days >= 1:
        text = text[:-2]
    return f"{text} day" if text == "1" else f"{text} days"


def percent_text(fraction: float | None, digits: int = 0) -> str:
    if fraction is None or not math.isfinite(fraction):
        return "—"
    return f"{fraction * 100:.{digits}f}%"


def day_text(day: date, *, year: bool = True) -> str:
    """'3 Mar 2025' (or '3 Mar')."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def utc_day(moment: str) -> date:
    """The UTC day of an ISO 8601 datetime of the payload."""
    return datetime.fromisoformat(moment).astimezone(UTC).date()


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _short(text: str, limit: int) -> str:
    limit = max(limit, 2)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def item_name(item: dict[str, Any]) -> str:
    """'PROJ-12 Fix the login' (the title cut at 80 characters)."""
    title = _short(item.get("title") or "", 80)
    return f"{item['external_id']} {title}".strip()


# Periods ---------------------------------------------------------------------------------------


def chart_period(interval: str, days: int) -> str:
    """The bucket of the per-period charts: the window's interval, except that a window of
    more than three weeks is drawn per week rather than per day (a daily share of one or two
    finished items says nothing)."""
    if interval != "day":
        return interval
    return "day" if days <= 21 else "week"


def period_start(day: date, period: str) -> date:
    if period == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day


def period_text(start: date, period: str) -> str:
    """How a period is named in titles: '3 Mar 2025', 'week of 3 Mar 2025', 'Mar 2025',
    'Q1 2025'."""
    if period == "week":
        return f"week of {day_text(start)}"
    if period == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return day_text(start)


@dataclass
class Period:
    """One period of the window (clipped to it) and what happened in it."""

    start: date  # the period's first day inside the window
    end: date  # its last day inside the window
    name: str
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLOW_TYPES, 0))
    timed: int = 0  # done items with a start (and so active and waiting times)
    active_days: float = 0.0
    waiting_days: float = 0.0
    load_days: int = 0
    load_sum: int = 0

    @property
    def velocity(self) -> int:
        return sum(self.done.values())

    @property
    def efficiency(self) -> float | None:
        """Active share of the flow time of the items done in the period (the portfolio
        efficiency of just those items); None when none of them has times."""
        touched = self.active_days + self.waiting_days
        return self.active_days / touched if touched > 0 else None

    @property
    def mean_load(self) -> float | None:
        return self.load_sum / self.load_days if self.load_days else None

    def share(self, flow_type: str) -> float | None:
        return self.done[flow_type] / self.velocity if self.velocity else None


def periods(start: date, end: date, period: str) -> list[Period]:
    """The periods overlapping start..end, in order, each clipped to the window."""
    result: list[Period] = []
    day = start
    while day <= end:
        first = period_start(day, period)
        if period == "day":
            following = first + timedelta(days=1)
        elif period == "week":
            following = first + timedelta(days=7)
        else:
            months = 1 if period == "month" else 3
            month = first.month - 1 + months
            following = date(first.year + month // 12, month % 12 + 1, 1)
        last = min(end, following - timedelta(days=1))
        result.append(Period(start=day, end=last, name=period_text(first, period)))
        day = last + timedelta(days=1)
    return result


def period_figures(payload: dict[str, Any], period: str) -> list[Period]:
    """Velocity by type, efficiency and mean load per period, from the payload's `done`
    (by each item's finish day) and `load` (by day)."""
    window = payload["window"]
    start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
    result = periods(start, end, period)
    index_of: dict[date, int] = {}
    for index, bucket in enumerate(result):
        day = bucket.start
        while day <= bucket.end:
            index_of[day] = index
            day += timedelta(days=1)
    for item in payload["done"]:
        done_index = index_of.get(utc_day(item["finished"]))
        if done_index is None:
            continue
        bucket = result[done_index]
        bucket.done[item["flow_type"]] += 1
        if item.get("active_days") is not None and item.get("waiting_days") is not None:
            bucket.timed += 1
            bucket.active_days += item["active_days"]
            bucket.waiting_days += item["waiting_days"]
    for row in payload["load"]:
        load_index = index_of.get(date.fromisoformat(row["date"]))
        if load_index is not None:
            result[load_index].load_days += 1
            result[load_index].load_sum += row["total"]
    return result


# Geometry --------------------------------------------------------------------------------------


@dataclass
class Mark:
    """One SVG element: rect (x, y, width, height), circle (x, y, r), line (x, y, x2, y2),
    polyline or polygon (points). `title` is its hover text."""

    kind: str
    css: str
    title: str = ""
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    r: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    points: str = ""


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""
    title: str = ""


@dataclass
class LegendEntry:
    css: str
    text: str


@dataclass
class FlowChart:
    key: str  # the figure's id on the page: chart-<key>
    title: str
    definition: str  # what the chart shows, in words
    empty_text: str
    width: float = WIDTH
    height: float = HEIGHT
    marks: list[Mark] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    has_data: bool = False

    def rect(self, x: float, y: float, width: float, height: float, css: str, title: str) -> None:
        self.marks.append(
            Mark("rect", css, title, x=_r(x), y=_r(y), width=_r(width), height=_r(height))
        )

    def circle(self, x: float, y: float, r: float, css: str, title: str) -> None:
        self.marks.append(Mark("circle", css, title, x=_r(x), y=_r(y), r=r))

    def line(self, x: float, y: float, x2: float, y2: float, css: str, title: str = "") -> None:
        self.marks.append(Mark("line", css, title, x=_r(x), y=_r(y), x2=_r(x2), y2=_r(y2)))

    def polyline(self, points: Sequence[tuple[float, float]], css: str, title: str = "") -> None:
        self.marks.append(Mark("polyline", css, title, points=_points(points)))

    def polygon(self, points: Sequence[tuple[float, float]], css: str, title: str = "") -> None:
        self.marks.append(Mark("polygon", css, title, points=_points(points)))

    def text(self, x: float, y: float, text: str, anchor: str = "start", css: str = "") -> None:
        self.texts.append(Text(_r(x), _r(y), text, anchor, css))


def _r(value: float) -> float:
    return round(value, 1)


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def nice_step(maximum: float, ticks: int = 4, *, whole: bool = False) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` ticks up to
    `maximum`; at least 1 for whole numbers."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)
    return max(step, 1.0) if whole else step


def _number_text(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


@dataclass
class YScale:
    top: float  # the value at the top of the plot (a whole number of steps)
    step: float

    def y(self, value: float) -> float:
        return BOTTOM - PLOT_HEIGHT * (value / self.top if self.top else 0.0)


def _y_axis(
    chart: FlowChart,
    maximum: float,
    caption: str,
    right: float,
    *,
    whole: bool = False,
    percent: bool = False,
) -> YScale:
    """Horizontal grid lines with their values at the left, and the unit above them."""
    if percent:
        scale = YScale(1.0, 0.25)
    else:
        step = nice_step(maximum, whole=whole)
        scale = YScale(max(step, math.ceil(maximum / step - 1e-9) * step), step)
    ticks = round(scale.top / scale.step)
    for tick in range(ticks + 1):
        value = tick * scale.step
        y = scale.y(value)
        chart.line(LEFT, y, right, y, "grid" if tick else "axis")
        label = f"{value * 100:.0f}%" if percent else _number_text(value)
        chart.text(LEFT - 6, y + 4, label, "end", "tick")
    chart.text(4, TOP - 14, caption, "start", "unit")
    return scale


@dataclass
class TimeAxis:
    """Days of the window left to right: day d spans x(d)..x(d + 1 day)."""

    start: date
    days: int
    right: float

    @property
    def day_width(self) -> float:
        return (self.right - LEFT) / max(self.days, 1)

    def x(self, day: date) -> float:
        return LEFT + (day - self.start).days * self.day_width

    def center(self, day: date) -> float:
        return self.x(day) + self.day_width / 2

    def at(self, moment: str) -> float:
        """x of an ISO datetime, within its day."""
        instant = datetime.fromisoformat(moment).astimezone(UTC)
        since = instant - datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return LEFT + since / timedelta(days=1) * self.day_width

    def draw(self, chart: FlowChart) -> None:
        """About seven date labels under the axis; the first names the year."""
        step = max(1, math.ceil(self.days / 7))
        if step > 5:
            step = 7 * math.ceil(step / 7)  # whole weeks read better
        offsets = list(range(0, self.days, step))
        for number, offset in enumerate(offsets):
            day = self.start + timedelta(days=offset)
            x = self.center(day) if step == 1 else self.x(day)
            chart.line(x, BOTTOM, x, BOTTOM + 4, "axis")
            chart.text(
                x,
                BOTTOM + 18,
                day_text(day, year=number == 0),
                "start" if not number else "middle",
                "tick",
            )
        end = self.start + timedelta(days=self.days - 1)
        if len(offsets) > 1 and (end - (self.start + timedelta(days=offsets[-1]))).days >= step / 2:
            chart.text(self.right, BOTTOM + 32, f"to {day_text(end)}", "end", "tick")
        elif len(offsets) == 1:
            chart.text(self.right, BOTTOM + 18, f"to {day_text(end)}", "end", "tick")


def _window(payload: dict[str, Any]) -> tuple[date, date, int]:
    start = date.fromisoformat(payload["window"]["start"])
    end = date.fromisoformat(payload["window"]["end"])
    return start, end, (end - start).days + 1


def _type_legend() -> list[LegendEntry]:
    return [LegendEntry(f"t-{flow_type}", flow_type) for flow_type in FLOW_TYPES]


# Charts ----------------------------------------------------------------------------------------


def distribution_chart(payload: dict[str, Any], buckets: list[Period], period: str) -> FlowChart:
    """Each flow type's share of the items done per period, stacked to 100 %."""
    chart = FlowChart(
        "distribution",
        "Distribution over time",
        f"Share of each flow type among the items finished per {period}, stacked to 100%. "
        "A shift towards defects or away from risk and debt shows where the capacity goes.",
        "No item finished in this window, so there is nothing to share out.",
        legend=_type_legend(),
    )
    start, _, days = _window(payload)
    axis = TimeAxis(start, days, RIGHT)
    scale = _y_axis(chart, 1.0, "share of finished items", RIGHT, percent=True)
    for bucket in buckets:
        if not bucket.velocity:
            continue
        chart.has_data = True
        x = axis.x(bucket.start) + 1
        width = max(axis.x(bucket.end + timedelta(days=1)) - 1 - x, 1.0)
        below = 0.0
        for flow_type in FLOW_TYPES:
            share = bucket.share(flow_type) or 0.0
            if share <= 0:
                continue
            top, bottom = scale.y(below + share), scale.y(below)
            chart.rect(
                x,
                top,
                width,
                bottom - top,
                f"t-{flow_type}",
                f"{bucket.name}: {flow_type} {percent_text(share)} "
                f"({bucket.done[flow_type]} of {_plural(bucket.velocity, 'finished item')})",
            )
            below += share
    axis.draw(chart)
    return chart


def velocity_chart(payload: dict[str, Any], buckets: list[Period], period: str) -> FlowChart:
    """Items done per period, stacked by flow type."""
    chart = FlowChart(
        "velocity",
        "Velocity by type",
        f"Items finished per {period} (their last entry into a done state), by flow type.",
        "No item finished in this window.",
        legend=_type_legend(),
    )
    start, _, days = _window(payload)
    axis = TimeAxis(start, days, RIGHT)
    highest = max((bucket.velocity for bucket in buckets), default=0)
    scale = _y_axis(chart, max(highest, 1), f"items finished per {period}", RIGHT, whole=True)
    for bucket in buckets:
        if not bucket.velocity:
            continue
        chart.has_data = True
        x = axis.x(bucket.start) + 1
        width = max(axis.x(bucket.end + timedelta(days=1)) - 1 - x, 1.0)
        below = 0
        for flow_type in FLOW_TYPES:
            count = bucket.done[flow_type]
            if not count:
                continue
            top, bottom = scale.y(below + count), scale.y(below)
            chart.rect(
                x,
                top,
                width,
                bottom - top,
                f"t-{flow_type}",
                f"{bucket.name}: {_plural(count, flow_type)} finished",
            )
            below += count
        if width >= 14:
            chart.text(x + width / 2, scale.y(below) - 4, str(below), "middle", "value")
    axis.draw(chart)
    return chart


def flow_time_chart(payload: dict[str, Any]) -> FlowChart:
    """Each done item at its finish and its flow time, with the percentile lines."""
    flow_time = payload["flow_time"]
    timed = [item for item in payload["done"] if item.get("flow_time_days") is not None]
    untimed = len(payload["done"]) - len(timed)
    definition = (
        "Each finished item at its finish date and its flow time (first entry into waiting or "
        "active to its last entry into done, calendar days). Lines: 50%, 70%, 85% and 95% of "
        "the items finished within that many days."
    )
    if untimed:
        definition += (
            f" {_plural(untimed, 'item')} finished without ever being waiting or active "
            "and are left out."
        )
    chart = FlowChart(
        "flow-time",
        "Flow time scatter",
        definition,
        "No finished item has a flow time yet: it needs a state mapped to waiting or "
        "active before done.",
        legend=_type_legend(),
    )
    if not timed:
        return chart
    chart.has_data = True
    start, _, days = _window(payload)
    axis = TimeAxis(start, days, RIGHT_WITH_NOTES)
    highest = max(item["flow_time_days"] for item in timed)
    scale = _y_axis(chart, max(highest, 1.0) * 1.05, "flow time (days)", RIGHT_WITH_NOTES)
    _percentile_lines(chart, scale, flow_time, "of finished items took at most")
    for item in timed:
        value = item["flow_time_days"]
        chart.circle(
            axis.at(item["finished"]),
            scale.y(value),
            4.5,
            f"dot t-{item['flow_type']}",
            f"{item_name(item)}: {days_text(value)} ({item['flow_type']}), finished "
            f"{day_text(utc_day(item['finished']))}",
        )
    axis.draw(chart)
    return chart


def _percentile_lines(
    chart: FlowChart, scale: YScale, flow_time: dict[str, Any], meaning: str
) -> None:
    placed: list[float] = []
    for percentile in PERCENTILES:
        value = flow_time.get(f"p{percentile}_days")
        if value is None:
            continue
        y = scale.y(value)
        title = f"p{percentile}: {percentile}% {meaning} {days_text(value)}"
        chart.line(LEFT, y, RIGHT_WITH_NOTES, y, f"percentile p{percentile}", title)
        # Labels of close percentiles would overlap: nudge each one clear of the last.
        label_y = y + 4
        if placed and placed[-1] - label_y < 12:
            label_y = placed[-1] - 12
        placed.append(label_y)
        chart.text(
            RIGHT_WITH_NOTES + 6, label_y, f"p{percentile} {days_text(value)}", "start", "note"
        )


def load_velocity_chart(payload: dict[str, Any], buckets: list[Period], period: str) -> FlowChart:
    """Daily load (line) against the items finished per period (bars)."""
    chart = FlowChart(
        "load-velocity",
        "Load against velocity",
        f"Line: load, the items in a waiting or active state at the end of each day. Bars: "
        f"velocity, the items finished per {period}. Load rising while velocity stays flat "
        "means work is started faster than it is finished.",
        "No item was in progress or finished in this window.",
        legend=[
            LegendEntry("load-line", "load (items in progress)"),
            LegendEntry("velocity-bar", f"velocity (items finished per {period})"),
        ],
    )
    start, _, days = _window(payload)
    axis = TimeAxis(start, days, RIGHT)
    load = payload["load"]
    highest = max(
        max((row["total"] for row in load), default=0),
        max((bucket.velocity for bucket in buckets), default=0),
    )
    if not highest:
        return chart
    chart.has_data = True
    scale = _y_axis(chart, highest, "items", RIGHT, whole=True)
    for bucket in buckets:
        if not bucket.velocity:
            continue
        x = axis.x(bucket.start) + 1
        width = max(axis.x(bucket.end + timedelta(days=1)) - 1 - x, 1.0)
        chart.rect(
            x,
            scale.y(bucket.velocity),
            width,
            BOTTOM - scale.y(bucket.velocity),
            "velocity-bar",
            f"{bucket.name}: {_plural(bucket.velocity, 'item')} finished; mean load "
            f"{bucket.mean_load or 0:.1f} items",
        )
    points = [(axis.center(date.fromisoformat(row["date"])), scale.y(row["total"])) for row in load]
    chart.polyline(points, "load-line")
    for row, (x, _) in zip(load, points, strict=True):
        # A wide invisible target per day carries the hover text of the line.
        chart.rect(
            x - axis.day_width / 2,
            TOP,
            axis.day_width,
            PLOT_HEIGHT,
            "hover-target",
            f"{day_text(date.fromisoformat(row['date']))}: load {_plural(row['total'], 'item')}",
        )
    axis.draw(chart)
    return chart


def efficiency_chart(payload: dict[str, Any], buckets: list[Period], period: str) -> FlowChart:
    """The efficiency of the items done in each period; the window's as a dashed line."""
    chart = FlowChart(
        "efficiency",
        "Efficiency trend",
        f"Of the items finished in each {period}, the share of their flow time spent in "
        "active states (active ÷ (active + waiting)). Dashed: the whole window.",
        "No finished item has active or waiting time yet: map the states below.",
    )
    start, _, days = _window(payload)
    axis = TimeAxis(start, days, RIGHT_WITH_NOTES)
    values = [(bucket, bucket.efficiency) for bucket in buckets]
    if all(value is None for _, value in values):
        return chart
    chart.has_data = True
    scale = _y_axis(chart, 1.0, "active share of flow time", RIGHT_WITH_NOTES, percent=True)
    portfolio = payload["efficiency"]["portfolio"]
    if portfolio is not None:
        y = scale.y(portfolio)
        chart.line(
            LEFT,
            y,
            RIGHT_WITH_NOTES,
            y,
            "window-line",
            f"The whole window: {percent_text(portfolio)}",
        )
        chart.text(
            RIGHT_WITH_NOTES + 6, y + 4, f"window {percent_text(portfolio)}", "start", "note"
        )
    run: list[tuple[float, float]] = []
    for bucket, value in values:
        if value is None:  # nothing finished: break the line rather than invent a value
            if len(run) > 1:
                chart.polyline(run, "trend-line")
            run = []
            continue
        x = (axis.x(bucket.start) + axis.x(bucket.end + timedelta(days=1))) / 2
        run.append((x, scale.y(value)))
        chart.circle(
            x,
            scale.y(value),
            4,
            "trend-dot",
            f"{bucket.name}: {percent_text(value)} active "
            f"({_plural(bucket.timed, 'finished item')})",
        )
    if len(run) > 1:
        chart.polyline(run, "trend-line")
    axis.draw(chart)
    return chart


def cfd_chart(payload: dict[str, Any], flow_state_of: dict[str, str]) -> FlowChart:
    """Cumulative flow: per day and state (workflow order), the items in it or a later one,
    drawn as bands with the last state at the bottom."""
    cfd = payload["cfd"]
    states: list[str] = cfd["states"]
    chart = FlowChart(
        "cfd",
        "Cumulative flow diagram",
        "Per day, how many items had reached each state or a later one (workflow order, the "
        "first state on top). A band's height is the items in that state; its width, "
        "roughly the time they spend there. A widening band is a queue.",
        "No state history in this window yet.",
    )
    counts = cfd["counts"]
    highest = max((max(counts[name], default=0) for name in states), default=0)
    if not states or not cfd["days"] or not highest:
        return chart
    chart.has_data = True
    days = [date.fromisoformat(day) for day in cfd["days"]]
    axis = TimeAxis(days[0], len(days), RIGHT_WITH_NOTES)
    scale = _y_axis(chart, highest, "items (cumulative)", RIGHT_WITH_NOTES, whole=True)
    xs = [axis.center(day) for day in days]
    xs[0], xs[-1] = axis.x(days[0]), axis.x(days[-1]) + axis.day_width
    shades: dict[str, int] = {}
    placed: list[float] = []
    for index in range(len(states) - 1, -1, -1):  # bottom (the last state) first
        name = states[index]
        upper = counts[name]
        lower = counts[states[index + 1]] if index + 1 < len(states) else [0] * len(days)
        flow_state = flow_state_of.get(name, "new")
        shade = shades.get(flow_state, 0)
        shades[flow_state] = shade + 1
        css = f"fs-{flow_state} shade-{shade % 3}"
        inside = upper[-1] - lower[-1]
        top = [(x, scale.y(value)) for x, value in zip(xs, upper, strict=True)]
        bottom = [(x, scale.y(value)) for x, value in zip(xs, lower, strict=True)]
        chart.polygon(
            top + bottom[::-1],
            css,
            f"{name} ({flow_state}): {_plural(inside, 'item')} in it on "
            f"{day_text(days[-1])}, {_plural(upper[-1], 'item')} reached it or a later state",
        )
        chart.legend.insert(0, LegendEntry(css, f"{name} ({flow_state})"))
        middle = (scale.y(upper[-1]) + scale.y(lower[-1])) / 2 + 4
        if scale.y(lower[-1]) - scale.y(upper[-1]) >= 11 and (
            not placed or placed[-1] - middle >= 12
        ):
            placed.append(middle)
            chart.text(RIGHT_WITH_NOTES + 6, middle, _short(name, 14), "start", "note")
    axis.draw(chart)
    return chart


AGE_BANDS: tuple[tuple[str, str], ...] = (
    ("age-p50", "younger than p50"),
    ("age-p70", "p50 to p70"),
    ("age-p85", "p70 to p85"),
    ("age-p95", "p85 to p95"),
    ("age-over", "older than p95"),
)


def age_band(age: float, flow_time: dict[str, Any]) -> tuple[str, str]:
    """(css, words) of an age against the done items' flow-time percentiles."""
    thresholds = [flow_time.get(f"p{percentile}_days") for percentile in PERCENTILES]
    if any(value is None for value in thresholds):
        return "age-unknown", "no finished items to compare with"
    # None was ruled out above, which mypy cannot follow through any().
    known = cast(list[float], thresholds)
    for (css, _), percentile, threshold in zip(AGE_BANDS, PERCENTILES, known, strict=False):
        if age <= threshold:
            return css, f"younger than {percentile}% of the finished items' flow times"
    return "age-over", "older than 95% of the finished items' flow times"


def aging_chart(payload: dict[str, Any], states: list[tuple[str, str]]) -> FlowChart:
    """Work in progress by current state (columns in workflow order) and age (height),
    coloured by the age against the done items' flow-time percentiles."""
    flow_time = payload["flow_time"]
    chart = FlowChart(
        "aging",
        "Aging work in progress",
        "Each item in progress now (waiting or active) in its current state, at its age: the "
        "time since it first entered waiting or active. Colours compare the age with the flow "
        "times of the items finished in the window: an item past p85 is older than 85% of "
        "them and is the first to look at.",
        "Nothing is in progress now.",
    )
    aging = payload["aging"]
    if not aging:
        return chart
    chart.has_data = True
    columns = [name for name, flow_state in states if flow_state in ("waiting", "active")]
    flow_state_of = dict(states)
    for item in aging:
        if item["state"] not in columns:
            columns.append(item["state"])
    highest = max(item["age_days"] for item in aging)
    p95 = flow_time.get("p95_days") or 0.0
    scale = _y_axis(chart, max(highest, p95, 1.0) * 1.05, "age (days)", RIGHT_WITH_NOTES)
    known = flow_time.get("p50_days") is not None
    if known:
        chart.legend = [LegendEntry(css, text) for css, text in AGE_BANDS]
        below = 0.0
        for (css, text), percentile in zip(AGE_BANDS, (*PERCENTILES, None), strict=True):
            value = flow_time[f"p{percentile}_days"] if percentile else scale.top
            value = min(max(value, below), scale.top)
            if value > below:
                chart.rect(
                    LEFT,
                    scale.y(value),
                    RIGHT_WITH_NOTES - LEFT,
                    scale.y(below) - scale.y(value),
                    f"band {css}",
                    f"Ages {days_text(below)} to {days_text(value)}: {text} of the finished "
                    "items' flow times",
                )
            below = value
        _percentile_lines(chart, scale, flow_time, "of finished items took at most")
    else:
        chart.legend = [LegendEntry("age-unknown", "no finished items to compare with")]
    slot = (RIGHT_WITH_NOTES - LEFT) / len(columns)
    by_state: dict[str, list[dict[str, Any]]] = {name: [] for name in columns}
    for item in aging:
        by_state[item["state"]].append(item)
    for column, name in enumerate(columns):
        center = LEFT + slot * (column + 0.5)
        if column:
            chart.line(LEFT + slot * column, TOP, LEFT + slot * column, BOTTOM, "column")
        items = by_state[name]
        # Side by side within the column, so items of the same age stay apart.
        spread = min(slot * 0.7, 12.0 * max(len(items) - 1, 0))
        for position, item in enumerate(items):
            offset = spread * (position / (len(items) - 1) - 0.5) if len(items) > 1 else 0.0
            css, words = age_band(item["age_days"], flow_time)
            chart.circle(
                center + offset,
                scale.y(item["age_days"]),
                5,
                f"dot {css}",
                f"{item_name(item)}: {days_text(item['age_days'])} old, in {name} "
                f"({item['flow_type']}); {words}",
            )
        state_words = flow_state_of.get(name, "")
        chart.text(center, BOTTOM + 16, _short(name, int(slot / 7)), "middle", "tick")
        chart.text(
            center,
            BOTTOM + 30,
            f"{state_words} · {len(items)}" if state_words else str(len(items)),
            "middle",
            "unit",
        )
    return chart


def throughput_chart(payload: dict[str, Any]) -> FlowChart:
    """Items done per interval as a run chart, with the median."""
    interval = payload["window"]["interval"]
    rows = payload["throughput"]
    chart = FlowChart(
        "throughput",
        "Throughput run chart",
        f"Items finished per {interval}, in order; dashed: the median. Six or more points in a "
        "row on one side of the median signal a real shift, not noise.",
        "No item finished in this window.",
    )
    if not rows or not any(row["count"] for row in rows):
        return chart
    chart.has_data = True
    start, _, days = _window(payload)
    axis = TimeAxis(start, days, RIGHT_WITH_NOTES)
    counts = [row["count"] for row in rows]
    scale = _y_axis(
        chart, max(counts), f"items finished per {interval}", RIGHT_WITH_NOTES, whole=True
    )
    middle = float(median(counts))
    y = scale.y(middle)
    chart.line(LEFT, y, RIGHT_WITH_NOTES, y, "median", f"Median: {middle:g} per {interval}")
    chart.text(RIGHT_WITH_NOTES + 6, y + 4, f"median {middle:g}", "start", "note")
    points = []
    for index, row in enumerate(rows):
        first = date.fromisoformat(row["date"])
        following = date.fromisoformat(rows[index + 1]["date"]) if index + 1 < len(rows) else None
        last = following - timedelta(days=1) if following else start + timedelta(days=days - 1)
        x = (axis.x(first) + axis.x(last + timedelta(days=1))) / 2
        points.append((x, scale.y(row["count"])))
        name = period_text(period_start(first, interval), interval)
        chart.circle(
            x,
            scale.y(row["count"]),
            3.5,
            "run-dot",
            f"{name}: {_plural(row['count'], 'item')} finished",
        )
    chart.marks.insert(0, Mark("polyline", "run-line", points=_points(points)))
    axis.draw(chart)
    return chart


# Headline --------------------------------------------------------------------------------------


def headline(payload: dict[str, Any]) -> dict[str, Any]:
    """The five Flow Framework figures of the window, as the page prints them."""
    _, end, days = _window(payload)
    velocity, flow_time = payload["velocity"], payload["flow_time"]
    load = payload["load"]
    distribution = payload["distribution"]
    return {
        "days": days,
        "velocity": velocity["total"],
        "velocity_per_week": velocity["total"] / days * 7,
        "canceled": velocity["canceled"],
        "velocity_by_type": [(name, velocity["by_type"][name]) for name in FLOW_TYPES],
        "flow_time_p50": days_text(flow_time["p50_days"]),
        "flow_time_p85": days_text(flow_time["p85_days"]),
        "flow_time_mean": days_text(flow_time["mean_days"]),
        "flow_time_count": flow_time["count"],
        "load_end": load[-1]["total"] if load else 0,
        "load_mean": payload["littles_law"]["mean_load"],
        "load_now": len(payload["aging"]),
        "end": end,
        "as_of": datetime.fromisoformat(payload["window"]["as_of"])
        .astimezone(UTC)
        .strftime("%Y-%m-%d %H:%M"),
        "trials": f"{payload['forecast']['trials']:,}",
        "efficiency": percent_text(payload["efficiency"]["portfolio"]),
        "efficiency_per_item": percent_text(payload["efficiency"]["mean_per_item"]),
        "distribution_done": [
            (name, distribution["done"][name], percent_text(distribution["done"][name]))
            for name in FLOW_TYPES
        ],
        "distribution_load": [
            (name, distribution["load"][name], percent_text(distribution["load"][name]))
            for name in FLOW_TYPES
        ],
        "share_bar": share_bar(distribution["done"]),
    }


def share_bar(shares: dict[str, float | None]) -> list[tuple[str, float, float, str]]:
    """(flow type, x, width, share in words) of each segment of a 100-wide bar of `shares`,
    in FLOW_TYPES order, leaving out empty ones: drawn as SVG rectangles, so the page needs
    no inline style (the CSP's style-src has no 'unsafe-inline')."""
    segments, x = [], 0.0
    for name in FLOW_TYPES:
        width = (shares[name] or 0) * 100  # None: nothing finished in the window
        if width > 0:
            segments.append((name, round(x, 3), round(width, 3), percent_text(shares[name])))
            x += width
    return segments


def hints(
    *, items: int, transitions: int, states: list[tuple[str, str]], payload: dict[str, Any]
) -> list[str]:
    """What the page lacks to show every figure, in the order to fix it (the keys of the
    page's hints): no items; no state history; no state mapped to waiting or active (or to
    one of them); none to done; nothing in this window."""
    if not items:
        return ["no-items"]
    if not transitions:
        return ["no-history"]
    mapped = {flow_state for _, flow_state in states}
    result = []
    if not mapped & {"waiting", "active"}:
        result.append("no-progress-state")
    elif "active" not in mapped:
        result.append("no-active-state")
    elif "waiting" not in mapped:
        result.append("no-waiting-state")
    if "done" not in mapped:
        result.append("no-done-state")
    # Aging is taken at as_of whatever the window, so it says nothing about the window.
    quiet = (
        not payload["done"]
        and not payload["velocity"]["canceled"]
        and not any(row["total"] for row in payload["load"])
    )
    if quiet:
        result.append("quiet-window")
    return result


def page_charts(
    payload: dict[str, Any], states: list[tuple[str, str]]
) -> dict[str, FlowChart | str | list[Period]]:
    """Every chart of the page. `states`: (name, flow state) in workflow order."""
    _, _, days = _window(payload)
    period = chart_period(payload["window"]["interval"], days)
    buckets = period_figures(payload, period)
    return {
        "period": period,
        "periods": buckets,
        "distribution": distribution_chart(payload, buckets, period),
        "velocity": velocity_chart(payload, buckets, period),
        "flow_time": flow_time_chart(payload),
        "load_velocity": load_velocity_chart(payload, buckets, period),
        "efficiency": efficiency_chart(payload, buckets, period),
        "cfd": cfd_chart(payload, dict(states)),
        "aging": aging_chart(payload, states),
        "throughput": throughput_chart(payload),
    }


# CSV -------------------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 3) -> float | str:
    return "" if value is None else round(value, digits)


def _percent(value: float | None) -> float | str:
    return "" if value is None else round(value * 100, 1)


def csv_sections(payload: dict[str, Any]) -> list[list[list[Any]]]:
    """The figures of the page as CSV sections: each a header row, then rows, the first
    column naming the section. Values are plain (numbers, ISO dates); user text is left as
    it is, for the writer to defuse."""
    window, velocity = payload["window"], payload["velocity"]
    flow_time, efficiency = payload["flow_time"], payload["efficiency"]
    littles, forecast = payload["littles_law"], payload["forecast"]
    _, _, days = _window(payload)
    figures: list[list[Any]] = [
        ["figures", "window start", window["start"], "date", "first UTC day of the window"],
        ["figures", "window end", window["end"], "date", "last UTC day of the window"],
        ["figures", "as of", window["as_of"], "datetime", "the instant the figures are taken at"],
        ["figures", "interval", window["interval"], "", "the throughput's bucket"],
        ["figures", "velocity", velocity["total"], "items", "finished in the window"],
        *(
            ["figures", f"velocity {name}", velocity["by_type"][name], "items", ""]
            for name in FLOW_TYPES
        ),
        ["figures", "velocity per week", round(velocity["total"] / days * 7, 2), "items/week", ""],
        ["figures", "canceled", velocity["canceled"], "items", "canceled in the window"],
        ["figures", "flow time count", flow_time["count"], "items", "finished items with a start"],
        ["figures", "flow time mean", _round(flow_time["mean_days"]), "days", ""],
        *(
            [
                "figures",
                f"flow time p{percentile}",
                _round(flow_time[f"p{percentile}_days"]),
                "days",
                f"{percentile}% of finished items took at most this",
            ]
            for percentile in PERCENTILES
        ),
        [
            "figures",
            "load at window end",
            payload["load"][-1]["total"] if payload["load"] else 0,
            "items",
            "waiting or active at the end of the last day",
        ],
        ["figures", "load mean", _round(littles["mean_load"]), "items", "mean over the days"],
        ["figures", "load now", len(payload["aging"]), "items", "waiting or active at as of"],
        [
            "figures",
            "efficiency",
            _percent(efficiency["portfolio"]),
            "%",
            "active / (active + waiting) time of the finished items",
        ],
        [
            "figures",
            "efficiency mean per item",
            _percent(efficiency["mean_per_item"]),
            "%",
            "the mean of each finished item's ratio",
        ],
        *(
            [
                "figures",
                f"distribution {part} {name}",
                _percent(payload["distribution"][part][name]),
                "%",
                "share of finished items" if part == "done" else "share of the load now",
            ]
            for part in ("done", "load")
            for name in FLOW_TYPES
        ),
        ["figures", "little's law mean load", _round(littles["mean_load"]), "items", ""],
        ["figures", "little's law velocity", _round(littles["velocity_per_day"]), "items/day", ""],
        [
            "figures",
            "little's law mean flow time",
            _round(littles["mean_flow_time_days"]),
            "days",
            "",
        ],
        [
            "figures",
            "little's law agrees",
            {True: "yes", False: "no", None: ""}[littles["agrees"]],
            "",
            "mean load within 25% of velocity x mean flow time",
        ],
    ]
    how_many, when = forecast["how_many"], forecast["when"]
    if how_many:
        figures += [
            [
                "figures",
                f"forecast items in {how_many['days']} days p{confidence}",
                how_many[f"p{confidence}"],
                "items",
                f"at least this many in {confidence}% of {forecast['trials']} runs",
            ]
            for confidence in (50, 85, 95)
        ]
    if when:
        figures += [
            [
                "figures",
                f"forecast days to finish {when['items']} items p{confidence}",
                "" if when[f"p{confidence}_days"] is None else when[f"p{confidence}_days"],
                "days",
                f"within this many in {confidence}% of {forecast['trials']} runs",
            ]
            for confidence in (50, 85, 95)
        ]
    period = chart_period(window["interval"], days)
    per_period = [
        [
            "periods",
            bucket.start.isoformat(),
            bucket.end.isoformat(),
            *(bucket.done[name] for name in FLOW_TYPES),
            _percent(bucket.efficiency),
            _round(bucket.mean_load),
        ]
        for bucket in period_figures(payload, period)
    ]
    cfd = payload["cfd"]
    return [
        [["section", "figure", "value", "unit", "meaning"], *figures],
        [["section", "interval start", "items finished"]]
        + [["throughput", row["date"], row["count"]] for row in payload["throughput"]],
        [
            [
                "section",
                f"{period} start",
                f"{period} end",
                *(f"finished {name}" for name in FLOW_TYPES),
                "efficiency %",
                "mean load",
            ],
            *per_period,
        ],
        [["section", "date", "load", *FLOW_TYPES]]
        + [
            ["load", row["date"], row["total"], *(row["by_type"][name] for name in FLOW_TYPES)]
            for row in payload["load"]
        ],
        [["section", "date", *cfd["states"]]]
        + [
            ["cfd", day, *(cfd["counts"][name][index] for name in cfd["states"])]
            for index, day in enumerate(cfd["days"])
        ],
        [
            [
                "section",
                "item",
                "title",
                "flow type",
                "started",
                "finished",
                "flow time days",
                "active days",
                "waiting days",
            ]
        ]
        + [
            [
                "done",
                item["external_id"],
                item["title"],
                item["flow_type"],
                item["started"] or "",
                item["finished"],
                _round(item["flow_time_days"]),
                _round(item["active_days"]),
                _round(item["waiting_days"]),
            ]
            for item in payload["done"]
        ],
        [["section", "item", "title", "state", "flow type", "age days"]]
        + [
            [
                "aging",
                item["external_id"],
                item["title"],
                item["state"],
                item["flow_type"],
                _round(item["age_days"]),
            ]
            for item in payload["aging"]
        ],
    ]
