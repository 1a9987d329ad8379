"""The flow summary page in a real browser: the figures, the SVG charts, and a live update
when an edit on the board reaches the summary through the Celery worker."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from tests.factories import (
    PASSWORD,
    ActivityFactory,
    CountermeasureFactory,
    LinkFactory,
    VoteFactory,
    WasteFactory,
)
from tests.stack.worker import celery_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOUR = 3600
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def mapped(cast: Any) -> Any:
    """intake -> (design | review) -> build; review is the longer branch."""
    intake, design, review, build = (
        ActivityFactory(
            stream=cast.stream, title=title, team=team, process_time=p, wait_time=w, pca=pca
        )
        for title, team, p, w, pca in (
            ("Intake", "Product", 1 * HOUR, 8 * HOUR, 80),
            ("Design", "UX", 4 * HOUR, 4 * HOUR, 90),
            ("Review", "Platform", 2 * HOUR, 16 * HOUR, 100),
            ("Build", "Dev", 8 * HOUR, 8 * HOUR, 50),
        )
    )
    for source, target in ((intake, design), (intake, review), (design, build), (review, build)):
        LinkFactory(stream=cast.stream, source=source, target=target)
    waste = WasteFactory(stream=cast.stream, text="Review queue", activity=review)
    CountermeasureFactory(waste=waste, title=XSS, status="planned")
    cast.activities = {a.title: a for a in (intake, design, review, build)}
    return cast


def test_viewer_sees_the_figures_and_the_charts_render_and_update_live(
    need_postgres: None,
    need_redis: str,
    asgi_servers: Any,
    signed_in_page: Any,
    mapped: Any,
    tmp_path: Any,
) -> None:
    (server,) = asgi_servers.get(1)
    with celery_worker():
        page = signed_in_page(server.http_url, mapped.viewer.username, PASSWORD)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"/streams/{mapped.stream.pk}/summary/")

        # Lead time along intake -> review -> build: 9h + 18h + 16h = 43h: a 5-day week of
        # 8-hour days and 3h.
        expect(page.locator("[data-figure=lead_time]")).to_have_text("1w 3h")
        expect(page.locator("[data-figure=process_time]")).to_have_text("1d 3h")
        expect(page.locator("[data-figure=wait_time]")).to_have_text("4d")
        expect(page.locator("[data-figure=flow_efficiency]")).to_have_text("25.6%")
        expect(page.locator("[data-figure=rolled_pca]")).to_have_text("36%")
        expect(page.locator("[data-figure=bottleneck]")).to_have_text("Review")
        expect(page.locator(".live-state")).to_have_text("Live updates: on")

        charts = page.locator("svg.svg-chart")
        assert charts.count() >= 3
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 30
        ladder = page.locator("svg[aria-label^='Timeline ladder'] > rect")
        assert ladder.count() == 6  # wait and process for each of the 3 critical steps
        page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)

        # A facilitator's edit (through the API of the same server) makes Design the longer
        # branch; the page follows without a reload.
        token = Token.objects.create(user=mapped.facilitator).key
        edit = urllib.request.Request(
            f"{server.http_url}/api/activities/{mapped.activities['Design'].pk}/",
            data=json.dumps({"wait_time": 40 * HOUR}).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            method="PATCH",
        )
        with urllib.request.urlopen(edit, timeout=10) as response:
            assert response.status == 200
        expect(page.locator("[data-figure=lead_time]")).to_have_text("1w 3d 5h")  # 69h
        expect(page.locator("[data-figure=bottleneck]")).to_have_text("Design")
        expect(page.locator("td", has_text=XSS)).to_have_count(1)  # shown as text
    assert dialogs == [] and page.locator("img[src=x]").count() == 0


# Every text of every chart, as Chromium lays it out: its box against the chart's viewBox.
TEXTS_OUTSIDE = """() => {
  const outside = [];
  for (const svg of document.querySelectorAll('svg.svg-chart')) {
    const view = svg.viewBox.baseVal;
    for (const text of svg.querySelectorAll('text')) {
      const box = text.getBBox();
      if (box.x < view.x - 0.5 || box.x + box.width > view.x + view.width + 0.5
          || box.y < view.y - 0.5 || box.y + box.height > view.y + view.height + 0.5) {
        outside.push(`${svg.getAttribute('aria-label').split(':')[0]}: ${text.textContent}`);
      }
    }
  }
  return outside;
}"""


def test_long_names_stay_inside_the_charts_and_show_in_full_on_hover(
    need_postgres: None, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> None:
    long = "Security review by the central architecture board and the data protection officer"
    previous = None
    for index, (title, team, wait) in enumerate(
        (
            ("Intake", "Product", 8),
            (long, "A team with a very long name that goes on and on and on", 2),
            ("Build", "Dev", 24),
            (f"{long} again", "Ops", 1),
        )
    ):
        activity = ActivityFactory(
            stream=cast.stream,
            title=title,
            team=team,
            order=index,
            process_time=2 * HOUR,
            wait_time=wait * HOUR,
        )
        if previous is not None:
            LinkFactory(stream=cast.stream, source=previous, target=activity)
        previous = activity
        waste = WasteFactory(stream=cast.stream, text=f"{long} waste {index}", activity=activity)
        for _ in range(index + 1):
            VoteFactory(waste=waste, member=cast.membership("participant"))
    cast.stream.votes_revealed = True
    cast.stream.save()
    (server,) = asgi_servers.get(1)
    page = signed_in_page(server.http_url, cast.viewer.username, PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/streams/{cast.stream.pk}/summary/")
    expect(page.locator("svg[aria-label^='Waste Pareto']")).to_be_visible()
    assert page.evaluate(TEXTS_OUTSIDE) == []
    # A shortened name carries the whole one as its tooltip.
    shortened = page.locator("svg.svg-chart text", has_text="…").first
    assert long in shortened.locator("title").text_content()
    legend = page.locator("svg[aria-label^='Timeline ladder'] .chart-legend")
    expect(legend).to_contain_text("wait time")
    expect(legend).to_contain_text("process time")
    expect(page.locator("svg[aria-label^='Waste Pareto'] text", has_text="100%")).to_have_count(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "summary-long-names.png"), full_page=True)
