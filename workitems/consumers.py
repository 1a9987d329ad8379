"""The Flow page's websocket (`/ws/workshops/<id>/flow/`): members only; it only listens.

Frames to the client: `{"type": "import.progress", "import": {...}}` while an import runs and
when it ends, `{"type": "sync.progress", "sync": {...}}` while a tracker connection's sync runs,
waits to retry and when it ends, and `{"type": "flow.changed", "reason"}` when the measured
flow changed (an import or a sync merged, the state mapping or the type rules edited), after
which the page fetches the figures again. Non-members are closed with 4404, anonymous sockets
with 4401; anything the client sends is ignored. Leaving the workshop (or its deletion) closes
the socket with 4404, signing out of the session it was opened with with 4401, through the
person's group (workshops.events), on any server process.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from vsm_site.errors import NotFound
from workitems.events import flow_group
from workshops.events import concerns, person_group
from workshops.selectors import membership_get

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class FlowConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.group: str | None = None
        self.person: str | None = None
        workshop_id = self.workshop_id = int(self.scope["url_route"]["kwargs"]["workshop_id"])
        user = self.scope.get("user")
        # Accept first so the close code reaches the client (a refused handshake has none).
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            await database_sync_to_async(membership_get)(user=user, workshop_id=workshop_id)
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = flow_group(workshop_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.person = person_group(user.pk)
        await self.channel_layer.group_add(self.person, self.channel_name)
        await self.send_json({"type": "welcome", "workshop": workshop_id})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.person:
            await self.channel_layer.group_discard(self.person, self.channel_name)

    async def receive(self, text_data: Any = None, bytes_data: Any = None, **kwargs: Any) -> None:
        """The page only listens."""

    async def person_close(self, message: dict[str, Any]) -> None:
        """The person signed out or left the workshop (workshops.events)."""
        session = self.scope.get("session_tag")
        if concerns(message, workshop_id=self.workshop_id, session=session, flow=True):
            await self.close(code=message["code"], reason=message["reason"])

    async def flow_frame(self, message: dict[str, Any]) -> None:
        frame = {key: value for key, value in message.items() if key not in ("type", "frame")}
        await self.send_json({"type": message["frame"], **frame})
