"""The Flow page's live frames: an import's progress and "the measured flow changed" (after an
import, a state-mapping or type-rule edit). One group per workshop; frames go out after the
write commits, and a failed send is logged, never raised (the page also polls the import)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streams.events import board_message, group_send
from streams.models import ValueStream

logger = logging.getLogger(__name__)

FLOW_FRAME = "flow.frame"


def flow_group(workshop_id: int) -> str:
    return f"workshop-{workshop_id}-flow"


def boards_tell(workshop_id: int) -> None:
    """Tells every board of the workshop that its measured figures changed (a frame without
    seq, `{"type": "measured.changed"}`): the board fetches them again."""
    message = board_message({"type": "measured.changed"})
    for stream_id in ValueStream.objects.filter(workshop_id=workshop_id).values_list(
        "id", flat=True
    ):
        try:
            group_send(stream_id, message)
        except Exception:  # the channel layer is down: the board refetches on its next frame
            logger.warning("Could not tell board %s", stream_id, exc_info=True)


def flow_send(workshop_id: int, frame: dict[str, Any]) -> None:
    """Sends `frame` to every Flow page of the workshop now (and, for `flow.changed`, tells
    its boards)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(flow_group(workshop_id), {"type": FLOW_FRAME, **frame})
    except Exception:  # the channel layer is down: the page's poll still sees the record
        logger.warning("Could not send a flow frame to workshop %s", workshop_id, exc_info=True)
    if frame.get("frame") == "flow.changed":
        boards_tell(workshop_id)


def flow_changed_on_commit(workshop_id: int, *, reason: str) -> None:
    """After the current transaction commits, tells the workshop's Flow pages to refresh."""
    frame = {"frame": "flow.changed", "reason": reason}
    transaction.on_commit(lambda: flow_send(workshop_id, frame), robust=True)
