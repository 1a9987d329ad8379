"""Dates as trackers write them, read into aware UTC datetimes.

Accepted: ISO 8601 with or without a time and an offset (`2024-03-12`, `2024-03-12T09:41`,
`2024-03-12 10:00:00+00:00`, `…Z`, any number of fraction digits, Jira's `+0100`); Jira CSV's
`12/Mar/24 9:41 AM` and other dates with an English month name; year-first numeric dates
(`2024/03/12`); and day/month numeric dates (`03/04/2024`, `03.04.2024 14:05`,
`3/4/2024 2:05:00 PM`). A date alone is midnight UTC; no offset means UTC.

Whether `03/04/2024` is day-first or month-first is settled per file by `DateOrder`: a cell
whose first number is over 12 makes it day-first, one whose second number is over 12
month-first; both is an error, and neither (with some cell that could be read both ways) is
an error too, because guessing would silently move dates by months.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
AMBIGUOUS_ADVICE = "dates like 03/04/2024 could be 3 April or 4 March; export ISO 8601 (2024-04-03)"

_TIME = (
    r"(?:[T ,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}(?::?\d{2})?.*)?")
_NUMERIC = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME
)
_YEAR_FIRST = re.compile(
    r"(?P<year>\d{4})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<a>\d{1,2})" + _TIME
)
_DAY_MONTH_NAME = re.compile(
    r"(?P<day>\d{1,2})[ /.\-](?P<month>[A-Za-z]{3,9})\.?[ /.\-,]+(?P<year>\d{4}|\d{2})" + _TIME
)
_MONTH_NAME_DAY = re.compile(
    r"(?P<month>[A-Za-z]{3,9})\.? (?P<day>\d{1,2}),? (?P<year>\d{4})" + _TIME
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


class DateError(ValueError):
    """A cell is not a date this module reads; the message says why, in words."""


def quoted(text: str, limit: int = 40) -> str:
    """A user's value for a message: quoted, escaped, cut to `limit` characters."""
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return json.dumps(cut, ensure_ascii=False)


def utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since 1970 (UTC) of an aware datetime: a compact form to hold many."""
    return (value - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of `to_micros`."""
    return EPOCH + _MICROSECOND * micros


def parse_iso(text: str) -> datetime:
    """An ISO 8601 timestamp (as JSON exports write them) in UTC. Raises DateError."""
    text = text.strip()
    if not _ISO.fullmatch(text):
        raise DateError(f"{quoted(text)} is not an ISO 8601 date")
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError as error:
        raise DateError(f"{quoted(text)} is not a valid date ({error})") from None
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise DateError(f"{quoted(text)} is outside the years 1 to 9999 in UTC") from None


@dataclass(frozen=True, slots=True)
class Shape:
    """What a cell looks like: `iso`, `named` (a month name), `year_first` or `numeric`
    (`a` and `b` are the first two numbers of a day/month date)."""

    kind: str
    a: int = 0
    b: int = 0


def shape(text: str) -> Shape | None:
    """The kind of date `text` looks like, or None if it does not look like a date at all
    (a date-shaped cell may still fail to parse, e.g. 2024-02-30)."""
    text = text.strip()
    if _ISO.fullmatch(text):
        return Shape("iso")
    match = _NUMERIC.fullmatch(text)
    if match:
        return Shape("numeric", int(match["a"]), int(match["b"]))
    if _YEAR_FIRST.fullmatch(text):
        return Shape("year_first")
    match = _DAY_MONTH_NAME.fullmatch(text) or _MONTH_NAME_DAY.fullmatch(text)
    if match and match["month"].lower() in _MONTHS:
        return Shape("named")
    return None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _build(year: int, month: int, day: int, match: re.Match[str], text: str) -> datetime:
    hour = int(match["hour"] or 0)
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    micro = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    ampm = (match["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(f"{quoted(text)} has an hour over 12 with AM/PM")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError as error:
        raise DateError(f"{quoted(text)} is not a valid date ({error})") from None


def parse(text: str, day_first: bool | None = None) -> datetime:
    """Any accepted date, in UTC. `day_first` settles numeric day/month dates (see
    DateOrder); it may be None only when the cell is unambiguous (first or second number
    over 12, or both equal). Raises DateError."""
    text = text.strip()
    if _ISO.fullmatch(text):
        return parse_iso(text)
    match = _NUMERIC.fullmatch(text)
    if match:
        a, b = int(match["a"]), int(match["b"])
        if day_first is None:
            if a > 12 and b <= 12:
                day_first = True
            elif b > 12 and a <= 12:
                day_first = False
            elif a == b:
                day_first = True
            else:
                raise DateError(f"{quoted(text)}: {AMBIGUOUS_ADVICE}")
        day, month = (a, b) if day_first else (b, a)
        return _build(_year(match["year"]), month, day, match, text)
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        return _build(int(match["year"]), int(match["b"]), int(match["a"]), match, text)
    match = _DAY_MONTH_NAME.fullmatch(text) or _MONTH_NAME_DAY.fullmatch(text)
    if match and match["month"].lower() in _MONTHS:
        month = _MONTHS[match["month"].lower()]
        return _build(_year(match["year"]), month, int(match["day"]), match, text)
    raise DateError(
        f"{quoted(text)} is not a date (expected ISO 8601 such as 2024-04-03 or "
        f"2024-04-03T14:05:00Z)"
    )


class NeedsOrder(Exception):
    """A numeric date was met before the file's day/month order was settled."""


class DateOrder:
    """Evidence, over the date cells of a file, for reading `03/04/2024` day-first or
    month-first. `observe` every cell (cheap), then `settle`; or call `parse` optimistically
    and settle when it raises NeedsOrder."""

    def __init__(self) -> None:
        self.day_first_example: tuple[int | None, str, str] | None = None
        self.month_first_example: tuple[int | None, str, str] | None = None
        self.ambiguous_example: tuple[int | None, str, str] | None = None
        self.settled: bool | None = None  # day-first, once settled

    def observe(self, text: str, line: int | None, column: str) -> Shape | None:
        """Notes what `text` says about the order; returns its shape (None: not a date)."""
        cell = shape(text)
        if cell is not None and cell.kind == "numeric" and cell.a != cell.b:
            example = (line, column, text.strip())
            if cell.a > 12 and cell.b <= 12:
                self.day_first_example = self.day_first_example or example
            elif cell.b > 12 and cell.a <= 12:
                self.month_first_example = self.month_first_example or example
            elif cell.a <= 12 and cell.b <= 12:
                self.ambiguous_example = self.ambiguous_example or example
        return cell

    def settle(self) -> tuple[str, int | None] | None:
        """Decides the order from what was observed; returns an error sentence and the line
        it is about, or None."""
        day, month = self.day_first_example, self.month_first_example
        if day and month:
            return (
                f"The dates mix day-first ({_where(day)}) and month-first ({_where(month)}) "
                f"numbers; export ISO 8601 (2024-04-03) instead.",
                month[0],
            )
        if day or month:
            self.settled = bool(day)
            return None
        if self.ambiguous_example:
            line, column, text = self.ambiguous_example
            return f"Column {quoted(column)}: {quoted(text)}: {AMBIGUOUS_ADVICE}.", line
        self.settled = True  # no cell depends on it (03/03/2024 reads the same both ways)
        return None

    def parse(self, text: str, line: int | None, column: str) -> datetime:
        """`parse` with this file's order. Before `settle`, an ambiguous numeric cell raises
        NeedsOrder (after noting its evidence); every other cell parses. Raises DateError."""
        if text[4:5] == "-" and text[:4].isdigit():
            return parse_iso(text)  # the common case, first
        if self.settled is None:
            cell = self.observe(text, line, column)
            if (
                cell is not None
                and cell.kind == "numeric"
                and cell.a <= 12
                and cell.b <= 12
                and cell.a != cell.b
            ):
                raise NeedsOrder
        return parse(text, self.settled)


def _where(example: tuple[int | None, str, str]) -> str:
    line, column, text = example
    place = f"line {line}, " if line is not None else ""
    return f"{place}column {quoted(column)}: {quoted(text)}"
