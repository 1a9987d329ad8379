"""A future state beside its current state, in Chromium with a real Celery worker: the cloned
future state's board says what it is for and shows the step's future-state prompt (not the
workshop's, made for the current state's session), its votes start empty (none are copied),
and its ladder shows its lead time, process time, flow efficiency and rolled %C&A beside the
current state's with the change, following edits of either map live. Screenshot:
artifacts/e2e/board-future.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from streams.models import Activity
from streams.services import stream_clone
from tests.e2e.boards import DAY, HOUR, eventually, open_board, screenshot, sticky
from tests.factories import ActivityFactory, LinkFactory, VoteFactory, WasteFactory
from tests.stack.worker import celery_worker
from workshops.models import Phase

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any) -> Any:
    (server,) = asgi_servers.get(1)
    return lambda user, stream: open_board(signed_in_page, server, user, stream)


def test_a_future_state_says_what_it_is_for_and_compares_itself_live_with_its_current_state(
    board, cast
):
    cast.workshop.phase = Phase.PRIORITIZE
    cast.workshop.save()
    current = cast.stream
    current.name = "Release today"
    current.save()
    build = ActivityFactory(stream=current, title="Build", order=0, x=40, y=80,
                            process_time=4 * HOUR, wait_time=DAY)  # fmt: skip
    ship = ActivityFactory(stream=current, title="Ship", order=1, x=300, y=80,
                           process_time=HOUR, wait_time=3 * DAY, pca=80)  # fmt: skip
    LinkFactory(stream=current, source=build, target=ship)
    waste = WasteFactory(stream=current, activity=ship, text="Waiting for the CAB")
    VoteFactory(waste=waste, member=cast.membership("participant"))
    future = stream_clone(actor=cast.facilitator, stream_id=current.pk, data={"state": "future"})
    future_ship = Activity.objects.get(stream=future, title="Ship")

    with celery_worker():
        page = board(cast.facilitator, future)

        purpose = page.locator("[data-future-purpose]")
        expect(purpose).to_contain_text("Future state of Release today")
        expect(purpose).to_contain_text("its votes did not, so dots placed here are this map's own")
        expect(purpose.locator("a")).to_have_attribute("href", f"/streams/{current.pk}/board/")
        prompt = page.locator(".phase-prompt")
        expect(prompt).to_contain_text("Dots here are this map's own")
        expect(prompt).not_to_contain_text("Dot-vote the wastes that hurt most")
        assert page.evaluate("window.boardApp.store.list('vote').length") == 0

        table = page.locator(".ladder .compare-figures")
        expect(table.locator("caption")).to_have_text(
            "This map beside “Release today”, the current state it is based on"
        )
        lead = table.locator("tr[data-figure=lead_time]")
        expect(lead.locator(".now")).to_have_text("4d 5h")
        expect(lead.locator(".base")).to_have_text("4d 5h")
        expect(lead.locator(".change")).to_have_text("no change")
        for figure in ("process_time", "flow_efficiency", "rolled_pca"):
            expect(table.locator(f"tr[data-figure={figure}]")).to_have_count(1)

        # The future state drops Ship's wait to a day: shorter, better.
        card = sticky(page, "activity", future_ship)
        card.focus()
        page.keyboard.press("Enter")  # the form (the phase's hint box may cover the card)
        card.locator("input[name=wait_time]").fill("1d")
        card.locator("input[name=wait_time]").press("Enter")
        expect(lead.locator(".now")).to_have_text("2d 5h", timeout=20_000)
        expect(lead.locator(".change")).to_have_text("−2d (−43%) better")
        expect(lead.locator(".change")).to_have_class("change better")
        screenshot(page, "board-future.png")

        # Someone shortens Build's wait on the current state: its column follows, live.
        other = board(cast.participant, current)
        sticky(other, "activity", build).focus()
        other.keyboard.press("Enter")
        sticky(other, "activity", build).locator("input[name=wait_time]").fill("4h")
        sticky(other, "activity", build).locator("input[name=wait_time]").press("Enter")
        assert eventually(lambda: Activity.objects.get(pk=build.pk).wait_time == 4 * HOUR)
        expect(lead.locator(".base")).to_have_text("4d 1h", timeout=20_000)
        expect(lead.locator(".now")).to_have_text("2d 5h")


def test_a_current_states_board_keeps_the_workshops_prompt_and_no_comparison(board, cast):
    cast.workshop.phase = Phase.PRIORITIZE
    cast.workshop.save()
    ActivityFactory(stream=cast.stream, title="Build", x=40, y=80)
    page = board(cast.participant, cast.stream)

    expect(page.locator(".phase-prompt")).to_contain_text("Dot-vote the wastes that hurt most")
    expect(page.locator("[data-future-purpose]")).to_have_count(0)
    expect(page.locator(".ladder-figures .ladder-figure").first).to_contain_text("Lead time")
    expect(page.locator(".compare-figures")).to_have_count(0)
