"""Exports that stand alone: what the map's picture (the SVG export, which the board turns
into PNG) shows above the map, and the summary's one-page PDF report (WeasyPrint, from the
summary's own HTML and SVG charts).

Hidden votes never leak: before the facilitator reveals them, wastes are listed in the order
they were named, without dots."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from metrics import charts, selectors
from streams.models import ValueStream, WasteCategory
from vsm_site.units import human_datetime, humanize_duration, whole_percent

TOP_WASTES = 5


def top_wastes(stream: ValueStream, flow: dict[str, Any], limit: int = TOP_WASTES) -> list[dict]:
    """The summary's wastes to show: those with dots, most first, once revealed; else (or
    when nobody voted) in the order named, without their dots, whatever a stored summary may
    still hold."""
    wastes = list(flow["wastes"]["top"])
    voted = [waste for waste in wastes if waste["votes"]]
    if stream.votes_revealed and voted:
        return voted[:limit]
    return [{**waste, "votes": None} for waste in sorted(wastes, key=lambda w: w["id"])][:limit]


def headline_figures(flow: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the headline, formatted as the summary page shows them."""
    return [
        ("Lead time", humanize_duration(flow["lead_time"], parts=None)),
        ("Process time", humanize_duration(flow["process_time"], parts=None)),
        ("Wait time", humanize_duration(flow["wait_time"], parts=None)),
        ("Flow efficiency", f"{flow['flow_efficiency'] * 100:.1f}%"),
        ("Rolled %C&A", whole_percent(flow["rolled_pca"])),
    ]


def map_header(stream: ValueStream) -> dict[str, Any]:
    """What the map's picture shows above the map (see streams.board_svg.header_layout);
    MetricsConfig.ready registers it as the picture header (streams.extensions)."""
    flow = selectors.summary_payload(selectors.summary_current(stream=stream), stream)
    names = dict(WasteCategory.choices)
    shown = top_wastes(stream, flow)
    ranked = any(waste["votes"] is not None for waste in shown)
    wastes = []
    for waste in shown:
        detail = names.get(waste["category"], waste["category"])
        if waste["votes"] is not None:
            detail = f"{waste['votes']} dot{'s' if waste['votes'] != 1 else ''} · {detail}"
        wastes.append((waste["text"], detail))
    if ranked:
        heading = "Top wastes by dots"
    else:
        heading = "Wastes named" + ("" if stream.votes_revealed else " (votes not revealed)")
    steps = flow["activity_count"]
    return {
        "title": stream.name,
        "subtitle": (
            f"{stream.get_state_display()} · exported {human_datetime(timezone.now())} · "
            f"{steps} step{'s' if steps != 1 else ''} · times along the critical path"
        ),
        "figures": headline_figures(flow),
        "ladder": charts.ladder(flow["steps"], flow["lead_time"]),
        "wastes_heading": heading,
        "wastes": wastes,
    }


def summary_report_pdf(context: dict[str, Any]) -> bytes:
    """The one-page PDF report of a summary page's `context` (metrics.views.summary_context
    with the ranked `backlog`)."""
    from weasyprint import HTML  # loads Pango: only when a report is asked for

    html = render_to_string(
        "metrics/report.html",
        {**context, "figures": headline_figures(context["flow"]), "now": timezone.now()},
    )
    return HTML(string=html).write_pdf()
