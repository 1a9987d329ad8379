"""The board's timeline ladder in Chromium is updated, not redrawn, by each summary (issue 15):
the steps still on the critical path keep their elements and only what changed is set; a step
that joins the path is added in its place, one that leaves it is removed; and what it then
shows is exactly what a ladder drawn from scratch from the same summary shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.boards import open_board

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOUR = 3600.0


def _summary(steps: list[tuple[int, str, float, float]]) -> dict[str, Any]:
    """A flow summary with these (id, title, wait, process) steps on its critical path."""
    lead = sum(wait + process for _, _, wait, process in steps)
    process_time = sum(process for *_, process in steps)
    return {
        "seq": 1,
        "lead_time": lead,
        "process_time": process_time,
        "flow_efficiency": process_time / lead if lead else 0.0,
        "rolled_pca": 100.0,
        "critical_path": [step[0] for step in steps],
        "steps": [
            {
                "id": id_,
                "title": title,
                "team": "",
                "wait_time": wait,
                "process_time": process,
                "pca": 100.0,
            }
            for id_, title, wait, process in steps
        ],
    }


# Applies a summary as the socket would, marks every step's group, and says which groups of
# the steps before it kept their marks (the same elements), as {step id: kept}.
APPLY_AND_MARK = """(summary) => {
  const groups = () => [...document.querySelectorAll('.ladder .ladder-steps > g[data-step]')];
  const before = new Map(groups().map((group) => [group.dataset.step, group]));
  window.boardApp.store.apply({ type: 'summary', summary });
  const kept = {};
  for (const group of groups()) kept[group.dataset.step] = before.get(group.dataset.step) === group;
  return kept;
}"""

# What a ladder shows: its lines' ends, its labels with their places, and the figures' text.
DRAWN = """(container) => {
  const root = container || document.querySelector('.ladder');
  const svg = root.querySelector('.ladder-chart svg');
  const round = (value) => Math.round(Number(value) * 100) / 100;
  return {
    figures: root.querySelector('.ladder-figures').textContent,
    label: svg.getAttribute('aria-label'),
    lines: [...svg.querySelectorAll('line')].map((line) =>
      [line.getAttribute('class'),
       ...['x1', 'y1', 'x2', 'y2'].map((end) => round(line.getAttribute(end))), line.textContent]),
    values: [...svg.querySelectorAll('text.value')].map((text) =>
      [round(text.getAttribute('x')), round(text.getAttribute('y')), text.firstChild.textContent]),
  };
}"""

# The same summary drawn by a new Ladder, from scratch, at the live chart's width.
FROM_SCRATCH = """async (summary) => {
  const { Ladder } = await import('/static/js/board/ladder.js');
  const live = document.querySelector('.ladder-chart');
  document.getElementById('ladder-from-scratch')?.remove();
  const container = document.createElement('div');
  container.id = 'ladder-from-scratch';
  const chart = document.createElement('div');
  chart.className = 'ladder-chart';
  chart.style.width = `${live.clientWidth}px`;
  const figures = document.createElement('div');
  figures.className = 'ladder-figures';
  container.append(figures, chart);
  document.body.append(container);
  new Ladder(container).render(summary);
}"""


@pytest.fixture
def board(need_postgres: None, need_redis: str, asgi_servers: Any, signed_in_page: Any) -> Any:
    (server,) = asgi_servers.get(1)
    return lambda user, stream: open_board(signed_in_page, server, user, stream)


def test_a_summary_updates_the_ladder_in_place_and_draws_what_a_fresh_ladder_draws(
    board: Any, cast: Any
) -> None:
    page = board(cast.participant, cast.stream)
    first = _summary(
        [(1, "Intake", 8 * HOUR, HOUR), (2, "Build", 2 * HOUR, 6 * HOUR), (3, "Ship", HOUR, HOUR)]
    )
    page.evaluate(APPLY_AND_MARK, first)

    # Build waits longer: every step keeps its elements, Build's wait line grows.
    build_wait = page.locator('.ladder .ladder-steps g[data-step="2"] .wait-line')
    build_wait_before = build_wait.get_attribute("x2")
    longer = _summary(
        [(1, "Intake", 8 * HOUR, HOUR), (2, "Build", 16 * HOUR, 6 * HOUR), (3, "Ship", HOUR, HOUR)]
    )
    assert page.evaluate(APPLY_AND_MARK, longer) == {"1": True, "2": True, "3": True}
    assert build_wait.get_attribute("x2") != build_wait_before
    assert "Build: waits 2d, takes 6h" in build_wait.locator("title").text_content()

    # Test joins the path between Build and Ship, Intake leaves it: the others keep theirs.
    rerouted = _summary(
        [
            (2, "Build", 16 * HOUR, 6 * HOUR),
            (4, "Test", 3 * HOUR, 2 * HOUR),
            (3, "Ship", HOUR, HOUR),
        ]
    )
    assert page.evaluate(APPLY_AND_MARK, rerouted) == {"2": True, "4": False, "3": True}
    order = page.eval_on_selector_all(
        ".ladder .ladder-steps > g[data-step]", "(groups) => groups.map((g) => g.dataset.step)"
    )
    assert order == ["2", "4", "3"]

    page.evaluate(FROM_SCRATCH, rerouted)
    fresh = page.evaluate(DRAWN, page.locator("#ladder-from-scratch").element_handle())
    assert page.evaluate(DRAWN) == fresh
    assert {"2d", "6h"} <= {value[2] for value in fresh["values"]}

    # No times at all: the ladder says what to do; then a path again draws it anew.
    page.evaluate(APPLY_AND_MARK, _summary([(2, "Build", 0.0, 0.0)]))
    assert (
        "Give the activities process and wait times"
        in page.locator(".ladder .ladder-chart").text_content()
    )
    assert page.evaluate(APPLY_AND_MARK, first) == {"1": False, "2": False, "3": False}
    page.evaluate(FROM_SCRATCH, first)
    assert page.evaluate(DRAWN) == page.evaluate(
        DRAWN, page.locator("#ladder-from-scratch").element_handle()
    )
