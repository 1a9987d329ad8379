"""A streaming CSV reader for uploads: UTF-8 with or without a BOM (or UTF-16 with a BOM),
any line ending, quoted cells over several lines, `,` `;` or tab as the delimiter (whichever
the header line uses most), and the physical line each record starts on, for messages.

It reads a line (or, for a line longer than MAX_LINE_CHARS, a piece of it) at a time, so its
memory is bounded whatever the file holds; a longer field, a longer line, invalid text or more
than MAX_ROWS records end the reading with a Stop naming the line.

`csv.field_size_limit` is process-global: importing this module sets it to MAX_FIELD_CHARS
for every csv reader of the process. Nothing else in Flowmap reads CSV with larger fields;
a module that needs another limit must set it around its own reading.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from typing import IO

from workitems.importers.problems import Stop
from workitems.importers.rows import MAX_FIELD_CHARS, MAX_ROWS, Opener, Problem
from workitems.importers.source import INVALID, open_text

csv.field_size_limit(MAX_FIELD_CHARS)

# A physical line is read in pieces of at most this many characters: a quoted cell may span
# pieces (the csv module joins them), an unquoted record may not (reported as too long).
MAX_LINE_CHARS = 8 * MAX_FIELD_CHARS
DELIMITERS = (",", ";", "\t")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

Record = tuple[int, list[str]]  # the line the record starts on, its cells


def normalise(name: str) -> str:
    """A header name as aliases compare: lower case, letters and digits only
    (`workItemId`, `Work Item ID` and `work_item_id` are all `workitemid`)."""
    return _NOT_ALNUM.sub("", name.lower())


def sniff_delimiter(line: str) -> str:
    """The delimiter a header line uses most (`,` when none)."""
    counts = [(line.count(delimiter), -index) for index, delimiter in enumerate(DELIMITERS)]
    best = max(counts)
    return DELIMITERS[-best[1]] if best[0] else ","


class _Lines:
    """Pieces of physical lines for csv.reader, numbering lines and checking their text."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._back: str | None = None
        self.line = 0  # the line of the piece last returned
        self.next_line = 1  # the line of the next piece
        self.cut = False  # the piece last returned was not a whole line

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._back is not None:
            piece, self._back = self._back, None
            return piece
        piece = self._text.readline(MAX_LINE_CHARS)
        if not piece:
            raise StopIteration
        self.line = self.next_line
        if piece[-1] in "\r\n":
            self.next_line += 1
            self.cut = False
        else:
            self.cut = len(piece) >= MAX_LINE_CHARS
        if INVALID in piece:
            raise Stop(
                Problem(
                    "The file is not UTF-8 text here (an invalid byte on this line); save it "
                    "as CSV UTF-8 and import it again.",
                    self.line,
                )
            )
        return piece

    def push_back(self, piece: str) -> None:
        self._back = piece


def read(opener: Opener) -> Iterator[Record]:
    """Every non-blank record of the file, the header first, each with the line it starts
    on. Raises Stop (with the line) on invalid text, a field over MAX_FIELD_CHARS, a line
    over MAX_LINE_CHARS that is not inside a quoted cell, or more than MAX_ROWS records
    after the header; a record shorter than the header is not padded here."""
    with open_text(opener) as text:
        lines = _Lines(text)
        first = next((piece for piece in lines if piece.strip()), None)
        if first is None:
            return
        lines.push_back(first)
        reader = csv.reader(lines, delimiter=sniff_delimiter(first))
        start = lines.line
        count = -1  # the header is not a row
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field limit" in str(error):
                    raise Stop(
                        Problem(
                            f"A cell is longer than {MAX_FIELD_CHARS:,} characters, the limit "
                            f"(or a quote opened in this record is never closed).",
                            start,
                        )
                    ) from None
                raise Stop(Problem(f"The CSV cannot be read here: {error}.", start)) from None
            if lines.cut:
                raise Stop(
                    Problem(
                        f"The line is longer than {MAX_LINE_CHARS:,} characters; is this a "
                        f"CSV file?",
                        start,
                    )
                )
            if cells and any(cell.strip() for cell in cells):
                count += 1
                if count > MAX_ROWS:
                    raise Stop(
                        Problem(
                            f"The file has more than {MAX_ROWS:,} rows, the limit; export a "
                            f"shorter period or fewer items.",
                            start,
                        )
                    )
                yield start, cells
            start = lines.next_line


def column_of(header: Sequence[str], aliases: Sequence[str]) -> int | None:
    """The column whose normalised name comes first in `aliases` (the first such column
    when several share it), or None."""
    names = [normalise(name) for name in header]
    for alias in aliases:
        if alias in names:
            return names.index(alias)
    return None


def columns_of(header: Sequence[str], aliases: Sequence[str]) -> list[int]:
    """Every column whose normalised name is one of `aliases`, in file order (a repeated
    `Labels` column)."""
    wanted = set(aliases)
    return [index for index, name in enumerate(header) if normalise(name) in wanted]


def cell(cells: Sequence[str], index: int | None) -> str:
    """The cell at `index`, or "" when the column is absent or the record is short."""
    if index is None or index >= len(cells):
        return ""
    return cells[index]
