"""The Flow page's tracker connections in Chromium, with a real worker: a facilitator connects
the workshop to a (fake, loopback) GitHub, tests the connection, syncs it, and sees the
figures arrive; the tracker changes, another sync brings only that, and the figures update
without a reload. The token is never shown again. Screenshot: artifacts/e2e/flow-connections.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.stack.worker import celery_worker
from tests.workitems.trackers import GITHUB_TOKEN, OWNER, REPO, FakeTrackerServer, Tracker
from workitems.models import Connection, WorkItem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


@pytest.fixture
def github() -> Iterator[Tracker]:
    server = FakeTrackerServer()
    now = datetime.now(UTC).replace(microsecond=0)
    tracker = server.tracker

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    tracker.github_issue(
        1,
        [("labeled", "status: In Progress", ago(9)), ("closed", "", ago(5))],
        created=ago(10),
        updated=ago(5),
    )
    tracker.github_issue(
        2, [("labeled", "status: In Progress", ago(6))], created=ago(8), updated=ago(6)
    )
    tracker.github_issue(
        3,
        [("labeled", "status: In Progress", ago(7)), ("closed", "", ago(3))],
        created=ago(7),
        updated=ago(3),
    )
    yield tracker
    server.stop()


def test_a_facilitator_connects_tests_and_syncs_a_tracker_and_the_figures_update(
    need_postgres: None,
    need_redis: str,
    asgi_servers: Any,
    signed_in_page: Any,
    cast: Any,
    github: Tracker,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    [server] = asgi_servers.get(1)
    with celery_worker():
        page = signed_in_page(server.http_url, cast.facilitator.username, PASSWORD)
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(f"/workshops/{cast.workshop.pk}/flow/")
        expect(page.locator("#live-state")).to_have_text("Live updates: on")
        expect(page.locator("#connection-list")).to_have_text("No tracker is connected yet.")

        page.select_option("#connection-kind", "github")
        expect(page.locator("#github-owner")).to_be_visible()
        expect(page.locator("#ado-organization")).to_be_hidden()
        page.fill("#connection-base-url", github.url)
        page.fill("#github-owner", OWNER)
        page.fill("#github-repo", REPO)
        page.fill("#github-token", GITHUB_TOKEN)
        page.click("#connection-form button[type=submit]")
        expect(page.locator("#connection-result")).to_contain_text("Connected GitHub.")
        item = page.locator("#connection-list li.connection")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(f"GitHub: {OWNER}/{REPO}")
        expect(item).to_contain_text(f"credential ending in {GITHUB_TOKEN[-4:]}")
        expect(item.locator(".connection-status")).to_have_text("Never synced yet.")
        expect(page.locator("#github-token")).to_have_value("")

        item.get_by_role("button", name="Test connection").click()
        expect(item.locator(".connection-test")).to_have_text(
            f"Works: Connected to {OWNER}/{REPO}; it has issues to sync."
        )

        item.get_by_role("button", name="Sync now").click()
        expect(item.locator(".connection-status")).to_contain_text(
            "3 work items changed", timeout=30_000
        )
        expect(page.locator("#flow-body [data-figure=velocity]")).to_have_text("2 items")
        assert WorkItem.objects.filter(workshop=cast.workshop).count() == 3

        # The tracker moves on: issue 2 is closed now. The next sync asks only for it.
        now = datetime.now(UTC)
        github.github_issue(
            2,
            [("labeled", "status: In Progress", now - timedelta(days=6)), ("closed", "", now)],
            created=now - timedelta(days=8),
            updated=now + timedelta(minutes=1),
        )
        github.requests.clear()
        item.get_by_role("button", name="Sync now").click()
        expect(item.locator(".connection-status")).to_contain_text(
            "1 work item changed", timeout=30_000
        )
        expect(page.locator("#flow-body [data-figure=velocity]")).to_have_text("3 items")
        listings = [call for call in github.calls("/issues") if call.path.endswith("/issues")]
        cursor = Connection.objects.get(workshop=cast.workshop).cursor
        assert listings and listings[0].param("since") is not None
        assert cursor is not None

        assert GITHUB_TOKEN not in page.content()
        page.screenshot(path=str(ARTIFACTS / "flow-connections.png"), full_page=True)
        assert not script_errors, script_errors
