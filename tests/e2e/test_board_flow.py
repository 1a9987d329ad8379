"""The flow on the live board, in Chromium: the summary's critical path and bottleneck are
marked on the cards and links; an activity a linked map leaves out of every path says so
until it is linked; a facilitator draws a rework loop back to an earlier activity (dashed,
with the share sent back, never on the critical path), a participant is told only a
facilitator can. Screenshots: artifacts/e2e/board-flow-*.png."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from metrics.services import summary_recompute
from streams.models import Link, LinkKind
from tests.e2e.boards import (
    DAY,
    HOUR,
    eventually,
    off_the_loop,
    open_board,
    screenshot,
    sticky,
    summary_loaded,
)
from tests.factories import ActivityFactory, LinkFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any) -> Any:
    (server,) = asgi_servers.get(1)
    return lambda user, stream, **options: open_board(
        signed_in_page, server, user, stream, **options
    )


def _late_summary(page: Any) -> None:
    """The board's first request for the summary answers after the socket's snapshot."""

    def late(route: Any) -> None:
        page.wait_for_timeout(1200)
        route.continue_()

    page.route("**/api/streams/*/summary/", late)


@pytest.fixture
def diamond(cast: Any) -> SimpleNamespace:
    """Intake -> (Design | Review) -> Ship; the Review branch waits longest (3d)."""
    stream = cast.stream

    def add(title: str, order: int, x: float, y: float, **times: Any) -> Any:
        return ActivityFactory(stream=stream, title=title, order=order, x=x, y=y, **times)

    intake = add("Intake", 0, 40, 80, process_time=HOUR, wait_time=DAY)
    design = add("Design", 1, 300, 80, process_time=2 * HOUR, wait_time=HOUR)
    review = add("Review", 2, 300, 280, process_time=HOUR, wait_time=3 * DAY)
    ship = add("Ship", 3, 560, 80, process_time=HOUR, wait_time=2 * HOUR, pca=70)
    links = {
        (a.title, b.title): LinkFactory(stream=stream, source=a, target=b)
        for a, b in ((intake, design), (intake, review), (design, ship), (review, ship))
    }
    return SimpleNamespace(
        cast=cast, intake=intake, design=design, review=review, ship=ship, links=links
    )


def test_the_critical_path_and_its_bottleneck_are_marked_on_the_board(board, diamond):
    # A summary computed before the board opens comes with the page's request for it, not
    # as a frame, and here after the board's snapshot.
    off_the_loop(summary_recompute, stream_id=diamond.cast.stream.pk)
    page = board(diamond.cast.participant, diamond.cast.stream, before=_late_summary)
    summary_loaded(page)

    for activity in (diamond.intake, diamond.review, diamond.ship):
        expect(sticky(page, "activity", activity)).to_have_class(_has("on-critical-path"))
    expect(sticky(page, "activity", diamond.design)).not_to_have_class(_has("on-critical-path"))
    bottleneck = sticky(page, "activity", diamond.review)
    expect(bottleneck).to_have_class(_has("bottleneck"))
    expect(bottleneck.locator(".bottleneck-badge")).to_have_text("Bottleneck")
    expect(bottleneck.locator(".flow-description")).to_contain_text(
        "longest wait on the critical path"
    )
    assert page.locator(".bottleneck-badge").count() == 1

    on_path = diamond.links[("Review", "Ship")].pk
    off_path = diamond.links[("Design", "Ship")].pk
    expect(page.locator(f"g.link[data-link='{on_path}']")).to_have_class(_has("critical"))
    expect(page.locator(f"g.link[data-link='{off_path}']")).not_to_have_class(_has("critical"))
    expect(page.locator(f"g.link[data-link='{on_path}']")).to_have_attribute(
        "aria-label", "Link from Review to Ship, on the critical path. Press Delete to remove it"
    )
    screenshot(page, "board-flow-critical.png")


def test_a_new_activity_on_a_linked_map_is_flagged_not_linked_until_it_is_linked(board, diamond):
    page = board(diamond.cast.participant, diamond.cast.stream)
    summary_loaded(page)
    expect(page.locator(".sticky-note.unlinked")).to_have_count(0)

    page.click("[data-action=add-activity]")
    page.wait_for_selector(".sticky-form")
    page.keyboard.press("Escape")  # keep the title "New activity"
    card = page.locator(".sticky-note.kind-activity", has_text="New activity")
    expect(card).to_have_class(_has("unlinked"))
    badge = card.locator(".unlinked-badge")
    expect(badge).to_have_text("not linked")
    expect(badge).to_have_attribute(
        "title",
        "Not linked: this activity is on no path of the flow, so its time is left out of the "
        "lead time (its %C&A still counts in rolled %C&A). Link it from the activity before it "
        "and to the one after it (→ handle, or L).",
    )
    described = card.get_attribute("aria-describedby")
    expect(page.locator(f"#{described}")).to_contain_text("Not linked")

    # Link it from Ship with the keyboard: focus Ship, L, then the new card and Enter.
    sticky(page, "activity", diamond.ship).focus()
    page.keyboard.press("l")
    card.focus()
    page.keyboard.press("Enter")
    assert eventually(lambda: Link.objects.filter(source=diamond.ship).exists())
    expect(card).not_to_have_class(_has("unlinked"))
    expect(card.locator(".unlinked-badge")).to_have_count(0)


def test_a_facilitator_draws_a_rework_loop_back_dashed_with_its_share_off_the_critical_path(
    board, diamond
):
    page = board(diamond.cast.facilitator, diamond.cast.stream)
    summary_loaded(page)

    sticky(page, "activity", diamond.ship).focus()
    page.keyboard.press("l")
    expect(page.locator(".link-banner")).to_contain_text("An earlier activity gets a rework loop")
    sticky(page, "activity", diamond.intake).click()

    loop = eventually(lambda: Link.objects.filter(kind=LinkKind.REWORK).first())
    assert (loop.source_id, loop.target_id) == (diamond.ship.pk, diamond.intake.pk)
    drawn = page.locator(f"g.link[data-link='{loop.pk}']")
    expect(drawn).to_have_class(_has("rework"))
    expect(drawn).not_to_have_class(_has("critical"))
    expect(drawn.locator(".rework-share")).to_have_text("30% back")
    assert (
        drawn.locator(".link-line").evaluate("e => getComputedStyle(e).strokeDasharray") != "none"
    )
    expect(drawn).to_have_attribute(
        "aria-label",
        "Rework loop from Ship back to Intake: 30% of the work is sent back (Ship is 70% "
        "complete and accurate) and runs again from Intake. Press Delete to remove it",
    )
    # Still the flow's critical path: the loop is not part of it.
    assert page.evaluate("window.boardApp.store.summary.critical_path") == [
        diamond.intake.pk,
        diamond.review.pk,
        diamond.ship.pk,
    ]
    screenshot(page, "board-flow-rework.png")

    page.click("[data-action=undo]")
    assert eventually(lambda: not Link.objects.filter(kind=LinkKind.REWORK).exists())


def test_a_participant_drawing_back_is_told_only_a_facilitator_draws_rework_loops(board, diamond):
    page = board(diamond.cast.participant, diamond.cast.stream)

    sticky(page, "activity", diamond.ship).focus()
    page.keyboard.press("l")
    sticky(page, "activity", diamond.intake).click()

    expect(page.locator(".toast.error")).to_contain_text(
        "only a facilitator can draw a rework loop back to it"
    )
    assert Link.objects.count() == 4


def _has(css_class: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(css_class)}(\s|$)")
