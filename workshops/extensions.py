"""What the apps above `workshops` plug into it, in one listed place.

`workshops` never imports them; each registers here in its `AppConfig.ready()`:

* `workshop_change_listeners`: called as `listener(workshop=, actor=, client_id=)` after a
  facilitator changed the workshop's facilitation (its fields, the phase, the timer), inside
  that change's transaction, with the workshop row locked and saved. A listener's writes
  commit or roll back with the change, so it may record what the change means elsewhere,
  e.g. `streams`' `workshop.update` op on every board of the workshop
  (`streams.services.streams.workshop_update_announce`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

workshop_change_listeners: list[Callable[..., None]] = []


def workshop_change_listen(listener: Callable[..., None]) -> None:
    if listener not in workshop_change_listeners:
        workshop_change_listeners.append(listener)


def workshop_changed(*, workshop: Any, actor: Any, client_id: str) -> None:
    """Tells every listener that the workshop changed (call inside the change's transaction)."""
    for listener in workshop_change_listeners:
        listener(workshop=workshop, actor=actor, client_id=client_id)
