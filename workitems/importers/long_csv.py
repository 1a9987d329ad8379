"""Long CSV: one row per transition (`item_id,state,entered_at`), plus optional `title`,
`type`, `tags` (separated by `|` or `;`), `url` and `created` columns. Header names match
case-insensitively, ignoring spaces, `_` and `-`, and common aliases are accepted (e.g.
vsm-workshop's `workItemId,stage,enteredAt,exitedAt`; `exitedAt` is ignored with a warning,
since an item leaves a state when it enters the next).

An item's rows may be anywhere in the file, so the whole file is read before any row is
yielded. What is held meanwhile is compact and bounded by MAX_ROWS: per transition its time,
state and line in flat arrays (18 bytes, and 4 more for its item once an item's rows are not
all together), per item its id and the attributes the file has columns for; never the file.

Yields: problems first (errors and warnings), then per item (in the order items first
appear) its ItemRow followed by its TransitionRows sorted by entered_at (file order breaks ties),
then one StateRow per state (no order, no category: the file has neither).

Numeric dates like 03/04/2024 are read day-first or month-first as the whole file shows
(see `dates.DateOrder`): the first read stops at the first such date that could be either,
the date columns are scanned, and the file is read again.

Speed: an import is a million rows or more, so the reading loop (`_read_rows`) and the rows
(`_Histories.rows`) do as little per row as they can, each shortcut keeping exactly what the
plain way gives (tests/workitems/test_importers_long_csv.py compares them). Measure with
`bench.bench_import.write_history` and cProfile before and after changing either.
"""

from __future__ import annotations

import functools
import struct
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, tzinfo
from itertools import chain, islice, pairwise, repeat
from operator import mul
from types import MemberDescriptorType
from typing import cast

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
from workitems.importers.source import open_text

_NO_DATE = -(2**63)  # no created date
# Characters 4, 7 and 10 of the ISO 8601 cells that `dates.parse` reads as `fromisoformat`
# does: a date, or a date and a time after `T`, `t` or a space.
_ISO_SHAPES = frozenset({"--", "--T", "--t", "-- "})
_TIME = struct.Struct("10s")  # a transition's time, as time_state() gives it
# datetime(state, tz), the constructor pickle uses, which typeshed does not describe.
_from_state = cast(Callable[[bytes, tzinfo], datetime], datetime)


def time_state(value: datetime) -> bytes:
    """How a transition's time is held: the 10 bytes of a UTC (or naive, taken as UTC)
    datetime's pickle state, which are its year (2 bytes), month, day, hour, minute, second
    and microsecond (3 bytes), big-endian. They sort as the datetimes do, and
    `datetime(state, UTC)` rebuilds one: each way several times faster than microseconds
    since 1970 (the tests hold Python to this)."""
    # typeshed gives object.__reduce__ as str | tuple; a datetime's is (datetime, (state,)).
    return cast(bytes, value.__reduce__()[1][0])


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
    """Every transition of the file in flat arrays and every item's attributes in lists that
    exist only when the file has their column: no object per transition or per item beyond
    its id, so memory stays a small multiple of the file."""

    def __init__(self, found: Columns) -> None:
        self.ids: dict[str, int] = {}  # external id -> item number, in first-seen order
        self.first_lines = array("q")
        self.first_rows = array("q")  # the row of each item's first transition
        self.titles: list[str] | None = [] if found.title is not None else None
        self.urls: list[str] | None = [] if found.url is not None else None
        self.types: list[str] | None = [] if found.tracker_type is not None else None
        self.tags: list[tuple[str, ...]] | None = [] if found.tags else None
        self.created: array[int] | None = array("q") if found.created is not None else None
        self.states: dict[str, int] = {}  # state name -> its number, in first-seen order
        self.row_times = bytearray()  # entered_at, as time_state()s
        self.row_states = array("i")
        self.row_lines = array("i")
        # While every item's rows come together, the rows need no item number (first_rows
        # says where each item's rows start); the first row that goes back to an earlier
        # item makes the file scattered, and from then on each row's item is in row_items.
        self.row_items: array[int] | None = None
        # Whether a row is earlier than the row before it, of the same item (unsorted) or
        # not (backwards): in a file with neither (an export in time order), each item's
        # rows are in time order without sorting.
        self.unsorted = False
        self.backwards = False

    def item(self, external_id: str, line: int) -> int:
        """The number of a new item."""
        number = self.ids[external_id] = len(self.ids)
        self.first_lines.append(line)
        self.first_rows.append(len(self.row_lines))
        for values in (self.titles, self.urls, self.types):
            if values is not None:
                values.append("")
        if self.tags is not None:
            self.tags.append(())
        if self.created is not None:
            self.created.append(_NO_DATE)
        return number

    def scatter(self) -> array[int]:
        """Starts row_items with the item of each row so far (they came item by item)."""
        ends = [*self.first_rows[1:], len(self.row_lines)]
        counts = (end - start for start, end in zip(self.first_rows, ends, strict=True))
        self.row_items = array("i", chain.from_iterable(map(repeat, range(len(ends)), counts)))
        return self.row_items

    def _time_of(self, row: int) -> bytes:
        return self.row_times[_TIME.size * row : _TIME.size * (row + 1)]

    def _order(self) -> tuple[array[int] | None, array[int]]:
        """The rows item by item (in first-seen order), each item's in time order (file order
        at the same instant), or None when that is file order (most files: their items'
        rows come together and in time order); and where each item's rows start in it (and,
        last, where they end)."""
        rows = len(self.row_lines)
        if self.row_items is None:
            starts = array("q", self.first_rows)
            starts.append(rows)
            if not self.unsorted:
                return None, starts
            grouped: Sequence[int] = range(rows)
        else:
            # A counting sort by item: one int per transition.
            items = len(self.ids)
            starts = array("q", bytes(8 * (items + 1)))
            for number in self.row_items:
                starts[number + 1] += 1
            for number in range(items):
                starts[number + 1] += starts[number]
            filled = array("q", starts)
            grouped = array("i", bytes(4 * rows))
            for row, number in enumerate(self.row_items):
                grouped[filled[number]] = row
                filled[number] += 1
            self.row_items = None
            if not (self.unsorted or self.backwards):
                return grouped, starts
        order = array("i")
        for start, end in pairwise(starts):
            order.extend(sorted(grouped[start:end], key=self._time_of))  # stable: file order
        return order, starts

    def rows(self) -> Iterator[Row]:
        """Per item (first-seen order) its ItemRow and its transitions sorted by time (file
        order at the same instant), then a StateRow per state."""
        order, starts = self._order()
        names = list(self.states)
        states, times, lines = self.row_states, self.row_times, self.row_lines
        # Each transition's state, (time,) and line, in order, taken in C.
        transitions: Iterator[tuple[int, tuple[bytes], int]]
        if order is None:
            transitions = zip(states, _TIME.iter_unpack(times), lines, strict=True)
        else:
            transitions = zip(
                map(states.__getitem__, order),
                map(_TIME.unpack_from, repeat(times), map(mul, order, repeat(_TIME.size))),
                map(lines.__getitem__, order),
                strict=True,
            )
        titles, urls, types, tags, created = (
            self.titles,
            self.urls,
            self.types,
            self.tags,
            self.created,
        )
        first_lines, item_row, utc, new = self.first_lines, _item_row, UTC, object.__new__
        if _TRANSITION_SETTERS:
            set_id, set_state, set_entered, set_line = _TRANSITION_SETTERS
        for (external_id, number), (start, end) in zip(
            self.ids.items(), pairwise(starts), strict=True
        ):
            created_at = created[number] if created is not None else _NO_DATE
            yield item_row(
                external_id,
                first_lines[number],
                titles[number] if titles is not None else "",
                urls[number] if urls is not None else "",
                types[number] if types is not None else "",
                tags[number] if tags is not None else (),
                None if created_at == _NO_DATE else from_micros(created_at),
            )
            history = islice(transitions, end - start)
            if not _TRANSITION_SETTERS:
                for state, (time,), line in history:
                    yield TransitionRow(external_id, names[state], _from_state(time, utc), line)
                continue
            for state, (time,), line in history:
                transition = new(TransitionRow)
                set_id(transition, external_id)
                set_state(transition, names[state])
                set_entered(transition, _from_state(time, utc))
                set_line(transition, line)
                yield transition
        for name in names:
            yield StateRow(name)


def _slot_setters(cls: type, names: tuple[str, ...]) -> list[Callable[[object, object], None]]:
    """The setters of a row class's slots, to build its rows at a third of the cost of its
    __init__ (a frozen dataclass's sets each field through object.__setattr__). Empty unless
    the class is exactly a slotted dataclass of `names` whose __init__ only sets them, so
    that a change to the class makes the rows here go through its constructor again."""
    slots = [cls.__dict__.get(name) for name in names]
    if (
        tuple(item.name for item in fields(cls)) != names
        or hasattr(cls, "__post_init__")
        or not all(isinstance(slot, MemberDescriptorType) for slot in slots)
    ):
        return []
    return [slot.__set__ for slot in slots]  # type: ignore[union-attr]


def _item_row_builder() -> Callable[
    [str, int, str, str, str, tuple[str, ...], datetime | None], ItemRow
]:
    """ItemRow(external_id, line, title, url, tracker_type, tags, created), built faster."""
    setters = _slot_setters(
        ItemRow, ("external_id", "line", "title", "url", "tracker_type", "tags", "created")
    )
    if not setters:
        return ItemRow
    set_id, set_line, set_title, set_url, set_type, set_tags, set_created = setters
    new = object.__new__

    def item_row(
        external_id: str,
        line: int,
        title: str,
        url: str,
        tracker_type: str,
        tags: tuple[str, ...],
        created: datetime | None,
    ) -> ItemRow:
        row = new(ItemRow)
        set_id(row, external_id)
        set_line(row, line)
        set_title(row, title)
        set_url(row, url)
        set_type(row, tracker_type)
        set_tags(row, tags)
        set_created(row, created)
        return row

    return item_row


_item_row = _item_row_builder()
# TransitionRow's, which rows() calls inline: a function call per transition would cost a
# tenth of the rows' time.
_TRANSITION_SETTERS = _slot_setters(TransitionRow, ("external_id", "state", "entered_at", "line"))


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
    with open_text(opener) as text:
        try:
            records = csvfile.Records(text)
            header_line, header = records.header() or (1, [])
            found = columns(header)
            if isinstance(found, str):
                result.add(Problem(found, header_line if header else None))
                return result
            result.histories = _Histories(found)
            if found.exited is not None:
                result.add(
                    Problem(
                        f"The column {quoted(found.names[found.exited])} is ignored: an item "
                        f"leaves a state when it enters the next one.",
                        header_line,
                        fatal=False,
                    )
                )
            _read_rows(records.batches(), found, order, result, result.histories)
        except Stop as stop:
            result.add(stop.problem)
    if not result.fatal:
        error = order.settle()
        if error:
            result.add(Problem(*error))
    return result


def _read_rows(
    batches: Iterator[csvfile.Batch],
    found: Columns,
    order: DateOrder,
    result: _Read,
    histories: _Histories,
) -> None:
    """Reads every record after the header into `histories`, its problems into `result`.

    This loop is most of an import's time, so it does as little as it can per row, and
    checks a value once: an item's id when it is first seen (a row with the id cell of the
    row before is that row's item, as most exports list an item's rows together), a state
    name when first seen, an ISO 8601 date through `datetime.fromisoformat` alone when it
    is a shape `dates.parse` reads the same way (any other cell goes through `_date`), an
    attribute only when its cell is not empty.
    """
    count = 0  # non-blank records, for MAX_ROWS
    max_rows = csvfile.MAX_ROWS
    id_column, state_column, entered_column = found.item_id, found.state, found.entered_at
    # (an absent attribute column's index is never used: its list is None)
    title_column, url_column, type_column = (
        found.title or 0,
        found.url or 0,
        found.tracker_type or 0,
    )
    tag_columns = found.tags
    first_tags = tag_columns[0] if tag_columns else 0
    more_tags = len(tag_columns) > 1
    created_column = found.created
    width = 1 + max(  # the cells a record needs: a shorter one is padded with empty cells
        id_column,
        state_column,
        entered_column,
        *tag_columns,
        *(index for index in (found.title, found.url, found.tracker_type) if index is not None),
        created_column or 0,
    )
    padding = [""] * width
    entered_name = found.names[entered_column]

    find_item = histories.ids.get
    states = histories.states
    find_state = states.get
    add_time = histories.row_times.extend
    add_state = histories.row_states.append
    add_line = histories.row_lines.append
    new_item = histories.item
    row_items = histories.row_items
    scattered = row_items is not None
    titles, urls, types, tags = histories.titles, histories.urls, histories.types, histories.tags
    attributes = result.attributes
    fromisoformat, iso_shapes, utc = datetime.fromisoformat, _ISO_SHAPES, UTC
    created = _Created(found, order, result, histories)
    last_number = -1
    last_id_cell = None  # the id cell of the row stored last
    last_entered = b""
    entered: bytes  # each row's time_state(), inlined below
    unsorted = backwards = False
    try:
        for lines, batch in batches:
            for line, cells in zip(lines, batch, strict=True):
                if len(cells) < width:
                    cells = cells + padding[len(cells) :]
                id_cell = cells[id_column]
                if id_cell == last_id_cell:
                    number: int | None = last_number
                else:
                    external_id = id_cell.strip()
                    if not external_id and not any(cell.strip() for cell in cells):
                        continue  # a blank record
                    number = find_item(external_id)
                count += 1
                if count > max_rows:
                    raise csvfile.too_many_rows(line)
                state = cells[state_column].strip()
                state_number = find_state(state)
                if number is None or state_number is None:
                    error = (id_error(external_id) if number is None else None) or state_error(
                        state
                    )
                    if error:
                        result.add(Problem(error, line))
                        if result.fatal >= MAX_FATAL:
                            return
                        continue

                text = cells[entered_column]
                try:
                    at = fromisoformat(text)
                except ValueError:
                    at = None
                # `fromisoformat` also reads shapes that `dates.parse` refuses (20240312,
                # 2024-W10-2, any date/time separator): characters 4, 7 and 10 tell them apart.
                if at is not None and text[4:11:3] in iso_shapes:
                    zone = at.tzinfo
                    if zone is not utc and zone is not None:
                        try:
                            at = at.astimezone(utc)
                        except OverflowError:  # beyond year 1..9999 in UTC: say so
                            at = _date(result, order, entered_name, text, line, required=True)
                else:
                    at = _date(result, order, entered_name, text, line, required=True)
                if created_column is not None:
                    created.read(cells[created_column], line)
                if at is None or result.fatal:
                    # After an error nothing will be imported: only look for more errors.
                    if result.fatal >= MAX_FATAL:
                        return
                    continue

                entered = at.__reduce__()[1][0]  # type: ignore[assignment]  # time_state(at)
                if number == last_number:
                    if entered < last_entered:
                        unsorted = True
                else:
                    if number is None:
                        number = new_item(external_id, line)
                    elif not scattered:
                        row_items = histories.scatter()
                        scattered = True
                    if entered < last_entered:
                        backwards = True
                    last_number, last_id_cell = number, id_cell
                last_entered = entered
                if scattered:
                    row_items.append(number)  # type: ignore[union-attr]
                if state_number is None:
                    state_number = states[state] = len(states)
                add_time(entered)
                add_state(state_number)
                add_line(line)
                # An item's attributes: the last non-empty value of each wins.
                if titles is not None:
                    text = cells[title_column]
                    if text and (text := attributes.title(text, line)):
                        titles[number] = text
                if urls is not None:
                    text = cells[url_column]
                    if text and (text := attributes.url(text, line)):
                        urls[number] = text
                if types is not None:
                    text = cells[type_column]
                    if text and (text := attributes.tracker_type(text, line)):
                        types[number] = text
                if tags is not None and (cells[first_tags] or more_tags):
                    found_tags = unique(
                        tag for index in tag_columns for tag in split_tags(cells[index])
                    )
                    if found_tags:
                        tags[number] = found_tags
                if created_column is not None:
                    created.keep(number)
    finally:
        histories.unsorted = histories.unsorted or unsorted
        histories.backwards = histories.backwards or backwards


class _Created:
    """The created column of the reading loop: `read` a row's cell (an error, if any, goes
    to the problems), then `keep` it for the row's item if the row is stored."""

    def __init__(self, found: Columns, order: DateOrder, result: _Read, histories: _Histories):
        self._name = found.names[found.created] if found.created is not None else ""
        self._order = order
        self._result = result
        self._created = histories.created
        self._micros: int | None = None
        self._last: tuple[str, int] = ("", 0)  # an item's rows repeat its created date

    def read(self, text: str, line: int) -> None:
        if text and text == self._last[0]:
            self._micros = self._last[1]
            return
        date = _date(self._result, self._order, self._name, text, line, required=False)
        self._micros = None if date is None else to_micros(date)
        if self._micros is not None:
            self._last = (text, self._micros)

    def keep(self, number: int) -> None:
        if self._micros is not None and self._created is not None:
            self._created[number] = self._micros


def _date(
    result: _Read,
    order: DateOrder,
    name: str,
    text: str,
    line: int,
    *,
    required: bool,
) -> datetime | None:
    """The date (UTC) of a cell of column `name`, or None (empty, or an error added to the
    problems)."""
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


def parse(opener: Opener) -> Iterator[Row]:
    """The rows of a long CSV; see the module's docstring for their order. The problems go
    through `limited` (the importers' contract); the rows follow only when none was an
    error, straight from the histories rather than through that check, a step per row."""
    return chain.from_iterable(_parts(opener))


def _parts(opener: Opener) -> Iterator[Iterable[Row]]:
    read: list[_Histories] = []
    yield limited(functools.partial(_problems, read=read))(opener)
    if read:
        yield read[0].rows()


def _problems(opener: Opener, read: list[_Histories]) -> Generator[Row, None, None]:
    """The file's problems; when none is an error, its histories are put in `read`."""
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
    read.append(result.histories)
