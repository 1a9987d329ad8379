"""The demo's flow summary in Chromium holds the map against measured flow with no set-up:
the paired ladder (estimate above, measured below, every label inside), the table with the
biggest wait surprise first, a facilitator's data-driven current state, and a live re-render
when the measured flow changes."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from metrics.services import snapshot_take
from streams.models import ValueStream
from tests.e2e.test_summary_live import off_the_loop
from tests.e2e.test_summary_page import TEXTS_OUTSIDE
from vsm_site.management.commands.load_demo import DEMO_TITLE, PASSWORD
from workitems.demo import STATE_ACTIVITIES
from workitems.models import WorkState
from workitems.services import work_states_update

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
LADDER = "svg[aria-label^='Estimated and measured timeline']"
ROWS = "table[data-measured=table] tbody tr"

# Each ladder's rects by row: the estimated ladder's bars lie above the measured one's.
LADDER_ROWS = """(svg) => {
  const bars = [...svg.querySelectorAll(':scope > rect')].map((bar) => bar.getBBox());
  const middle = svg.viewBox.baseVal.height / 2;
  return {
    upper: bars.filter((box) => box.y < middle).length,
    lower: bars.filter((box) => box.y >= middle).length,
    visible: bars.filter((box) => box.width >= 0.5 && box.height > 0).length,
  };
}"""


def _demo() -> ValueStream:
    def load() -> ValueStream:
        call_command("load_demo", stdout=StringIO())
        return ValueStream.objects.get(workshop__title=DEMO_TITLE)

    return off_the_loop(load)


def test_the_demo_summary_holds_the_map_against_measured_flow(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any
) -> None:
    stream = _demo()
    today = timezone.now().date()
    for days_ago in (2, 1, 0):  # the daily snapshots, each with the measured flow
        off_the_loop(snapshot_take, stream_id=stream.pk, day=today - timedelta(days=days_ago))
    (server,) = asgi_servers.get(1)
    try:
        page = signed_in_page(server.http_url, "viewer", PASSWORD)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/streams/{stream.pk}/summary/")
        expect(page.locator(".live-state")).to_have_text("Live updates: on")

        ladder = page.locator(LADDER)
        expect(ladder).to_be_visible()
        rows = ladder.evaluate(LADDER_ROWS)
        # Wait and process of each of the 10 steps on the longest path, on each ladder.
        assert rows == {"upper": 20, "lower": 20, "visible": 40}, rows
        expect(ladder.locator("text.row-name")).to_have_text(["Estimated", "Measured"])
        assert page.evaluate(TEXTS_OUTSIDE) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#measured").screenshot(path=str(ARTIFACTS / "summary-measured.png"))
        page.screenshot(path=str(ARTIFACTS / "summary-measured-page.png"), full_page=True)
        trends = page.locator("section.trends")
        for chart in ("Lead time trend", "Flow efficiency trend"):
            lines = trends.locator(f"svg[aria-label^='{chart}'] polyline")
            expect(lines).to_have_count(2)
            expect(lines.nth(1)).to_have_class("measured")
        trends.screenshot(path=str(ARTIFACTS / "summary-measured-trend.png"))
        # The demo's history waits longer than its map before development and before the
        # CAB: one of them is the biggest surprise, and its wait is flagged.
        first = page.locator(ROWS).first
        expect(first.locator("th")).to_contain_text(re.compile("^(Development|Change approval)"))
        expect(first.locator("td.measured-cell").nth(1)).to_have_class(re.compile(r"\bworse\b"))
        expect(page.locator("[data-measured=coverage]")).to_contain_text("of the done items'")
        expect(page.locator("form.measured-apply")).to_have_count(0)  # a viewer

        # In a window of 180 days, the top surprise's queue is declared not to be waiting
        # (ignore): the workshop's measured flow changed, and the open page re-renders in the
        # same window without a reload: that activity's wait is no longer measured, so it
        # leaves the top.
        page.get_by_role("link", name="last 180 days").click()
        expect(page.get_by_role("link", name="last 180 days")).to_have_attribute(
            "aria-current", "true"
        )
        items_done = page.locator("[data-figure=items_done]").text_content()
        surprise = int(first.get_attribute("data-activity"))
        title = stream.activities.get(pk=surprise).title
        queues = WorkState.objects.filter(
            workshop=stream.workshop,
            flow_state="waiting",
            name__in=[name for name, on in STATE_ACTIVITIES.items() if on == title],
        )
        facilitator = stream.workshop.memberships.get(role="facilitator").user
        off_the_loop(
            work_states_update,
            actor=facilitator,
            workshop_id=stream.workshop_id,
            data=[{"id": state.pk, "flow_state": "ignore"} for state in queues],
        )
        row = page.locator(f"{ROWS}[data-activity='{surprise}']")
        expect(row.locator("td.measured-cell").nth(1)).to_contain_text("–")
        expect(page.locator(ROWS).first).not_to_have_attribute("data-activity", str(surprise))
        expect(page.get_by_role("link", name="last 180 days")).to_have_attribute(
            "aria-current", "true"
        )
        expect(page.locator("[data-figure=items_done]")).to_have_text(items_done)
    finally:
        connection.close()  # opened beside Playwright's loop; would outlive the test database


def test_a_facilitator_makes_a_current_state_map_from_the_measured_figures(
    need_postgres: None, asgi_servers: Any, signed_in_page: Any
) -> None:
    stream = _demo()
    (server,) = asgi_servers.get(1)
    try:
        page = signed_in_page(server.http_url, "facilitator", PASSWORD)
        page.goto(f"/streams/{stream.pk}/summary/?start=&end=")
        page.get_by_role("link", name="last 180 days").click()
        expect(page.get_by_role("link", name="last 180 days")).to_have_attribute(
            "aria-current", "true"
        )
        button = page.get_by_role(
            "button", name="Make a current-state map from the measured figures"
        )
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/board/")
        clone = ValueStream.objects.exclude(pk=stream.pk).get()
        assert clone.based_on_id == stream.pk and "measured" in clone.name
        assert page.url.endswith(f"/streams/{clone.pk}/board/")
        expect(page.locator(".messages")).to_contain_text(clone.name)

        page.goto(f"/streams/{stream.pk}/summary/")
        compare = page.locator("section[aria-label='Compare mappings']")
        expect(compare.get_by_role("link", name=clone.name)).to_be_visible()
    finally:
        connection.close()
