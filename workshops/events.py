"""Closing a person's live sockets when their access ends: signing out, being removed from a
workshop (or the workshop deleted), their role in it changing.

Every board socket (streams.consumers) and Flow page socket (workitems.consumers) joins its
person's group, `person-<user id>`, on every server process; after the change commits, one
`person.close` message to that group reaches each of them through the channel layer (Redis
across processes), and each socket it concerns closes itself:

* signing out (`user_logged_out`, Django's hook): the sockets opened with that session, with
  4401 (signed out; the client does not reconnect). Sockets opened with another session or
  an API token stay: that sign-in has not ended.
* removed from the workshop, or the workshop deleted: the person's sockets of that
  workshop's boards and Flow page, with 4404 (no such board for you; no reconnect).
* a new role in the workshop: the person's board sockets of that workshop, with 4001; the
  client reconnects at once and its `welcome` carries the new role and rights.

The message names the session by a hash, never the key itself. A lost message (the channel
layer down at that moment) is made up for by each board socket's heartbeat, which checks the
membership and the session again.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

PERSON_CLOSE = "person.close"
CLOSE_SIGNED_OUT = 4401
CLOSE_REMOVED = 4404
CLOSE_ROLE_CHANGED = 4001

REASONS = {
    CLOSE_SIGNED_OUT: "You signed out.",
    CLOSE_REMOVED: "You are no longer a member of this workshop.",
    CLOSE_ROLE_CHANGED: "Your role in this workshop changed: reconnect to go on with it.",
}


def person_group(user_id: int) -> str:
    return f"person-{user_id}"


def session_tag(session_key: str | None) -> str | None:
    """How a close message names a session: a hash, so no session key travels or is logged."""
    if not session_key:
        return None
    return hashlib.sha256(f"vsm-socket-session:{session_key}".encode()).hexdigest()[:32]


def close_message(
    *, code: int, workshop_id: int | None = None, session: str | None = None, flow: bool = True
) -> dict[str, Any]:
    """The `person.close` message: which sockets (`workshop`: only that workshop's; `session`:
    only those opened with it; `flow`: the Flow page's too) close with `code`."""
    return {
        "type": PERSON_CLOSE,
        "code": code,
        "reason": REASONS[code],
        "workshop": workshop_id,
        "session": session,
        "flow": flow,
    }


def concerns(
    message: dict[str, Any], *, workshop_id: int, session: str | None, flow: bool = False
) -> bool:
    """Whether a socket of `workshop_id`, opened with `session` (a tag; None: by token), is one
    of those the message closes."""
    if message.get("workshop") not in (None, workshop_id):
        return False
    if message.get("session") is not None and message["session"] != session:
        return False
    return bool(message.get("flow")) or not flow


def person_sockets_close(user_id: int, message: dict[str, Any]) -> None:
    """Sends `message` to every socket of the person now; a failure is logged, never raised
    (the sockets' heartbeats check again)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(person_group(user_id), message)
    except Exception:
        logger.warning("Could not close the sockets of user %s", user_id, exc_info=True)


def person_sockets_close_on_commit(user_ids: list[int], message: dict[str, Any]) -> None:
    """After the current transaction commits, closes the people's sockets that `message`
    concerns."""

    def send() -> None:
        for user_id in user_ids:
            person_sockets_close(user_id, message)

    transaction.on_commit(send, robust=True)


def sockets_close_on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """`user_logged_out` receiver (WorkshopsConfig.ready): the session's sockets close with
    4401. Called before the session is flushed, so its key is still known."""
    if user is None or request is None:
        return
    session = getattr(request, "session", None)
    tag = session_tag(getattr(session, "session_key", None))
    if tag is None:
        return
    person_sockets_close_on_commit([user.pk], close_message(code=CLOSE_SIGNED_OUT, session=tag))
