"""The Flow page's pure helpers: per-period figures from the payload's done and load lists,
the units printed, and charts that stay empty rather than invent a value."""

from __future__ import annotations

from datetime import date
from typing import Any

from metrics import flow_charts


def payload(**parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "window": {
            "start": "2025-03-01",
            "end": "2025-03-16",
            "as_of": "2025-03-16T12:00:00+00:00",
            "interval": "day",
        },
        "velocity": {
            "total": 0,
            "by_type": dict.fromkeys(flow_charts.FLOW_TYPES, 0),
            "canceled": 0,
        },
        "flow_time": {"count": 0, "mean_days": None}
        | {f"p{p}_days": None for p in flow_charts.PERCENTILES},
        "efficiency": {"portfolio": None, "mean_per_item": None},
        "distribution": {
            "done": dict.fromkeys(flow_charts.FLOW_TYPES),
            "load": dict.fromkeys(flow_charts.FLOW_TYPES),
        },
        "load": [],
        "throughput": [],
        "cfd": {"states": [], "days": [], "counts": {}},
        "aging": [],
        "done": [],
        "littles_law": {"mean_load": 0.0, "velocity_per_day": 0.0, "mean_flow_time_days": None},
        "forecast": {"how_many": None, "when": None, "trials": 10000, "sample_days": 16},
    }
    return base | parts


def done(finished: str, flow_type: str, active: float | None, waiting: float | None) -> dict:
    return {
        "external_id": f"X-{finished}",
        "title": "",
        "flow_type": flow_type,
        "started": None if active is None else "2025-03-01T00:00:00+00:00",
        "finished": finished,
        "flow_time_days": None if active is None else active + (waiting or 0),
        "active_days": active,
        "waiting_days": waiting,
    }


def test_weeks_are_clipped_to_the_window_and_named_by_their_monday() -> None:
    weeks = flow_charts.periods(date(2025, 3, 1), date(2025, 3, 16), "week")
    assert [(week.start, week.end) for week in weeks] == [
        (date(2025, 3, 1), date(2025, 3, 2)),  # Saturday and Sunday of the week of Feb 24
        (date(2025, 3, 3), date(2025, 3, 9)),
        (date(2025, 3, 10), date(2025, 3, 16)),
    ]
    assert weeks[0].name == "week of 24 Feb 2025"
    quarters = flow_charts.periods(date(2024, 11, 15), date(2025, 4, 2), "quarter")
    assert [quarter.name for quarter in quarters] == ["Q4 2024", "Q1 2025", "Q2 2025"]


def test_efficiency_and_types_per_period_come_from_the_done_items_finished_in_it() -> None:
    figures = flow_charts.period_figures(
        payload(
            done=[
                done("2025-03-03T10:00:00+00:00", "feature", 3.0, 1.0),
                done("2025-03-09T23:59:00+00:00", "defect", 1.0, 3.0),
                done("2025-03-10T00:00:00+00:00", "risk", None, None),  # never started
            ],
            load=[{"date": f"2025-03-{day:02d}", "total": day % 3} for day in range(1, 17)],
        ),
        "week",
    )
    first, second, third = figures
    assert first.velocity == 0 and first.efficiency is None
    assert second.done == {"feature": 1, "defect": 1, "risk": 0, "debt": 0}
    assert second.efficiency == 4.0 / 8.0  # the portfolio of the period, not a mean of ratios
    assert second.share("defect") == 0.5
    assert third.velocity == 1 and third.efficiency is None  # no times to weigh
    assert first.mean_load == (1 + 2) / 2


def test_days_and_shares_read_as_people_write_them() -> None:
    assert flow_charts.days_text(None) == "—"
    assert flow_charts.days_text(0.0) == "0 days"
    assert flow_charts.days_text(0.42) == "0.4 days"
    assert flow_charts.days_text(1.0) == "1 day"
    assert flow_charts.days_text(4.5) == "4.5 days"
    assert flow_charts.days_text(12.4) == "12 days"
    assert flow_charts.percent_text(0.755) == "76%"


def test_ages_are_banded_by_the_done_items_percentiles() -> None:
    flow_time = {"p50_days": 2.0, "p70_days": 4.0, "p85_days": 6.0, "p95_days": 9.0}
    assert flow_charts.age_band(1.0, flow_time)[0] == "age-p50"
    assert flow_charts.age_band(5.0, flow_time)[0] == "age-p85"
    assert flow_charts.age_band(9.5, flow_time)[0] == "age-over"
    assert flow_charts.age_band(9.5, dict.fromkeys(flow_time))[0] == "age-unknown"


def test_an_empty_window_draws_no_chart() -> None:
    data = payload(load=[{"date": "2025-03-01", "total": 0, "by_type": {}}])
    charts = flow_charts.page_charts(data, [("Doing", "active")])
    for key in ("distribution", "velocity", "flow_time", "load_velocity", "efficiency"):
        assert not charts[key].has_data, key  # type: ignore[union-attr]
    assert not charts["cfd"].has_data  # type: ignore[union-attr]
    assert not charts["aging"].has_data  # type: ignore[union-attr]
    assert not charts["throughput"].has_data  # type: ignore[union-attr]
