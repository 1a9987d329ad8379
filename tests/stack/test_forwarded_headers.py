"""X-Forwarded-For is believed only from the reverse proxies in VSM_TRUSTED_PROXIES: against
real uvicorn processes started as the Makefile and the Dockerfile start them, a client that
forges the header gets no fresh throttle budget per forged value, while behind a trusted
proxy each real client (the right-most address the proxy did not add) has its own; nor does
forging it escape the sign-in lockout of its address."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stack import servers

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]
RATE = 5  # sign-in attempts a minute per client on these servers


@pytest.fixture
def serve(need_postgres: None) -> Iterator[Any]:
    """serve(trusted) -> a uvicorn process on the real (not the test) throttle rates, with
    its own in-process cache, believing forwarded headers from `trusted` only."""
    started: list[servers.AsgiServer] = []

    def start(trusted: str, **env: str) -> servers.AsgiServer:
        server = servers.start_asgi_server(
            database_url=servers.database_url_for_tests(),
            env={
                "DJANGO_SETTINGS_MODULE": "vsm_site.settings.base",
                "REDIS_URL": "",  # a cache of its own: no budget left over from elsewhere
                "API_LOGIN_RATE": f"{RATE}/min",
                "VSM_SIGNIN_FAILURE_LIMIT": "1000",  # the throttle alone, not the lockout
                "VSM_TRUSTED_PROXIES": trusted,
                **env,
            },
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.log.unlink(missing_ok=True)


def sign_in(
    server: servers.AsgiServer,
    forwarded_for: str,
    username: str = "nobody",
    password: str = "x",  # noqa: S107 (a wrong one)
) -> tuple[int, Any]:
    """A token request carrying `X-Forwarded-For`: its status and answer."""
    request = urllib.request.Request(  # noqa: S310 (a local test server)
        f"{server.http_url}/api/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def status(server: servers.AsgiServer, forwarded_for: str) -> int:
    return sign_in(server, forwarded_for)[0]


def test_forged_forwarded_for_values_share_the_callers_budget(serve):
    server = serve("")
    answers = [status(server, f"198.51.100.{n}") for n in range(1, RATE + 3)]
    assert answers[:RATE] == [400] * RATE, answers
    assert set(answers[RATE:]) == {429}, answers


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(serve):
    server = serve("127.0.0.1")  # the test connects from the proxy's address
    clients = [status(server, f"203.0.113.{n}") for n in range(1, RATE + 3)]
    assert clients == [400] * (RATE + 2)  # seven clients, one attempt each
    # The client prepends forged addresses; the proxy appends the real one, which counts.
    again = [status(server, f"198.51.100.{n}, 203.0.113.1") for n in range(1, RATE + 1)]
    assert again == [400] * (RATE - 1) + [429], again


def test_forged_forwarded_for_values_do_not_escape_the_lockout_of_the_address(serve):
    from tests.factories import PASSWORD, UserFactory

    user = UserFactory()
    # The test settings: their password hasher is the one UserFactory used.
    server = serve(
        "", DJANGO_SETTINGS_MODULE="vsm_site.settings.test", VSM_SIGNIN_FAILURE_LIMIT="5"
    )
    assert sign_in(server, "198.51.100.99", user.username, PASSWORD)[0] == 200
    for n in range(5):  # then five accounts guessed, each from "another" address
        assert sign_in(server, f"198.51.100.{n}", f"guess{n}")[0] == 400
    assert sign_in(server, "198.51.100.5", "guess5")[0] == 429  # the sixth locks
    code, answer = sign_in(server, "203.0.113.50", user.username, PASSWORD)
    assert code == 429
    assert answer["detail"].startswith("Too many failed sign-ins: try again in 15 minutes")
