"""The canonical rows every importer yields, whatever the file's format. Importers are pure:
bytes in, rows out, no ORM; one upsert service (`workitems.services`) writes any format's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

# Opens the uploaded file afresh (from its start) each time it is called, so an importer may
# read it twice (e.g. to settle a date column's day-first question before yielding rows).
# The importer closes every stream it opens, also when its rows are not read to the end.
Opener = Callable[[], BinaryIO]


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A work item's attributes; exactly one per item (an importer merges an item's rows)."""

    external_id: str
    line: int | None = None
    title: str = ""
    url: str = ""  # http(s) only; anything else is dropped with a warning
    tracker_type: str = ""
    tags: tuple[str, ...] = ()
    created: datetime | None = None  # aware


@dataclass(frozen=True, slots=True)
class TransitionRow:
    """The item entered `state` at `entered_at` (aware). Rows of one item come in history
    order; at the same instant, file order is history order."""

    external_id: str
    state: str
    entered_at: datetime
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StateRow:
    """What the file says of a workflow state: its position in the workflow (a wide CSV's
    column order) and the tracker's category (ADO StateCategory, Jira statusCategory)."""

    name: str
    order: int | None = None
    category: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """An error (the file imports nothing) or, with `fatal=False`, a warning. `line` is the
    1-based line of a CSV file (the header is line 1), or for JSON the 1-based position of
    the record, named in the message; None for the file as a whole."""

    message: str
    line: int | None = None
    fatal: bool = True


Row = ItemRow | TransitionRow | StateRow | Problem
Parser = Callable[[Opener], Iterator[Row]]


# Bounds checked while parsing, before anything is held: rows (data lines or records), the
# characters of one field, and the characters of a title kept (longer ones are cut, with a
# warning). Importing `importers.csvfile` sets csv.field_size_limit to MAX_FIELD_CHARS for
# the whole process.
MAX_ROWS = 2_000_000
MAX_FIELD_CHARS = 128 * 1024
TITLE_CHARS = 500
