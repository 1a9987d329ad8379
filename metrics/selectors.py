"""Reads for the flow summary: the facts of a stream, and stored summaries and snapshots."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from metrics.flow import ActivityFacts, WasteFacts, flow_deltas, flow_summary
from metrics.measured import (
    FLOW_TYPES,
    History,
    StateFacts,
    map_against_measured,
    measured_flow,
)
from metrics.models import FlowSnapshot, FlowSummary
from streams.kinds import FLOW_NEUTRAL_OPS
from streams.models import Activity, Countermeasure, Link, LinkKind, Op, ValueStream, Waste
from streams.selectors import link_pairs, stream_get
from workitems.models import (
    ImportStatus,
    StateActivity,
    WorkItem,
    WorkItemImport,
    WorkState,
)
from workitems.selectors import transition_rows
from workshops.selectors import AnyUser, membership_get


def stream_facts(
    stream: ValueStream,
) -> tuple[list[ActivityFacts], list[tuple[int, int]], list[WasteFacts]]:
    """The stream's activities, links and wastes as plain facts for `metrics.flow`.

    Votes count only once the facilitator has revealed them; before that every waste has 0,
    so the summary never leaks a hidden vote.
    """
    activities = [
        ActivityFacts(*row)
        for row in Activity.objects.filter(stream=stream).values_list(
            "id",
            "order",
            "title",
            "team",
            "process_time",
            "wait_time",
            "pca",
            "lead_time_min",
            "lead_time_max",
        )
    ]
    flow = Link.objects.filter(stream=stream, kind=LinkKind.FLOW)  # rework loops: link_pairs
    links = list(flow.values_list("source_id", "target_id"))
    wastes = Waste.objects.filter(stream=stream)
    rows: Iterable[tuple[int, str, str, int, int | None]]
    if stream.votes_revealed:
        rows = wastes.annotate(dots=Count("votes")).values_list(
            "id", "text", "category", "dots", "activity_id"
        )
    else:
        hidden = wastes.values_list("id", "text", "category", "activity_id")
        rows = [(id_, text, category, 0, activity) for id_, text, category, activity in hidden]
    return activities, links, [WasteFacts(*row) for row in rows]


TOP_WASTES = 20  # enough for the Pareto chart
FORECAST_BUDGET = 400_000  # Monte Carlo runs x activities per recompute


def summary_data(stream: ValueStream) -> dict[str, Any]:
    """The stream's flow summary computed from committed state (with its deltas against the
    map it is based on): what a recompute stores. Reads only."""
    activities, links, wastes = stream_facts(stream)
    # The forecast costs runs x activities; bound it so a huge map stays well under a second.
    runs = max(50, min(2000, FORECAST_BUDGET // max(1, len(activities))))
    data = flow_summary(
        activities,
        links,
        wastes,
        rework_links=link_pairs(stream=stream, kind=LinkKind.REWORK),
        top_wastes=TOP_WASTES,
        simulations=runs,
    )
    data["deltas"] = None
    if stream.based_on_id:
        base = ValueStream.objects.filter(pk=stream.based_on_id).first()
        if base is not None:
            base_activities, base_links, base_wastes = stream_facts(base)
            base_flow = flow_summary(
                base_activities,
                base_links,
                base_wastes,
                rework_links=link_pairs(stream=base, kind=LinkKind.REWORK),
            )
            data["deltas"] = flow_deltas(data, base_flow)
            data["deltas_against"] = {"id": base.pk, "name": base.name, "state": base.state}
    return data


def summary_current(*, stream: ValueStream) -> FlowSummary:
    """The stored summary; for a stream that has none yet (made a moment ago: its recompute,
    asked for when it was made, is on its way), one computed now and not stored. A read never
    writes (docs/architecture.md)."""
    summary = FlowSummary.objects.filter(stream=stream).first()
    if summary is None:
        summary = FlowSummary(
            stream=stream, data=summary_data(stream), seq=stream.seq, computed_at=timezone.now()
        )
    return summary


def summary_is_stale(summary: FlowSummary, stream: ValueStream) -> bool:
    """Whether an op since the summary may change it (a recompute is on its way). Ops that
    cannot (notes) leave it current; an op missing from the log counts as a change."""
    behind = stream.seq - summary.seq
    if behind <= 0:
        return False
    neutral = Q()
    for prefix in FLOW_NEUTRAL_OPS:
        neutral |= Q(op__startswith=prefix)
    since = Op.objects.filter(stream=stream, seq__gt=summary.seq, seq__lte=stream.seq)
    return since.filter(neutral).count() < behind


def summary_payload(summary: FlowSummary, stream: ValueStream) -> dict[str, Any]:
    """The stored summary as the API and the `summary` frame present it."""
    return {
        **summary.data,
        "stream": stream.pk,
        "seq": summary.seq,
        "computed_at": summary.computed_at.isoformat(),
        "stale": summary_is_stale(summary, stream),
        "votes_revealed": stream.votes_revealed,
    }


def countermeasure_list(stream: ValueStream) -> list[Countermeasure]:
    return list(Countermeasure.objects.filter(stream=stream).select_related("waste").order_by("id"))


def snapshot_list(stream: ValueStream, *, days: int = 90) -> list[FlowSnapshot]:
    return list(FlowSnapshot.objects.filter(stream=stream).order_by("-day")[:days])[::-1]


def related_streams(stream: ValueStream) -> list[ValueStream]:
    """The stream it is based on and the streams based on it (current vs future state)."""
    related = list(ValueStream.objects.filter(based_on=stream).order_by("created_at", "id"))
    if stream.based_on_id:
        related.insert(0, stream.based_on)  # type: ignore[arg-type]
    return related


# Measured flow -------------------------------------------------------------------------------

# Each process keeps the transitions of the workshops it read last, by the import that last
# wrote them (its id and the instant it finished): they change only through imports, while
# the Flow page asks again for every window, interval and mapping. Items and states are read
# fresh each time (titles, types and the mapping change without an import). Bounded by the
# transitions held.
_TRANSITIONS_CACHE: OrderedDict[tuple[Any, ...], tuple[np.ndarray, ...]] = OrderedDict()
TRANSITIONS_CACHED = 4_000_000


def _transition_arrays(workshop_id: int) -> tuple[np.ndarray, ...]:
    """(item ids, state ids, epoch seconds) of the workshop's transitions in history order:
    by item, then time, then id (the file's order at the same instant)."""
    latest = (
        WorkItemImport.objects.filter(workshop_id=workshop_id, status=ImportStatus.DONE)
        .order_by("-id")
        .values_list("id", "finished_at")
        .first()
    )
    key = (workshop_id, *latest) if latest else None  # only history an import wrote is kept
    cached = _TRANSITIONS_CACHE.get(key) if key else None
    if cached is not None:
        _TRANSITIONS_CACHE.move_to_end(key)  # type: ignore[arg-type]
        return cached
    ids, items, states, at = transition_rows(workshop_id=workshop_id)
    order = np.lexsort((ids, at, items))
    arrays = (items[order], states[order], at[order])
    if key is None:
        return arrays
    for stale in [entry for entry in _TRANSITIONS_CACHE if entry[0] == workshop_id]:
        del _TRANSITIONS_CACHE[stale]
    _TRANSITIONS_CACHE[key] = arrays
    while sum(len(entry[0]) for entry in _TRANSITIONS_CACHE.values()) > TRANSITIONS_CACHED:
        _TRANSITIONS_CACHE.popitem(last=False)
    return arrays


def _work_states(workshop_id: int) -> list[tuple[int, str, int, str]]:
    """(id, name, order, flow state) of the workshop's states, in the order `History.states`
    lists them."""
    return list(
        WorkState.objects.filter(workshop_id=workshop_id)
        .order_by("order", "id")
        .values_list("id", "name", "order", "flow_state")
    )


def work_history(workshop_id: int) -> History:
    """The workshop's work items, states (with the current mapping) and transitions as the
    arrays `metrics.measured` computes on."""
    items = list(
        WorkItem.objects.filter(workshop_id=workshop_id)
        .order_by("id")
        .values_list("id", "external_id", "title", "flow_type")
    )
    states = _work_states(workshop_id)
    item_ids = np.array([row[0] for row in items], dtype=np.int64)
    state_ids = np.array([row[0] for row in states], dtype=np.int64)
    state_index = np.argsort(state_ids)
    transition_item, transition_state, transition_at = _transition_arrays(workshop_id)
    type_index = {name: index for index, name in enumerate(FLOW_TYPES)}
    return History(
        external_ids=[row[1] for row in items],
        titles=[row[2] for row in items],
        flow_types=np.array([type_index[row[3]] for row in items], dtype=np.int8),
        states=[StateFacts(name, order, flow_state) for _, name, order, flow_state in states],
        transition_item=np.searchsorted(item_ids, transition_item).astype(np.int64),
        transition_state=state_index[
            np.searchsorted(state_ids, transition_state, sorter=state_index)
        ].astype(np.int64),
        transition_at=transition_at,
    )


def measured_flow_get(
    *, user: AnyUser, workshop_id: int, start: date, end: date, as_of: datetime, interval: str
) -> dict[str, Any]:
    """The measured flow of a workshop's work items (members only; NotFound otherwise)."""
    membership_get(user=user, workshop_id=workshop_id)
    return measured_flow(
        work_history(workshop_id), start=start, end=end, as_of=as_of, interval=interval
    )


def working_seconds_per_calendar_second() -> float:
    """How the map's working time relates to the calendar: five working days of
    VSM_HOURS_PER_DAY hours a week, so a calendar week of measured time reads as "1w"."""
    return settings.VSM_HOURS_PER_DAY * 5 / (24 * 7)


def map_measured_get(
    *, user: AnyUser, stream_id: Any, start: date, end: date, as_of: datetime
) -> dict[str, Any]:
    """A map's activities, estimated and measured from the workshop's work items through the
    tracker states assigned to them (members only; NotFound otherwise). docs/flow-metrics.md
    ("The map against measured flow") defines each figure."""
    stream, _ = stream_get(user=user, stream_id=stream_id)
    return map_measured(stream, start=start, end=end, as_of=as_of)


def map_measured(stream: ValueStream, *, start: date, end: date, as_of: datetime) -> dict[str, Any]:
    """`map_measured_get` without the membership check (for tasks and services)."""
    activities, links, _ = stream_facts(stream)
    index_of_state = {
        state_id: index for index, (state_id, *_) in enumerate(_work_states(stream.workshop_id))
    }
    state_activity = {
        index_of_state[state_id]: activity_id
        for state_id, activity_id in StateActivity.objects.filter(stream=stream).values_list(
            "state_id", "activity_id"
        )
        if state_id in index_of_state
    }
    return map_against_measured(
        work_history(stream.workshop_id),
        activities=activities,
        links=links,
        state_activity=state_activity,
        start=start,
        end=end,
        as_of=as_of,
        working_seconds_per_calendar_second=working_seconds_per_calendar_second(),
    )


def map_measured_flow(stream: ValueStream, figures: dict[str, Any]) -> dict[str, Any]:
    """`metrics.flow.flow_summary` of the map with each activity's measured median process and
    wait time and measured %C&A where `figures` (`map_measured`'s payload) has them: an
    activity no done item entered keeps its estimates, and so does a figure that is null (no
    measured %C&A). No three-point estimates, so no forecast."""
    measured = {activity["id"]: activity["measured"] for activity in figures["activities"]}
    activities, links, _ = stream_facts(stream)
    facts = []
    for activity in activities:
        found = measured.get(activity.id) or {}
        if found.get("items"):
            # A figure the history does not give (null) keeps its estimate.
            figures_of = {
                name: found[name]
                for name in ("process_time", "wait_time", "pca")
                if found.get(name) is not None
            }
            activity = replace(activity, **figures_of)
        facts.append(replace(activity, lead_time_min=None, lead_time_max=None))
    return flow_summary(facts, links)
