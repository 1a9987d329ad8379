"""An activity's min/max estimate, description, colour and lane, edited in the "More" section
of its card's form in Chromium: saved, shown on the card, and the flow summary's Monte Carlo
forecast (recomputed by a real Celery worker) shows on the board's ladder. A max below the
min is refused beside the field. Screenshot: artifacts/e2e/board-details.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from streams.models import Activity
from tests.e2e.boards import DAY, HOUR, eventually, open_board, screenshot, sticky
from tests.factories import ActivityFactory
from tests.stack.worker import celery_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any) -> Any:
    (server,) = asgi_servers.get(1)
    return lambda user, stream: open_board(signed_in_page, server, user, stream)


def test_min_max_description_colour_and_lane_are_edited_in_more_and_the_forecast_shows(board, cast):
    activity = ActivityFactory(
        stream=cast.stream, title="Build", x=40, y=80, lane=0, process_time=DAY, wait_time=DAY
    )
    with celery_worker():
        page = board(cast.participant, cast.stream)
        card = sticky(page, "activity", activity)
        expect(page.locator(".ladder-figure.forecast")).to_have_count(0)
        card.locator("[data-field=title]").dblclick()
        more = card.locator("details.more-fields")
        expect(more).not_to_have_attribute("open", "")
        more.locator("summary").click()
        expect(more).to_contain_text("Typical lead time: this card's wait + process time, 2d.")
        more.locator("input[name=lead_time_min]").fill("1d")
        more.locator("input[name=lead_time_max]").fill("2w")
        more.locator("textarea[name=description]").fill("Compile, unit tests, package.")
        more.locator("input[name=color]").fill("#bbf7d0")
        more.locator("input[name=lane]").fill("1")
        card.locator("button[type=submit]").click()

        def saved() -> bool:
            found = Activity.objects.get(pk=activity.pk)
            return (
                found.lead_time_min == DAY
                and found.lead_time_max == 10 * DAY
                and found.description == "Compile, unit tests, package."
                and found.color == "#bbf7d0"
                and found.lane == 1
                and found.y == 280  # the next lane's row
            )

        assert eventually(saved)
        expect(card.locator(".estimate")).to_have_text("Est. 1d – 2w")
        expect(card.locator(".description-mark")).to_have_attribute(
            "title", "Compile, unit tests, package."
        )
        assert "187, 247, 208" in card.evaluate("e => getComputedStyle(e).backgroundColor")
        described = card.locator(".flow-description")
        expect(described).to_contain_text("estimated lead time from 1 day to 2 weeks")
        # The summary forecasts from the estimate, and the board's ladder says so.
        forecast = page.locator(".ladder-figure.forecast")
        expect(forecast).to_contain_text("Forecast p50", timeout=20_000)
        expect(forecast).to_contain_text("p85")
        screenshot(page, "board-details.png")


def test_a_max_below_the_min_is_refused_beside_the_field_in_the_open_more_section(board, cast):
    activity = ActivityFactory(stream=cast.stream, title="Test", x=40, y=80, lead_time_min=HOUR)
    page = board(cast.participant, cast.stream)
    card = sticky(page, "activity", activity)

    # The card's estimate opens the form on it, with "More" open and the min focused.
    card.locator(".estimate").dblclick()
    more = card.locator("details.more-fields")
    expect(more).to_have_attribute("open", "")
    assert page.evaluate("document.activeElement.name") == "lead_time_min"
    page.keyboard.press("Control+a")
    page.keyboard.type("3d")
    more.locator("input[name=lead_time_max]").fill("1d")
    card.locator("button[type=submit]").click()

    error = more.locator(f"#edit-activity-{activity.pk}-lead_time_max-error")
    expect(error).not_to_be_empty()
    expect(more.locator("input[name=lead_time_max]")).to_have_attribute("aria-invalid", "true")
    assert Activity.objects.get(pk=activity.pk).lead_time_max is None


def test_an_empty_estimate_clears_it(board, cast):
    activity = ActivityFactory(
        stream=cast.stream, title="Ship", x=40, y=80, lead_time_min=HOUR, lead_time_max=DAY
    )
    page = board(cast.participant, cast.stream)
    card = sticky(page, "activity", activity)
    card.locator(".estimate").dblclick()
    card.locator("input[name=lead_time_min]").fill("")
    card.locator("input[name=lead_time_max]").fill("")
    card.locator("button[type=submit]").click()

    assert eventually(
        lambda: Activity.objects.filter(
            pk=activity.pk, lead_time_min=None, lead_time_max=None
        ).exists()
    )
    expect(card.locator(".estimate")).to_have_count(0)
