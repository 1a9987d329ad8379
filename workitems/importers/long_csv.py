"""Long CSV: one row per transition (`item_id,state,entered_at`), plus optional `title`,
`type`, `tags` (separated by `|` or `;`), `url` and `created` columns. Header names match
case-insensitively, ignoring spaces, `_` and `-`, and common aliases are accepted (e.g.
vsm-workshop's `workItemId,stage,enteredAt,exitedAt`; `exitedAt` is ignored with a warning,
since an item leaves a state when it enters the next).

An item's rows may be anywhere in the file, so the whole file is read before any row is
yielded. What is held meanwhile is compact and bounded by MAX_ROWS: per transition four
integers in flat arrays (item, time, state, line: 20 bytes), per item its id and the
attributes the file has columns for; never the file.

Yields: problems first (errors and warnings), then per item (in the order items first
appear) its ItemRow followed by its TransitionRows sorted by entered_at (file order breaks ties),
then one StateRow per state (no order, no category: the file has neither).

Numeric dates like 03/04/2024 are read day-first or month-first as the whole file shows
(see `dates.DateOrder`): the first read stops at the first such date that could be either,
the date columns are scanned, and the file is read again.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from workitems.importers import csvfile
from workitems.importers.dates import (
    DateError,
    DateOrder,
    NeedsOrder,
    from_micros,
    quoted,
    to_micros,
)
from workitems.importers.fields import Attributes, id_error, split_tags, state_error, unique
from workitems.importers.problems import MAX_FATAL, Stop, limited
from workitems.importers.rows import ItemRow, Opener, Problem, Row, StateRow, TransitionRow

_NO_DATE = -(2**63)  # no created date

ID = ("itemid", "workitemid", "id", "key", "issuekey", "issueid", "issue", "item", "ticket")
STATE = ("state", "stage", "status", "column", "step", "tostate", "tostatus", "tostage")
ENTERED = (
    "enteredat",
    "entered",
    "entereddate",
    "enteredon",
    "enteredtime",
    "startedat",
    "startdate",
    "changedat",
    "changeddate",
    "transitionedat",
    "timestamp",
    "date",
)
EXITED = ("exitedat", "exited", "exiteddate", "exitedon", "exitdate", "leftat", "enddate")
TITLE = ("title", "name", "summary")
TYPE = ("type", "itemtype", "workitemtype", "issuetype", "kind")
TAGS = ("tags", "labels", "tag", "label")
URL = ("url", "link", "htmlurl", "href")
CREATED = ("created", "createdat", "createddate", "createdon")


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each role's column is in the header (None: absent)."""

    item_id: int
    state: int
    entered_at: int
    names: tuple[str, ...]
    title: int | None = None
    tracker_type: int | None = None
    tags: tuple[int, ...] = ()
    url: int | None = None
    created: int | None = None
    exited: int | None = None


def columns(header: Sequence[str]) -> Columns | str:
    """The columns of a long CSV header, or a sentence saying what is missing."""
    if not header:
        return "The file is empty: it has no header row."
    found = {
        role: csvfile.column_of(header, aliases)
        for role, aliases in (("item_id", ID), ("state", STATE), ("entered_at", ENTERED))
    }
    missing = [role for role, index in found.items() if index is None]
    if found["item_id"] is None:
        return (
            "The header has no item id column: name one item_id (or workItemId, id, key). "
            f"The header is: {_header_text(header)}."
        )
    if missing:
        return (
            f"The header has no {' and no '.join(missing)} column: a long CSV needs "
            f"item_id, state and entered_at (or stage and enteredAt). "
            f"The header is: {_header_text(header)}."
        )
    return Columns(
        item_id=found["item_id"] or 0,
        state=found["state"] or 0,
        entered_at=found["entered_at"] or 0,
        names=tuple(name.strip() for name in header),
        title=csvfile.column_of(header, TITLE),
        tracker_type=csvfile.column_of(header, TYPE),
        tags=tuple(csvfile.columns_of(header, TAGS)),
        url=csvfile.column_of(header, URL),
        created=csvfile.column_of(header, CREATED),
        exited=csvfile.column_of(header, EXITED),
    )


def _header_text(header: Sequence[str]) -> str:
    text = ", ".join(name.strip() for name in header)
    return text if len(text) <= 200 else text[:200] + "…"


class _Histories:
    """Every transition of the file in flat arrays (20 bytes each) and every item's
    attributes in lists that exist only when the file has their column: no object per
    transition or per item beyond its id, so memory stays a small multiple of the file."""

    def __init__(self, found: Columns) -> None:
        self.ids: dict[str, int] = {}  # external id -> item number, in first-seen order
        self.first_lines = array("q")
        self.titles: list[str] | None = [] if found.title is not None else None
        self.urls: list[str] | None = [] if found.url is not None else None
        self.types: list[str] | None = [] if found.tracker_type is not None else None
        self.tags: list[tuple[str, ...]] | None = [] if found.tags else None
        self.created: array[int] | None = array("q") if found.created is not None else None
        self.states: dict[str, int] = {}
        self.row_items = array("i")
        self.row_times = array("q")  # entered_at, µs since 1970
        self.row_states = array("i")
        self.row_lines = array("i")

    def item(self, external_id: str, line: int) -> int:
        number = self.ids.get(external_id)
        if number is None:
            number = self.ids[external_id] = len(self.ids)
            self.first_lines.append(line)
            for values in (self.titles, self.urls, self.types):
                if values is not None:
                    values.append("")
            if self.tags is not None:
                self.tags.append(())
            if self.created is not None:
                self.created.append(_NO_DATE)
        return number

    def add(self, number: int, state: str, entered_at: int, line: int) -> None:
        self.row_items.append(number)
        self.row_times.append(entered_at)
        self.row_states.append(self.states.setdefault(state, len(self.states)))
        self.row_lines.append(line)

    def rows(self) -> Iterator[Row]:
        """Per item (first-seen order) its ItemRow and its transitions sorted by time (file
        order at the same instant), then a StateRow per state."""
        items = len(self.ids)
        # Group the transitions by item (a counting sort: one int per transition).
        starts = array("i", bytes(4 * (items + 1)))
        for number in self.row_items:
            starts[number + 1] += 1
        for number in range(items):
            starts[number + 1] += starts[number]
        filled = array("i", starts)
        grouped = array("i", bytes(4 * len(self.row_items)))
        for row, number in enumerate(self.row_items):
            grouped[filled[number]] = row
            filled[number] += 1
        del filled
        names = list(self.states)
        times = self.row_times
        for external_id, number in self.ids.items():
            created = self.created[number] if self.created is not None else _NO_DATE
            yield ItemRow(
                external_id=external_id,
                line=self.first_lines[number],
                title=self.titles[number] if self.titles is not None else "",
                url=self.urls[number] if self.urls is not None else "",
                tracker_type=self.types[number] if self.types is not None else "",
                tags=self.tags[number] if self.tags is not None else (),
                created=None if created == _NO_DATE else from_micros(created),
            )
            history = grouped[starts[number] : starts[number + 1]].tolist()
            history.sort(key=times.__getitem__)  # stable: file order breaks ties
            for row in history:
                yield TransitionRow(
                    external_id,
                    names[self.row_states[row]],
                    from_micros(times[row]),
                    self.row_lines[row],
                )
        for name in names:
            yield StateRow(name)


@dataclass
class _Read:
    problems: list[Problem] = field(default_factory=list)
    histories: _Histories | None = None
    attributes: Attributes = field(default_factory=Attributes)
    fatal: int = 0

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.fatal += problem.fatal


def _read(opener: Opener, order: DateOrder) -> _Read:
    """Reads the whole file into compact per-item histories. Raises NeedsOrder when a date
    could be day-first or month-first and `order` is not settled."""
    result = _Read()
    records = csvfile.read(opener)
    try:
        header_line, header = next(records, (1, []))
        found = columns(header)
        if isinstance(found, str):
            result.add(Problem(found, header_line if header else None))
            return result
        histories = result.histories = _Histories(found)
        if found.exited is not None:
            result.add(
                Problem(
                    f"The column {quoted(found.names[found.exited])} is ignored: an item leaves a "
                    f"state when it enters the next one.",
                    header_line,
                    fatal=False,
                )
            )
        for line, cells in records:
            _read_row(result, histories, found, order, line, cells)
            if result.fatal >= MAX_FATAL:
                break
    except Stop as stop:
        result.add(stop.problem)
    finally:
        records.close()
    if not result.fatal:
        error = order.settle()
        if error:
            result.add(Problem(*error))
    return result


def _read_row(
    result: _Read,
    histories: _Histories,
    found: Columns,
    order: DateOrder,
    line: int,
    cells: list[str],
) -> None:
    external_id = csvfile.cell(cells, found.item_id).strip()
    state = csvfile.cell(cells, found.state).strip()
    error = id_error(external_id) or state_error(state)
    if error:
        result.add(Problem(error, line))
        return
    entered_at = _date(result, order, found, cells, found.entered_at, line, required=True)
    created = _date(result, order, found, cells, found.created, line, required=False)
    if entered_at is None or result.fatal:
        return  # after an error nothing will be imported: only look for more errors
    number = histories.item(external_id, line)
    histories.add(number, state, to_micros(entered_at), line)
    # An item's attributes: the last non-empty value of each wins.
    attributes = result.attributes
    if histories.titles is not None:
        title = attributes.title(csvfile.cell(cells, found.title), line)
        if title:
            histories.titles[number] = title
    if histories.urls is not None:
        url = attributes.url(csvfile.cell(cells, found.url), line)
        if url:
            histories.urls[number] = url
    if histories.types is not None:
        tracker_type = attributes.tracker_type(csvfile.cell(cells, found.tracker_type), line)
        if tracker_type:
            histories.types[number] = tracker_type
    if histories.tags is not None:
        tags = unique(tag for index in found.tags for tag in split_tags(csvfile.cell(cells, index)))
        if tags:
            histories.tags[number] = tags
    if histories.created is not None and created is not None:
        histories.created[number] = to_micros(created)


def _date(
    result: _Read,
    order: DateOrder,
    found: Columns,
    cells: list[str],
    index: int | None,
    line: int,
    *,
    required: bool,
) -> datetime | None:
    """The date in column `index`, or None (absent, or an error added to the problems)."""
    if index is None:
        return None
    name = found.names[index]
    text = csvfile.cell(cells, index)
    if not text.strip():
        if required:
            result.add(Problem(f"The {quoted(name)} date is empty.", line))
        return None
    try:
        return order.parse(text, line, name)
    except DateError as error:
        result.add(Problem(f"Column {quoted(name)}: {error}.", line))
        return None


def _scan(opener: Opener, order: DateOrder) -> Problem | None:
    """Observes every date cell of the file to settle its day/month order; a problem that
    stopped the scan is returned."""
    records = csvfile.read(opener)
    try:
        _, header = next(records, (1, []))
        found = columns(header)
        if isinstance(found, str):
            return None
        date_columns = [index for index in (found.entered_at, found.created) if index is not None]
        for line, cells in records:
            for index in date_columns:
                order.observe(csvfile.cell(cells, index), line, found.names[index])
    except Stop as stop:
        return stop.problem
    finally:
        records.close()
    return None


@limited
def parse(opener: Opener) -> Iterator[Row]:
    """The rows of a long CSV; see the module's docstring for their order."""
    order = DateOrder()
    try:
        result = _read(opener, order)
    except NeedsOrder:
        order = DateOrder()
        stopped = _scan(opener, order)
        if stopped is not None:
            yield stopped
            return
        error = order.settle()
        if error:
            yield Problem(*error)
            return
        result = _read(opener, order)
    yield from result.problems
    if result.fatal or result.histories is None:
        return
    yield from result.attributes.close()
    yield from result.histories.rows()
