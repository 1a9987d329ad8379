"""Streaming the records of a JSON export with ijson: the items of a top-level array, or of
one array member of a top-level object (`{"issues": [...]}`, `{"value": [...]}`). Only one
record is built at a time; the file is never loaded whole.

Records are numbered from 1 in the order they appear; importers put that number in
Problem.line and name the record's key or id in the message."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ijson

from workitems.importers.problems import Stop
from workitems.importers.rows import MAX_FIELD_CHARS, MAX_ROWS, Opener, Problem
from workitems.importers.source import open_utf8

_SCALARS = frozenset(("string", "number", "boolean", "null"))
_TOP_KEPT = 100  # top-level members remembered (their names; short scalar values)
_WORDS = (
    ("premature EOF", "the file ends in the middle of a value (was it cut off?)"),
    ("invalid bytes in UTF8", "it holds bytes that are not UTF-8 text"),
    ("invalid char in json text", "it holds a character that cannot start a JSON value"),
    ("trailing garbage", "more follows the end of the JSON value"),
    ("unallowed token", "a comma, colon or bracket is out of place"),
    ("invalid object key", "an object key is not a quoted string"),
    ("invalid string", "a string is not closed or holds an invalid escape"),
)


@dataclass
class Top:
    """What the top level of the file showed: `array` (a bare list of records) or the
    members of a top-level object (`keys`, and `scalars` for short scalar values, e.g.
    `@odata.nextLink`, `total`). Filled while the records stream."""

    array: bool = False
    keys: list[str] = field(default_factory=list)
    scalars: dict[str, Any] = field(default_factory=dict)


def _words(error: Exception) -> str:
    raw = error.args[0] if error.args else str(error)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    for needle, words in _WORDS:
        if needle in first:
            return words
    return first.removeprefix("parse error: ").removeprefix("lexical error: ")


def _tapped(events: Iterator[tuple[str, str, Any]], top: Top) -> Iterator[tuple[str, str, Any]]:
    """Passes the events through, noting the top level's members."""
    depth = 0
    key = ""
    for event in events:
        kind = event[1]
        if kind in ("start_map", "start_array"):
            depth += 1
        elif kind in ("end_map", "end_array"):
            depth -= 1
        elif depth == 1:
            if kind == "map_key":
                key = event[2]
                if len(top.keys) < _TOP_KEPT:
                    top.keys.append(key)
            elif kind in _SCALARS and len(top.scalars) < _TOP_KEPT:
                value = event[2]
                if not isinstance(value, str) or len(value) <= 2000:
                    top.scalars[key] = value
        yield event


def records(opener: Opener, member: str, top: Top) -> Iterator[tuple[int, Any]]:
    """(number, record) for each item of the top-level array, or of the array `member` of a
    top-level object. Raises Stop for malformed JSON (in words, with the record number it
    happened in or after), a top level that is neither an array nor an object, or more than
    MAX_ROWS records."""
    number = 0
    with open_utf8(opener) as stream:
        try:
            events = ijson.parse(stream)
            first = next(events, None)
            if first is None:
                raise Stop(Problem("The file is empty."))
            if first[1] == "start_array":
                top.array = True
                prefix = "item"
            elif first[1] == "start_map":
                prefix = f"{member}.item"
            else:
                raise Stop(Problem("The file holds a single JSON value, not a list of records."))
            tapped = _tapped(itertools.chain([first], events), top)
            for record in ijson.items(tapped, prefix):
                number += 1
                if number > MAX_ROWS:
                    raise Stop(
                        Problem(
                            f"The file has more than {MAX_ROWS:,} records, the limit; export "
                            f"a shorter period or fewer items.",
                            number,
                        )
                    )
                yield number, record
        except ijson.JSONError as error:
            where = f"in or after record {number}" if number else "before the first record"
            raise Stop(
                Problem(f"The file is not valid JSON: {_words(error)} ({where}).", number or None)
            ) from None


def text(value: Any) -> str:
    """A JSON value as text: strings as they are, numbers in their JSON form, null and
    containers as ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is not None and hasattr(value, "is_finite"):  # ijson's Decimal
        return format(value, "f") if value == value.to_integral_value() else str(value)
    return ""


def dig(record: Any, *path: str) -> Any:
    """`record[path[0]][path[1]]…`, or None where a step is missing or not an object."""
    for step in path:
        if not isinstance(record, dict):
            return None
        record = record.get(step)
    return record


def too_long(*values: str) -> bool:
    """Whether any value is longer than MAX_FIELD_CHARS (an error, as in CSV)."""
    return any(len(value) > MAX_FIELD_CHARS for value in values)


TOO_LONG = f"a field is longer than the limit of {MAX_FIELD_CHARS:,} characters."
