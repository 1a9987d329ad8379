"""`measured_flow`: the flow of real work items over a window of UTC days, as the API payload.

Every definition lives in docs/flow-metrics.md ("Definitions"), with worked examples. The
computation sorts nothing per item: it runs a few vectorised passes over the transition
arrays (filter, segment boundaries, bincounts over day buckets, cumulative sums), then
loops in Python only over days, states, confidences and the rows it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from metrics.measured.forecast import HORIZON_DAYS, forecast
from metrics.measured.history import EPOCH, FLOW_STATES, FLOW_TYPES, SECONDS_PER_DAY, History

INTERVALS: tuple[str, ...] = ("day", "week", "month", "quarter")
FLOW_TIME_PERCENTILES: tuple[int, ...] = (50, 70, 85, 95)
LITTLES_LAW_TOLERANCE = 0.25  # of the mean load
NEW, WAITING, ACTIVE, DONE, CANCELED, IGNORE = range(len(FLOW_STATES))
NO_STATE = -1
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class _Window:
    """The window's UTC days, clipped to as_of's UTC day, and as_of in epoch seconds."""

    start: date
    end: date
    as_of: datetime
    interval: str
    first_day: int  # epoch day of start
    days: int  # >= 1
    as_of_second: int  # floored: transitions at or before it count
    as_of_seconds: float  # exact: where the last state of an item ends


def _window(start: date, end: date, as_of: datetime, interval: str) -> _Window:
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise ValueError("start and end must be dates, not datetimes.")
    if start > end:
        raise ValueError("The window's start must not be after its end.")
    if interval not in INTERVALS:
        raise ValueError(f"The interval must be one of {', '.join(INTERVALS)}.")
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be an aware datetime (with a time zone).")
    as_of_day = as_of.astimezone(UTC).date()
    if as_of_day < start:
        raise ValueError("as_of must not be before the window's start.")
    clipped_end = min(end, as_of_day)
    since_epoch = as_of - EPOCH
    return _Window(
        start=start,
        end=clipped_end,
        as_of=as_of,
        interval=interval,
        first_day=(start - _EPOCH_DAY).days,
        days=(clipped_end - start).days + 1,
        as_of_second=since_epoch // timedelta(seconds=1),
        as_of_seconds=since_epoch.total_seconds(),
    )


def _first_of_runs(keys: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal values in `keys`."""
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def _last_of_runs(keys: np.ndarray) -> np.ndarray:
    """Mask of the last element of each run of equal values in `keys`."""
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return last


@dataclass(frozen=True, slots=True)
class _Timeline:
    """What the history says at as_of, per item, and per day of the window."""

    current_flow: np.ndarray  # int8 per item: flow state at as_of, NO_STATE before any
    current_state: np.ndarray  # intp per item: index into states, NO_STATE before any
    started: np.ndarray  # bool per item: entered waiting or active at least once
    started_at: np.ndarray  # int64 per item: first entry into waiting or active
    entered_at: np.ndarray  # int64 per item: entry into the flow state it is in at as_of
    active_seconds: np.ndarray  # float64 per item, up to as_of
    waiting_seconds: np.ndarray  # float64 per item, up to as_of
    load: np.ndarray  # int64 (types, days): in waiting or active at the end of each day
    cfd: np.ndarray  # int64 (ranked states, days): in that state or a later one


def _timeline(history: History, window: _Window, state_rank: np.ndarray) -> _Timeline:
    """One pass of vectorised segment operations over the transitions, sorted by (item, time).

    Transitions after as_of and into `ignore` states are dropped first; the rest mark
    intervals that run to the item's next transition, or to as_of for its last.
    """
    flow_of_state = np.array(
        [FLOW_STATES.index(state.flow_state) for state in history.states], dtype=np.int8
    )
    item, state, at = history.transition_item, history.transition_state, history.transition_at
    keep = (at <= window.as_of_second) & (flow_of_state[state] != IGNORE)
    if not keep.all():
        item, state, at = item[keep], state[keep], at[keep]
    flow = flow_of_state[state]
    items = history.item_count

    item_first = _first_of_runs(item)
    item_last = _last_of_runs(item)
    lasts = np.flatnonzero(item_last)
    current_flow = np.full(items, NO_STATE, dtype=np.int8)
    current_flow[item[lasts]] = flow[lasts]
    current_state = np.full(items, NO_STATE, dtype=np.intp)
    current_state[item[lasts]] = state[lasts]

    # A run is a stretch of one flow state: Resolved -> Closed (both done) enters done once.
    run_entry = item_first.copy()
    run_entry[1:] |= flow[1:] != flow[:-1]
    entries = np.flatnonzero(run_entry)
    final_entries = entries[_last_of_runs(item[entries])]
    entered_at = np.zeros(items, dtype=np.int64)
    entered_at[item[final_entries]] = at[final_entries]

    in_progress = (flow == WAITING) | (flow == ACTIVE)
    progress = np.flatnonzero(in_progress)
    first_starts = progress[_first_of_runs(item[progress])]
    started = np.zeros(items, dtype=bool)
    started[item[first_starts]] = True
    started_at = np.zeros(items, dtype=np.int64)
    started_at[item[first_starts]] = at[first_starts]

    # Time in a state runs to the item's next transition, or to as_of after its last.
    duration = np.empty(len(at), dtype=np.float64)
    duration[:-1] = at[1:] - at[:-1]
    duration[lasts] = window.as_of_seconds - at[lasts]
    segments = np.flatnonzero(item_first)
    active_seconds = np.zeros(items, dtype=np.float64)
    waiting_seconds = np.zeros(items, dtype=np.float64)
    if len(segments):
        segment_items = item[segments]
        active_seconds[segment_items] = np.add.reduceat(
            np.where(flow == ACTIVE, duration, 0.0), segments
        )
        waiting_seconds[segment_items] = np.add.reduceat(
            np.where(flow == WAITING, duration, 0.0), segments
        )

    # Day buckets: 0 before the window, 1..days its days, days + 1 after it. A transition
    # belongs to the UTC day it happens in, so "the end of day d" sees those made before
    # midnight (and, on as_of's day, those up to as_of: later ones were dropped).
    buckets = window.days + 2
    bucket = np.clip(at // SECONDS_PER_DAY - (window.first_day - 1), 0, buckets - 1)

    was_in_progress = np.zeros(len(at), dtype=bool)
    was_in_progress[1:] = in_progress[:-1] & ~item_first[1:]
    load_bin = history.flow_types[item].astype(np.intp) * buckets + bucket
    size = len(FLOW_TYPES) * buckets
    load_change = np.bincount(load_bin[in_progress & ~was_in_progress], minlength=size)
    load_change -= np.bincount(load_bin[was_in_progress & ~in_progress], minlength=size)
    load = np.cumsum(load_change.reshape(len(FLOW_TYPES), buckets), axis=1)[:, 1:-1]

    # CFD: each change of tracker state leaves one state and enters another.
    rank = state_rank[state]
    moved = item_first.copy()
    moved[1:] |= state[1:] != state[:-1]
    left = np.flatnonzero(moved & ~item_first)
    ranks = int(np.count_nonzero(state_rank >= 0))
    size = ranks * buckets
    in_state_change = np.bincount(rank[moved] * buckets + bucket[moved], minlength=size)
    in_state_change -= np.bincount(rank[left - 1] * buckets + bucket[left], minlength=size)
    in_state = np.cumsum(in_state_change.reshape(ranks, buckets), axis=1)[:, 1:-1]
    cfd = np.cumsum(in_state[::-1], axis=0)[::-1]  # in this state or a later one

    return _Timeline(
        current_flow=current_flow,
        current_state=current_state,
        started=started,
        started_at=started_at,
        entered_at=entered_at,
        active_seconds=active_seconds,
        waiting_seconds=waiting_seconds,
        load=load,
        cfd=cfd,
    )


def _iso_datetimes(seconds: np.ndarray) -> list[str]:
    """ISO 8601 UTC datetimes with an explicit +00:00 offset."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return np.strings.add(text, "+00:00").tolist()


def _or_null(present: np.ndarray, values: np.ndarray) -> list[Any]:
    """`values` as Python objects, None where not `present`."""
    # numpy's stubs refuse None as a scalar, which an object array holds like any other.
    return np.where(present, values.astype(object), None).tolist()  # type: ignore[call-overload]


def _by_type(counts: np.ndarray) -> dict[str, int]:
    return dict(zip(FLOW_TYPES, np.asarray(counts, dtype=np.int64).tolist(), strict=True))


def _shares(counts: np.ndarray) -> dict[str, float | None]:
    """Each type's share of the total; all null when there is nothing to share."""
    total = int(counts.sum())
    return {
        flow_type: (int(count) / total if total else None)
        for flow_type, count in zip(FLOW_TYPES, counts, strict=True)
    }


def _interval_start(day: date, interval: str) -> date:
    if interval == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day


def _throughput(days: list[date], daily: np.ndarray, interval: str) -> list[dict[str, Any]]:
    """Per interval overlapping the window: its first day inside the window and its count."""
    rows: list[dict[str, Any]] = []
    current: date | None = None
    for day, count in zip(days, daily.tolist(), strict=True):
        start = _interval_start(day, interval)
        if start != current:
            current = start
            rows.append({"date": day.isoformat(), "count": 0})
        rows[-1]["count"] += count
    return rows


def _flow_time(flow_days: np.ndarray) -> dict[str, Any]:
    figures: dict[str, Any] = {"count": len(flow_days), "mean_days": None}
    figures |= {f"p{percentile}_days": None for percentile in FLOW_TIME_PERCENTILES}
    if len(flow_days):
        figures["mean_days"] = float(flow_days.mean())
        values = np.percentile(flow_days, FLOW_TIME_PERCENTILES)  # linear interpolation
        for percentile, value in zip(FLOW_TIME_PERCENTILES, values.tolist(), strict=True):
            figures[f"p{percentile}_days"] = value
    return figures


def _efficiency(active: np.ndarray, waiting: np.ndarray) -> dict[str, float | None]:
    touched = active + waiting
    total = float(touched.sum())
    counted = touched > 0
    return {
        "portfolio": float(active.sum()) / total if total > 0 else None,
        "mean_per_item": (
            float((active[counted] / touched[counted]).mean()) if counted.any() else None
        ),
    }


def _littles_law(
    load_total: np.ndarray, velocity: int, days: int, mean_flow_time: float | None
) -> dict[str, Any]:
    mean_load = float(load_total.mean())
    velocity_per_day = velocity / days
    agrees = None
    if mean_flow_time is not None and mean_load > 0:
        expected_load = velocity_per_day * mean_flow_time
        agrees = bool(abs(mean_load - expected_load) <= LITTLES_LAW_TOLERANCE * mean_load)
    return {
        "mean_load": mean_load,
        "velocity_per_day": velocity_per_day,
        "mean_flow_time_days": mean_flow_time,
        "agrees": agrees,
    }


def _state_ranks(history: History) -> tuple[list[int], np.ndarray]:
    """Workflow states in (order, position) order without `ignore` states, and each state's
    rank in that list (-1 for `ignore` states, whose transitions are dropped)."""
    workflow = sorted(
        (index for index, state in enumerate(history.states) if state.flow_state != "ignore"),
        key=lambda index: (history.states[index].order, index),
    )
    rank = np.full(len(history.states), -1, dtype=np.intp)
    rank[workflow] = np.arange(len(workflow))
    return workflow, rank


def measured_flow(
    history: History,
    *,
    start: date,
    end: date,
    as_of: datetime,
    interval: str = "day",
    forecast_days: int = 30,
    forecast_items: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The measured flow of `history` over the UTC days start..end as of `as_of`: the API
    payload, JSON-ready (ISO dates and datetimes, ints, floats, null for no data, no NaN).

    The window ends at as_of's UTC day at the latest (the payload echoes the clipped end);
    transitions after as_of are ignored. Deterministic for a seed, and independent of the
    order of items and of transitions at different instants. Raises ValueError, with a
    sentence for the user, for start > end, an unknown interval, a naive as_of, as_of before
    start, forecast_days outside 1..HORIZON_DAYS (730) or a negative forecast_items.
    """
    window = _window(start, end, as_of, interval)
    if not 1 <= forecast_days <= HORIZON_DAYS:
        raise ValueError(f"forecast_days must be between 1 and {HORIZON_DAYS}.")
    if forecast_items is not None and forecast_items < 0:
        raise ValueError("forecast_items must not be negative.")

    workflow, state_rank = _state_ranks(history)
    timeline = _timeline(history, window, state_rank)
    flow_types = history.flow_types
    external_ids, titles = history.external_ids, history.titles

    day_of_entry = timeline.entered_at // SECONDS_PER_DAY - window.first_day
    in_window = (day_of_entry >= 0) & (day_of_entry < window.days)
    done = np.flatnonzero(in_window & (timeline.current_flow == DONE))
    canceled = np.count_nonzero(in_window & (timeline.current_flow == CANCELED))
    velocity_by_type = np.bincount(flow_types[done], minlength=len(FLOW_TYPES))
    daily_throughput = np.bincount(day_of_entry[done], minlength=window.days)
    done = _by_time_then_id(done, timeline.entered_at[done], external_ids)
    finished_at = timeline.entered_at[done]
    done_started = timeline.started[done]
    started_at = timeline.started_at[done]
    flow_days = (finished_at - started_at) / SECONDS_PER_DAY
    active_days = timeline.active_seconds[done] / SECONDS_PER_DAY
    waiting_days = timeline.waiting_seconds[done] / SECONDS_PER_DAY

    aging = np.flatnonzero((timeline.current_flow == WAITING) | (timeline.current_flow == ACTIVE))
    aging = _by_time_then_id(aging, timeline.started_at[aging], external_ids)
    age_days = (window.as_of_seconds - timeline.started_at[aging]) / SECONDS_PER_DAY
    load_now = np.bincount(flow_types[aging], minlength=len(FLOW_TYPES))

    days = [window.start + timedelta(days=offset) for offset in range(window.days)]
    day_names = [day.isoformat() for day in days]
    load_total = timeline.load.sum(axis=0)
    flow_time = _flow_time(flow_days[done_started])

    return {
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "as_of": window.as_of.isoformat(),
            "interval": window.interval,
        },
        "velocity": {
            "total": len(done),
            "by_type": _by_type(velocity_by_type),
            "canceled": int(canceled),
        },
        "flow_time": flow_time,
        "efficiency": _efficiency(
            timeline.active_seconds[done][done_started],
            timeline.waiting_seconds[done][done_started],
        ),
        "distribution": {"done": _shares(velocity_by_type), "load": _shares(load_now)},
        "load": [
            {"date": name, "total": total, "by_type": dict(zip(FLOW_TYPES, counts, strict=True))}
            for name, total, counts in zip(
                day_names, load_total.tolist(), timeline.load.T.tolist(), strict=True
            )
        ],
        "throughput": _throughput(days, daily_throughput, window.interval),
        "cfd": {
            "states": [history.states[index].name for index in workflow],
            "days": day_names,
            "counts": {
                history.states[index].name: counts
                for index, counts in zip(workflow, timeline.cfd.tolist(), strict=True)
            },
        },
        "aging": [
            {
                "external_id": external_ids[index],
                "title": titles[index],
                "state": history.states[state].name,
                "flow_type": FLOW_TYPES[flow_type],
                "age_days": age,
            }
            for index, state, flow_type, age in zip(
                aging.tolist(),
                timeline.current_state[aging].tolist(),
                flow_types[aging].tolist(),
                age_days.tolist(),
                strict=True,
            )
        ],
        "done": [
            {
                "external_id": external_ids[index],
                "title": titles[index],
                "flow_type": FLOW_TYPES[flow_type],
                "started": started,
                "finished": finished,
                "flow_time_days": flow,
                "active_days": active,
                "waiting_days": waiting,
            }
            for index, flow_type, started, finished, flow, active, waiting in zip(
                done.tolist(),
                flow_types[done].tolist(),
                _or_null(done_started, np.array(_iso_datetimes(started_at), dtype=object)),
                _iso_datetimes(finished_at),
                _or_null(done_started, flow_days),
                _or_null(done_started, active_days),
                _or_null(done_started, waiting_days),
                strict=True,
            )
        ],
        "littles_law": _littles_law(load_total, len(done), window.days, flow_time["mean_days"]),
        "forecast": forecast(
            daily_throughput,
            days=forecast_days,
            items=int(load_now.sum()) if forecast_items is None else forecast_items,
            seed=seed,
        ),
    }


def _by_time_then_id(
    indices: np.ndarray, times: np.ndarray, external_ids: Sequence[str]
) -> np.ndarray:
    """Item `indices` sorted by their `times`, ties by external id (never by row order)."""
    order = np.argsort(times, kind="stable")
    indices, times = indices[order], times[order]
    tied = np.zeros(len(times), dtype=bool)
    tied[1:] = times[1:] == times[:-1]
    tied[:-1] |= tied[1:]
    if tied.any():
        # Runs of equal times are contiguous: sorting just their members by (time, external id)
        # and writing them back to the same positions keeps the whole order by time.
        positions = np.flatnonzero(tied)
        keyed = sorted(
            zip(times[positions].tolist(), indices[positions].tolist(), strict=True),
            key=lambda pair: (pair[0], external_ids[pair[1]]),
        )
        indices[positions] = [index for _, index in keyed]
    return indices
