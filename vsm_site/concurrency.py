"""Optimistic concurrency (Taiga's `version` column, per field): what a stale change raises.

A writer that says which version of an object its change was made against gets its change
applied only if nobody else changed those fields since; otherwise the service raises
`EditConflict` with the object as it is now. REST answers it with 409, the board's socket
with a `rejected` frame of reason `conflict` (docs/realtime.md)."""

from __future__ import annotations

from typing import Any


class EditConflict(Exception):
    """Someone else changed `fields` of the object since the version the change was made
    against. `current` is the object's canonical JSON now; `by` who changed them last
    (`{"id", "name"}`, or None)."""

    def __init__(
        self, detail: str, *, fields: list[str], current: dict[str, Any], by: Any = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields
        self.current = current
        self.by = by

    def as_dict(self) -> dict[str, Any]:
        return {
            "detail": self.detail,
            "fields": self.fields,
            "current": self.current,
            "by": self.by,
        }
