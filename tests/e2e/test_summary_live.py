"""The flow summary page stays live across its own loading: a summary the Celery worker
pushes after the page was rendered but before its socket joined the board still reaches it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from metrics.models import FlowSummary
from metrics.services import summary_recompute, summary_request
from streams.models import ValueStream
from streams.services import board_update
from tests.e2e.boards import off_the_loop
from tests.factories import PASSWORD, ActivityFactory
from tests.stack.worker import celery_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOUR = 3600


def test_a_summary_pushed_while_the_page_connects_still_reaches_it(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> None:
    (server,) = asgi_servers.get(1)
    stream_id = cast.stream.pk
    activity = ActivityFactory(stream=cast.stream, process_time=HOUR, wait_time=HOUR)
    off_the_loop(summary_recompute, stream_id=stream_id)
    # An edit whose recompute waits: no worker runs yet.
    off_the_loop(
        board_update,
        actor=cast.facilitator,
        kind="activity",
        object_id=activity.pk,
        data={"wait_time": 3 * HOUR},
    )
    page = signed_in_page(server.http_url, cast.viewer.username, PASSWORD)
    held: list[Any] = []
    # The page's script waits until the test lets it load.
    page.route("**/static/js/summary.js", lambda route: held.append(route))
    try:
        page.goto(f"/streams/{stream_id}/summary/", wait_until="commit")
        expect(page.locator("[data-figure=lead_time]")).to_have_text("2h")
        expect(page.locator(".stale")).to_have_text("updating…")
        with celery_worker():
            off_the_loop(summary_request, stream_id=stream_id)
            seq = ValueStream.objects.get(pk=stream_id).seq
            deadline = time.monotonic() + 15
            while not FlowSummary.objects.filter(stream_id=stream_id, seq=seq).exists():
                assert time.monotonic() < deadline, "the worker did not recompute"
                time.sleep(0.05)
            # The summary frame went out to nobody; now the page's script starts.
            for route in held:
                route.continue_()
            expect(page.locator(".live-state")).to_have_text("Live updates: on")
            expect(page.locator("[data-figure=lead_time]")).to_have_text("4h")
            expect(page.locator(".stale")).to_have_count(0)
    finally:
        connection.close()  # opened beside Playwright's loop; would outlive the test database
