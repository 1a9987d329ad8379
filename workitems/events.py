"""The Flow page's live frames: an import's progress and "the measured flow changed" (after an
import, a state-mapping or type-rule edit). One group per workshop; frames go out after the
write commits, and a failed send is logged, never raised (the page also polls the import)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

FLOW_FRAME = "flow.frame"


def flow_group(workshop_id: int) -> str:
    return f"workshop-{workshop_id}-flow"


def flow_send(workshop_id: int, frame: dict[str, Any]) -> None:
    """Sends `frame` to every Flow page of the workshop now."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(flow_group(workshop_id), {"type": FLOW_FRAME, **frame})
    except Exception:  # the channel layer is down: the page's poll still sees the record
        logger.warning("Could not send a flow frame to workshop %s", workshop_id, exc_info=True)


def flow_changed_on_commit(workshop_id: int, *, reason: str) -> None:
    """After the current transaction commits, tells the workshop's Flow pages to refresh."""
    frame = {"frame": "flow.changed", "reason": reason}
    transaction.on_commit(lambda: flow_send(workshop_id, frame), robust=True)
