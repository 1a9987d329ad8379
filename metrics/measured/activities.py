"""`map_against_measured`: a value stream map's estimates held against the measured flow of
the work items done in a window, activity by activity.

Pure: numpy, the standard library and `metrics.flow`. Every definition, with worked
examples, is in docs/flow-metrics.md ("The map against measured flow"). The items are
`measured_flow`'s velocity set, found by the same window and timeline; the rest is a few
vectorised passes over those items' transitions (one `np.unique` of (item, activity) keys,
bincounts, a segmented suffix minimum), then a loop over the map's activities.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

import numpy as np

from metrics.flow import ActivityFacts, flow_summary
from metrics.measured.history import FLOW_STATES, SECONDS_PER_DAY, History
from metrics.measured.summary import (
    ACTIVE,
    CANCELED,
    DONE,
    IGNORE,
    NEW,
    WAITING,
    _first_of_runs,
    _last_of_runs,
    _state_ranks,
    _timeline,
    _Window,
    _window,
)

MEASURED_PERCENTILES: tuple[int, int] = (50, 85)
_UNMAPPED = -1


@dataclasses.dataclass(frozen=True, slots=True)
class _DoneTransitions:
    """The kept transitions (at or before as_of, not into `ignore` states) of the items done in
    the window, sorted by (item, time), with each one's time until the item's next one."""

    item: np.ndarray  # int64
    state: np.ndarray  # intp, index into history.states
    flow: np.ndarray  # int8, index into FLOW_STATES
    duration: np.ndarray  # float64 seconds; 0 for an item's last (its final done)


def _done_in_window(history: History, window: _Window) -> tuple[np.ndarray, np.ndarray]:
    """`measured_flow`'s velocity set (in done at as_of, its final done entered on a window day)
    as an item mask, and the flow time in seconds of those of them that started."""
    _, state_rank = _state_ranks(history)
    timeline = _timeline(history, window, state_rank)
    day_of_entry = timeline.entered_at // SECONDS_PER_DAY - window.first_day
    done = (day_of_entry >= 0) & (day_of_entry < window.days) & (timeline.current_flow == DONE)
    timed = done & timeline.started
    return done, (timeline.entered_at[timed] - timeline.started_at[timed]).astype(np.float64)


def _done_transitions(history: History, window: _Window, done: np.ndarray) -> _DoneTransitions:
    flow_of_state = np.array(
        [FLOW_STATES.index(state.flow_state) for state in history.states], dtype=np.int8
    )
    item, state, at = history.transition_item, history.transition_state, history.transition_at
    # The same transitions `_timeline` keeps, so an ignored state's time stays with the state
    # before it; dropping whole items keeps every other item's transitions adjacent.
    keep = (at <= window.as_of_second) & (flow_of_state[state] != IGNORE) & done[item]
    item, state, at = item[keep], state[keep], at[keep]
    duration = np.zeros(len(at), dtype=np.float64)
    duration[:-1] = np.where(_last_of_runs(item)[:-1], 0, at[1:] - at[:-1])
    return _DoneTransitions(item=item, state=state, flow=flow_of_state[state], duration=duration)


def _activity_of_state(
    history: History, state_activity: Mapping[int, int], index_of: Mapping[int, int]
) -> np.ndarray:
    """Per state, the index of its activity in (order, id) order; _UNMAPPED for a state no
    activity holds and for every state that is not `waiting` or `active` (whose time is neither
    process nor wait time: its flow state places it, see the docs)."""
    activity = np.full(len(history.states), _UNMAPPED, dtype=np.int64)
    for state, activity_id in state_activity.items():
        if not 0 <= state < len(history.states):
            raise ValueError(f"state_activity names state {state!r}, not an index into states.")
        if activity_id not in index_of:
            raise ValueError(f"state_activity names activity {activity_id!r}, not on the map.")
        if history.states[state].flow_state in ("waiting", "active"):
            activity[state] = index_of[activity_id]
    return activity


def _suffix_minimum(values: np.ndarray, group_first: np.ndarray, ceiling: int) -> np.ndarray:
    """Per element, the minimum of `values` (ints in 0..ceiling) from it to the end of its group
    (groups are runs starting where `group_first`). One running maximum over the reversed array:
    each later group (earlier in reverse) is lifted above every value of the groups before it."""
    group = np.cumsum(group_first) - 1
    lift = (group.max(initial=0) - group) * (ceiling + 1)
    running = np.maximum.accumulate((lift + ceiling - values)[::-1])[::-1]
    return ceiling - (running - lift)


def _first_index_per_group(groups: np.ndarray, positions: np.ndarray, size: int) -> np.ndarray:
    """Per group 0..size-1, the position of its first member in array order; -1 for none."""
    first = np.full(size, -1, dtype=np.int64)
    present, where = np.unique(groups, return_index=True)  # first occurrences
    first[present] = positions[where]
    return first


def _complete_and_accurate(
    transitions: _DoneTransitions,
    activity: np.ndarray,
    pair_keys: np.ndarray,
    activity_rank: np.ndarray,
    activity_count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per (item, activity) pair of `pair_keys`, whether the item left the activity forward and
    whether, after it first did, it never came back to it or below its order. Positions: an
    activity's rank (1..), `new` 0 (before all), `done`/`canceled` after all; the transitions
    of unmapped waiting/active states are invisible."""
    flow = transitions.flow
    before, after = activity_count, activity_count + 1
    token = np.where(activity >= 0, activity, np.where(flow == NEW, before, after))
    visible = (activity >= 0) | (flow == NEW) | (flow == DONE) | (flow == CANCELED)
    item, token = transitions.item[visible], token[visible]
    # A run is a stay at one position: In Dev -> Code Review (one activity) is no move.
    run = _first_of_runs(item)
    run[1:] |= token[1:] != token[:-1]
    item, token = item[run], token[run]
    item_first = _first_of_runs(item)
    item_last = _last_of_runs(item)

    ceiling = int(activity_rank.max(initial=0)) + 1
    rank_of_token = np.concatenate([activity_rank, [0, ceiling]])
    rank = rank_of_token[token]
    # Per run, the lowest rank among the item's later runs; read only where a run is left
    # forward, so never at an item's last run.
    later_minimum = np.full(len(rank), ceiling, dtype=np.int64)
    if len(rank):
        later_minimum[:-1] = _suffix_minimum(rank, item_first, ceiling)[1:]

    at_activity = np.flatnonzero(token < activity_count)
    pair = np.full(len(token), -1, dtype=np.int64)
    pair[at_activity] = np.searchsorted(
        pair_keys, item[at_activity] * activity_count + token[at_activity]
    )
    next_rank = np.full(len(rank), -1, dtype=np.int64)
    next_rank[:-1] = rank[1:]
    next_rank[item_last] = -1
    forward = np.flatnonzero((token < activity_count) & (next_rank >= rank))

    pairs = len(pair_keys)
    first_forward = _first_index_per_group(pair[forward], forward, pairs)
    reversed_runs = at_activity[::-1]
    last_run = _first_index_per_group(pair[reversed_runs], reversed_runs, pairs)
    left = first_forward >= 0
    pair_rank = activity_rank[pair_keys % max(activity_count, 1)]
    clean = (
        left
        & (last_run <= first_forward)
        & (later_minimum[np.maximum(first_forward, 0)] >= pair_rank)
    )
    return left, clean


def _median_and_p85(values: np.ndarray) -> tuple[float, float]:
    median, p85 = np.percentile(values, MEASURED_PERCENTILES)  # linear interpolation
    return float(median), float(p85)


def map_against_measured(
    history: History,
    *,
    activities: Sequence[ActivityFacts],
    links: Sequence[tuple[int, int]],
    state_activity: Mapping[int, int],
    start: date,
    end: date,
    as_of: datetime,
    working_seconds_per_calendar_second: float,
) -> dict[str, Any]:
    """A map's estimates beside the measured flow of the items done in start..end as of
    `as_of`: per activity, the medians and 85th percentiles of the items' time in its states
    (process time only where an `active` state maps to it, wait time only where a `waiting`
    one does; null otherwise) and its %C&A; the map's lead time on measured figures, estimates
    where a figure is not measured; the median flow time; how much of the items' time the
    mapped states cover. JSON-ready, no NaN (null for no data).

    `state_activity` maps indexes into `history.states` to activity ids; only `waiting` and
    `active` states' mappings count. Times are seconds of working time, like the estimates:
    calendar seconds times `working_seconds_per_calendar_second`. Activities are listed in
    (order, id) order. Deterministic, and independent of the order of items, of activities
    and of transitions at different instants. Raises ValueError, with a sentence, for what
    `measured_flow` refuses in a window, a conversion factor that is not a finite number
    above 0, duplicate activity ids, or a mapping that names an unknown state or activity.
    """
    window = _window(start, end, as_of, "day")
    factor = float(working_seconds_per_calendar_second)
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError("working_seconds_per_calendar_second must be a finite number above 0.")
    ordered = sorted(activities, key=lambda activity: (activity.order, activity.id))
    index_of = {activity.id: index for index, activity in enumerate(ordered)}
    if len(index_of) != len(ordered):
        raise ValueError("Activity ids must be unique.")
    activity_count = len(ordered)
    activity_of_state = _activity_of_state(history, state_activity, index_of)
    has_states = np.zeros(activity_count, dtype=bool)
    has_states[activity_of_state[activity_of_state >= 0]] = True
    # A figure is measured only where a state of its kind maps to the activity: an activity
    # with only active states has no measured wait time (null, not 0).
    has_kind = {kind: np.zeros(activity_count, dtype=bool) for kind in (ACTIVE, WAITING)}
    for state_index, activity_index in enumerate(activity_of_state):
        flow_state = history.states[state_index].flow_state
        if activity_index >= 0 and flow_state in ("active", "waiting"):
            has_kind[ACTIVE if flow_state == "active" else WAITING][activity_index] = True
    orders = np.array([activity.order for activity in ordered], dtype=np.int64)
    activity_rank = np.searchsorted(np.unique(orders), orders) + 1  # equal orders, equal rank

    done, flow_seconds = _done_in_window(history, window)
    transitions = _done_transitions(history, window, done)
    flow, duration = transitions.flow, transitions.duration
    in_progress = (flow == WAITING) | (flow == ACTIVE)
    time_in_state = np.bincount(
        transitions.state,
        weights=np.where(in_progress, duration, 0.0),
        minlength=len(history.states),
    )

    # Per (item, activity) pair: the item's total process and wait time in the activity.
    activity = activity_of_state[transitions.state]
    mapped = activity >= 0
    pair_keys, pair_of = np.unique(
        transitions.item[mapped] * activity_count + activity[mapped], return_inverse=True
    )
    pair_activity = pair_keys % max(activity_count, 1)
    mapped_flow, mapped_duration = flow[mapped], duration[mapped]
    pair_process = np.bincount(
        pair_of,
        weights=np.where(mapped_flow == ACTIVE, mapped_duration, 0.0),
        minlength=len(pair_keys),
    )
    pair_wait = np.bincount(
        pair_of,
        weights=np.where(mapped_flow == WAITING, mapped_duration, 0.0),
        minlength=len(pair_keys),
    )
    left, clean = _complete_and_accurate(
        transitions, activity, pair_keys, activity_rank, activity_count
    )
    left_forward = np.bincount(pair_activity[left], minlength=activity_count)
    never_reworked = np.bincount(pair_activity[clean], minlength=activity_count)

    by_activity = np.argsort(pair_activity, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(pair_activity, minlength=activity_count))])
    rows: list[dict[str, Any]] = []
    measured_facts: list[ActivityFacts] = []
    estimated_activities = 0
    for index, facts in enumerate(ordered):
        measured: dict[str, Any] | None = None
        pairs = by_activity[bounds[index] : bounds[index + 1]]
        if has_states[index]:
            measured = {
                "items": len(pairs),
                "process_time": None,
                "wait_time": None,
                "process_time_p85": None,
                "wait_time_p85": None,
                "pca": None,
            }
        if measured is not None and len(pairs):
            process, process_p85 = _median_and_p85(pair_process[pairs] * factor)
            wait, wait_p85 = _median_and_p85(pair_wait[pairs] * factor)
            leavers = int(left_forward[index])
            if has_kind[ACTIVE][index]:
                measured |= {"process_time": process, "process_time_p85": process_p85}
            if has_kind[WAITING][index]:
                measured |= {"wait_time": wait, "wait_time_p85": wait_p85}
            measured["pca"] = 100 * int(never_reworked[index]) / leavers if leavers else None
            measured_facts.append(
                _plain(
                    facts,
                    process_time=facts.process_time
                    if measured["process_time"] is None
                    else measured["process_time"],
                    wait_time=facts.wait_time
                    if measured["wait_time"] is None
                    else measured["wait_time"],
                )
            )
        else:
            estimated_activities += 1
            measured_facts.append(_plain(facts))
        rows.append(
            {
                "id": facts.id,
                "title": facts.title,
                "estimate": {
                    "process_time": float(facts.process_time),
                    "wait_time": float(facts.wait_time),
                    "pca": float(facts.pca),
                },
                "measured": measured,
            }
        )

    surprises = sorted(
        (
            (-abs(row["measured"]["wait_time"] - row["estimate"]["wait_time"]), position)
            for position, row in enumerate(rows)
            if row["measured"] is not None and row["measured"]["wait_time"] is not None
        ),
    )
    return {
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "as_of": window.as_of.isoformat(),
        },
        "items_done": int(np.count_nonzero(done)),
        "activities": rows,
        "lead_time": {
            "estimate": _lead_time([_plain(facts) for facts in ordered], links),
            "measured": _lead_time(measured_facts, links),
            "estimated_activities": estimated_activities,
        },
        "flow_time_median": float(np.median(flow_seconds)) * factor if len(flow_seconds) else None,
        "coverage": _coverage(history, time_in_state, activity_of_state),
        "surprises": [rows[position]["id"] for _, position in surprises],
    }


class _Times(TypedDict, total=False):
    process_time: float
    wait_time: float


def _plain(facts: ActivityFacts, **times: Unpack[_Times]) -> ActivityFacts:
    """The activity with `times` replaced and no 3-point estimate (no forecast to simulate)."""
    return dataclasses.replace(facts, lead_time_min=None, lead_time_max=None, **times)


def _lead_time(activities: Sequence[ActivityFacts], links: Sequence[tuple[int, int]]) -> float:
    """The map's lead time by `flow_summary`'s longest-path rule."""
    return float(flow_summary(activities, links, top_wastes=0, simulations=1)["lead_time"])


def _coverage(
    history: History, time_in_state: np.ndarray, activity_of_state: np.ndarray
) -> dict[str, Any]:
    total = float(time_in_state.sum())
    if total <= 0:
        return {"mapped_share": None, "unmapped_states": []}
    unmapped = [
        (-float(time_in_state[index]), state.order, index)
        for index, state in enumerate(history.states)
        if state.flow_state in ("waiting", "active")
        and activity_of_state[index] == _UNMAPPED
        and time_in_state[index] > 0
    ]
    unmapped.sort()
    return {
        "mapped_share": float(time_in_state[activity_of_state >= 0].sum()) / total,
        "unmapped_states": [
            {"name": history.states[index].name, "share": -seconds / total}
            for seconds, _, index in unmapped
        ],
    }
