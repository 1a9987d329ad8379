"""The flow summary page of a value stream (open to viewers). `?partial=1` renders only the
body, which the page's script swaps in when a new summary arrives."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from metrics import charts, selectors
from metrics.services import summary_get_or_compute
from metrics.units import seconds_per_day
from streams.models import Activity
from streams.selectors import stream_get


def _headline(stream: Any) -> dict[str, Any]:
    """The stored summary's payload, with `stream` the stream object (the payload's own
    `stream` is its id, which the page's links cannot use)."""
    summary = summary_get_or_compute(stream=stream)
    return {**selectors.summary_payload(summary, stream), "stream": stream}


@login_required
def summary(request: HttpRequest, pk: int) -> HttpResponse:
    stream, membership = stream_get(user=request.user, stream_id=pk)
    flow = _headline(stream)
    critical = set(flow["critical_path"])
    activities = list(Activity.objects.filter(stream=stream).order_by("order", "id"))
    titles = {activity.pk: activity.title for activity in activities}
    context = {
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
            "Every activity in flow order; bold bars are on the critical path.",
        ),
        "by_team": charts.stacked_bars(
            [
                (team["team"], team["wait_time"], team["process_time"], False)
                for team in flow["by_team"]
            ],
            "Wait and process time by team",
            "Who is everyone waiting on? Summed over all activities of each team.",
        ),
        "pareto": charts.pareto(flow["wastes"]["top"]),
        "countermeasures": selectors.countermeasure_list(stream),
        "related": [_headline(other) for other in selectors.related_streams(stream)],
        "trend": charts.trend(selectors.snapshot_list(stream)),
    }
    template = (
        "metrics/_summary_body.html" if request.GET.get("partial") else "metrics/summary.html"
    )
    return render(request, template, context)
