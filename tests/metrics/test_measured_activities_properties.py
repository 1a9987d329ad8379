"""Property-based tests (Hypothesis) for the map against measured flow
(metrics.measured.map_against_measured), against a slow reference that walks each done item's
history one transition at a time. Histories come from the measured-flow properties' strategy
(anything) or from `walks` (most items walk through waiting and active states and end done in
the window); each case adds a map (activities at random steps, random links) and a random
state mapping."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.flow import ActivityFacts, flow_summary
from metrics.measured import StateFacts, map_against_measured
from tests.metrics.test_measured_properties import (
    BASE,
    BASE_SECONDS,
    DAY,
    Case,
    Reference,
    cases,
    shuffled_rows,
)

IN_PROGRESS = ("waiting", "active")
BEFORE, AFTER = -math.inf, math.inf


@dataclass(frozen=True)
class MapCase:
    case: Case
    activities: list[ActivityFacts]
    links: list[tuple[int, int]]
    state_activity: dict[int, int]
    factor: float

    def compare(self, case: Case | None = None, **changes: Any) -> dict[str, Any]:
        case = case or self.case
        arguments: dict[str, Any] = {
            "activities": self.activities,
            "links": self.links,
            "state_activity": self.state_activity,
            "start": case.start,
            "end": case.end,
            "as_of": case.as_of,
            "working_seconds_per_calendar_second": self.factor,
        }
        return map_against_measured(case.history(), **(arguments | changes))


@st.composite
def walks(draw: st.DrawFn) -> Case:
    """Histories with many items done in the window: a few states, mostly waiting and active
    ones, and items that walk among them (forward, back, repeats, ties) and usually end done."""
    flow_states = st.sampled_from(["new", "waiting", "waiting", "active", "active", "ignore"])
    states = [
        StateFacts(f"S{index}", draw(st.integers(0, 4)), draw(flow_states))
        for index in range(draw(st.integers(1, 6)))
    ]
    states += [StateFacts("Done", 5, "done"), StateFacts("Gone", 6, "canceled")]
    done = len(states) - 2
    items = [(f"W-{index}", "", "feature") for index in range(draw(st.integers(1, 6)))]
    transitions: list[tuple[int, int, int]] = []
    for item in range(len(items)):
        moment = BASE_SECONDS + draw(st.integers(-2, 4)) * DAY
        for _ in range(draw(st.integers(0, 8))):
            moment += draw(st.sampled_from([0, 3600, DAY // 2, DAY, 3 * DAY]))
            transitions.append((item, draw(st.integers(0, len(states) - 1)), moment))
        if draw(st.integers(0, 4)):  # mostly done, at its last moment or later
            transitions.append((item, done, moment + draw(st.sampled_from([0, DAY]))))
    as_of = BASE + timedelta(days=12)
    return Case(items, states, transitions, BASE.date(), as_of.date(), as_of)


@st.composite
def map_cases(draw: st.DrawFn) -> MapCase:
    case = draw(st.one_of(cases(), walks()))
    count = draw(st.integers(0, 5))
    activities = [
        ActivityFacts(
            id=100 + index,
            order=draw(st.integers(0, 3)),  # repeated steps: branches side by side
            title=f"Activity {index}",
            team="",
            process_time=draw(st.integers(0, 3)) * DAY,
            wait_time=draw(st.integers(0, 3)) * DAY,
            pca=draw(st.sampled_from([50.0, 100.0])),
        )
        for index in range(count)
    ]
    ids = [activity.id for activity in activities]
    links = (
        draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=6))
        if ids
        else []
    )
    state_activity = {
        state: draw(st.sampled_from(ids))
        for state in range(len(case.states))
        if ids and draw(st.integers(0, 3))
    }
    factor = draw(st.sampled_from([1.0, 40 / 168]))
    return MapCase(case, activities, links, state_activity, factor)


# --- the slow reference ------------------------------------------------------------------


class MapReference:
    """Per done item: its total time in each activity and its walk through the map."""

    def __init__(self, map_case: MapCase) -> None:
        case = map_case.case
        self.flow = Reference(case)
        self.map_case = map_case
        self.order = {activity.id: activity.order for activity in map_case.activities}
        self.done = [
            item for item in range(len(case.items)) if self.flow.ends_in_window(item, "done")
        ]

    def activity_of(self, state: int) -> int | None:
        if self.flow.flow_state(state) not in IN_PROGRESS:
            return None
        return self.map_case.state_activity.get(state)

    def has_kind(self, activity: int, flow_state: str) -> bool:
        """Whether a state of `flow_state` ("active", "waiting") maps to the activity."""
        return any(
            self.activity_of(state) == activity and self.flow.flow_state(state) == flow_state
            for state in range(len(self.flow.case.states))
        )

    def totals(self, item: int) -> dict[int, dict[str, float]]:
        """{activity id: {"active": seconds, "waiting": seconds}} for the activities it entered."""
        story = self.flow.stories[item]
        totals: dict[int, dict[str, float]] = {}
        for index, (moment, state) in enumerate(story):
            activity = self.activity_of(state)
            if activity is None:
                continue
            until = story[index + 1][0] if index + 1 < len(story) else self.flow.as_of
            times = totals.setdefault(activity, {"active": 0.0, "waiting": 0.0})
            times[self.flow.flow_state(state)] += until - moment
        return totals

    def walk(self, item: int) -> list[tuple[int | None, float]]:
        """Visible positions (activity id or None, order), consecutive repeats merged."""
        walk: list[tuple[int | None, float]] = []
        for _, state in self.flow.stories[item]:
            flow_state = self.flow.flow_state(state)
            activity = self.activity_of(state)
            if activity is not None:
                position = (activity, float(self.order[activity]))
            elif flow_state == "new":
                position = (None, BEFORE)
            elif flow_state in ("done", "canceled"):
                position = (None, AFTER)
            else:
                continue  # unmapped waiting or active: invisible
            if not walk or walk[-1] != position:
                walk.append(position)
        return walk

    def left_and_clean(self, item: int, activity: int) -> tuple[bool, bool]:
        walk, order = self.walk(item), self.order[activity]
        for index in range(len(walk) - 1):
            if walk[index][0] == activity and walk[index + 1][1] >= order:
                later = walk[index + 1 :]
                return True, all(at != activity and step >= order for at, step in later)
        return False, False

    def activities(self) -> dict[int, dict[str, Any] | None]:
        figures: dict[int, dict[str, Any] | None] = {}
        factor = self.map_case.factor
        for activity in self.map_case.activities:
            states = [
                state
                for state in range(len(self.flow.case.states))
                if self.activity_of(state) == activity.id
            ]
            if not states:
                figures[activity.id] = None
                continue
            entered = [item for item in self.done if activity.id in self.totals(item)]
            row: dict[str, Any] = {"items": len(entered)}
            for kind, flow_state in (("process_time", "active"), ("wait_time", "waiting")):
                # A figure is measured only where a state of its kind maps to the activity.
                measurable = entered if self.has_kind(activity.id, flow_state) else []
                values = [
                    self.totals(item)[activity.id][flow_state] * factor for item in measurable
                ]
                row[kind] = float(np.percentile(values, 50)) if values else None
                row[f"{kind}_p85"] = float(np.percentile(values, 85)) if values else None
            walks = [self.left_and_clean(item, activity.id) for item in entered]
            leavers = sum(left for left, _ in walks)
            row["pca"] = 100 * sum(clean for _, clean in walks) / leavers if leavers else None
            figures[activity.id] = row
        return figures

    def lead_time(self) -> float:
        """The map's longest path with each activity's measured medians, and its estimate for
        each figure not measured (no state of that kind, no state at all, or no item)."""
        figures = self.activities()
        weighed = []
        for activity in self.map_case.activities:
            row = figures[activity.id] or {}
            times = {
                kind: activity_time if row.get(kind) is None else row[kind]
                for kind, activity_time in (
                    ("process_time", activity.process_time),
                    ("wait_time", activity.wait_time),
                )
            }
            weighed.append(dataclasses.replace(activity, **times))
        summary = flow_summary(weighed, self.map_case.links, top_wastes=0, simulations=1)
        return float(summary["lead_time"])

    def coverage(self) -> tuple[float, dict[str, float]]:
        """Total waiting and active time of the done items, and per unmapped state."""
        total, unmapped = 0.0, {}
        for item in self.done:
            story = self.flow.stories[item]
            for index, (moment, state) in enumerate(story):
                if self.flow.flow_state(state) not in IN_PROGRESS:
                    continue
                until = story[index + 1][0] if index + 1 < len(story) else self.flow.as_of
                total += until - moment
                if self.activity_of(state) is None:
                    name = self.flow.case.states[state].name
                    unmapped[name] = unmapped.get(name, 0.0) + until - moment
        return total, {name: seconds for name, seconds in unmapped.items() if seconds > 0}


def close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            close(actual[key], expected[key]) for key in expected
        )
    return type(actual) is type(expected) and actual == expected


# --- properties ---------------------------------------------------------------------------


@given(map_cases())
@settings(max_examples=200, deadline=None)
def test_every_activity_figure_matches_the_slow_reference(map_case):
    payload = map_case.compare()
    reference = MapReference(map_case)

    assert payload["items_done"] == len(reference.done)
    expected = reference.activities()
    for row in payload["activities"]:
        assert close(row["measured"], expected[row["id"]]), row["id"]
    assert close(payload["lead_time"]["measured"], reference.lead_time())
    total, unmapped = reference.coverage()
    shares = {row["name"]: row["share"] for row in payload["coverage"]["unmapped_states"]}
    assert shares.keys() == unmapped.keys()
    for name, seconds in unmapped.items():
        assert math.isclose(shares[name], seconds / total)


@given(map_cases())
@settings(deadline=None)
def test_mapped_and_unmapped_shares_add_up_to_the_whole(map_case):
    coverage = map_case.compare()["coverage"]

    if coverage["mapped_share"] is None:
        assert coverage["unmapped_states"] == []
    else:
        parts = [coverage["mapped_share"]] + [row["share"] for row in coverage["unmapped_states"]]
        assert math.isclose(math.fsum(parts), 1.0)
        assert all(0 <= part <= 1 for part in parts)
        assert [row["share"] for row in coverage["unmapped_states"]] == sorted(
            (row["share"] for row in coverage["unmapped_states"]), reverse=True
        )


@given(map_cases())
@settings(deadline=None)
def test_medians_lie_between_the_least_and_the_greatest_item_total(map_case):
    payload = map_case.compare()
    reference = MapReference(map_case)

    for row in payload["activities"]:
        figures = row["measured"]
        if figures is None or not figures["items"]:
            continue
        totals = [reference.totals(item).get(row["id"]) for item in reference.done]
        for kind, flow_state in (("process_time", "active"), ("wait_time", "waiting")):
            if not reference.has_kind(row["id"], flow_state):
                assert figures[kind] is None and figures[f"{kind}_p85"] is None
                continue
            values = [times[flow_state] * map_case.factor for times in totals if times is not None]
            assert min(values) - 1e-6 <= figures[kind] <= figures[f"{kind}_p85"] + 1e-6
            assert figures[f"{kind}_p85"] <= max(values) + 1e-6
        assert figures["pca"] is None or 0 <= figures["pca"] <= 100


@given(map_cases())
@settings(deadline=None)
def test_the_measured_lead_time_is_the_estimate_when_nothing_was_measured(map_case):
    payload = map_case.compare()
    reference = MapReference(map_case)
    lead_time = payload["lead_time"]

    measured = [
        row for row in payload["activities"] if row["measured"] and row["measured"]["items"]
    ]
    assert lead_time["estimated_activities"] == len(payload["activities"]) - len(measured)
    if not measured:
        assert lead_time["measured"] == lead_time["estimate"]
    # Surprises: only the measured activities with a waiting state (a measured wait time).
    assert sorted(payload["surprises"]) == sorted(
        row["id"] for row in measured if reference.has_kind(row["id"], "waiting")
    )


@given(map_cases(), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_results_do_not_depend_on_the_order_of_rows_items_activities_or_links(map_case, rng):
    shuffled = shuffled_rows(map_case.case, rng)
    activities, links = list(map_case.activities), list(map_case.links)
    rng.shuffle(activities)
    rng.shuffle(links)

    assert map_case.compare(shuffled, activities=activities, links=links) == map_case.compare()


def test_the_reference_reads_a_move_back_into_development_like_the_docs():
    """A check of the reference itself: Doing, Testing, Doing, Done."""
    states = [
        StateFacts("Doing", 0, "active"),
        StateFacts("Testing", 1, "active"),
        StateFacts("Done", 2, "done"),
    ]
    moves = [(0, 0, BASE_SECONDS), (0, 1, BASE_SECONDS + DAY), (0, 0, BASE_SECONDS + 2 * DAY)]
    moves.append((0, 2, BASE_SECONDS + 3 * DAY))
    as_of = BASE + timedelta(days=5)
    case = Case([("W-1", "", "feature")], states, moves, BASE.date(), as_of.date(), as_of)
    activities = [
        ActivityFacts(1, 1, "Development", "", 0, 0, 100),
        ActivityFacts(2, 2, "Test", "", 0, 0, 100),
    ]
    reference = MapReference(MapCase(case, activities, [], {0: 1, 1: 2}, 1.0))

    assert reference.walk(0) == [(1, 1.0), (2, 2.0), (1, 1.0), (None, AFTER)]
    assert reference.left_and_clean(0, 1) == (True, False)  # came back
    assert reference.left_and_clean(0, 2) == (False, False)  # only ever left backward
    assert reference.totals(0) == {
        1: {"active": 2.0 * DAY, "waiting": 0.0},
        2: {"active": 1.0 * DAY, "waiting": 0.0},
    }
