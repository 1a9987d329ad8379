"""Row ids as every database here can hold them: 1 .. 2**63 - 1 (PostgreSQL's bigint, SQLite's
INTEGER). An id beyond that names nothing, and must be answered as "no such object" before it
reaches a query: SQLite raises OverflowError for it, PostgreSQL a DataError on writes.

`IdConverter` is registered as the `<id:...>` path converter (vsm_site/__init__.py, so it is
there before any urls module is imported): a path whose id no row can have does not resolve,
so it is a 404 whatever the view does.
"""

from __future__ import annotations

from typing import Any

MAX_ID = 2**63 - 1


def row_id(value: Any) -> int | None:
    """`value` as a row id (an int, or a string of ASCII digits) if a row can have it, else
    None. Booleans are not ids."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


class IdConverter:
    """`<id:name>`: 1 .. 2**63 - 1 in decimal, without leading zeros (so each row has one
    path). Anything else does not match, and the path is a 404."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond any row id")  # Django: no match
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))
