"""Cards readable when the map is fitted, in Chromium: the 11-step demo fitted in a laptop's
window shows each card's title and three figures at 11 px or more on screen (the rest hidden
at that distance); a 100-activity map opens readable at its start with a minimap of the
whole (click, or arrow keys, to move the view), its ladder's labels never overlap, and a move
still goes through at once. Screenshots: artifacts/e2e/board-demo-fitted.png,
board-100-activities.png."""

from __future__ import annotations

import random
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from streams.models import Activity, Link, ValueStream
from tests.e2e.boards import eventually, off_the_loop, open_board, screenshot, sticky
from vsm_site.management.commands.load_demo import DEMO_TITLE
from vsm_site.management.commands.load_demo import PASSWORD as DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1440, "height": 900}

# Per activity card: its zoom-corrected sizes on screen, and whether the title fits its card.
CARD_TEXT = """() => {
  const zoom = window.boardApp.canvas.view.zoom;
  const shown = (element) =>
    element && getComputedStyle(element).display !== 'none' && element.getClientRects().length > 0;
  const size = (element) => parseFloat(getComputedStyle(element).fontSize) * zoom;
  return [...document.querySelectorAll('.sticky-note.kind-activity')].map((card) => {
    const title = card.querySelector('.lod-title');
    const values = [...card.querySelectorAll('.lod-value')];
    return {
      title: shown(title) ? size(title) : 0,
      figures: values.filter(shown).map(size),
      fits: title.scrollWidth <= title.clientWidth + 1,
      team: shown(card.querySelector('.team')),
      times: shown(card.querySelector('.times')),
    };
  });
}"""

# The ladder's value labels that overlap another one on screen.
LADDER_OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('.ladder-svg text.value')]
    .map((text) => text.getBoundingClientRect());
  const clashes = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    if (overlap) clashes.push([a.left, b.left]);
  }));
  return { labels: boxes.length, clashes };
}"""


@pytest.fixture
def board(need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any) -> Any:
    (server,) = asgi_servers.get(1)

    def open_on_a_laptop(user: Any, stream: Any, **options: Any) -> Any:
        return open_board(signed_in_page, server, user, stream, viewport=LAPTOP, **options)

    return open_on_a_laptop


def test_the_fitted_demo_shows_each_cards_title_and_figures_at_11_px_or_more(board):
    def load() -> ValueStream:
        call_command("load_demo", stdout=StringIO())
        return ValueStream.objects.get(workshop__title=DEMO_TITLE)

    stream = off_the_loop(load)
    facilitator = stream.workshop.memberships.get(role="facilitator").user
    page = board(facilitator, stream, password=DEMO_PASSWORD)
    page.wait_for_timeout(300)  # the fit settles once the cards have their size

    assert page.evaluate("window.boardApp.canvas.view.zoom") < 0.7  # the whole map, fitted
    expect(page.locator(".board-viewport")).to_have_attribute("data-detail", "low")
    cards = page.evaluate(CARD_TEXT)
    assert len(cards) == 11
    for card in cards:
        assert card["title"] >= 11, card
        assert len(card["figures"]) == 3 and min(card["figures"]) >= 11, card
        assert card["fits"] and not card["team"] and not card["times"], card
    expect(page.locator(".minimap")).to_be_hidden()  # the whole map is in view
    screenshot(page, "board-demo-fitted.png")

    # Close up, the cards are whole again.
    page.locator(".board-viewport").focus()
    page.keyboard.press("0")
    expect(page.locator(".board-viewport")).to_have_attribute("data-detail", "full")
    expect(page.locator(".sticky-note.kind-activity .times").first).to_be_visible()


def test_a_hundred_activities_open_readable_with_a_minimap_and_a_ladder_without_overlaps(
    board, cast
):
    rng = random.Random(7)
    activities = Activity.objects.bulk_create(
        Activity(
            stream=cast.stream,
            title=f"Step {index + 1} {rng.choice(['review', 'build', 'approve', 'deploy'])}",
            order=index,
            x=40 + 240 * index,
            y=80,
            process_time=rng.choice([1800, 3600, 7200, 28800]),
            wait_time=rng.choice([0, 3600, 28800, 86400]),
            pca=rng.choice([70, 90, 100]),
        )
        for index in range(100)
    )
    Link.objects.bulk_create(
        Link(stream=cast.stream, source=a, target=b)
        for a, b in zip(activities, activities[1:], strict=False)
    )
    page = board(cast.participant, cast.stream)
    page.wait_for_timeout(300)

    assert page.evaluate("window.boardApp.canvas.view.zoom") >= 0.4
    titles = [card["title"] for card in page.evaluate(CARD_TEXT)]
    assert min(titles) >= 11
    minimap = page.locator(".minimap")
    expect(minimap).to_be_visible()
    expect(minimap.locator("rect.minimap-activity")).to_have_count(100)
    expect(minimap.locator(".minimap-caption")).to_contain_text("of 100 activities in view")
    ladder = page.evaluate(LADDER_OVERLAPS)
    assert ladder["labels"] > 10 and ladder["clashes"] == [], ladder
    screenshot(page, "board-100-activities.png")

    # Click the minimap's far right: the view goes to the end of the flow.
    box = minimap.locator("svg").bounding_box()
    before = page.evaluate("window.boardApp.canvas.view.x")
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + box["height"] / 2)
    last = sticky(page, "activity", activities[-1])
    expect(last).to_be_in_viewport()
    assert page.evaluate("window.boardApp.canvas.view.x") < before
    # The arrow keys move it back, a step at a time.
    minimap.focus()
    x = page.evaluate("window.boardApp.canvas.view.x")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.boardApp.canvas.view.x") > x

    # A move on a board this big still goes through at once.
    last.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    moved = activities[-1]
    assert eventually(lambda: Activity.objects.get(pk=moved.pk).x == moved.x + 10, timeout=3)
