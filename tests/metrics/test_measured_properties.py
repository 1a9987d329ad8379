"""Property-based tests (Hypothesis) for measured flow (metrics.measured), against a slow
reference that follows each item's history one transition at a time."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.measured import FLOW_STATES, FLOW_TYPES, History, StateFacts, measured_flow

DAY = 86_400
BASE = datetime(2024, 3, 1, tzinfo=UTC)
BASE_SECONDS = int(BASE.timestamp())
IN_PROGRESS = ("waiting", "active")
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


@dataclass(frozen=True)
class Case:
    items: list[tuple[str, str, str]]
    states: list[StateFacts]
    transitions: list[tuple[int, int, int]]  # history order
    start: date
    end: date
    as_of: datetime

    def history(self) -> History:
        return History.from_rows(items=self.items, states=self.states, transitions=self.transitions)

    def flow(self, **options: Any) -> dict[str, Any]:
        window = {"start": self.start, "end": self.end, "as_of": self.as_of} | options
        return measured_flow(self.history(), **window)


moments = st.one_of(
    st.integers(0, 10 * 24).map(lambda hour: BASE_SECONDS + hour * 3600),  # many ties
    st.integers(0, 10).map(lambda day: BASE_SECONDS + day * DAY),  # exactly midnight
    st.integers(-DAY, 11 * DAY).map(lambda second: BASE_SECONDS + second),
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    state_count = draw(st.integers(1, 7))
    states = [
        StateFacts(f"S{index}", draw(st.integers(0, 4)), draw(st.sampled_from(FLOW_STATES)))
        for index in range(state_count)
    ]
    item_count = draw(st.integers(0, 6))
    items = [
        (f"W-{index}", f"Item {index}", draw(st.sampled_from(FLOW_TYPES)))
        for index in range(item_count)
    ]
    transitions = [
        (item, draw(st.integers(0, state_count - 1)), draw(moments))
        for item in range(item_count)
        for _ in range(draw(st.integers(0, 7)))
    ]
    as_of_seconds = draw(st.integers(0, 12 * DAY)) + draw(st.sampled_from([0.0, 0.25]))
    as_of = (BASE + timedelta(seconds=as_of_seconds)).astimezone(draw(st.sampled_from(OFFSETS)))
    last_day = (as_of.astimezone(UTC).date() - BASE.date()).days
    first = draw(st.integers(-2, last_day))
    start = BASE.date() + timedelta(days=first)
    end = start + timedelta(days=draw(st.integers(0, 14)))
    return Case(items, states, transitions, start, end, as_of)


# --- the slow reference ----------------------------------------------------------------


class Reference:
    """Every figure from each item's kept transitions, walked one by one."""

    def __init__(self, case: Case) -> None:
        self.case = case
        as_of = case.as_of.timestamp()
        self.as_of = as_of
        self.stories: list[list[tuple[int, int]]] = [[] for _ in case.items]
        for item, state, moment in sorted(case.transitions, key=lambda row: (row[0], row[2])):
            if moment <= as_of and case.states[state].flow_state != "ignore":
                self.stories[item].append((moment, state))
        workflow = sorted(
            (index for index, state in enumerate(case.states) if state.flow_state != "ignore"),
            key=lambda index: (case.states[index].order, index),
        )
        self.workflow = workflow
        self.rank = {state: rank for rank, state in enumerate(workflow)}
        self.end = min(case.end, case.as_of.astimezone(UTC).date())
        self.days = [
            case.start + timedelta(days=n) for n in range((self.end - case.start).days + 1)
        ]

    def flow_state(self, state: int) -> str:
        return self.case.states[state].flow_state

    def state_at_end_of(self, item: int, day: date) -> int | None:
        """The state after the transitions made before the next midnight and up to as_of."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        state = None
        for moment, entered in self.stories[item]:
            if moment < midnight.timestamp() and moment <= self.as_of:
                state = entered
        return state

    def runs(self, item: int) -> list[tuple[str, int]]:
        """(flow state, entry time) of each stretch of one flow state."""
        runs: list[tuple[str, int]] = []
        for moment, state in self.stories[item]:
            if not runs or runs[-1][0] != self.flow_state(state):
                runs.append((self.flow_state(state), moment))
        return runs

    def started(self, item: int) -> int | None:
        for moment, state in self.stories[item]:
            if self.flow_state(state) in IN_PROGRESS:
                return moment
        return None

    def time_in(self, item: int, flow_state: str) -> int | float:
        story = self.stories[item]
        total: int | float = 0
        for index, (moment, state) in enumerate(story):
            until = story[index + 1][0] if index + 1 < len(story) else self.as_of
            if self.flow_state(state) == flow_state:
                total += until - moment
        return total

    def ends_in_window(self, item: int, flow_state: str) -> bool:
        runs = self.runs(item)
        if not runs or runs[-1][0] != flow_state:
            return False
        entered = datetime.fromtimestamp(runs[-1][1], UTC).date()
        return self.case.start <= entered <= self.end

    def load(self) -> list[dict[str, Any]]:
        rows = []
        for day in self.days:
            counts = Counter(
                self.case.items[item][2]
                for item in range(len(self.case.items))
                if (state := self.state_at_end_of(item, day)) is not None
                and self.flow_state(state) in IN_PROGRESS
            )
            by_type = {flow_type: counts[flow_type] for flow_type in FLOW_TYPES}
            rows.append(
                {"date": day.isoformat(), "total": sum(by_type.values()), "by_type": by_type}
            )
        return rows

    def cfd(self) -> dict[str, list[int]]:
        counts: dict[str, list[int]] = {self.case.states[state].name: [] for state in self.workflow}
        for day in self.days:
            ranks = [
                self.rank[state]
                for item in range(len(self.case.items))
                if (state := self.state_at_end_of(item, day)) is not None
            ]
            for state in self.workflow:
                counts[self.case.states[state].name].append(
                    sum(rank >= self.rank[state] for rank in ranks)
                )
        return counts

    def velocity(self) -> dict[str, Any]:
        done = [item for item in range(len(self.case.items)) if self.ends_in_window(item, "done")]
        counts = Counter(self.case.items[item][2] for item in done)
        return {
            "total": len(done),
            "by_type": {flow_type: counts[flow_type] for flow_type in FLOW_TYPES},
            "canceled": sum(
                self.ends_in_window(item, "canceled") for item in range(len(self.case.items))
            ),
        }

    def done(self) -> list[dict[str, Any]]:
        rows = []
        for item, (external_id, title, flow_type) in enumerate(self.case.items):
            if not self.ends_in_window(item, "done"):
                continue
            finished, started = self.runs(item)[-1][1], self.started(item)
            timed = started is not None
            rows.append(
                {
                    "external_id": external_id,
                    "title": title,
                    "flow_type": flow_type,
                    "started": iso(started) if timed else None,
                    "finished": iso(finished),
                    "flow_time_days": (finished - started) / DAY if timed else None,
                    "active_days": self.time_in(item, "active") / DAY if timed else None,
                    "waiting_days": self.time_in(item, "waiting") / DAY if timed else None,
                }
            )
        return sorted(rows, key=lambda row: (row["finished"], row["external_id"]))

    def aging(self) -> list[dict[str, Any]]:
        rows = []
        for item, (external_id, title, flow_type) in enumerate(self.case.items):
            story = self.stories[item]
            if not story or self.flow_state(story[-1][1]) not in IN_PROGRESS:
                continue
            started = self.started(item)
            assert started is not None
            rows.append(
                {
                    "external_id": external_id,
                    "title": title,
                    "state": self.case.states[story[-1][1]].name,
                    "flow_type": flow_type,
                    "age_days": (self.as_of - started) / DAY,
                    "started": started,
                }
            )
        rows.sort(key=lambda row: (row.pop("started"), row["external_id"]))
        return rows

    def load_crossings(self) -> dict[str, int]:
        """Transitions made in the window that enter load, and those that leave it, by the
        flow state they leave it for."""
        crossings: Counter[str] = Counter()
        for story in self.stories:
            was_in_load = False
            for moment, state in story:
                now_in_load = self.flow_state(state) in IN_PROGRESS
                day = datetime.fromtimestamp(moment, UTC).date()
                if self.case.start <= day <= self.end and was_in_load != now_in_load:
                    crossings["entered" if now_in_load else f"to {self.flow_state(state)}"] += 1
                was_in_load = now_in_load
        return crossings


def close(actual: Any, expected: Any) -> bool:
    """Equal, floats within 1e-12 (sums may round in another order)."""
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            close(actual[key], expected[key]) for key in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(map(close, actual, expected))
    return type(actual) is type(expected) and actual == expected


def iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


# --- properties ------------------------------------------------------------------------


@given(cases())
@settings(max_examples=150, deadline=None)
def test_every_figure_matches_the_slow_reference(case):
    payload = case.flow()
    reference = Reference(case)

    assert payload["window"]["end"] == reference.end.isoformat()
    assert payload["load"] == reference.load()
    assert payload["cfd"]["counts"] == reference.cfd()
    assert payload["velocity"] == reference.velocity()
    assert close(payload["done"], reference.done())
    assert close(payload["aging"], reference.aging())
    throughput = sum(row["count"] for row in payload["throughput"])
    assert throughput == payload["velocity"]["total"]


@given(cases())
@settings(deadline=None)
def test_cfd_curves_never_cross(case):
    cfd = case.flow()["cfd"]

    for earlier, later in zip(cfd["states"], cfd["states"][1:], strict=False):
        assert all(
            low <= high
            for low, high in zip(cfd["counts"][later], cfd["counts"][earlier], strict=True)
        )


@given(cases())
@settings(deadline=None)
def test_flow_is_conserved_through_the_load(case):
    """Over the window, the transitions that enter load (first starts, restarts from new,
    reopened done or canceled items) minus the change in load equal the transitions that
    leave it, to done, canceled or new, counted once per transition, reopened items as often
    as they leave."""
    payload = case.flow()
    before = case.flow(start=case.start - timedelta(days=1))["load"][0]["total"]
    crossings = Reference(case).load_crossings()

    change = payload["load"][-1]["total"] - before
    left = crossings["to done"] + crossings["to canceled"] + crossings["to new"]
    assert crossings["entered"] - change == left


@given(cases())
@settings(deadline=None)
def test_flow_time_is_at_least_the_active_and_waiting_time_in_it(case):
    for row in case.flow()["done"]:
        if row["started"] is None:
            continue
        assert row["flow_time_days"] >= row["active_days"] + row["waiting_days"] - 1e-12
        assert row["active_days"] >= 0 and row["waiting_days"] >= 0


@given(cases(), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_results_do_not_depend_on_row_order(case, rng):
    shuffled = shuffled_rows(case, rng)

    assert shuffled.flow(seed=3) == case.flow(seed=3)


def shuffled_rows(case: Case, rng: random.Random) -> Case:
    """The same history with items and transitions in another order; transitions of one item
    at one instant keep their history order, which decides between them."""
    new_position = list(range(len(case.items)))
    rng.shuffle(new_position)
    items = [item for _, item in sorted(zip(new_position, case.items, strict=True))]
    transitions = [(new_position[item], state, moment) for item, state, moment in case.transitions]
    slots = list(range(len(transitions)))
    rng.shuffle(slots)
    groups: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for slot in slots:
        item, _, moment = transitions[slot]
        groups[(item, moment)].append(slot)
    # Each group's rows fill the slots it was dealt, in sorted slot order, in history order.
    reordered: dict[int, tuple[int, int, int]] = {}
    members: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for index, (item, _, moment) in enumerate(transitions):
        members[(item, moment)].append(index)
    for key, dealt in groups.items():
        for slot, index in zip(sorted(dealt), members[key], strict=True):
            reordered[slot] = transitions[index]
    rows = [reordered[slot] for slot in range(len(transitions))]
    return Case(items, case.states, rows, case.start, case.end, case.as_of)
