"""Wastes visibly belong to their activity, in Chromium: a dashed connector ties each to its
activity; dragging the activity (or moving it with the arrow keys) moves its wastes and their
countermeasures by the same delta in one change that one undo takes back; a new
countermeasure goes under its waste, never over its buttons. Screenshot:
artifacts/e2e/board-wastes.png."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from streams.models import Activity, Countermeasure, Waste
from tests.e2e.boards import eventually, open_board, screenshot, sticky
from tests.factories import ActivityFactory, CountermeasureFactory, WasteFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_TEXT = (
    "Requirements come back from QA because nobody wrote down the examples we agreed on in "
    "refinement, so the testers guess, the developers guess differently, and the story goes "
    "round the loop two or three times before anyone talks to the product owner about it."
)


@pytest.fixture
def board(need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any) -> Any:
    (server,) = asgi_servers.get(1)
    return lambda user, stream: open_board(signed_in_page, server, user, stream)


@pytest.fixture
def pinned(cast: Any) -> SimpleNamespace:
    """Build (with a waste under it, and a countermeasure under that) and Test beside it."""
    build = ActivityFactory(stream=cast.stream, title="Build", order=0, x=40, y=80)
    test = ActivityFactory(stream=cast.stream, title="Test", order=1, x=300, y=80)
    waste = WasteFactory(stream=cast.stream, activity=build, text="Queue", x=50, y=260)
    countermeasure = CountermeasureFactory(waste=waste, title="WIP limit", x=60, y=400)
    return SimpleNamespace(
        cast=cast, build=build, test=test, waste=waste, countermeasure=countermeasure
    )


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def _touches(point: tuple[float, float], box: dict[str, float], slack: float = 3) -> bool:
    x, y = point
    return (
        box["x"] - slack <= x <= box["x"] + box["width"] + slack
        and box["y"] - slack <= y <= box["y"] + box["height"] + slack
    )


def test_a_waste_is_tied_to_its_activity_by_a_connector(board, pinned):
    page = board(pinned.cast.participant, pinned.cast.stream)

    line = page.locator(f'line.connector[data-connector="waste:{pinned.waste.pk}"]')
    expect(line).to_have_count(1)
    ends = line.evaluate(
        """line => {
          const matrix = line.getScreenCTM();
          const at = (x, y) => {
            const point = new DOMPoint(x, y).matrixTransform(matrix);
            return [point.x, point.y];
          };
          const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((name) => line[name].baseVal.value);
          return [at(x1, y1), at(x2, y2)];
        }"""
    )
    assert _touches(ends[0], _box(page, f'[data-key="activity:{pinned.build.pk}"]'))
    assert _touches(ends[1], _box(page, f'[data-key="waste:{pinned.waste.pk}"]'))
    connector = f'line.connector[data-connector="countermeasure:{pinned.countermeasure.pk}"]'
    expect(page.locator(connector)).to_have_count(1)
    assert page.locator('line.connector[data-connector^="waste:"]').count() == 1
    description = sticky(page, "waste", pinned.waste).locator(".flow-description")
    expect(description).to_have_text("On activity Build.")


def test_dragging_an_activity_moves_its_waste_and_countermeasure_by_the_same_delta_in_one_undo(
    board, pinned
):
    page = board(pinned.cast.participant, pinned.cast.stream)
    card = sticky(page, "activity", pinned.build)
    start = card.bounding_box()
    zoom = page.evaluate("window.boardApp.canvas.view.zoom")
    page.mouse.move(start["x"] + 30, start["y"] + 12)
    page.mouse.down()
    # Along the lane (no lane change), past Test: 600 world px to the right.
    page.mouse.move(start["x"] + 30 + 600 * zoom, start["y"] + 12, steps=10)
    page.mouse.up()

    def moved() -> bool:
        build = Activity.objects.get(pk=pinned.build.pk)
        waste = Waste.objects.get(pk=pinned.waste.pk)
        countermeasure = Countermeasure.objects.get(pk=pinned.countermeasure.pk)
        delta = (build.x - pinned.build.x, build.y - pinned.build.y)
        return (
            delta[0] > 400
            and (waste.x - pinned.waste.x, waste.y - pinned.waste.y) == delta
            and (countermeasure.x - pinned.countermeasure.x, countermeasure.y - 400) == delta
        )

    assert eventually(moved)
    screenshot(page, "board-wastes.png")
    expect(page.locator("[data-action=undo]")).to_have_attribute(
        "title", "Undo move of 3 items (Ctrl+Z)"
    )

    page.click("[data-action=undo]")

    def back() -> bool:
        return (
            Activity.objects.get(pk=pinned.build.pk).x == pinned.build.x
            and Waste.objects.get(pk=pinned.waste.pk).x == pinned.waste.x
            and Countermeasure.objects.get(pk=pinned.countermeasure.pk).x == 60
        )

    assert eventually(back)


def test_arrow_keys_move_an_activity_with_its_waste(board, pinned):
    page = board(pinned.cast.participant, pinned.cast.stream)
    sticky(page, "activity", pinned.build).focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")

    assert eventually(lambda: Waste.objects.get(pk=pinned.waste.pk).x == pinned.waste.x - 30)
    assert Activity.objects.get(pk=pinned.build.pk).x == pinned.build.x - 30


def test_a_new_countermeasure_goes_under_a_tall_waste_never_over_its_buttons(board, cast):
    activity = ActivityFactory(stream=cast.stream, title="QA", x=40, y=80)
    waste = WasteFactory(stream=cast.stream, activity=activity, text=LONG_TEXT, x=40, y=260)
    page = board(cast.participant, cast.stream)
    page.locator(".board-viewport").focus()
    page.keyboard.press("0")  # 1:1, every part of the cards shown
    card = sticky(page, "waste", waste)
    assert card.bounding_box()["height"] > 140  # taller than a countermeasure's old offset

    card.locator(".add-countermeasure").click()
    page.wait_for_selector(".sticky-form")
    page.keyboard.press("Escape")

    created = eventually(lambda: Countermeasure.objects.filter(waste=waste).first())
    new = page.locator(f'[data-key="countermeasure:{created.pk}"]')
    expect(new).to_be_visible()
    covered = new.bounding_box()

    def overlaps(box: dict[str, float]) -> bool:
        return (
            box["x"] < covered["x"] + covered["width"]
            and covered["x"] < box["x"] + box["width"]
            and box["y"] < covered["y"] + covered["height"]
            and covered["y"] < box["y"] + box["height"]
        )

    assert not overlaps(card.bounding_box())  # under the waste: its text and its buttons
    for button in card.locator("button").all():
        assert not overlaps(button.bounding_box()), button.inner_text()
    # And the buttons still answer clicks: a dot goes onto the waste.
    card.locator("button", has_text="+ dot").click()
    expect(card.locator(".dot.mine")).to_have_count(1)
