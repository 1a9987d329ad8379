"""The flow summary reads without a guide: durations on the ladder, full names on hover, no
label outside its chart, legends, a % axis for the Pareto line, human times, headline
durations that hide no unit, rolled %C&A rounded as on the board, and chips that say what
they count."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from metrics import charts
from streams.models import WasteCategory
from tests.factories import ActivityFactory, WasteFactory
from vsm_site.units import humanize_duration, whole_percent

pytestmark = pytest.mark.django_db

HOUR, DAY, WEEK = 3600, 8 * 3600, 40 * 3600
LONG = "Security review by the central architecture board and the data protection officer"


def _page(cast: Any, user: Any = None) -> str:
    client = Client()
    client.force_login(user or cast.viewer)
    response = client.get(f"/streams/{cast.stream.pk}/summary/")
    assert response.status_code == 200
    return response.content.decode()


def _figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', page)
    assert match, name
    return match.group(1)


def test_headline_durations_keep_every_unit_so_lead_never_reads_as_wait(cast):
    ActivityFactory(stream=cast.stream, title="Wait", process_time=0, wait_time=WEEK + 2 * DAY)
    ActivityFactory(stream=cast.stream, title="Work", process_time=4.5 * HOUR, wait_time=0)
    page = _page(cast)
    assert _figure(page, "lead_time") == "1w 2d 4h 30m"
    assert _figure(page, "wait_time") == "1w 2d"
    assert _figure(page, "process_time") == "4h 30m"


@pytest.mark.parametrize(("value", "shown"), [(72.5, "73%"), (36.0, "36%"), (0.4, "0%")])
def test_rolled_pca_is_a_whole_percent_rounded_half_up_as_the_board_does(value, shown):
    # static/js/board/ladder.js: `${Math.round(summary.rolled_pca ?? 100)}%`
    assert whole_percent(value) == shown


def test_the_summary_shows_rolled_pca_as_the_board_does(cast):
    ActivityFactory(stream=cast.stream, process_time=HOUR, wait_time=HOUR, pca=72.5)
    assert _figure(_page(cast), "rolled_pca") == "73%"


def test_the_computed_time_reads_as_a_date_not_iso(cast):
    ActivityFactory(stream=cast.stream, process_time=HOUR, wait_time=HOUR)
    computed = _figure(_page(cast), "computed_at")
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC", computed), computed


def test_the_chips_say_what_they_count_with_the_models_names(cast):
    for category in ("waiting", "waiting", "transportation"):
        WasteFactory(stream=cast.stream, category=category)
    page = _page(cast)
    assert "2 wastes named as Waiting (delays, queues)" in page
    assert "1 waste named as Transportation (hand-offs)" in page


def _estimated_extent(label: charts.Label) -> tuple[float, float]:
    width = charts.text_width(label.text)
    start = {"start": label.x, "middle": label.x - width / 2, "end": label.x - width}[label.anchor]
    return start, start + width


def _assert_labels_inside(chart: charts.Chart) -> None:
    for label in chart.labels:
        start, end = _estimated_extent(label)
        assert start >= 0 and end <= chart.width, (label.text, start, end)
        assert 0 < label.y <= chart.height, label.text
    for item in chart.legend:
        assert item.x >= 0 and item.text_x + charts.text_width(item.text) <= chart.width


def test_the_ladder_labels_durations_and_shortened_names_carry_the_full_name():
    steps = [
        {"title": "Build", "team": "Dev", "wait_time": 3 * DAY, "process_time": 2 * DAY},
        {"title": LONG, "team": "Security", "wait_time": DAY, "process_time": 2 * HOUR},
        {"title": "Deploy", "team": "Ops", "wait_time": 10, "process_time": 60},
    ]
    chart = charts.ladder(steps, sum(s["wait_time"] + s["process_time"] for s in steps))
    texts = [label.text for label in chart.labels]
    assert "3d" in texts and "2d" in texts and "1d" in texts  # durations on the ladder
    shortened = [label for label in chart.labels if label.title == f"{LONG} (Security)"]
    assert len(shortened) == 1 and shortened[0].text.endswith("…")
    assert [item.text for item in chart.legend] == ["wait time", "process time"]
    _assert_labels_inside(chart)
    # Labels on one row never overlap.
    rows: dict[float, list[tuple[float, float]]] = {}
    for label in chart.labels:
        rows.setdefault(label.y, []).append(_estimated_extent(label))
    for extents in rows.values():
        extents.sort()
        for (_, end), (start, _) in zip(extents, extents[1:], strict=False):
            assert end <= start


def test_stacked_bars_fit_long_names_and_figures_inside_and_have_a_legend():
    rows = [
        (LONG, 3 * WEEK + 2 * DAY + 3 * HOUR, 4 * DAY + 7 * HOUR, True),
        ("QA", DAY, HOUR, False),
    ]
    chart = charts.stacked_bars(rows, "By step", "")
    _assert_labels_inside(chart)
    names = [label for label in chart.labels if label.anchor == "end"]
    assert names[0].title == LONG and names[0].text.endswith("…") and names[1].text == "QA"
    assert {item.css for item in chart.legend} == {"wait", "process"}


def test_the_pareto_line_has_a_percentage_axis_and_names_the_category():
    wastes = [
        {"text": LONG, "category": "waiting", "votes": 3},
        {"text": "Rework", "category": "defects", "votes": 1},
    ]
    chart = charts.pareto(wastes, dict(WasteCategory.choices))
    texts = [label.text for label in chart.labels]
    assert all(f"{share}%" in texts for share in (0, 25, 50, 75, 100))
    assert any(item.text == "cumulative share" and item.shape == "line" for item in chart.legend)
    assert chart.bars[0].title == f"{LONG}: 3 dots · Waiting (delays, queues)"
    _assert_labels_inside(chart)


def test_the_charts_template_puts_the_full_name_in_a_tooltip(cast):
    ActivityFactory(stream=cast.stream, title=LONG, process_time=HOUR, wait_time=DAY)
    page = _page(cast)
    assert f"<title>{LONG}</title>" in page
    assert "wait time</text>" in page and "process time</text>" in page


def test_humanize_duration_can_show_every_unit():
    seconds = WEEK + 2 * DAY + 4 * HOUR + 30 * 60
    assert humanize_duration(seconds) == "1w 2d"
    assert humanize_duration(seconds, parts=None) == "1w 2d 4h 30m"
