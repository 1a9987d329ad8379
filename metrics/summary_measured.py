"""The summary page's section "the map against measured flow" (docs/flow-metrics.md): its
window from the page's query, each activity's estimate beside its measured medians with the
largest differences in wait time first, the map's lead time on both beside the done items'
flow time, the coverage, and the paired ladder. Reads only; the figures come from
`metrics.selectors.map_measured`."""

from __future__ import annotations

import math
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict

from metrics import charts
from metrics.api.serializers import MapMeasuredQuerySerializer
from metrics.selectors import map_measured, map_measured_flow, working_seconds_per_calendar_second
from streams.models import ValueStream
from vsm_site.units import humanize_duration, whole_percent
from workitems.models import WorkItem
from workitems.selectors import board_work_states

# A measured figure is flagged when it differs from its estimate by more than this share of
# the estimate: the board's rule (static/js/board/measured.js FLAG_SHARE).
FLAG_SHARE = 0.25
PRESET_DAYS = (30, 90, 180)
# Below this share of the done items' waiting and active time in states on the map, the
# section warns that the comparison leaves much out.
LOW_COVERAGE = 0.8
MINUS = "\u2212"


def measured_window(query: QueryDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(window, errors): `start`, `end` (UTC days, both included) and `as_of` (now) from the
    query's `start` and `end`, by default the last 90 days to today; when they cannot be a
    window, the default window and the messages saying why."""
    data = {name: query[name] for name in ("start", "end") if query.get(name)}
    serializer = MapMeasuredQuerySerializer(data=data)
    errors: dict[str, list[str]] = {}
    if not serializer.is_valid():
        errors = {
            name: [str(message) for message in messages]
            for name, messages in serializer.errors.items()
        }
        serializer = MapMeasuredQuerySerializer(data={})
        serializer.is_valid(raise_exception=True)
    window = {name: serializer.validated_data[name] for name in ("start", "end", "as_of")}
    return window, errors


def _signed(value: float, text: str) -> str:
    """`text` (the size of `value`) with its sign; ± where it rounds to nothing."""
    if text in ("0", "0 pts"):
        return "±" + text
    return ("+" if value > 0 else MINUS) + text


def compare(estimate: float, measured: float, *, time: bool = True) -> dict[str, str]:
    """How a measured figure stands against its estimate, as the board says it: `flag` ''
    within 25 % of the estimate, else 'worse' (a longer time, a lower %C&A) or 'better';
    `sign` the arrow of the direction (▲ more, ▼ less) so it does not rest on colour;
    `difference` signed in human units (times) or percentage points (%C&A); `words` the
    difference in a sentence."""
    difference = measured - estimate
    if time:
        shown = _signed(difference, humanize_duration(abs(difference)))
    else:
        shown = _signed(difference, f"{math.floor(abs(difference) + 0.5):.0f} pts")
    if abs(difference) <= FLAG_SHARE * abs(estimate):
        return {"flag": "", "sign": "", "difference": shown, "words": "within 25% of the estimate"}
    more = difference > 0
    worse = more if time else not more
    direction = ("longer" if more else "shorter") if time else ("higher" if more else "lower")
    if estimate:
        words = f"{abs(difference) / abs(estimate) * 100:.0f}% {direction} than the estimate"
    else:
        words = f"{direction} than the estimate of 0"
    return {
        "flag": "worse" if worse else "better",
        "sign": "▲" if more else "▼",
        "difference": shown,
        "words": words,
    }


def _cell(
    estimate: float, measured: float | None, p85: float | None, *, time: bool, missing: str
) -> dict[str, Any]:
    """One figure of a row: the estimate, the measured median (with its p85 and difference),
    or '–' and `missing` (why it is not measured)."""
    show = humanize_duration if time else whole_percent
    cell: dict[str, Any] = {"estimate": show(estimate), "measured": "–", "missing": missing}
    if measured is None:
        return cell
    cell.update(compare(estimate, measured, time=time), measured=show(measured), missing="")
    cell["p85"] = humanize_duration(p85) if time and p85 is not None else ""
    return cell


def activity_rows(
    figures: dict[str, Any], states: list[dict[str, Any]], window_words: str
) -> list[dict[str, Any]]:
    """Each activity of `figures` (`map_measured`'s payload) as a row of the table, in the
    order of the surprise: the payload's `surprises` first (the largest absolute difference
    between measured and estimated wait time; only activities whose wait was measured), then
    the other measured activities (no `waiting` state, so no wait to compare), then those
    whose states no done item entered, then those without a `waiting`/`active` state; each
    group in the map's order. A figure the payload has as null reads '–' with the reason
    (for a time: no state of its kind on the activity, as on the board)."""
    on_activity: dict[int, list[dict[str, Any]]] = {}
    for state in states:
        if state["activity"] is not None:
            on_activity.setdefault(state["activity"], []).append(state)
    surprise = {activity_id: rank for rank, activity_id in enumerate(figures["surprises"])}
    rows = []
    for position, activity in enumerate(figures["activities"]):
        mapped = on_activity.get(activity["id"], [])
        counted = [
            state["name"] for state in mapped if state["flow_state"] in ("waiting", "active")
        ]
        estimate, measured = activity["estimate"], activity["measured"]
        row: dict[str, Any] = {
            "id": activity["id"],
            "title": activity["title"],
            "states": counted,
            "others": [state["name"] for state in mapped if state["name"] not in counted],
            "items": None,
        }
        got: dict[str, Any] = {}
        if measured is None:
            status, rank, missing = "unassigned", 3, "no waiting or active tracker state assigned"
        elif not measured["items"]:
            status, rank = "no-items", 2
            missing = f"no work item done {window_words} went through its states"
        else:
            status, rank, missing, got = "measured", 1, "", measured
            row["items"] = measured["items"]
        row["status"] = status
        row["cells"] = [
            _cell(
                estimate["process_time"],
                got.get("process_time"),
                got.get("process_time_p85"),
                time=True,
                missing=missing or "no active tracker state assigned: process time not measured",
            ),
            _cell(
                estimate["wait_time"],
                got.get("wait_time"),
                got.get("wait_time_p85"),
                time=True,
                missing=missing or "no waiting tracker state assigned: wait time not measured",
            ),
            _cell(
                estimate["pca"],
                got.get("pca"),
                None,
                time=False,
                missing=missing or "no item left it forward: no measured %C&A",
            ),
        ]
        order = (0, surprise[row["id"]]) if row["id"] in surprise else (rank, position)
        rows.append((order, row))
    rows.sort(key=lambda entry: entry[0])
    return [row for _, row in rows]


def _window_words(window: dict[str, Any]) -> str:
    days = (window["end"] - window["start"]).days + 1
    if window["end"] == window["as_of"].astimezone(UTC).date():
        return f"in the last {days} day{'s' if days != 1 else ''}"
    return f"from {window['start']:%-d %b %Y} to {window['end']:%-d %b %Y}"


def _query(**params: Any) -> str:
    return urlencode({name: value for name, value in params.items() if value})


def _gap(lead_time: float | None, flow_time: float | None) -> dict[str, Any] | None:
    """The gap between the done items' median flow time and the map's measured lead time."""
    if lead_time is None or flow_time is None:
        return None
    gap = flow_time - lead_time
    text = humanize_duration(abs(gap), parts=None)  # as exact as the figures beside it
    return {"longer": "" if text == "0" else "flow" if gap > 0 else "map", "text": text}


def summary_measured(
    stream: ValueStream, membership: Any, query: QueryDict, flow: dict[str, Any]
) -> dict[str, Any]:
    """The section's context. `has_items` False (and nothing else) while the workshop has no
    work items; else the window (with `errors` when the query's could not be used), the
    presets, the rows, the lead times, the coverage, the paired ladder of the stored
    summary `flow` (the estimate) against the map on measured figures, and whether the member
    may make a current-state map of them."""
    if not WorkItem.objects.filter(workshop_id=stream.workshop_id).exists():
        return {"has_items": False}
    window, errors = measured_window(query)
    figures = map_measured(stream, **window)
    states = board_work_states(stream, membership)
    words = _window_words(window)
    rows = activity_rows(figures, states, words)
    today = window["as_of"].astimezone(UTC).date()
    presets = []
    for days in PRESET_DAYS:
        start = today - timedelta(days=days - 1)
        presets.append(
            {
                "days": days,
                "query": _query(start=start, end=today),
                "current": (window["start"], window["end"]) == (start, today) and not errors,
            }
        )
    measured_rows = [row for row in rows if row["status"] == "measured"]
    context: dict[str, Any] = {
        "has_items": True,
        "window": window,
        "window_words": words,
        "errors": errors,
        "values": {name: query.get(name, "") for name in ("start", "end")},
        "presets": presets,
        "figures": figures,
        "rows": rows,
        "assigned": any(row["status"] != "unassigned" for row in rows),
        "measured_count": len(measured_rows),
        "calendar_day": humanize_duration(86_400 * working_seconds_per_calendar_second()),
        "can_apply": bool(membership.is_facilitator and measured_rows),
        "is_facilitator": membership.is_facilitator,
    }
    coverage = figures["coverage"]
    context["coverage"] = {
        "mapped_share": coverage["mapped_share"],
        "unmapped_states": coverage["unmapped_states"],
        "low": coverage["mapped_share"] is not None and coverage["mapped_share"] < LOW_COVERAGE,
        "threshold": LOW_COVERAGE,
    }
    if not measured_rows:
        return context
    measured_flow = map_measured_flow(stream, figures)
    kept = {
        activity["id"]
        for activity in figures["activities"]
        if not (activity["measured"] or {}).get("items")
    }
    # The tracker's flow time cannot see the activities that keep their estimates (often the
    # steps before the work reaches the tracker): the gap is taken without them.
    kept_steps = [step for step in measured_flow["steps"] if step["id"] in kept]
    kept_time = sum(step["wait_time"] + step["process_time"] for step in kept_steps)
    context["kept_on_path"] = {
        "time": kept_time,
        "titles": [step["title"] for step in kept_steps],
        "measured_time": measured_flow["lead_time"] - kept_time,
    }
    context["gap"] = _gap(measured_flow["lead_time"] - kept_time, figures["flow_time_median"])
    context["lead_time_flag"] = compare(
        figures["lead_time"]["estimate"], figures["lead_time"]["measured"]
    )
    context["efficiency"] = {
        "estimate": flow["flow_efficiency"],
        "measured": measured_flow["flow_efficiency"],
        "rolled_estimate": flow["rolled_pca"],
        "rolled_measured": measured_flow["rolled_pca"],
    }
    notes = {}
    for row in rows:
        if row["id"] in kept:
            notes[row["id"]] = f"the estimate: {row['cells'][0]['missing']}"
        else:
            missing = [cell["missing"] for cell in row["cells"][:2] if cell["missing"]]
            if missing:
                notes[row["id"]] = "; ".join(missing)
    context["ladder"] = charts.paired_ladder(
        flow["steps"],
        flow["lead_time"],
        measured_flow["steps"],
        measured_flow["lead_time"],
        kept=kept,
        notes=notes,
    )
    return context
