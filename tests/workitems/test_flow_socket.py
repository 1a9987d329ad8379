"""The Flow page's socket: members hear an import's progress and "the flow changed"; others
are closed before they hear anything."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from streams.events import stream_group
from tests.stack.clients import token_headers
from vsm_site.asgi import application
from workitems.events import flow_send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()


async def socket(user: Any, workshop_id: int) -> WebsocketCommunicator:
    key = None
    if user is not None:
        token, _ = await database_sync_to_async(Token.objects.get_or_create)(user=user)
        key = token.key
    communicator = WebsocketCommunicator(
        application, f"/ws/workshops/{workshop_id}/flow/", headers=token_headers(key)
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_a_viewer_hears_progress_and_flow_changes(cast: Any) -> None:
    client = await socket(cast.viewer, cast.workshop.pk)
    assert await client.receive_json_from() == {"type": "welcome", "workshop": cast.workshop.pk}

    await database_sync_to_async(flow_send)(
        cast.workshop.pk, {"frame": "import.progress", "import": {"id": 1, "progress": 0.5}}
    )
    await database_sync_to_async(flow_send)(
        cast.workshop.pk, {"frame": "flow.changed", "reason": "import"}
    )

    assert await client.receive_json_from() == {
        "type": "import.progress",
        "import": {"id": 1, "progress": 0.5},
    }
    assert await client.receive_json_from() == {"type": "flow.changed", "reason": "import"}
    await client.send_json_to({"type": "anything"})  # ignored, not an error
    assert await client.receive_nothing()
    await client.disconnect()


@pytest.mark.parametrize(("who", "code"), [("outsider", 4404), (None, 4401)])
async def test_outsiders_and_anonymous_sockets_are_closed(
    cast: Any, who: str | None, code: int
) -> None:
    client = await socket(getattr(cast, who) if who else None, cast.workshop.pk)

    assert (await client.receive_output())["code"] == code
    await database_sync_to_async(flow_send)(cast.workshop.pk, {"frame": "flow.changed"})
    assert await client.receive_nothing()


async def test_a_flow_change_tells_every_board_of_the_workshop(cast: Any) -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(stream_group(cast.stream.pk), channel)

    await database_sync_to_async(flow_send)(
        cast.workshop.pk, {"frame": "flow.changed", "reason": "states"}
    )

    message = await layer.receive(channel)
    assert message["text"] == '{"type":"measured.changed"}' and message["seq"] is None
