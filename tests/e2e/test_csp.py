"""The Content-Security-Policy lets pages connect to this site only: `connect-src 'self'`, which
CSP Level 3 extends to the site's own ws:/wss: URLs. In Chromium against a real server the
board's socket connects under it, while a socket or a fetch to any other host (another port
of the same machine included) is refused by the policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Tries a websocket and a fetch to `url`; what the policy said about each.
ELSEWHERE = """async ([socketUrl, fetchUrl]) => {
  const violations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    violations.push({directive: event.effectiveDirective, blocked: event.blockedURI});
  });
  let socket = 'opened';
  try {
    const ws = new WebSocket(socketUrl);
    socket = await new Promise((resolve) => {
      ws.onopen = () => resolve('opened');
      ws.onerror = () => resolve('failed');
    });
  } catch (error) {
    socket = `refused: ${error.name}`;
  }
  let fetched = 'fetched';
  try {
    await fetch(fetchUrl);
  } catch (error) {
    fetched = `refused: ${error.name}`;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));  // violation events are async
  return {socket, fetched, violations};
}"""


def test_the_policy_names_no_other_host_to_connect_to(cast):
    client = Client()
    client.force_login(cast.participant)
    policy = client.get(f"/streams/{cast.stream.pk}/board/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["connect-src"] == "'self'"


def test_the_board_connects_and_nothing_else_can_be_reached(
    need_postgres, need_redis, cast, signed_in_page, asgi_servers
):
    server = asgi_servers.get(1)[0]
    page = signed_in_page(server.http_url, cast.participant.username, PASSWORD)
    page.goto(f"/streams/{cast.stream.pk}/board/")
    expect(page.locator(".connection")).to_have_attribute("data-state", "connected")

    other_port = server.port + 1 if server.port < 65535 else server.port - 1
    result = page.evaluate(
        ELSEWHERE, [f"ws://127.0.0.1:{other_port}/ws/", f"http://127.0.0.1:{other_port}/x"]
    )
    assert result["socket"] != "opened" and result["fetched"].startswith("refused"), result
    blocked = {violation["blocked"].split(":")[0] for violation in result["violations"]}
    assert blocked == {"ws", "http"}, result  # both refused by the policy, not the network
    assert {violation["directive"] for violation in result["violations"]} == {"connect-src"}
    expect(page.locator(".connection")).to_have_attribute("data-state", "connected")


# Inline styles: none on any page but the API docs --------------------------------------------

# Registered before any of the page's own scripts: every violation the page causes.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.cspViolations.push({directive: event.effectiveDirective, sample: event.sample});
});
"""


def _directives(response: Any) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_no_page_allows_inline_styles_but_the_api_docs(cast):
    client = Client()
    client.force_login(cast.facilitator)
    assert _directives(client.get(f"/streams/{cast.stream.pk}/board/"))["style-src"] == "'self'"
    assert _directives(client.get(f"/workshops/{cast.workshop.pk}/flow/"))["style-src"] == "'self'"
    assert "'unsafe-inline'" in _directives(client.get("/api/docs/"))["style-src"]


def test_every_page_of_the_demo_runs_without_a_style_violation(
    need_postgres, need_redis, asgi_servers, signed_in_page
):
    """The demo's pages in Chromium under `style-src 'self'`: the Flow page's share bar (an
    SVG), the board, the summary, the workshop and the new-workshop form cause no violation;
    the API docs load under their own policy."""
    from io import StringIO

    from django.core.management import call_command

    from streams.models import ValueStream
    from tests.e2e.test_summary_live import off_the_loop
    from vsm_site.management.commands.load_demo import DEMO_TITLE
    from vsm_site.management.commands.load_demo import PASSWORD as DEMO_PASSWORD

    def load() -> ValueStream:
        call_command("load_demo", stdout=StringIO())
        return ValueStream.objects.get(workshop__title=DEMO_TITLE)

    stream = off_the_loop(load)
    (server,) = asgi_servers.get(1)
    page = signed_in_page(server.http_url, "facilitator", DEMO_PASSWORD)
    page.add_init_script(RECORD_VIOLATIONS)
    pages = {
        f"/workshops/{stream.workshop_id}/flow/": ".share-bar rect",
        f"/streams/{stream.pk}/board/": ".connection[data-state=connected]",
        f"/streams/{stream.pk}/summary/": "#summary-body",
        f"/workshops/{stream.workshop_id}/": "main",
        "/workshops/new/": "form",
        "/": "main",
    }
    for path, ready in pages.items():
        page.goto(path)
        page.wait_for_selector(ready)
        page.wait_for_timeout(300)  # violation events are async
        violations = page.evaluate("window.cspViolations")
        assert [v for v in violations if v["directive"].startswith("style-src")] == [], path
    bar = page.goto(f"/workshops/{stream.workshop_id}/flow/")
    assert bar is not None
    widths = page.locator(".share-bar rect").evaluate_all(
        "rects => rects.map((rect) => Number(rect.getAttribute('width')))"
    )
    assert len(widths) >= 2 and abs(sum(widths) - 100) < 0.01, widths
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui")
    assert page.evaluate("window.cspViolations") == []
