"""What the apps above `streams` plug into the board, in one listed place.

`streams` never imports them; each registers here in its `AppConfig.ready()`:

* `board_op_kinds`: an op kind the board applies through another app's service (e.g.
  `state`, measured flow's tracker states assigned to activities: `workitems`). The handler
  is called as `handler(actor=, stream_id=, action=, data=, client_id=, batch=)` for the ops
  `"<kind>.<action>"` of `ACTIONS`, and returns the Op it recorded with
  `streams.services.board.op_record` after taking the stream's lock with
  `stream_lock_for_edit`, like every board service, passing both the `batch` it was given
  (group commit's, or None: a transaction of its own, `op_transaction`).
* `snapshot_parts`: more of the board's snapshot, `provider(stream, membership) -> JSON`,
  under its name (e.g. `work_states`).
* `flow_change_listeners`: called as `listener(stream_id=...)` after an op that may change
  the map's flow has committed (every op but the flow-neutral ones of `streams.kinds`), e.g.
  `metrics`' summary recompute request.
* `picture_header`: `provider(stream) -> dict | None`, what the map's picture (the SVG and
  PNG exports) shows above the map: title, figures, ladder, top wastes (see
  `streams.board_svg.header_layout`), e.g. `metrics`' flow figures. The last registered
  provider is used; without one the picture is the map alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

board_op_kinds: dict[str, Callable[..., Any]] = {}
snapshot_parts: dict[str, Callable[[Any, Any], Any]] = {}
flow_change_listeners: list[Callable[..., None]] = []
picture_header_providers: list[Callable[[Any], dict[str, Any] | None]] = []


def board_op_kind_register(kind: str, handler: Callable[..., Any]) -> None:
    board_op_kinds[kind] = handler


def snapshot_part_register(name: str, provider: Callable[[Any, Any], Any]) -> None:
    snapshot_parts[name] = provider


def flow_change_listen(listener: Callable[..., None]) -> None:
    if listener not in flow_change_listeners:
        flow_change_listeners.append(listener)


def flow_changed(*, stream_id: int) -> None:
    """Tells every listener that the stream's flow may have changed (call after commit). A
    listener that fails (Redis down under a summary request, say) is logged and the others
    are still told: the change has committed, and no listener may undo its answer."""
    for listener in flow_change_listeners:
        try:
            listener(stream_id=stream_id)
        except Exception:
            logger.exception("stream %s: a flow-change listener failed", stream_id)


def flow_changed_on_commit(stream_id: int) -> None:
    """`flow_changed` once the current transaction commits (nothing for a rollback); a
    failure of it never turns the committed change into an error."""
    transaction.on_commit(lambda: flow_changed(stream_id=stream_id), robust=True)


def picture_header_register(provider: Callable[[Any], dict[str, Any] | None]) -> None:
    if provider not in picture_header_providers:
        picture_header_providers.append(provider)


def picture_header(stream: Any) -> dict[str, Any] | None:
    """What the map's picture shows above the map, from the last registered provider."""
    return picture_header_providers[-1](stream) if picture_header_providers else None
