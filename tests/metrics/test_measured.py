"""Unit tests for measured flow (metrics.measured) on hand-computed histories.

Most histories run in March 2024 with whole-day transitions, so the figures are easy to
count by hand; the examples in docs/flow-metrics.md use the same ones.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from metrics.measured import FLOW_TYPES, History, StateFacts, measured_flow

STATES = (
    StateFacts("Backlog", 0, "new"),
    StateFacts("Ready", 1, "waiting"),
    StateFacts("Doing", 2, "active"),
    StateFacts("Review", 3, "waiting"),
    StateFacts("Resolved", 4, "done"),
    StateFacts("Closed", 5, "done"),
    StateFacts("Canceled", 6, "canceled"),
    StateFacts("Parked", 7, "ignore"),
)
BACKLOG, READY, DOING, REVIEW, RESOLVED, CLOSED, CANCELED, PARKED = range(len(STATES))
WORKFLOW = ["Backlog", "Ready", "Doing", "Review", "Resolved", "Closed", "Canceled"]

Moves = list[tuple[int, datetime]]


def at(day: int, hour: int = 0, minute: int = 0, *, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


END_OF_MARCH = at(31, 12)


def history(*items: tuple[str, str, Moves]) -> History:
    """Items (external_id, flow_type, [(state, when)]); titles are "Title <external_id>"."""
    return History.from_rows(
        items=[
            (external_id, f"Title {external_id}", flow_type) for external_id, flow_type, _ in items
        ],
        states=STATES,
        transitions=[
            (index, state, moment)
            for index, (_, _, moves) in enumerate(items)
            for state, moment in moves
        ],
    )


def flow(
    work: History,
    *,
    start: date = date(2024, 3, 1),
    end: date = date(2024, 3, 31),
    as_of: datetime = END_OF_MARCH,
    **options: Any,
) -> dict[str, Any]:
    return measured_flow(work, start=start, end=end, as_of=as_of, **options)


def load_totals(payload: dict[str, Any]) -> list[int]:
    return [day["total"] for day in payload["load"]]


def by_type(**counts: int) -> dict[str, int]:
    return {flow_type: counts.get(flow_type, 0) for flow_type in FLOW_TYPES}


# --- flow time, active and waiting time --------------------------------------------------


def test_flow_time_runs_from_the_first_start_to_the_done_entry():
    work = history(
        (
            "A-1",
            "feature",
            [(BACKLOG, at(1, 9)), (READY, at(2)), (DOING, at(3, 12)), (RESOLVED, at(6))],
        )
    )

    payload = flow(work)

    assert payload["done"] == [
        {
            "external_id": "A-1",
            "title": "Title A-1",
            "flow_type": "feature",
            "started": "2024-03-02T00:00:00+00:00",
            "finished": "2024-03-06T00:00:00+00:00",
            "flow_time_days": 4.0,
            "active_days": 2.5,
            "waiting_days": 1.5,
        }
    ]
    assert payload["flow_time"]["mean_days"] == 4.0
    assert payload["efficiency"] == {"portfolio": 0.625, "mean_per_item": 0.625}
    assert payload["velocity"] == {"total": 1, "by_type": by_type(feature=1), "canceled": 0}


def test_stages_skipped_at_one_instant_take_no_time():
    moment = at(2, 10)
    work = history(
        ("B-1", "feature", [(BACKLOG, at(1)), (READY, moment), (DOING, moment), (RESOLVED, moment)])
    )

    payload = flow(work, end=date(2024, 3, 3))

    assert payload["done"][0]["flow_time_days"] == 0.0
    assert payload["done"][0]["started"] == payload["done"][0]["finished"]
    assert payload["efficiency"] == {"portfolio": None, "mean_per_item": None}
    assert load_totals(payload) == [0, 0, 0]
    counts = payload["cfd"]["counts"]
    assert [counts[state][1] for state in WORKFLOW] == [1, 1, 1, 1, 1, 0, 0]


def test_a_backward_move_counts_both_stretches_of_active_and_waiting_time():
    work = history(
        (
            "C-1",
            "feature",
            [(READY, at(1)), (DOING, at(2)), (READY, at(4)), (DOING, at(5)), (RESOLVED, at(7))],
        )
    )

    payload = flow(work, end=date(2024, 3, 8))

    done = payload["done"][0]
    assert (done["flow_time_days"], done["active_days"], done["waiting_days"]) == (6.0, 4.0, 2.0)
    assert load_totals(payload) == [1, 1, 1, 1, 1, 1, 0, 0]
    assert payload["efficiency"]["portfolio"] == pytest.approx(4 / 6)


def test_a_reopened_item_counts_once_at_its_last_done_and_its_flow_time_runs_there():
    work = history(
        ("D-1", "defect", [(DOING, at(1)), (RESOLVED, at(3)), (DOING, at(5)), (RESOLVED, at(8))])
    )

    payload = flow(work, end=date(2024, 3, 10))

    assert payload["velocity"]["total"] == 1
    assert [row["count"] for row in payload["throughput"]] == [0] * 7 + [1, 0, 0]
    done = payload["done"][0]
    assert done["finished"] == "2024-03-08T00:00:00+00:00"
    # Two days in done between the stretches are neither active nor waiting.
    assert (done["flow_time_days"], done["active_days"], done["waiting_days"]) == (7.0, 5.0, 0.0)
    assert payload["efficiency"] == {"portfolio": 1.0, "mean_per_item": 1.0}
    assert load_totals(payload) == [1, 1, 0, 0, 1, 1, 1, 0, 0, 0]


def test_a_reopened_item_still_open_at_as_of_is_aging_from_its_first_start():
    work = history(("D-1", "defect", [(DOING, at(1)), (RESOLVED, at(3)), (DOING, at(5))]))

    payload = flow(work, as_of=at(6, 12))

    assert payload["velocity"]["total"] == 0
    assert payload["aging"] == [
        {
            "external_id": "D-1",
            "title": "Title D-1",
            "state": "Doing",
            "flow_type": "defect",
            "age_days": 5.5,
        }
    ]


def test_resolved_then_closed_is_one_entry_into_done():
    work = history(("E-1", "feature", [(DOING, at(1)), (RESOLVED, at(3)), (CLOSED, at(10))]))

    later = flow(work, start=date(2024, 3, 5), end=date(2024, 3, 12))
    earlier = flow(work, start=date(2024, 3, 1), end=date(2024, 3, 4))

    assert later["velocity"]["total"] == 0 and later["done"] == []
    assert earlier["velocity"]["total"] == 1
    assert earlier["done"][0]["finished"] == "2024-03-03T00:00:00+00:00"
    assert earlier["done"][0]["flow_time_days"] == 2.0
    assert later["cfd"]["counts"]["Closed"] == [0] * 5 + [1, 1, 1]


def test_an_item_canceled_after_work_started_is_counted_apart_and_leaves_the_load():
    work = history(("F-1", "risk", [(DOING, at(1)), (CANCELED, at(4, 12))]))

    payload = flow(work, end=date(2024, 3, 5))

    assert payload["velocity"] == {"total": 0, "by_type": by_type(), "canceled": 1}
    assert load_totals(payload) == [1, 1, 1, 0, 0]
    assert payload["aging"] == [] and payload["done"] == []
    assert flow(work, start=date(2024, 3, 5))["velocity"]["canceled"] == 0


def test_an_item_done_without_starting_counts_in_velocity_but_has_no_flow_time():
    work = history(("G-1", "debt", [(BACKLOG, at(1)), (CLOSED, at(2))]))

    payload = flow(work)

    assert payload["velocity"]["by_type"] == by_type(debt=1)
    assert payload["flow_time"]["count"] == 0
    assert payload["efficiency"] == {"portfolio": None, "mean_per_item": None}
    row = payload["done"][0]
    assert row["started"] is None and row["finished"] == "2024-03-02T00:00:00+00:00"
    assert row["flow_time_days"] is row["active_days"] is row["waiting_days"] is None


def test_an_item_sent_back_to_new_is_neither_load_nor_aging_until_it_restarts():
    moves: Moves = [(DOING, at(1)), (BACKLOG, at(3))]
    parked = flow(history(("H-1", "feature", moves)), end=date(2024, 3, 4), as_of=at(4, 12))
    restarted = flow(history(("H-1", "feature", [*moves, (READY, at(5))])), as_of=at(6))

    assert load_totals(parked) == [1, 1, 0, 0]
    assert parked["aging"] == []
    assert restarted["aging"][0]["age_days"] == 5.0  # from the first start, 1 March


# --- the window ------------------------------------------------------------------------


def test_items_in_progress_across_the_window_edges_count_in_its_load():
    work = history(
        ("I-1", "feature", [(DOING, at(20, month=2)), (RESOLVED, at(6))]),  # started before
        ("I-2", "feature", [(DOING, at(7)), (RESOLVED, at(15))]),  # done after the end
        ("I-3", "feature", [(DOING, at(1, month=2)), (RESOLVED, at(10, month=2))]),  # before
    )

    payload = flow(work, start=date(2024, 3, 5), end=date(2024, 3, 8), as_of=at(20))

    assert load_totals(payload) == [1, 0, 1, 1]
    assert [row["external_id"] for row in payload["done"]] == ["I-1"]
    assert payload["flow_time"]["mean_days"] == 15.0  # 20 Feb to 6 Mar 2024, all of it
    assert payload["window"]["end"] == "2024-03-08"


def test_an_empty_history_gives_zeros_and_nulls():
    payload = flow(history(), end=date(2024, 3, 5), as_of=at(3, 12))

    assert payload["window"] == {
        "start": "2024-03-01",
        "end": "2024-03-03",
        "as_of": "2024-03-03T12:00:00+00:00",
        "interval": "day",
    }
    assert payload["velocity"] == {"total": 0, "by_type": by_type(), "canceled": 0}
    assert payload["flow_time"] == {
        "count": 0,
        "mean_days": None,
        "p50_days": None,
        "p70_days": None,
        "p85_days": None,
        "p95_days": None,
    }
    assert payload["efficiency"] == {"portfolio": None, "mean_per_item": None}
    nothing = dict.fromkeys(FLOW_TYPES)
    assert payload["distribution"] == {"done": nothing, "load": nothing}
    assert payload["load"][0] == {"date": "2024-03-01", "total": 0, "by_type": by_type()}
    assert load_totals(payload) == [0, 0, 0]
    assert payload["throughput"] == [
        {"date": day, "count": 0} for day in ("2024-03-01", "2024-03-02", "2024-03-03")
    ]
    assert payload["cfd"]["states"] == WORKFLOW
    assert payload["cfd"]["counts"] == {state: [0, 0, 0] for state in WORKFLOW}
    assert payload["aging"] == [] and payload["done"] == []
    assert payload["littles_law"] == {
        "mean_load": 0.0,
        "velocity_per_day": 0.0,
        "mean_flow_time_days": None,
        "agrees": None,
    }
    assert payload["forecast"] == {
        "how_many": None,
        "when": None,
        "trials": 10_000,
        "sample_days": 3,
    }


def test_items_outside_the_window_give_no_velocity_or_load():
    work = history(("J-1", "feature", [(DOING, at(1, month=2)), (RESOLVED, at(10, month=2))]))

    payload = flow(work)

    assert payload["velocity"]["total"] == 0 and payload["flow_time"]["count"] == 0
    assert set(load_totals(payload)) == {0}
    assert payload["cfd"]["counts"]["Resolved"] == [1] * 31


def test_figures_by_type_follow_the_items_type_now():
    moves: Moves = [(DOING, at(1)), (RESOLVED, at(3))]
    as_feature = flow(history(("K-1", "feature", moves), ("K-2", "feature", [(DOING, at(2))])))
    retyped = flow(history(("K-1", "defect", moves), ("K-2", "debt", [(DOING, at(2))])))

    assert as_feature["velocity"]["by_type"] == by_type(feature=1)
    assert retyped["velocity"]["by_type"] == by_type(defect=1)
    assert as_feature["load"][1]["by_type"] == by_type(feature=2)
    assert retyped["load"][1]["by_type"] == by_type(defect=1, debt=1)
    assert load_totals(as_feature) == load_totals(retyped)
    assert retyped["distribution"]["load"] == {**dict.fromkeys(FLOW_TYPES, 0.0), "debt": 1.0}


def test_transitions_into_ignore_states_are_dropped_as_if_the_item_stayed():
    work = history(
        ("L-1", "feature", [(DOING, at(1)), (PARKED, at(2)), (DOING, at(3)), (RESOLVED, at(5))]),
        ("L-2", "feature", [(DOING, at(1)), (RESOLVED, at(3)), (PARKED, at(4)), (CLOSED, at(6))]),
        ("L-3", "feature", [(PARKED, at(2))]),
    )

    payload = flow(work, end=date(2024, 3, 7))

    rows = {row["external_id"]: row for row in payload["done"]}
    assert rows["L-1"]["active_days"] == 4.0
    assert rows["L-2"]["finished"] == "2024-03-03T00:00:00+00:00"
    assert "Parked" not in payload["cfd"]["states"]
    assert payload["cfd"]["counts"]["Doing"][1] == 2  # L-1 still in Doing on 2 March
    assert payload["cfd"]["counts"]["Backlog"] == [2] * 7  # L-3 is in no state


def test_transitions_after_as_of_are_ignored():
    work = history(("M-1", "feature", [(DOING, at(1)), (RESOLVED, at(10))]))

    payload = flow(work, as_of=at(5))

    assert payload["window"]["end"] == "2024-03-05"
    assert payload["velocity"]["total"] == 0
    assert payload["aging"][0]["age_days"] == 4.0
    assert load_totals(payload) == [1] * 5
    assert payload["cfd"]["counts"]["Resolved"] == [0] * 5


def test_days_are_utc_days_and_as_of_may_carry_any_offset():
    plus_two = timezone(timedelta(hours=2))
    work = history(
        ("N-1", "feature", [(DOING, at(4, 23, 30)), (RESOLVED, at(5))]),
        (
            "N-2",
            "feature",
            [(DOING, datetime(2024, 3, 5, 1, 0, tzinfo=plus_two)), (RESOLVED, at(6, 0, 59))],
        ),
    )
    as_of = datetime(2024, 3, 7, 1, 0, tzinfo=plus_two)  # 6 March, 23:00 UTC

    payload = flow(work, start=date(2024, 3, 4), end=date(2024, 3, 10), as_of=as_of)

    assert payload["window"]["as_of"] == "2024-03-07T01:00:00+02:00"
    assert payload["window"]["end"] == "2024-03-06"
    # A transition at midnight opens its day: the end of 4 March does not see it.
    assert load_totals(payload) == [2, 1, 0]
    assert [row["count"] for row in payload["throughput"]] == [0, 1, 1]
    assert payload["done"][0]["flow_time_days"] == pytest.approx(1 / 48)
    assert payload["done"][1]["started"] == "2024-03-04T23:00:00+00:00"


# --- throughput ------------------------------------------------------------------------

THROUGHPUT_DONE = [
    date(2024, 1, 9),  # before the window
    date(2024, 1, 10),
    date(2024, 1, 14),
    date(2024, 1, 15),
    date(2024, 2, 29),
    date(2024, 3, 31),
    date(2024, 4, 1),
    date(2024, 4, 5),
    date(2024, 4, 6),  # after it
]


def throughput(interval: str) -> list[dict[str, Any]]:
    def finished(day: date) -> Moves:
        done = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
        return [(DOING, done - timedelta(days=1)), (RESOLVED, done)]

    work = history(*((f"P-{day}", "feature", finished(day)) for day in THROUGHPUT_DONE))
    payload = flow(
        work,
        start=date(2024, 1, 10),
        end=date(2024, 4, 5),
        as_of=at(30, month=4),
        interval=interval,
    )
    return payload["throughput"]


def test_throughput_by_day_has_a_row_for_every_day_of_the_window():
    rows = throughput("day")

    assert len(rows) == 87
    assert rows[0] == {"date": "2024-01-10", "count": 1}
    assert sum(row["count"] for row in rows) == 7


def test_throughput_by_week_follows_iso_weeks_and_clips_the_first_to_the_window():
    rows = throughput("week")

    assert [row["date"] for row in rows[:3]] == ["2024-01-10", "2024-01-15", "2024-01-22"]
    assert len(rows) == 13
    assert rows[0]["count"] == 2 and rows[1]["count"] == 1 and rows[2]["count"] == 0
    assert rows[7] == {"date": "2024-02-26", "count": 1}
    assert rows[-2:] == [{"date": "2024-03-25", "count": 1}, {"date": "2024-04-01", "count": 2}]


def test_throughput_by_month_and_quarter():
    assert throughput("month") == [
        {"date": "2024-01-10", "count": 3},
        {"date": "2024-02-01", "count": 1},
        {"date": "2024-03-01", "count": 1},
        {"date": "2024-04-01", "count": 2},
    ]
    assert throughput("quarter") == [
        {"date": "2024-01-10", "count": 5},
        {"date": "2024-04-01", "count": 2},
    ]


def test_throughput_includes_intervals_with_nothing_done():
    rows = throughput("month")
    work = history(("Q-1", "feature", [(DOING, at(1, month=1)), (RESOLVED, at(20, month=1))]))
    payload = flow(
        work, start=date(2024, 1, 1), end=date(2024, 3, 31), as_of=at(31), interval="month"
    )

    assert len(rows) == 4
    assert payload["throughput"] == [
        {"date": "2024-01-01", "count": 1},
        {"date": "2024-02-01", "count": 0},
        {"date": "2024-03-01", "count": 0},
    ]


# --- percentiles, efficiency, distribution, CFD, ordering ------------------------------


def test_flow_time_percentiles_interpolate_linearly():
    work = history(
        *(
            (f"R-{days}", "feature", [(DOING, at(1)), (RESOLVED, at(1 + days))])
            for days in (1, 2, 3, 4)
        )
    )

    figures = flow(work)["flow_time"]

    assert figures["count"] == 4 and figures["mean_days"] == 2.5
    assert figures["p50_days"] == pytest.approx(2.5)
    assert figures["p70_days"] == pytest.approx(3.1)
    assert figures["p85_days"] == pytest.approx(3.55)
    assert figures["p95_days"] == pytest.approx(3.85)


def test_efficiency_reports_the_portfolio_ratio_and_the_mean_of_item_ratios():
    work = history(
        ("S-1", "feature", [(READY, at(1)), (DOING, at(2)), (RESOLVED, at(3))]),  # 1 of 2 active
        ("S-2", "feature", [(DOING, at(1)), (RESOLVED, at(4))]),  # 3 of 3
        ("S-3", "feature", [(DOING, at(5)), (RESOLVED, at(5))]),  # no time: not in the mean
    )

    assert flow(work)["efficiency"] == {"portfolio": 0.8, "mean_per_item": 0.75}


def test_distribution_shares_velocity_and_the_load_at_as_of_by_type():
    work = history(
        ("T-1", "feature", [(DOING, at(1)), (RESOLVED, at(2))]),
        ("T-2", "feature", [(DOING, at(1)), (RESOLVED, at(2))]),
        ("T-3", "defect", [(DOING, at(1)), (RESOLVED, at(2))]),
        ("T-4", "risk", [(DOING, at(1)), (RESOLVED, at(2))]),
        ("T-5", "debt", [(DOING, at(1))]),
    )

    distribution = flow(work)["distribution"]

    assert distribution["done"] == {"feature": 0.5, "defect": 0.25, "risk": 0.25, "debt": 0.0}
    assert distribution["load"] == {"feature": 0.0, "defect": 0.0, "risk": 0.0, "debt": 1.0}


def test_cfd_follows_the_workflow_order_not_the_order_states_are_listed_in():
    states = (
        StateFacts("Done", 3, "done"),
        StateFacts("To do", 0, "new"),
        StateFacts("Doing", 1, "active"),
        StateFacts("Gone", 4, "canceled"),
        StateFacts("Hidden", 2, "ignore"),
    )
    work = History.from_rows(
        items=[("U-1", "", "feature"), ("U-2", "", "feature")],
        states=states,
        transitions=[(0, 1, at(1)), (0, 2, at(2)), (0, 0, at(3)), (1, 1, at(1)), (1, 3, at(2))],
    )

    cfd = flow(work, end=date(2024, 3, 3))["cfd"]

    assert cfd["states"] == ["To do", "Doing", "Done", "Gone"]
    assert cfd["days"] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    # U-2 was canceled, the last state: it counts in every state before it.
    assert cfd["counts"] == {
        "To do": [2, 2, 2],
        "Doing": [0, 2, 2],
        "Done": [0, 1, 2],
        "Gone": [0, 1, 1],
    }


def test_aging_is_oldest_first_and_done_by_finish_with_ties_by_external_id():
    work = history(
        ("V-3", "feature", [(DOING, at(2))]),
        ("V-2", "feature", [(DOING, at(1))]),
        ("V-1", "feature", [(DOING, at(2))]),
        ("W-2", "feature", [(DOING, at(1)), (RESOLVED, at(4))]),
        ("W-3", "feature", [(DOING, at(1)), (RESOLVED, at(3))]),
        ("W-1", "feature", [(DOING, at(1)), (RESOLVED, at(4))]),
    )

    payload = flow(work, as_of=at(5))

    assert [row["external_id"] for row in payload["aging"]] == ["V-2", "V-1", "V-3"]
    assert [row["age_days"] for row in payload["aging"]] == [4.0, 3.0, 3.0]
    assert [row["external_id"] for row in payload["done"]] == ["W-3", "W-1", "W-2"]


def test_the_payload_is_plain_json_without_nan():
    work = history(
        ("X-1", "feature", [(DOING, at(1)), (RESOLVED, at(3))]),
        ("X-2", "defect", [(READY, at(2))]),
        ("X-3", "debt", [(BACKLOG, at(2)), (CLOSED, at(4))]),
    )
    payload = flow(work)

    def check(value: Any) -> None:
        assert type(value) in (dict, list, str, int, float, bool, type(None)), type(value)
        children = (
            value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        )
        for child in children:
            check(child)

    check(payload)
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload


# --- forecast --------------------------------------------------------------------------


def steady(per_day: int, days: int, *, open_items: int = 0) -> History:
    """`per_day` items done each day of March 1..days at 12:00 after a day's work, plus
    `open_items` still in progress."""
    items = [
        (
            f"Y-{day}-{index}",
            "feature",
            [(DOING, at(day, 12) - timedelta(days=1)), (RESOLVED, at(day, 12))],
        )
        for day in range(1, days + 1)
        for index in range(per_day)
    ]
    items += [(f"Z-{index}", "feature", [(DOING, at(1))]) for index in range(open_items)]
    return history(*items)


def test_a_constant_throughput_forecasts_exactly():
    payload = flow(steady(2, 10), end=date(2024, 3, 10), forecast_days=15, forecast_items=7)

    assert payload["forecast"] == {
        "how_many": {"days": 15, "p50": 30, "p85": 30, "p95": 30},
        "when": {"items": 7, "p50_days": 4, "p85_days": 4, "p95_days": 4},
        "trials": 10_000,
        "sample_days": 10,
    }


def test_the_forecast_is_ordered_by_confidence_and_reproducible_by_seed():
    days = (1, 1, 2, 4, 4, 4, 7, 9, 9, 12)
    work = history(
        *(
            (
                f"F-{index}",
                "feature",
                [(DOING, at(day) - timedelta(days=2)), (RESOLVED, at(day, 8))],
            )
            for index, day in enumerate(days)
        ),
        *((f"O-{index}", "feature", [(DOING, at(2))]) for index in range(5)),
    )

    first = flow(work, end=date(2024, 3, 14), seed=7)["forecast"]
    again = flow(work, end=date(2024, 3, 14), seed=7)["forecast"]

    assert first == again
    how_many, when = first["how_many"], first["when"]
    assert how_many["p50"] >= how_many["p85"] >= how_many["p95"] >= 0
    assert 0 < when["p50_days"] <= when["p85_days"] <= when["p95_days"]
    assert when["items"] == 5  # the load at as_of
    assert first["sample_days"] == 14
    seeds = {
        json.dumps(flow(work, end=date(2024, 3, 14), seed=seed)["forecast"]) for seed in range(5)
    }
    assert len(seeds) > 1


def test_a_forecast_beyond_the_horizon_is_null():
    work = history(("G-1", "feature", [(DOING, at(1)), (RESOLVED, at(2))]))

    when = flow(work, forecast_items=1_000)["forecast"]["when"]

    assert when == {"items": 1_000, "p50_days": None, "p85_days": None, "p95_days": None}


# --- Little's law ----------------------------------------------------------------------


def arrivals(*, drop_every_other_done: bool = False) -> History:
    """One item a day from 1 February starts at 09:00 and is done five days later at 09:00."""
    items = []
    for offset in range(60):
        started = datetime(2024, 2, 1, 9, tzinfo=UTC) + timedelta(days=offset)
        moves: Moves = [(DOING, started)]
        if not (drop_every_other_done and offset % 2):
            moves.append((RESOLVED, started + timedelta(days=5)))
        items.append((f"L-{offset}", "feature", moves))
    return history(*items)


def test_littles_law_agrees_on_a_steady_flow():
    law = flow(arrivals(), end=date(2024, 3, 30), as_of=at(30, 23))["littles_law"]

    assert law == {
        "mean_load": 5.0,
        "velocity_per_day": 1.0,
        "mean_flow_time_days": 5.0,
        "agrees": True,
    }


def test_littles_law_disagrees_when_done_transitions_are_missing():
    law = flow(arrivals(drop_every_other_done=True), end=date(2024, 3, 30), as_of=at(30, 23))[
        "littles_law"
    ]

    assert law["velocity_per_day"] == 0.5 and law["mean_flow_time_days"] == 5.0
    assert law["mean_load"] > 10
    assert law["agrees"] is False


# --- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start": date(2024, 3, 5), "end": date(2024, 3, 4)}, "start must not be after its end"),
        ({"interval": "year"}, "interval must be one of"),
        ({"as_of": datetime(2024, 3, 31, 12)}, "aware datetime"),
        ({"as_of": at(29, month=2)}, "before the window's start"),
        ({"forecast_days": 0}, "forecast_days"),
        ({"forecast_items": -1}, "forecast_items"),
        ({"start": at(1)}, "dates, not datetimes"),
    ],
)
def test_invalid_arguments_raise_value_error_with_a_sentence(options, message):
    with pytest.raises(ValueError, match=message):
        flow(history(), **options)


def test_history_refuses_unsorted_transitions_and_bad_indices():
    def build(**changes: Any) -> History:
        fields: dict[str, Any] = {
            "external_ids": ["A", "B"],
            "titles": ["", ""],
            "flow_types": np.array([0, 1]),
            "states": STATES,
            "transition_item": np.array([0, 0, 1]),
            "transition_state": np.array([0, 2, 0]),
            "transition_at": np.array([10, 20, 5]),
        }
        return History(**(fields | changes))

    assert build().item_count == 2
    with pytest.raises(ValueError, match="sorted"):
        build(transition_at=np.array([20, 10, 5]))
    with pytest.raises(ValueError, match="sorted"):
        build(transition_item=np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="index into states"):
        build(transition_state=np.array([0, 8, 0]))
    with pytest.raises(ValueError, match="FLOW_TYPES"):
        build(flow_types=np.array([0, 4]))
    with pytest.raises(ValueError, match="one entry per item"):
        build(titles=[""])


def test_history_from_rows_sorts_by_item_and_time_keeping_ties_in_history_order():
    moment = at(2)
    work = History.from_rows(
        items=[("A", "", "feature"), ("B", "", "defect")],
        states=STATES,
        transitions=[
            (1, DOING, at(3)),
            (0, READY, moment),
            (0, DOING, moment),
            (0, BACKLOG, at(1)),
            (1, BACKLOG, 0),
        ],
    )

    assert work.transition_item.tolist() == [0, 0, 0, 1, 1]
    assert work.transition_state.tolist() == [BACKLOG, READY, DOING, BACKLOG, DOING]
    assert work.transition_at[0] == int(at(1).timestamp())
    with pytest.raises(ValueError, match="aware"):
        History.from_rows(
            items=[("A", "", "feature")], states=STATES, transitions=[(0, 0, datetime(2024, 3, 1))]
        )
    with pytest.raises(ValueError, match="flow_type"):
        History.from_rows(items=[("A", "", "bug")], states=STATES, transitions=[])
