"""The CSV reader under every importer of CSV files, on bytes alone (no database)."""

from __future__ import annotations

import csv
import io

import pytest

from workitems.importers import csvfile
from workitems.importers.problems import Stop
from workitems.importers.rows import Problem

# Quote-free lines, quoted cells, a record over two lines, blank and whitespace-only lines,
# a quote inside an unquoted cell, a quote followed by more text, no line end at the end.
MIXED = (
    "id;state;title\r\n"
    "A;Doing;plain\r\n"
    '"B";"Done";"with; a delimiter"\r\n'
    "\r\n"
    'C;Doing;"two\r\nlines"\r\n'
    "   \r\n"
    'D;Doing;5" monitor\r\n'
    'E;Doing;"closed"then more\r\n'
    "F;Doing;last"
)


def records(data: bytes) -> list[csvfile.Record]:
    return list(csvfile.read(lambda: io.BytesIO(data)))


@pytest.mark.parametrize("chunk_chars", [1, 2, 5, 16, 64, 8192])
def test_records_and_their_lines_are_csv_readers_at_any_chunk_size(
    monkeypatch: pytest.MonkeyPatch, chunk_chars: int
) -> None:
    monkeypatch.setattr(csvfile, "_CHUNK_CHARS", chunk_chars)
    assert records(MIXED.encode()) == [
        (1, ["id", "state", "title"]),
        (2, ["A", "Doing", "plain"]),
        (3, ["B", "Done", "with; a delimiter"]),
        (5, ["C", "Doing", "two\r\nlines"]),
        (8, ["D", "Doing", '5" monitor']),
        (9, ["E", "Doing", "closedthen more"]),
        (10, ["F", "Doing", "last"]),
    ]
    lenient = [cells for cells in csv.reader(io.StringIO(MIXED, newline=""), delimiter=";")]
    assert [cells for _, cells in records(MIXED.encode())] == [
        cells for cells in lenient if any(cell.strip() for cell in cells)
    ]


@pytest.mark.parametrize("chunk_chars", [1, 3, 8192])
def test_an_invalid_byte_after_a_record_over_lines_names_its_line(
    monkeypatch: pytest.MonkeyPatch, chunk_chars: int
) -> None:
    monkeypatch.setattr(csvfile, "_CHUNK_CHARS", chunk_chars)
    data = b'id,title\nA,"one\ntwo"\nB,ok\nC,caf\xe9\nD,never read\n'
    seen: list[csvfile.Record] = []
    with pytest.raises(Stop) as stop:
        seen.extend(csvfile.read(lambda: io.BytesIO(data)))
    assert seen == [(1, ["id", "title"]), (2, ["A", "one\ntwo"]), (4, ["B", "ok"])]
    assert stop.value.problem == Problem(
        "The file is not UTF-8 text here (an invalid byte on this line); save it as CSV "
        "UTF-8 and import it again.",
        5,
    )


def test_old_mac_line_ends_and_a_line_end_split_between_reads_count_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csvfile, "_CHUNK_CHARS", 4)
    data = b"id,n\rA,1\r\nB,2\rC,3\r\n\r\nD,4\n"
    assert records(data) == [
        (1, ["id", "n"]),
        (2, ["A", "1"]),
        (3, ["B", "2"]),
        (4, ["C", "3"]),
        (6, ["D", "4"]),
    ]
