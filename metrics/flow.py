"""Flow metrics of a value stream map, computed from plain facts.

Pure and framework-free: no Django, no I/O, no clock. Callers (selectors, snapshot
services) turn rows into `ActivityFacts` / `WasteFacts` and store or broadcast the
JSON-serialisable dict that `flow_summary` returns.

Times are seconds. The activity graph is a DAG of flow links (source_id, target_id); a
stream without (usable) links flows as one chain in (order, id) order. Rework links (source_id,
target_id) send work back from an activity to an earlier one: they are never part of the graph
or the critical path, only of the expected rework.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HEADLINE_KEYS: tuple[str, ...] = (
    "lead_time",
    "process_time",
    "wait_time",
    "total_work",
    "flow_efficiency",
    "rolled_pca",
)
FORECAST_PERCENTILES: tuple[int, ...] = (50, 85, 95)


def _require_time(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    """One step of the stream. Raises ValueError on negative/non-finite times or pca."""

    id: int
    order: int  # flow order when the stream has no links
    title: str
    team: str
    process_time: float  # seconds, finite, >= 0
    wait_time: float  # seconds, finite, >= 0
    pca: float  # percent complete & accurate, 0..100
    lead_time_min: float | None = None  # optional 3-point estimate of this step's lead time
    lead_time_max: float | None = None

    def __post_init__(self) -> None:
        _require_time("process_time", self.process_time)
        _require_time("wait_time", self.wait_time)
        if not (math.isfinite(self.pca) and 0 <= self.pca <= 100):
            raise ValueError(f"pca must be within 0..100, got {self.pca!r}")
        if self.lead_time_min is not None:
            _require_time("lead_time_min", self.lead_time_min)
        if self.lead_time_max is not None:
            _require_time("lead_time_max", self.lead_time_max)
        low, high = self.lead_time_min, self.lead_time_max
        if low is not None and high is not None and low > high:
            raise ValueError("lead_time_min must not exceed lead_time_max")

    @property
    def lead_time(self) -> float:
        """This step's own lead time: wait, then process."""
        return float(self.wait_time) + float(self.process_time)

    @property
    def has_estimate(self) -> bool:
        """True when both ends of the 3-point estimate are given."""
        return self.lead_time_min is not None and self.lead_time_max is not None


@dataclass(frozen=True, slots=True)
class WasteFacts:
    """A waste sticky on the map, optionally pinned to an activity."""

    id: int
    text: str
    category: str
    votes: int
    activity_id: int | None = None


@dataclass(frozen=True, slots=True)
class _FlowGraph:
    """Activities indexed 0..n-1 in (order, id) order, with forward-only successor lists."""

    activities: tuple[ActivityFacts, ...]
    successors: tuple[tuple[int, ...], ...]
    topological_order: tuple[int, ...]
    link_count: int


def _flow_graph(
    activities: Sequence[ActivityFacts], links: Sequence[tuple[int, int]]
) -> _FlowGraph:
    """Builds the graph once; Kahn's algorithm, iterative, O(activities + links).

    Links with an unknown end, self-links and duplicates are ignored. Should a cycle slip
    through, the earliest (order, id) activity left waiting is released and its links from
    still-waiting activities are dropped, so the result stays deterministic and finite.
    """
    ordered = tuple(sorted(activities, key=lambda activity: (activity.order, activity.id)))
    index_of = {activity.id: index for index, activity in enumerate(ordered)}
    if len(index_of) != len(ordered):
        raise ValueError("activity ids must be unique")
    count = len(ordered)

    edges = {
        (index_of[source], index_of[target])
        for source, target in links
        if source in index_of and target in index_of and source != target
    }
    if not edges:
        chain = tuple((index + 1,) if index + 1 < count else () for index in range(count))
        return _FlowGraph(ordered, chain, tuple(range(count)), 0)

    adjacency: list[list[int]] = [[] for _ in range(count)]
    waiting_on = [0] * count
    for source, target in edges:
        adjacency[source].append(target)
        waiting_on[target] += 1

    position = [-1] * count
    topological: list[int] = []
    ready = deque(index for index in range(count) if waiting_on[index] == 0)
    earliest_unplaced = 0
    cycle_broken = False
    while len(topological) < count:
        if not ready:  # only reachable with a cycle
            cycle_broken = True
            while position[earliest_unplaced] >= 0:
                earliest_unplaced += 1
            ready.append(earliest_unplaced)
            waiting_on[earliest_unplaced] = 0
        node = ready.popleft()
        position[node] = len(topological)
        topological.append(node)
        for target in adjacency[node]:
            if position[target] < 0:
                waiting_on[target] -= 1
                if waiting_on[target] == 0:
                    ready.append(target)

    if cycle_broken:
        successors = tuple(
            tuple(target for target in adjacency[node] if position[target] > position[node])
            for node in range(count)
        )
    else:
        successors = tuple(map(tuple, adjacency))
    used = sum(len(targets) for targets in successors)
    return _FlowGraph(ordered, successors, tuple(topological), used)


def _critical_path(graph: _FlowGraph, weights: Sequence[float]) -> tuple[float, list[int]]:
    """Longest path (lead time, node indices); ties go to the (order, id)-lexicographically
    first node sequence. The DP runs backwards so each tie can be settled greedily."""
    count = len(weights)
    if count == 0:
        return 0.0, []
    longest_from = [0.0] * count
    follow = [-1] * count
    successors = graph.successors
    for node in reversed(graph.topological_order):
        best_next, best_tail = -1, 0.0
        for target in successors[node]:
            tail = longest_from[target]
            if best_next < 0 or tail > best_tail or (tail == best_tail and target < best_next):
                best_next, best_tail = target, tail
        longest_from[node] = weights[node] + best_tail
        follow[node] = best_next

    start = 0
    for node in range(1, count):
        if longest_from[node] > longest_from[start]:
            start = node
    path = [start]
    while follow[path[-1]] >= 0:
        path.append(follow[path[-1]])
    return longest_from[start], path


def _fold_along(path: Sequence[int], values: Sequence[float]) -> float:
    """Sums `values` over `path` in the same order the lead-time DP adds them, so that
    a sum of smaller parts can never round above the lead time."""
    total = 0.0
    for node in reversed(path):
        total = values[node] + total
    return total


def _rerun_time(graph: _FlowGraph, weights: Sequence[float], start: int, end: int) -> float | None:
    """The longest path of the flow from `start` to `end`, both included (the work a rework
    loop end -> start runs again); None when the flow does not lead from `start` to `end`."""
    topological = graph.topological_order
    reach: list[float | None] = [None] * len(weights)
    reach[start] = weights[start]
    first = topological.index(start)
    for node in topological[first:]:
        so_far = reach[node]
        if so_far is None:
            continue
        if node == end:
            break  # nothing after `end` in this order can lead back to it
        for target in graph.successors[node]:
            candidate = so_far + weights[target]
            current = reach[target]
            if current is None or candidate > current:
                reach[target] = candidate
    return reach[end] if start != end else None


def _rework(
    graph: _FlowGraph,
    weights: Sequence[float],
    path: Sequence[int],
    rework_links: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """Expected rework, first order: each step of the critical path with %C&A p is redone
    once with probability 1 - p. Without a rework loop it redoes itself (its own lead time);
    with loops leaving it, the share 1 - p is sent back (split evenly between its loops) to
    each loop's target and runs again from there to the step (`_rerun_time`). Loops with an
    unknown end, to itself, duplicated, or whose target the flow does not lead from to the
    source (`valid` false) send nothing back."""
    index_of = {activity.id: index for index, activity in enumerate(graph.activities)}
    loops: dict[int, list[tuple[int, float | None]]] = defaultdict(list)
    for source, target in sorted(set(rework_links)):
        if source in index_of and target in index_of and source != target:
            start, end = index_of[target], index_of[source]
            loops[end].append((start, _rerun_time(graph, weights, start, end)))
    on_path = set(path)
    described: list[dict[str, Any]] = []
    for end, targets in loops.items():
        valid = [(start, rerun) for start, rerun in targets if rerun is not None]
        failing = 1 - graph.activities[end].pca / 100
        for start, rerun in targets:
            share = failing / len(valid) if rerun is not None else 0.0
            described.append(
                {
                    "source": graph.activities[end].id,
                    "target": graph.activities[start].id,
                    "source_title": graph.activities[end].title,
                    "target_title": graph.activities[start].title,
                    "share": 100 * share,
                    "rerun_time": rerun,
                    "expected_time": share * rerun if rerun is not None else 0.0,
                    "valid": rerun is not None,
                    "on_critical_path": end in on_path,
                }
            )
    described.sort(key=lambda loop: (loop["source"], loop["target"]))
    sent_back = {
        end: [rerun for _, rerun in targets if rerun is not None] for end, targets in loops.items()
    }
    parts: list[float] = []
    for node in path:
        failing = 1 - graph.activities[node].pca / 100
        reruns = sent_back.get(node)
        if reruns:
            parts.extend(failing / len(reruns) * rerun for rerun in reruns)
        else:
            parts.append(failing * weights[node])
    return {"expected_rework_time": math.fsum(parts), "loops": described}


def _forecast(
    graph: _FlowGraph, fixed: Sequence[float], *, simulations: int, seed: int
) -> dict[str, Any] | None:
    """Monte Carlo lead time: each run samples estimated steps from triangular(min, mode,
    max), mode = own lead time clipped into [min, max], and takes the longest path."""
    draws: list[tuple[int, float, float, float, float]] = []
    for index, activity in enumerate(graph.activities):
        low, high = activity.lead_time_min, activity.lead_time_max
        if low is None or high is None:
            continue
        low, high = float(low), float(high)
        span = high - low
        mode = min(max(fixed[index], low), high)
        draws.append((index, low, high, span, (mode - low) / span if span > 0 else 0.0))
    if not draws:
        return None
    # Reverse topological order, so a step's successors are final before it reads them.
    plan = [
        (node, targets[0], targets[1:])
        for node in reversed(graph.topological_order)
        if (targets := graph.successors[node])
    ]

    uniform = random.Random(seed).random
    sqrt = math.sqrt
    lead_times: list[float] = []
    for _ in range(simulations):
        longest_from = list(fixed)
        # Triangular inverse CDF inlined: calling Random.triangular dominated the run time.
        # The comparisons keep each draw inside [low, high] despite rounding.
        for index, low, high, span, peak in draws:
            u = uniform()
            if u <= peak:
                sample = low + span * sqrt(u * peak)
                longest_from[index] = high if sample > high else sample
            else:
                sample = high - span * sqrt((1.0 - u) * (1.0 - peak))
                longest_from[index] = low if sample < low else sample
        for node, first, others in plan:
            tail = longest_from[first]
            for target in others:
                if longest_from[target] > tail:
                    tail = longest_from[target]
            longest_from[node] += tail
        lead_times.append(max(longest_from))

    lead_times.sort()
    forecast: dict[str, Any] = {"runs": simulations}
    for percentile in FORECAST_PERCENTILES:
        rank = math.ceil(percentile / 100 * simulations)  # nearest-rank percentile
        forecast[f"p{percentile}"] = lead_times[rank - 1]
    return forecast


def _team_breakdown(activities: Sequence[ActivityFacts]) -> list[dict[str, Any]]:
    process: defaultdict[str, list[float]] = defaultdict(list)
    wait: defaultdict[str, list[float]] = defaultdict(list)
    for activity in activities:
        team = activity.team or ""
        process[team].append(float(activity.process_time))
        wait[team].append(float(activity.wait_time))
    teams: list[dict[str, Any]] = [
        {
            "team": team,
            "process_time": math.fsum(process[team]),
            "wait_time": math.fsum(wait[team]),
            "activities": len(process[team]),
        }
        for team in process
    ]
    teams.sort(key=lambda row: (-row["wait_time"], row["team"]))
    return teams


def _waste_summary(wastes: Sequence[WasteFacts], top: int) -> dict[str, Any]:
    by_category: defaultdict[str, int] = defaultdict(int)
    for waste in wastes:
        by_category[waste.category] += 1
    ranked = sorted(wastes, key=lambda waste: (-waste.votes, waste.id))[:top]
    return {
        "by_category": dict(sorted(by_category.items())),
        "top": [
            {
                "id": waste.id,
                "text": waste.text,
                "category": waste.category,
                "votes": waste.votes,
                "activity_id": waste.activity_id,
            }
            for waste in ranked
        ],
    }


def flow_summary(
    activities: Sequence[ActivityFacts],
    links: Sequence[tuple[int, int]],
    wastes: Sequence[WasteFacts] = (),
    *,
    rework_links: Sequence[tuple[int, int]] = (),
    top_wastes: int = 5,
    simulations: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Flow metrics of one stream as a JSON-serialisable dict; deterministic and independent
    of the order of `activities`, `links` and `wastes`.

    Graph: links (source_id, target_id) between known, distinct activities form the graph
    (others are ignored; `link_count` counts the distinct links used). With no usable link
    the activities form one chain in (order, id) order; otherwise activities without links
    are isolated nodes. Each activity weighs wait_time + process_time.

    Headline: `lead_time` is the longest path (concurrent branches never add up);
    `process_time` / `wait_time` are sums along that `critical_path`; `total_work` sums
    process_time over all activities; `flow_efficiency` = process_time / lead_time (0.0 for
    a zero lead time); `rolled_pca` = 100 * product of pca/100 over all activities.

    Tie-break: among equally long paths the critical path is the one whose activities,
    read from its start, come first in (order, id) order (lexicographically smallest).
    `bottleneck` is the path activity with the longest wait, the first on the path on ties.

    Rework (beyond the headline): a step not complete & accurate (probability 1 - pca/100)
    is assumed to be redone once; `expected_rework_time` sums that expectation along the
    critical path. A step redoes its own wait + process time, unless `rework_links` (source,
    target) send its work back: then the share 1 - pca/100 of the source (split evenly
    between its loops) runs again from the target through the flow to the source (the longest
    such path, both ends included). `rework.loops` describes each loop: its `share` in percent,
    `rerun_time`, `expected_time`, whether it is `valid` (the flow leads from target to source)
    and `on_critical_path` (its source is; only those count). Rework links never change the
    graph, the headline or the critical path. First-order model: it ignores repeated
    failures, and rolled %C&A (the chance a piece of work needs no rework) is unchanged.

    Forecast: None unless some activity has both `lead_time_min` and `lead_time_max`;
    otherwise `simulations` seeded runs (see `_forecast`) reported as nearest-rank p50, p85,
    p95. Raises ValueError for duplicate activity ids, simulations < 1 or top_wastes < 0.
    """
    if simulations < 1:
        raise ValueError("simulations must be at least 1")
    if top_wastes < 0:
        raise ValueError("top_wastes must not be negative")

    graph = _flow_graph(activities, links)
    ordered = graph.activities
    weights = [activity.lead_time for activity in ordered]
    lead_time, path = _critical_path(graph, weights)
    process_time = _fold_along(path, [float(activity.process_time) for activity in ordered])
    wait_time = _fold_along(path, [float(activity.wait_time) for activity in ordered])

    rolled = 1.0
    for activity in ordered:
        rolled *= activity.pca / 100

    path_activities = [ordered[node] for node in path]
    bottleneck: int | None = None
    longest_wait = -1.0
    for activity in path_activities:
        if activity.wait_time > longest_wait:
            bottleneck, longest_wait = activity.id, activity.wait_time

    rework = _rework(graph, weights, path, rework_links)
    expected_rework_time = rework["expected_rework_time"]

    return {
        "lead_time": lead_time,
        "process_time": process_time,
        "wait_time": wait_time,
        "total_work": math.fsum(float(activity.process_time) for activity in ordered),
        "flow_efficiency": process_time / lead_time if lead_time > 0 else 0.0,
        "rolled_pca": 100.0 * rolled,
        "critical_path": [activity.id for activity in path_activities],
        "bottleneck": bottleneck,
        "by_team": _team_breakdown(ordered),
        "steps": [
            {
                "id": activity.id,
                "title": activity.title,
                "team": activity.team or "",
                "process_time": float(activity.process_time),
                "wait_time": float(activity.wait_time),
                "pca": float(activity.pca),
            }
            for activity in path_activities
        ],
        "wastes": _waste_summary(wastes, top_wastes),
        "rework": {
            "expected_rework_time": expected_rework_time,
            "lead_time_with_rework": lead_time + expected_rework_time,
            "loops": rework["loops"],
        },
        "forecast": _forecast(graph, weights, simulations=simulations, seed=seed),
        "activity_count": len(ordered),
        "link_count": graph.link_count,
    }


def flow_deltas(current: dict[str, Any], base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Compares two `flow_summary` results on the headline figures.

    Returns {key: {"current", "base", "change", "change_pct"}}; change = current - base,
    change_pct = 100 * change / base, None when base is 0.
    """
    deltas: dict[str, dict[str, Any]] = {}
    for key in HEADLINE_KEYS:
        now, before = float(current[key]), float(base[key])
        change = now - before
        deltas[key] = {
            "current": now,
            "base": before,
            "change": change,
            "change_pct": 100 * change / before if before != 0 else None,
        }
    return deltas
