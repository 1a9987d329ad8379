"""Streaming the records of a JSON export with ijson: the items of a top-level array, or of
one array member of a top-level object (`{"issues": [...]}`, `{"value": [...]}`). Only one
record is built at a time; the file is never loaded whole.

Records are numbered from 1 in the order they appear; importers put that number in
Problem.line and name the record's key or id in the message."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import ijson

from workitems.importers.problems import Stop
from workitems.importers.rows import MAX_FIELD_CHARS, MAX_ROWS, Opener, Problem
from workitems.importers.source import open_utf8

_SCALARS = frozenset(("string", "number", "boolean", "null"))
# Exports nest a dozen levels (Jira's rich-text descriptions a few dozen). Deeper is hostile:
# the parser builds every event of a read, each with its path, which grows with the depth.
MAX_DEPTH = 128
# A record's values (events) held at once: a GitHub issue with a thousand timeline events is
# some 50,000; beyond this a record would take hundreds of megabytes to build.
MAX_RECORD_EVENTS = 1_000_000
_READ_BYTES = 64 * 1024  # smaller reads make long strings quadratic in the C parser
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"')  # an open string, to its end
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
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


class _TooDeep(Exception):
    """The file nests deeper than MAX_DEPTH."""


class _TooLarge(Exception):
    """A record holds more than MAX_RECORD_EVENTS values."""


class _DepthGuard:
    """The bytes of `stream`, checked before the parser sees them: brackets outside strings
    may not nest deeper than MAX_DEPTH. Linear in the file (strings are skipped by regular
    expressions, brackets counted; a loop runs only over a read's brackets, and only when
    they could reach the limit)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._depth = 0
        self._in_string = False
        self._escaped = False  # inside a string, the read ended on an unpaired backslash

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        start = 0
        if self._in_string:
            start = 1 if self._escaped else 0
            self._escaped = False
            end = _STRING_REST.match(data, start) if start <= len(data) else None
            if end is None:
                tail = data[start:]
                self._escaped = (len(tail) - len(tail.rstrip(b"\\"))) % 2 == 1
                return
            start = end.end()
            self._in_string = False
        outside = _STRING.sub(b"", data[start:])
        opened = outside.find(b'"')
        if opened >= 0:  # a string runs past this read
            self._in_string = True
            self._escaped = (len(data) - len(data.rstrip(b"\\"))) % 2 == 1
            outside = outside[:opened]
        brackets = outside.translate(None, _NOT_BRACKETS)
        opening = brackets.count(b"[") + brackets.count(b"{")
        if self._depth + opening <= MAX_DEPTH:
            self._depth += 2 * opening - len(brackets)
            return
        for byte in brackets:
            self._depth += 1 if byte in b"[{" else -1
            if self._depth > MAX_DEPTH:
                raise _TooDeep


def _tapped(
    events: Iterator[tuple[str, str, Any]], top: Top, record_depth: int
) -> Iterator[tuple[str, str, Any]]:
    """Passes the events through, noting the top level's members and checking that no
    record (whose values are at `record_depth` and deeper) holds too many values."""
    depth = 0
    key = ""
    inside = 0  # events of the current record
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
        if depth < record_depth:
            inside = 0
        else:
            inside += 1
            if inside > MAX_RECORD_EVENTS:
                raise _TooLarge
        yield event


def records(opener: Opener, member: str, top: Top) -> Iterator[tuple[int, Any]]:
    """(number, record) for each item of the top-level array, or of the array `member` of a
    top-level object. Raises Stop for malformed JSON (in words, with the record number it
    happened in or after), a top level that is neither an array nor an object, a record nested
    deeper than MAX_DEPTH or holding more than MAX_RECORD_EVENTS values, or more than MAX_ROWS
    records."""
    number = 0
    with open_utf8(opener) as stream:
        try:
            events = ijson.parse(_DepthGuard(stream), buf_size=_READ_BYTES)
            first = next(events, None)
            if first is None:
                raise Stop(Problem("The file is empty."))
            if first[1] == "start_array":
                top.array = True
                prefix, record_depth = "item", 2
            elif first[1] == "start_map":
                prefix, record_depth = f"{member}.item", 3
            else:
                raise Stop(Problem("The file holds a single JSON value, not a list of records."))
            tapped = _tapped(itertools.chain([first], events), top, record_depth)
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
        except _TooDeep:
            where = f"after record {number}" if number else "before the first record"
            raise Stop(
                Problem(
                    f"The file nests deeper than {MAX_DEPTH} levels ({where}): this is not an "
                    f"export read here.",
                    number or None,
                )
            ) from None
        except _TooLarge:
            raise Stop(
                Problem(
                    f"Record {number + 1} holds more than {MAX_RECORD_EVENTS:,} values: this is "
                    f"not an export read here.",
                    number + 1,
                )
            ) from None
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
