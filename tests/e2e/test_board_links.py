"""The board's links and connectors in Chromium are updated, not redrawn, by each change (issue
15): a link keeps its element through moves, retitles and other links' comings and goings, and
only what changed is set; a new link is added, a deleted one removed; a waste's connector
follows its activity in place. What the board then shows is exactly what links drawn from
scratch from the same store show."""

from __future__ import annotations

from typing import Any

import pytest

from streams.models import LinkKind
from streams.services.board import op_apply
from tests.e2e.boards import eventually, off_the_loop, open_board, screenshot
from tests.factories import ActivityFactory, LinkFactory, WasteFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Marks every link's and connector's element; MARKED says which still carry the mark.
DRAWN_ELEMENTS = ".board-links [data-link], .board-links [data-connector]"
MARK = """(selector) => {
  for (const element of document.querySelectorAll(selector)) element.vsmMarked = true;
}"""
MARKED = """(selector) => {
  const kept = {};
  for (const element of document.querySelectorAll(selector)) {
    kept[element.dataset.link ?? element.dataset.connector] = Boolean(element.vsmMarked);
  }
  return kept;
}"""

# What the links show, in paint order: each link's attributes, paths and share label, and
# each connector's ends.
DRAWN = """(svg) => {
  const root = svg || document.querySelector('.board-links');
  const round = (value) => Math.round(Number(value) * 100) / 100;
  return {
    links: [...root.querySelectorAll('.link-paths > g')].map((group) => ({
      id: group.dataset.link,
      class: group.getAttribute('class'),
      label: group.getAttribute('aria-label'),
      kind: group.dataset.kind,
      paths: [...group.querySelectorAll('path')].map((path) =>
        ['class', 'd', 'marker-end'].map((name) => path.getAttribute(name))),
      share: [...group.querySelectorAll('text')].map((text) =>
        [round(text.getAttribute('x')), round(text.getAttribute('y')), text.textContent]),
    })),
    connectors: [...root.querySelectorAll('.connectors line')].map((line) =>
      [line.dataset.connector,
       ...['x1', 'y1', 'x2', 'y2'].map((end) => round(line.getAttribute(end)))]),
    ends: root.querySelectorAll('.connectors circle').length,
  };
}"""

# The same store drawn by a new Links, from scratch, into an SVG of its own.
FROM_SCRATCH = """async () => {
  const { Links } = await import('/static/js/board/links.js');
  const app = window.boardApp;
  document.getElementById('links-from-scratch')?.remove();
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.id = 'links-from-scratch';
  document.body.append(svg);
  const banner = document.createElement('div');
  new Links(svg, banner, {
    root: document.createElement('div'), store: app.store, selection: app.selection,
    session: app.session, stickies: app.stickies, canvas: app.canvas,
    perform: () => null, notify: () => {},
  }).render();
}"""


def _line(page: Any, link_id: int) -> str | None:
    return page.locator(f'[data-link="{link_id}"] .link-line').get_attribute("d")


def test_changes_update_the_links_in_place_and_draw_what_a_fresh_drawing_draws(
    need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any, cast: Any
) -> None:
    stream = cast.stream
    intake = ActivityFactory(stream=stream, title="Intake", x=40, y=60)
    build = ActivityFactory(stream=stream, title="Build", x=320, y=60)
    ship = ActivityFactory(stream=stream, title="Ship", x=600, y=60)
    first = LinkFactory(stream=stream, source=intake, target=build)
    second = LinkFactory(stream=stream, source=build, target=ship)
    waste = WasteFactory(stream=stream, activity=build, x=330, y=260)
    (server,) = asgi_servers.get(1)
    page = open_board(signed_in_page, server, cast.facilitator, stream)
    assert eventually(lambda: page.locator(".link-paths > g").count() == 2)
    assert eventually(lambda: page.locator(".connectors line").count() == 1)

    def change(op: str, data: dict[str, Any]) -> None:
        off_the_loop(op_apply, actor=cast.facilitator, stream_id=stream.pk, op=op, data=data)

    page.evaluate(MARK, DRAWN_ELEMENTS)
    first_line, second_line = _line(page, first.pk), _line(page, second.pk)
    connector = page.locator(".connectors line").get_attribute("x1")

    # Ship moves: its link's path follows, the other link and the connector are not touched.
    change("activity.move", {"id": ship.pk, "x": 700, "y": 160})
    assert eventually(lambda: _line(page, second.pk) != second_line)
    assert _line(page, first.pk) == first_line
    assert page.evaluate(MARKED, DRAWN_ELEMENTS) == {
        str(first.pk): True,
        str(second.pk): True,
        f"waste:{waste.pk}": True,
    }

    # Build moves: both links and the connector follow, in place.
    change("activity.move", {"id": build.pk, "x": 360, "y": 100})
    assert eventually(lambda: _line(page, first.pk) != first_line)
    assert eventually(lambda: page.locator(".connectors line").get_attribute("x1") != connector)
    assert set(page.evaluate(MARKED, DRAWN_ELEMENTS).values()) == {True}

    # A retitle says itself in the links' words; a rework loop comes, the first link goes.
    change("activity.update", {"id": intake.pk, "title": "Intake and triage"})
    assert eventually(
        lambda: "Intake and triage"
        in (page.locator(f'[data-link="{first.pk}"]').get_attribute("aria-label") or "")
    )
    change("link.create", {"source": ship.pk, "target": build.pk, "kind": LinkKind.REWORK})
    assert eventually(lambda: page.locator(".link-paths > g.rework").count() == 1)
    change("link.delete", {"id": first.pk})
    assert eventually(lambda: page.locator(f'[data-link="{first.pk}"]').count() == 0)
    kept = page.evaluate(MARKED, DRAWN_ELEMENTS)
    loop = page.locator(".link-paths > g.rework").get_attribute("data-link")
    assert kept == {str(second.pk): True, loop: False, f"waste:{waste.pk}": True}
    assert "back" in page.locator(".link-paths > g.rework text").text_content()

    page.evaluate(FROM_SCRATCH)
    fresh = page.evaluate(DRAWN, page.locator("#links-from-scratch").element_handle())
    assert page.evaluate(DRAWN) == fresh
    assert [link["id"] for link in fresh["links"]] == [str(second.pk), loop]
    assert fresh["ends"] == 1
    screenshot(page, "board-links-updated.png")
