"""Ending someone's access closes their open sockets on every server process, within seconds:
signing out over HTTP on one uvicorn process closes that session's board and Flow page
sockets on another (4401), through Redis; removing a member through the API on one process
closes their sockets on the other (4404). Everyone else's sockets stay open."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
import requests
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed

from tests.stack import servers
from tests.stack.clients import socket_headers

asgi_servers = servers.asgi_servers

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-enough-password-15"
WITHIN = 5.0  # seconds


def sign_in(server: servers.AsgiServer, username: str) -> requests.Session:
    """A browser's sign-in through the page: the session cookie and the CSRF token."""
    browser = requests.Session()
    page = browser.get(f"{server.http_url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = browser.post(
        f"{server.http_url}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{server.http_url}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert "sessionid" in browser.cookies
    return browser


def sign_out(server: servers.AsgiServer, browser: requests.Session) -> None:
    response = browser.post(
        f"{server.http_url}/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{server.http_url}/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


async def open_socket(server: servers.AsgiServer, path: str, headers: dict[str, str]) -> Any:
    """A socket past its welcome (and, on a board, its `synced`)."""
    import websockets

    socket = await websockets.connect(server.ws_url(path), additional_headers=headers)
    wanted = "synced" if path.startswith("/ws/streams/") else "welcome"
    while True:
        data = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if wanted in [frame["type"] for frame in (data if isinstance(data, list) else [data])]:
            return socket


async def close_code_within(socket: Any, seconds: float) -> tuple[int | None, float]:
    """The close code the server sends, and how long it took."""
    started = time.monotonic()
    try:
        while True:
            await asyncio.wait_for(socket.recv(), seconds - (time.monotonic() - started))
    except ConnectionClosed:
        return socket.close_code, time.monotonic() - started
    except TimeoutError:
        return None, time.monotonic() - started


async def answers_a_ping(socket: Any) -> bool:
    await socket.send(json.dumps({"type": "ping"}))
    while True:
        data = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if "pong" in [frame["type"] for frame in (data if isinstance(data, list) else [data])]:
            return True


def _with_password(user: Any) -> str:
    user.set_password(PASSWORD)
    user.save()
    return user.username


def _token(user: Any) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def test_signing_out_on_one_process_closes_that_sessions_sockets_on_another(
    need_postgres, need_redis, asgi_servers, cast
):
    first, second = asgi_servers.get(2)
    username = await database_sync_to_async(_with_password)(cast.participant)
    browser = await asyncio.to_thread(sign_in, first, username)
    cookie = {"Cookie": f"sessionid={browser.cookies['sessionid']}", "Origin": second.origin}
    board = await open_socket(second, f"/ws/streams/{cast.stream.pk}/", cookie)
    flow = await open_socket(second, f"/ws/workshops/{cast.workshop.pk}/flow/", cookie)
    script_key = await database_sync_to_async(_token)(cast.participant)
    script = await open_socket(
        second, f"/ws/streams/{cast.stream.pk}/", socket_headers(second.origin, script_key)
    )

    await asyncio.to_thread(sign_out, first, browser)

    for socket in (board, flow):
        code, took = await close_code_within(socket, WITHIN)
        assert code == 4401, f"closed with {code} after {took:.1f} s"
    assert await answers_a_ping(script)  # a token's socket is not that session's
    await script.close()


async def test_removing_a_member_on_one_process_closes_their_sockets_on_another(
    need_postgres, need_redis, asgi_servers, cast
):
    first, second = asgi_servers.get(2)
    member_key = await database_sync_to_async(_token)(cast.participant)
    facilitator_key = await database_sync_to_async(_token)(cast.facilitator)
    viewer_key = await database_sync_to_async(_token)(cast.viewer)
    member_headers = socket_headers(second.origin, member_key)
    board = await open_socket(second, f"/ws/streams/{cast.stream.pk}/", member_headers)
    flow = await open_socket(second, f"/ws/workshops/{cast.workshop.pk}/flow/", member_headers)
    viewer = await open_socket(
        second, f"/ws/streams/{cast.stream.pk}/", socket_headers(second.origin, viewer_key)
    )
    membership = await database_sync_to_async(cast.membership)("participant")

    response = await asyncio.to_thread(
        requests.delete,
        f"{first.http_url}/api/workshops/{cast.workshop.pk}/members/{membership.pk}/",
        headers={"Authorization": f"Token {facilitator_key}"},
        timeout=10,
    )
    assert response.status_code == 204, response.text

    for socket in (board, flow):
        code, took = await close_code_within(socket, WITHIN)
        assert code == 4404, f"closed with {code} after {took:.1f} s"
    assert await answers_a_ping(viewer)
    await viewer.close()
