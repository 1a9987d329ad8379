"""The flow summary page of a value stream and the Flow page of a workshop (both open to
viewers). `?partial=1` renders only a page's body, which its script swaps in when the figures
change."""

import csv
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from metrics import charts, flow_charts, selectors
from metrics.api.serializers import MAX_WINDOW_DAYS, FlowMetricsQuerySerializer
from metrics.exports import summary_report_pdf
from metrics.measured import INTERVALS
from metrics.selectors import measured_flow_get
from metrics.services import stream_measured_apply
from metrics.summary_measured import measured_window, summary_measured
from streams.models import Activity, CountermeasureStatus, ValueStream, WasteCategory
from streams.selectors import countermeasure_backlog, stream_get
from streams.services.transfer import (
    spreadsheet_safe,
)  # the map's CSV export defuses the same way
from vsm_site.authenticated import AuthenticatedHttpRequest
from vsm_site.units import seconds_per_day
from workitems.models import FlowState
from workitems.selectors import (
    board_work_states,
    import_list,
    work_history_facts,
    work_state_list,
)
from workshops.selectors import membership_get


def _headline(stream: Any) -> dict[str, Any]:
    """The stored summary's payload, with `stream` the stream object (the payload's own
    `stream` is its id, which the page's links cannot use)."""
    summary = selectors.summary_current(stream=stream)
    return {**selectors.summary_payload(summary, stream), "stream": stream}


def _waste_chips(by_category: dict[str, int]) -> list[tuple[str, int]]:
    """(category name, wastes named so) per category, most first; names are the model's."""
    names = dict(WasteCategory.choices)
    chips = [(names.get(category, category), count) for category, count in by_category.items()]
    return sorted(chips, key=lambda chip: -chip[1])


def summary_context(
    stream: ValueStream, membership: Any, chart_width: float = charts.WIDTH
) -> dict[str, Any]:
    """What the summary page (and its PDF report) shows of a stream. The charts beside each
    other (by step and by team, the Pareto) are drawn `chart_width` wide: the report draws
    them for half a page, so their text prints as large as the full-width ladder's."""
    flow = _headline(stream)
    critical = set(flow["critical_path"])
    activities = list(Activity.objects.filter(stream=stream).order_by("order", "id"))
    titles = {activity.pk: activity.title for activity in activities}
    return {
        "stream": stream,
        "membership": membership,
        "flow": flow,
        "bottleneck": titles.get(flow["bottleneck"]),
        "hours_per_day": seconds_per_day() // 3600,
        "ladder": charts.ladder(flow["steps"], flow["lead_time"]),
        "by_step": charts.stacked_bars(
            [
                (activity.title, activity.wait_time, activity.process_time, activity.pk in critical)
                for activity in activities
            ],
            "Wait and process time by step",
            "Every activity in flow order; outlined bars are on the critical path.",
            chart_width,
        ),
        "by_team": charts.stacked_bars(
            [
                (team["team"], team["wait_time"], team["process_time"], False)
                for team in flow["by_team"]
            ],
            "Wait and process time by team",
            "Who is everyone waiting on? Summed over all activities of each team.",
            chart_width,
        ),
        "pareto": charts.pareto(flow["wastes"]["top"], dict(WasteCategory.choices), chart_width),
        "waste_chips": _waste_chips(flow["wastes"]["by_category"]),
        "countermeasures": selectors.countermeasure_list(stream),
        "related": [_headline(other) for other in selectors.related_streams(stream)],
        **_trends(selectors.snapshot_list(stream)),
    }


def _trends(snapshots: list[Any]) -> dict[str, Any]:
    """The trend charts of the daily snapshots, estimated and (where a snapshot recorded it)
    measured, and whether any snapshot has measured figures."""
    return {
        "trend": charts.trend(snapshots),
        "efficiency_trend": charts.efficiency_trend(snapshots),
        "trend_measured": sum(1 for snapshot in snapshots if snapshot.data.get("measured")),
    }


@login_required
def summary(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The flow summary (every member). `?start=&end=` (UTC days) is the window of the map
    against measured flow, the last 90 days by default; a window that cannot be is reported
    beside its picker and the default one is shown."""
    stream, membership = stream_get(user=request.user, stream_id=pk)
    context = summary_context(stream, membership)
    context["measured"] = summary_measured(stream, membership, request.GET, context["flow"])
    template = (
        "metrics/_summary_body.html" if request.GET.get("partial") else "metrics/summary.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def summary_measured_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A facilitator's "make a current-state map from the measured figures" (the summary's
    form: `start`, `end`): the new map's board, or back to the summary with the reason when
    there is nothing to make it of. 403 for other members, 404 for non-members."""
    stream, _ = stream_get(user=request.user, stream_id=pk)
    window, errors = measured_window(request.POST)
    back = reverse("stream-summary", args=[stream.pk])
    query = urlencode({name: request.POST.get(name, "") for name in ("start", "end")})
    if errors:
        messages.error(request, "The window cannot be used: " + " ".join(sum(errors.values(), [])))
        return redirect(f"{back}#measured")
    try:
        clone = stream_measured_apply(actor=request.user, stream_id=stream.pk, **window)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{back}?{query}#measured")
    messages.success(
        request,
        f"This is “{clone.name}”, a current-state map with the measured figures. "
        "The summary of either map compares them.",
    )
    return redirect("stream-board", clone.pk)


REPORT_HALF_WIDTH = 470  # the report's half-page charts, in the charts' units


@login_required
def summary_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The summary as a one-page PDF report (members only: 404 otherwise): headline, ladder,
    by step, by team, Pareto, the ranked countermeasure backlog, current vs future."""
    stream, membership = stream_get(user=request.user, stream_id=pk)
    statuses = dict(CountermeasureStatus.choices)
    backlog = [
        {**item, "status_display": statuses.get(item["status"], item["status"])}
        for item in countermeasure_backlog(user=request.user, stream_id=pk)
    ]
    context = summary_context(stream, membership, chart_width=REPORT_HALF_WIDTH)
    pdf = summary_report_pdf({**context, "backlog": backlog})
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{slugify(stream.name) or 'value-stream'}-summary.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The Flow page: measured flow of the workshop's work items ------------------------------------

PRESET_DAYS = (30, 90, 180)
IMPORT_FORMATS = (
    (
        "long_csv",
        "Long CSV",
        "one row per state change: item_id, state, entered_at (and title, type, tags)",
    ),
    (
        "wide_csv",
        "Wide CSV",
        "one row per item, one date column per workflow stage (ActionableAgile, "
        "jira-agile-metrics)",
    ),
    ("jira_json", "Jira JSON", "issues from the search API with expand=changelog"),
    ("ado_json", "Azure DevOps JSON", "the Analytics WorkItemRevisions of your work items"),
    ("github_json", "GitHub JSON", "issues, each with its timeline (status labels or columns)"),
)


def _flow_window(query: QueryDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The validated window of `query`, or the default window and the errors to show."""
    serializer = FlowMetricsQuerySerializer(data=query)
    if serializer.is_valid():
        return dict(serializer.validated_data), {}
    errors = {
        name: [str(message) for message in messages] for name, messages in serializer.errors.items()
    }
    default = FlowMetricsQuerySerializer(data={})
    default.is_valid(raise_exception=True)
    return dict(default.validated_data), errors


def _measured_flow(
    request: HttpRequest, pk: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """(window, payload, errors) of the page's query; with errors, the default window."""
    window, errors = _flow_window(request.GET)
    return window, measured_flow_get(user=request.user, workshop_id=pk, **window), errors


def _query_string(**params: Any) -> str:
    return urlencode({name: value for name, value in params.items() if value not in (None, "")})


def _flow_context(request: HttpRequest, pk: int) -> tuple[dict[str, Any], bool]:
    membership = membership_get(user=request.user, workshop_id=pk)
    window, payload, errors = _measured_flow(request, pk)
    work_states = list(work_state_list(user=request.user, workshop_id=pk))
    states = [(state.name, state.flow_state) for state in work_states]
    facts = work_history_facts(workshop_id=pk)
    today = window["as_of"].astimezone(UTC).date()
    as_of = request.GET.get("as_of", "") if "as_of" not in errors else ""
    start, end = window["start"], window["end"]
    presets = []
    for days in PRESET_DAYS:
        preset_start = today - timedelta(days=days - 1)
        presets.append(
            {
                "days": days,
                "query": _query_string(
                    start=preset_start, end=today, interval=window["interval"], as_of=as_of
                ),
                "current": start == preset_start and end == today,
            }
        )
    whole = None
    if facts["first"] and facts["last"]:
        first, last = (
            facts["first"].astimezone(UTC).date(),
            min(facts["last"].astimezone(UTC).date(), today),
        )
        first = max(first, last - timedelta(days=MAX_WINDOW_DAYS - 1))
        whole = {
            "first": first,
            "last": last,
            "query": _query_string(start=first, end=last, interval="week", as_of=as_of),
            # Offered beside the presets only when this window misses part of the history.
            "outside": first < start or last > end,
        }
    charts = flow_charts.page_charts(payload, states)
    latest_import = next(iter(import_list(user=request.user, workshop_id=pk, limit=1)), None)
    context = {
        "workshop": membership.workshop,
        "membership": membership,
        "can_edit": membership.is_facilitator,
        "flow": payload,
        "window": window,
        "window_query": _query_string(
            start=start, end=end, interval=window["interval"], as_of=as_of
        ),
        "as_of": as_of,
        "errors": errors,
        "values": {name: request.GET.get(name, "") if errors else "" for name in ("start", "end")},
        "intervals": INTERVALS,
        "presets": presets,
        "whole": whole,
        "facts": facts,
        "hints": flow_charts.hints(
            items=facts["items"], transitions=facts["transitions"], states=states, payload=payload
        ),
        "headline": flow_charts.headline(payload),
        "charts": charts,
        "states": work_states,
        "flow_states": FlowState.choices,
        "latest_import": latest_import,
        "import_formats": IMPORT_FORMATS,
        "streams": ValueStream.objects.filter(workshop_id=pk).order_by("id"),
    }
    return context, bool(errors)


@login_required
def flow(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The measured flow of a workshop's work items (open to viewers): the Flow Framework
    figures of the chosen window, their charts, the forecast, the state mapping (edited by
    facilitators) and the import form. `?partial=1` renders only the body, which the page's
    script swaps in when the flow changes. A window the query cannot give answers 400 with
    the errors beside the picker and the default window's figures. The state mapping shows
    each state's activity on one map of the workshop, `?map=<id>` or else the first."""
    context, invalid = _flow_context(request, pk)
    streams = list(context["streams"])
    state_map = next((s for s in streams if request.GET.get("map") == str(s.pk)), None)
    state_map = state_map or (streams[0] if streams else None)
    if state_map is not None:
        activity_of = {
            state["id"]: state["activity"]
            for state in board_work_states(state_map, context["membership"])
        }
        for state in context["states"]:
            state.map_activity = activity_of.get(state.pk)
    context.update(
        streams=streams,
        state_map=state_map,
        state_map_activities=list(state_map.activities.all()) if state_map else [],
    )
    template = "metrics/_flow_body.html" if request.GET.get("partial") else "metrics/flow.html"
    return render(request, template, context, status=400 if invalid else 200)


@login_required
def flow_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The Flow page's figures as one CSV (sections: figures, throughput, periods, load, CFD,
    done items, aging items), for the same window parameters as the page. Text that a
    spreadsheet would run as a formula is defused."""
    membership = membership_get(user=request.user, workshop_id=pk)
    window, errors = _flow_window(request.GET)
    if errors:
        text = "\n".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    payload = measured_flow_get(user=request.user, workshop_id=pk, **window)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = (
        f"flow-{membership.workshop_id}-{payload['window']['start']}-{payload['window']['end']}.csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # spreadsheets read the file as UTF-8
    writer = csv.writer(response)
    for number, section in enumerate(flow_charts.csv_sections(payload)):
        if number:
            writer.writerow([])
        writer.writerows([spreadsheet_safe(value) for value in row] for row in section)
    return response
