"""A streaming CSV reader for uploads: UTF-8 with or without a BOM (or UTF-16 with a BOM),
any line ending, quoted cells over several lines, `,` `;` or tab as the delimiter (whichever
the header line uses most), and the physical line each record starts on, for messages.

It reads a chunk of lines (or, for a line longer than MAX_LINE_CHARS, a piece of it) at a
time, so its memory is bounded whatever the file holds; a longer field, a longer line, invalid
text or more than MAX_ROWS records end the reading with a Stop naming the line. `read` yields
the records one by one; a parser whose speed matters takes them a batch at a time from
`Records` (which leaves the blank records and the MAX_ROWS count to it).

`csv.field_size_limit` is process-global: importing this module sets it to MAX_FIELD_CHARS
for every csv reader of the process. Nothing else in Flowmap reads CSV with larger fields;
a module that needs another limit must set it around its own reading.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from itertools import repeat
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
_CHUNK_CHARS = 8 * 1024  # text read at a time (a batch of records stays in the CPU cache)
_BATCH_RECORDS = 4096  # at most, read one by one before they are handed on

Record = tuple[int, list[str]]  # the line the record starts on, its cells
Batch = tuple[Sequence[int], list[list[str]]]  # the lines records start on, their cells


def normalise(name: str) -> str:
    """A header name as aliases compare: lower case, letters and digits only
    (`workItemId`, `Work Item ID` and `work_item_id` are all `workitemid`)."""
    return _NOT_ALNUM.sub("", name.lower())


def sniff_delimiter(line: str) -> str:
    """The delimiter a header line uses most (`,` when none)."""
    counts = [(line.count(delimiter), -index) for index, delimiter in enumerate(DELIMITERS)]
    best = max(counts)
    return DELIMITERS[-best[1]] if best[0] else ","


def _invalid(line: int) -> Stop:
    return Stop(
        Problem(
            "The file is not UTF-8 text here (an invalid byte on this line); save it as CSV "
            "UTF-8 and import it again.",
            line,
        )
    )


class _Chunks:
    """The text in chunks that end where a line ends, and their pieces: the physical lines
    (with their line ends, as `newline=""` reads them) as csv.reader takes them, a line
    longer than MAX_LINE_CHARS in pieces of that many characters (as `readline` with that
    limit gives them). Pieces are numbered from 1 in the order they are counted; those that
    cut a line (end no line) are in `cut`."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self.count = 0  # pieces counted
        self.cut: list[int] = []

    def line_of(self, piece: int) -> int:
        """The physical line that piece number `piece` is on."""
        return piece - bisect_left(self.cut, piece)

    def __iter__(self) -> Iterator[str]:
        read = self._text.read
        pending = ""  # a line whose end is not read yet, or one ending in "\r" ("\n" may follow)
        while chunk := read(max(_CHUNK_CHARS, len(pending))):
            if pending:
                chunk = pending + chunk
            end = chunk.rfind("\n") + 1
            end = max(end, chunk.rfind("\r", end, len(chunk) - 1) + 1)
            chunk, pending = chunk[:end], chunk[end:]
            if chunk:
                yield chunk
            while len(pending) >= MAX_LINE_CHARS:  # a piece of a long line
                yield pending[:MAX_LINE_CHARS]
                pending = pending[MAX_LINE_CHARS:]
        if pending:
            yield pending

    def pieces(self, chunk: str) -> list[str]:
        """The pieces of a chunk, counted."""
        pieces = io.StringIO(chunk, newline="").readlines()
        if len(chunk) >= MAX_LINE_CHARS:
            pieces = [
                line[begin : begin + MAX_LINE_CHARS]
                for line in pieces
                for begin in range(0, len(line), MAX_LINE_CHARS)
            ]
            for number, piece in enumerate(pieces, start=self.count + 1):
                if len(piece) >= MAX_LINE_CHARS and piece[-1] not in "\r\n":
                    self.cut.append(number)
        self.count += len(pieces)
        return pieces

    def lines(self, chunk: str) -> list[str]:
        """The lines of a chunk without their ends, counted as its pieces (for a chunk with
        no line longer than MAX_LINE_CHARS)."""
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        lines = chunk.split("\n")
        if not lines[-1]:
            lines.pop()  # after the chunk's last line end
        self.count += len(lines)
        return lines


class Records:
    """The records of an upload's text, a batch at a time, with the physical line each
    starts on: `header()`, then `batches()`. Blank records (no cell but spaces) are in the
    batches, and no MAX_ROWS count is kept: the caller skips the blank ones and counts the
    rest (as `read` does). Every other check is made here, in order: an error raised while
    reading a batch comes after the records before it.

    How a chunk's records are read, the fastest way that gives what csv.reader gives: a
    chunk without a quote is split at its line ends and delimiters; one with quotes goes
    through a strict csv.reader (which reads a record as the lenient one does, or refuses
    it); otherwise (a record over several lines, invalid text, a too-long line or cell) the
    lenient csv.reader reads it record by record, counting lines as it goes.
    """

    def __init__(self, text: IO[str]) -> None:
        self._chunks = _Chunks(text)
        self._chunk_iterator = iter(self._chunks)
        self.delimiter = ","
        self._queue: deque[str] = deque()  # pieces for the lenient reader
        self._next_piece = 1  # the number of the queue's first piece
        self._base = 0  # the number of the piece before the lenient reader's first
        self._reader = csv.reader(())  # till the delimiter is known
        self._rest: Batch = ((), [])
        self._batches = self._read()

    def header(self) -> Record | None:
        """The first non-blank record, or None (the file has none)."""
        for lines, batch in self._batches:
            for index, cells in enumerate(batch):
                if cells and any(cell.strip() for cell in cells):
                    self._rest = (lines[index + 1 :], batch[index + 1 :])
                    return lines[index], cells
        return None

    def batches(self) -> Iterator[Batch]:
        """The records after the header."""
        if self._rest[1]:
            yield self._rest
        yield from self._batches

    def _read(self) -> Iterator[Batch]:
        chunks = self._chunks
        for chunk in self._chunk_iterator:  # pieces before the first non-blank one are skipped
            pieces = chunks.pieces(chunk)
            for index, piece in enumerate(pieces):
                if INVALID in piece:
                    raise _invalid(chunks.line_of(chunks.count - len(pieces) + index + 1))
                if piece.strip():
                    self.delimiter = sniff_delimiter(piece)
                    self._reader = csv.reader(self._source(), delimiter=self.delimiter)
                    self._queue.extend(pieces[index:])
                    self._next_piece = chunks.count - len(pieces) + index + 1
                    self._base = self._next_piece - 1
                    break
            else:
                continue
            break
        else:
            return
        yield from self._lenient()
        delimiter = self.delimiter
        for chunk in self._chunk_iterator:
            first = chunks.count + 1
            whole = INVALID not in chunk and len(chunk) < MAX_FIELD_CHARS
            if whole and '"' not in chunk:
                lines = chunks.lines(chunk)
                start = chunks.line_of(first)
                batch = list(map(str.split, lines, repeat(delimiter)))
                yield range(start, start + len(batch)), batch
                continue
            pieces = chunks.pieces(chunk)
            if whole:
                try:
                    batch = list(csv.reader(pieces, delimiter=delimiter, strict=True))
                except csv.Error:
                    batch = []
                if len(batch) == len(pieces):  # a record a line
                    start = chunks.line_of(first)
                    yield range(start, start + len(batch)), batch
                    continue
            self._queue.extend(pieces)
            self._next_piece = first
            self._base = first - 1 - self._reader.line_num
            yield from self._lenient()

    def _source(self) -> Iterator[str]:
        """The lenient reader's pieces: the queue's, then (inside a record) the next chunks'."""
        queue = self._queue
        while True:
            while queue:
                piece = queue.popleft()
                if INVALID in piece:
                    raise _invalid(self._chunks.line_of(self._next_piece))
                self._next_piece += 1
                yield piece
            chunk = next(self._chunk_iterator, None)
            if chunk is None:
                return
            queue.extend(self._chunks.pieces(chunk))

    def _lenient(self) -> Iterator[Batch]:
        """The records of the queued pieces, read one by one, till the reader has taken them
        all at the end of a record (or the file ends)."""
        reader = self._reader
        queue = self._queue
        while True:
            lines: list[int] = []
            batch: list[list[str]] = []
            line = start = self._chunks.line_of(self._base + reader.line_num + 1)
            try:
                for cells in reader:
                    line = start
                    start = self._after(reader.line_num, line)
                    lines.append(line)
                    batch.append(cells)
                    if not queue or len(batch) >= _BATCH_RECORDS:
                        break
                else:
                    queue.clear()  # the end of the file
            except csv.Error as error:
                stop: Stop | None = unreadable(error, start)
            except Stop as error:
                stop = error
            else:
                stop = None
            if batch:
                yield lines, batch
            if stop is not None:
                raise stop
            if not queue:
                return

    def _after(self, line_num: int, line: int) -> int:
        """The line after a record that started on `line` and ended on the lenient reader's
        `line_num`-th piece. Raises Stop if that piece cuts a too-long line."""
        piece = self._base + line_num
        cut = self._chunks.cut
        before = bisect_right(cut, piece)
        if before and cut[before - 1] == piece:
            raise Stop(
                Problem(
                    f"The line is longer than {MAX_LINE_CHARS:,} characters; is this a CSV file?",
                    line,
                )
            )
        return piece + 1 - before


def unreadable(error: csv.Error, line: int) -> Stop:
    """The Stop for a csv.Error met reading the record that starts on `line`."""
    if "field limit" in str(error):
        return Stop(
            Problem(
                f"A cell is longer than {MAX_FIELD_CHARS:,} characters, the limit "
                f"(or a quote opened in this record is never closed).",
                line,
            )
        )
    return Stop(Problem(f"The CSV cannot be read here: {error}.", line))


def too_many_rows(line: int) -> Stop:
    """The Stop for the record after the MAX_ROWS-th (which starts on `line`)."""
    return Stop(
        Problem(
            f"The file has more than {MAX_ROWS:,} rows, the limit; export a shorter period "
            f"or fewer items.",
            line,
        )
    )


def read(opener: Opener) -> Generator[Record, None, None]:
    """Every non-blank record of the file, the header first, each with the line it starts
    on. Raises Stop (with the line) on invalid text, a field over MAX_FIELD_CHARS, a line
    over MAX_LINE_CHARS that is not inside a quoted cell, or more than MAX_ROWS records
    after the header; a record shorter than the header is not padded here."""
    with open_text(opener) as text:
        records = Records(text)
        header = records.header()
        if header is None:
            return
        yield header
        count = 0
        for lines, batch in records.batches():
            for line, cells in zip(lines, batch, strict=True):
                if cells and any(cell.strip() for cell in cells):
                    count += 1
                    if count > MAX_ROWS:
                        raise too_many_rows(line)
                    yield line, cells


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
