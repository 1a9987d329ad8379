"""A person's live sockets close when their access ends (workshops.events), in process:
signing out closes the sockets of that session (4401), leaving the workshop or its deletion
the person's sockets of it, board and Flow page (4404), a new role their board sockets (4001,
to reconnect with it). Everyone else's sockets stay open and usable. Across server processes:
tests/stack/test_sessions_close_sockets.py."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from tests.factories import MembershipFactory, StreamFactory, UserFactory
from tests.stack.clients import CommunicatorClient, board_path, connected, token_headers
from workshops.models import Role
from workshops.services import membership_delete, membership_update, workshop_delete

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("socket_tests")]


async def closed_with(client: CommunicatorClient, timeout: float = 3) -> int:
    """The close code the server sends, skipping the frames before it."""
    while True:
        message = await client.communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            return int(message.get("code", 1000))


async def still_open(client: CommunicatorClient) -> None:
    """The socket answers a ping (whatever frames come first)."""
    await client.send({"type": "ping"})
    await client.until("pong")


def signed_in_cookie(user: Any) -> tuple[Client, str]:
    browser = Client()
    browser.force_login(user)
    return browser, browser.cookies[settings.SESSION_COOKIE_NAME].value


async def session_socket(path: str, cookie: str) -> CommunicatorClient:
    headers = [*token_headers(None), (b"cookie", f"sessionid={cookie}".encode())]
    client = CommunicatorClient(path, headers)
    if path.startswith("/ws/streams/"):
        await client.connect()
    else:
        connected_, _ = await client.communicator.connect(timeout=5)
        assert connected_
        assert (await client.recv())["type"] == "welcome"
    return client


async def flow_socket(user: Any, workshop_id: int) -> CommunicatorClient:
    from rest_framework.authtoken.models import Token

    token, _ = await database_sync_to_async(Token.objects.get_or_create)(user=user)
    client = CommunicatorClient(f"/ws/workshops/{workshop_id}/flow/", token_headers(token.key))
    connected_, _ = await client.communicator.connect(timeout=5)
    assert connected_
    assert (await client.recv())["type"] == "welcome"
    return client


async def test_signing_out_closes_the_sockets_of_that_session_only(cast):
    participant = cast.participant
    browser, cookie = await database_sync_to_async(signed_in_cookie)(participant)
    _, other_cookie = await database_sync_to_async(signed_in_cookie)(participant)
    board = await session_socket(board_path(cast.stream.pk), cookie)
    second_tab = await session_socket(board_path(cast.stream.pk), cookie)
    flow = await session_socket(f"/ws/workshops/{cast.workshop.pk}/flow/", cookie)
    other_browser = await session_socket(board_path(cast.stream.pk), other_cookie)
    script = await connected(participant, cast.stream.pk)  # signed in with a token
    someone_else = await connected(cast.facilitator, cast.stream.pk)

    response = await database_sync_to_async(browser.post)("/accounts/logout/")
    assert response.status_code == 302

    assert await closed_with(board) == 4401
    assert await closed_with(second_tab) == 4401
    assert await closed_with(flow) == 4401
    for open_socket in (other_browser, script, someone_else):
        await still_open(open_socket)


async def test_a_removed_member_s_board_and_flow_sockets_close_with_4404(cast):
    board = await connected(cast.participant, cast.stream.pk)
    other_board = await connected(
        cast.participant, (await database_sync_to_async(StreamFactory)(workshop=cast.workshop)).pk
    )
    flow = await flow_socket(cast.participant, cast.workshop.pk)
    elsewhere_membership = await database_sync_to_async(MembershipFactory)(
        user=cast.participant, role=Role.PARTICIPANT
    )
    elsewhere_stream = await database_sync_to_async(StreamFactory)(
        workshop=elsewhere_membership.workshop
    )
    elsewhere = await connected(cast.participant, elsewhere_stream.pk)
    viewer = await connected(cast.viewer, cast.stream.pk)
    membership = await database_sync_to_async(cast.membership)("participant")

    await database_sync_to_async(membership_delete)(
        actor=cast.facilitator, workshop_id=cast.workshop.pk, membership_id=membership.pk
    )

    assert await closed_with(board) == 4404
    assert await closed_with(other_board) == 4404
    assert await closed_with(flow) == 4404
    await still_open(elsewhere)  # their membership of another workshop is untouched
    await still_open(viewer)


async def test_a_member_who_leaves_is_closed_too(cast):
    board = await connected(cast.viewer, cast.stream.pk)
    membership = await database_sync_to_async(cast.membership)("viewer")
    await database_sync_to_async(membership_delete)(
        actor=cast.viewer, workshop_id=cast.workshop.pk, membership_id=membership.pk
    )
    assert await closed_with(board) == 4404


async def test_a_new_role_closes_the_board_sockets_to_reconnect_with_it(cast):
    board = await connected(cast.participant, cast.stream.pk)
    flow = await flow_socket(cast.participant, cast.workshop.pk)
    facilitator = await connected(cast.facilitator, cast.stream.pk)
    membership = await database_sync_to_async(cast.membership)("participant")

    await database_sync_to_async(membership_update)(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        membership_id=membership.pk,
        data={"team": "Ops"},
    )
    await still_open(board)  # no new role, nothing to reconnect for

    await database_sync_to_async(membership_update)(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        membership_id=membership.pk,
        data={"role": "viewer"},
    )
    assert await closed_with(board) == 4001
    again = await connected(cast.participant, cast.stream.pk)
    welcome = again.frames[0]
    assert (welcome["role"], welcome["can_edit"]) == ("viewer", False)
    assert await flow.nothing(0.5)  # not closed: the Flow page does not depend on the role
    await still_open(facilitator)


async def test_deleting_the_workshop_closes_every_member_s_sockets_of_it(cast):
    sockets = [
        await connected(cast.user(role), cast.stream.pk) for role in ("participant", "viewer")
    ]
    flow = await flow_socket(cast.viewer, cast.workshop.pk)
    unrelated_user = await database_sync_to_async(UserFactory)()
    unrelated = await database_sync_to_async(MembershipFactory)(
        user=unrelated_user, role=Role.FACILITATOR
    )
    unrelated_stream = await database_sync_to_async(StreamFactory)(workshop=unrelated.workshop)
    other = await connected(unrelated_user, unrelated_stream.pk)

    await database_sync_to_async(workshop_delete)(
        actor=cast.facilitator, workshop_id=cast.workshop.pk
    )

    for socket in [*sockets, flow]:
        assert await closed_with(socket) == 4404
    await still_open(other)


async def test_the_heartbeat_closes_a_socket_whose_session_ended_without_a_message(cast, settings):
    """The close message can be lost (the channel layer down at that moment): the next
    heartbeat finds the session gone."""
    settings.VSM_WS_HEARTBEAT_SECONDS = 0.3
    browser, cookie = await database_sync_to_async(signed_in_cookie)(cast.participant)
    board = await session_socket(board_path(cast.stream.pk), cookie)
    # The session ends without Django's sign-out (and so without its signal).
    await database_sync_to_async(browser.session.delete)()
    assert await closed_with(board, timeout=3) == 4401
