"""The Content-Security-Policy lets pages connect to this site only: `connect-src 'self'`, which
CSP Level 3 extends to the site's own ws:/wss: URLs. In Chromium against a real server the
board's socket connects under it, while a socket or a fetch to any other host (another port
of the same machine included) is refused by the policy."""

from __future__ import annotations

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
