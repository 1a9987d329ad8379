"""Reads for the flow summary: the facts of a stream, and stored summaries and snapshots."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from metrics.flow import ActivityFacts, WasteFacts
from metrics.models import FlowSnapshot, FlowSummary
from streams.kinds import FLOW_NEUTRAL_OPS
from streams.models import Activity, Countermeasure, Link, Op, ValueStream, Waste


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
    links = list(Link.objects.filter(stream=stream).values_list("source_id", "target_id"))
    wastes = Waste.objects.filter(stream=stream)
    if stream.votes_revealed:
        rows = wastes.annotate(dots=Count("votes")).values_list(
            "id", "text", "category", "dots", "activity_id"
        )
    else:
        rows = wastes.values_list("id", "text", "category", "activity_id")
        rows = [(id_, text, category, 0, activity) for id_, text, category, activity in rows]
    return activities, links, [WasteFacts(*row) for row in rows]


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
