"""The long CSV importer, on bytes alone (no database)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workitems.importers import csvfile, long_csv
from workitems.importers.rows import (
    TITLE_CHARS,
    ItemRow,
    Problem,
    Row,
    StateRow,
    TransitionRow,
)

FILES = Path(__file__).parent / "files"


def rows_of(data: bytes) -> list[Row]:
    return list(long_csv.parse(lambda: io.BytesIO(data)))


def file_rows(name: str) -> list[Row]:
    return rows_of((FILES / name).read_bytes())


def errors(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and row.fatal]


def warnings(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and not row.fatal]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_vsm_workshop_file_yields_each_items_transitions_in_time_order() -> None:
    rows = file_rows("long_vsm_workshop.csv")  # BOM, CRLF, workItemId/stage/enteredAt
    assert [row for row in rows if not isinstance(row, Problem)] == [
        ItemRow("WI-101", line=2),
        TransitionRow("WI-101", "Backlog", at(2024, 3, 1, 9, 0), 2),
        TransitionRow("WI-101", "Development", at(2024, 3, 4, 10, 30), 4),
        TransitionRow("WI-101", "Review", at(2024, 3, 8, 16, 45), 6),
        TransitionRow("WI-101", "Development", at(2024, 3, 8, 16, 45), 7),
        TransitionRow("WI-101", "Done", at(2024, 3, 11, 12, 0), 8),
        ItemRow("WI-102", line=3),
        TransitionRow("WI-102", "Backlog", at(2024, 3, 2, 11, 15), 3),
        TransitionRow("WI-102", "Development", at(2024, 3, 5, 8, 0), 5),
        StateRow("Backlog"),
        StateRow("Development"),
        StateRow("Review"),
        StateRow("Done"),
    ]


def test_exited_at_column_is_ignored_with_one_warning() -> None:
    rows = file_rows("long_vsm_workshop.csv")
    assert warnings(rows) == [
        Problem(
            'The column "exitedAt" is ignored: an item leaves a state when it enters the next one.',
            1,
            fatal=False,
        )
    ]


def test_full_file_merges_attributes_last_non_empty_value_wins() -> None:
    rows = file_rows("long_full.csv")
    items = [row for row in rows if isinstance(row, ItemRow)]
    assert items == [
        ItemRow(
            "PAY-7",
            line=2,
            title="Refund flow: partial refunds (v2)",
            url="https://tracker.example.com/PAY-7",
            tracker_type="Story",
            tags=("payments", "ui"),
            created=at(2024, 4, 1),
        ),
        ItemRow(
            "PAY-8",
            line=5,
            title='=HYPERLINK("http://evil.example","click")',
            url="",
            tracker_type="Bug",
            tags=("Risk", "security"),
            created=at(2024, 4, 2, 8, 0),
        ),
    ]


def test_full_file_transitions_are_sorted_per_item_with_offsets_and_fractions_in_utc() -> None:
    rows = file_rows("long_full.csv")
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("PAY-7", "To Do", at(2024, 4, 1), 4),
        TransitionRow("PAY-7", "In Progress", at(2024, 4, 3, 12, 5), 2),
        TransitionRow("PAY-7", "Done", datetime(2024, 4, 9, 17, 30, 0, 123456, tzinfo=UTC), 6),
        # Same instant: file order is history order.
        TransitionRow("PAY-8", "To Do", at(2024, 4, 2, 8, 0), 5),
        TransitionRow("PAY-8", "In Progress", at(2024, 4, 2, 8, 0), 7),
    ]


def test_javascript_url_is_dropped_with_a_warning_and_formula_kept_as_text() -> None:
    rows = file_rows("long_full.csv")
    assert warnings(rows) == [
        Problem(
            "1 link that was not http(s) (or longer than 2000 characters) was dropped.",
            5,
            fatal=False,
        )
    ]
    assert not errors(rows)


def test_header_aliases_match_case_and_punctuation_insensitively() -> None:
    rows = rows_of(b"Item ID;STATUS;Entered At;Labels\nA;Doing;2024-01-02;x;y\n")
    assert rows[:2] == [
        ItemRow("A", line=2, tags=("x",)),
        TransitionRow("A", "Doing", at(2024, 1, 2), 2),
    ]


def test_tags_split_on_pipes_and_semicolons_and_repeat_once() -> None:
    rows = rows_of(b'id,state,date,tags\nA,Doing,2024-01-02,"risk | ui;risk;; debt"\n')
    assert rows[0] == ItemRow("A", line=2, tags=("risk", "ui", "debt"))


def test_missing_state_and_entered_at_columns_is_an_error_naming_the_header() -> None:
    rows = rows_of(b"item_id,title\nA,x\n")
    assert rows == [
        Problem(
            "The header has no state and no entered_at column: a long CSV needs item_id, "
            "state and entered_at (or stage and enteredAt). The header is: item_id, title.",
            1,
        )
    ]


def test_missing_id_column_is_an_error() -> None:
    (problem,) = rows_of(b"what,state,entered_at\nA,Doing,2024-01-01\n")
    assert problem.fatal and problem.message.startswith("The header has no item id column")


def test_empty_file_is_an_error() -> None:
    assert rows_of(b"") == [Problem("The file is empty: it has no header row.")]


def test_garbage_date_names_line_column_and_value_quoted_and_cut() -> None:
    rows = rows_of(
        b'id,state,entered_at\nA,Doing,2024-01-02\nB,Doing,"next tuesday after the big release, '
        b'probably"\n'
    )
    assert rows == [
        Problem(
            'Column "entered_at": "next tuesday after the big release, prob…" is not a date '
            "(expected ISO 8601 such as 2024-04-03 or 2024-04-03T14:05:00Z).",
            3,
        )
    ]


def test_impossible_date_is_an_error() -> None:
    (problem,) = rows_of(b"id,state,entered_at\nA,Doing,2024-02-30\n")
    assert problem.fatal and problem.line == 2
    assert '"2024-02-30" is not a valid date' in problem.message


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00"])
def test_a_time_beyond_the_years_1_to_9999_in_utc_is_an_error_not_a_crash(text: str) -> None:
    (problem,) = rows_of(f"id,state,entered_at\nA,Doing,{text}\n".encode())
    assert problem.fatal and problem.line == 2
    assert "outside the years 1 to 9999" in problem.message


def test_empty_id_and_empty_state_are_errors_with_their_lines() -> None:
    rows = rows_of(b"id,state,entered_at\n ,Doing,2024-01-02\nA,,2024-01-02\nB,Doing,\n")
    assert rows == [
        Problem("The item id is empty.", 2),
        Problem("The state is empty.", 3),
        Problem('The "entered_at" date is empty.', 4),
    ]


def test_after_an_error_no_rows_are_yielded_only_problems() -> None:
    rows = rows_of(b"id,state,entered_at\nA,Doing,2024-01-02\nB,Doing,soon\nC,Done,2024-01-03\n")
    assert all(isinstance(row, Problem) for row in rows)


def test_ten_megabyte_quoted_title_is_a_clear_error_with_its_line() -> None:
    title = b"x" * (10 * 1024 * 1024)
    data = (
        b'id,state,entered_at,title\nA,Doing,2024-01-02,ok\nB,Doing,2024-01-02,"' + title + b'"\n'
    )
    assert rows_of(data) == [
        Problem(
            "A cell is longer than 131,072 characters, the limit (or a quote opened in this "
            "record is never closed).",
            3,
        )
    ]


def test_ten_megabyte_unquoted_line_is_a_clear_error_with_its_line() -> None:
    data = b"id,state,entered_at,title\nA,Doing,2024-01-02," + b"y" * (10 * 1024 * 1024) + b"\n"
    (problem,) = rows_of(data)
    assert problem.fatal and problem.line == 2
    assert "longer than 131,072 characters" in problem.message


def test_long_line_of_many_short_cells_is_an_error() -> None:
    cells = b",".join([b"abc"] * 400_000)
    (problem,) = rows_of(b"id,state,entered_at\nA,Doing,2024-01-02," + cells + b"\n")
    assert problem == Problem(
        "The line is longer than 1,048,576 characters; is this a CSV file?", 2
    )


def test_quoted_cells_may_span_lines_and_keep_counting_physical_lines() -> None:
    data = b'id,state,entered_at,title\r\nA,Doing,2024-01-02,"one\r\ntwo\r\nthree"\r\nB,Doing,x\r\n'
    assert rows_of(data)[0] == Problem(
        'Column "entered_at": "x" is not a date (expected ISO 8601 such as 2024-04-03 or '
        "2024-04-03T14:05:00Z).",
        5,
    )


def test_titles_longer_than_the_limit_are_cut_with_one_warning_counting_them() -> None:
    long_title = "t" * (TITLE_CHARS + 20)
    data = (
        "id,state,entered_at,title\n"
        f"A,Doing,2024-01-02,{long_title}\n"
        f"B,Doing,2024-01-02,{long_title}\n"
        "C,Doing,2024-01-02,short\n"
    ).encode()
    rows = rows_of(data)
    assert warnings(rows) == [
        Problem(f"2 titles longer than {TITLE_CHARS} characters were cut to 500.", 2, False)
    ]
    assert [row.title for row in rows if isinstance(row, ItemRow)] == [
        "t" * TITLE_CHARS,
        "t" * TITLE_CHARS,
        "short",
    ]


def test_ambiguous_day_month_column_is_an_error_with_advice() -> None:
    rows = rows_of(b"id,state,entered_at\nA,Doing,03/04/2024\nB,Done,05/06/2024 10:00\n")
    assert rows == [
        Problem(
            'Column "entered_at": "03/04/2024": dates like 03/04/2024 could be 3 April or 4 '
            "March; export ISO 8601 (2024-04-03).",
            2,
        )
    ]


def test_day_first_column_is_settled_by_a_later_cell_over_12() -> None:
    rows = rows_of(b"id,state,entered_at\nA,Doing,03/04/2024\nA,Done,25.04.2024 14:05\n")
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("A", "Doing", at(2024, 4, 3), 2),
        TransitionRow("A", "Done", at(2024, 4, 25, 14, 5), 3),
    ]


def test_month_first_us_dates_with_am_pm_are_settled_by_a_cell_over_12() -> None:
    rows = rows_of(
        b"id,state,entered_at\nA,Active,4/2/2024 9:30:00 AM\nA,Closed,4/15/2024 12:05:00 AM\n"
    )
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("A", "Active", at(2024, 4, 2, 9, 30), 2),
        TransitionRow("A", "Closed", at(2024, 4, 15, 0, 5), 3),
    ]


def test_a_column_mixing_day_first_and_month_first_is_an_error() -> None:
    (problem,) = rows_of(b"id,state,entered_at\nA,Doing,13/04/2024\nB,Doing,04/13/2024\n")
    assert problem.fatal and problem.line == 3
    assert problem.message.startswith("The dates mix day-first (line 2")


def test_invalid_utf8_names_its_line() -> None:
    data = b"id,state,entered_at,title\nA,Doing,2024-01-02,ok\nB,Doing,2024-01-02,caf\xe9\n"
    assert rows_of(data) == [
        Problem(
            "The file is not UTF-8 text here (an invalid byte on this line); save it as CSV "
            "UTF-8 and import it again.",
            3,
        )
    ]


def test_binary_garbage_is_a_problem_not_a_crash() -> None:
    garbage = bytes(range(256)) * 64
    rows = rows_of(garbage)
    assert rows and all(isinstance(row, Problem) and row.fatal for row in rows)


def test_utf16_with_bom_is_read() -> None:
    data = "id,state,entered_at,title\r\nA,Doing,2024-01-02,Café\r\n".encode("utf-16")
    assert rows_of(data)[:2] == [
        ItemRow("A", line=2, title="Café"),
        TransitionRow("A", "Doing", at(2024, 1, 2), 2),
    ]


def test_more_rows_than_the_limit_stops_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_ROWS", 3)
    data = b"id,state,entered_at\n" + b"A,Doing,2024-01-02\n" * 10
    assert rows_of(data) == [
        Problem(
            "The file has more than 3 rows, the limit; export a shorter period or fewer items.",
            5,
        )
    ]


def test_reading_stops_after_fifty_errors() -> None:
    data = b"id,state,entered_at\n" + b"A,Doing,never\n" * 500
    rows = rows_of(data)
    assert len(rows) == 50 and all(row.fatal for row in errors(rows))


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ],
)
def test_a_time_state_rebuilds_its_datetime_and_sorts_as_it_does(value: datetime) -> None:
    state = long_csv.time_state(value)
    assert len(state) == 10 and datetime(state, UTC) == value  # type: ignore[call-overload]
    for other in (datetime(1970, 1, 1, tzinfo=UTC), datetime(2024, 2, 29, 12, tzinfo=UTC)):
        assert (state < long_csv.time_state(other)) == (value < other)
        assert (state == long_csv.time_state(other)) == (value == other)


def test_naive_and_offset_times_are_held_as_utc() -> None:
    rows = rows_of(
        b"id,state,entered_at\n"
        b"A,Doing,2024-01-02T10:00:00+01:00\nA,Done,2024-01-02 10:00\nA,Gone,2024-01-02\n"
    )
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("A", "Gone", at(2024, 1, 2), 4),
        TransitionRow("A", "Doing", at(2024, 1, 2, 9), 2),
        TransitionRow("A", "Done", at(2024, 1, 2, 10), 3),
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("20240102", '"20240102" is not a date'),
        ("2024-W10-2", '"2024-W10-2" is not an ISO 8601 date'),
        ("2024-01-02X10:00", '"2024-01-02X10:00" is not an ISO 8601 date'),
        ("2024-02-30T10:00", '"2024-02-30T10:00" is not a valid date'),
    ],
)
def test_shapes_fromisoformat_reads_but_iso_8601_here_does_not_are_errors(
    cell: str, message: str
) -> None:
    (problem,) = rows_of(f"id,state,entered_at\nA,Doing,{cell}\n".encode())
    assert problem.fatal and problem.line == 2
    assert problem.message.startswith(f'Column "entered_at": {message}')


def test_an_export_in_time_order_yields_each_items_rows_together() -> None:
    rows = rows_of(
        b"id,state,entered_at\nA,Doing,2024-01-01\nB,Doing,2024-01-02\nA,Done,2024-01-03\n"
        b"C,Doing,2024-01-03\nB,Done,2024-01-04\n"
    )
    assert [row for row in rows if not isinstance(row, StateRow)] == [
        ItemRow("A", line=2),
        TransitionRow("A", "Doing", at(2024, 1, 1), 2),
        TransitionRow("A", "Done", at(2024, 1, 3), 4),
        ItemRow("B", line=3),
        TransitionRow("B", "Doing", at(2024, 1, 2), 3),
        TransitionRow("B", "Done", at(2024, 1, 4), 6),
        ItemRow("C", line=5),
        TransitionRow("C", "Doing", at(2024, 1, 3), 5),
    ]


def test_an_items_rows_together_but_out_of_time_order_are_sorted_file_order_first() -> None:
    rows = rows_of(
        b"id,state,entered_at\nA,Done,2024-01-03\nA,Doing,2024-01-01\nA,Review,2024-01-03\n"
        b"B,Doing,2024-01-01\n"
    )
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("A", "Doing", at(2024, 1, 1), 3),
        TransitionRow("A", "Done", at(2024, 1, 3), 2),
        TransitionRow("A", "Review", at(2024, 1, 3), 4),
        TransitionRow("B", "Doing", at(2024, 1, 1), 5),
    ]


def test_rows_built_through_slots_equal_the_constructors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = file_rows("long_full.csv") + file_rows("long_vsm_workshop.csv")
    monkeypatch.setattr(long_csv, "_item_row", ItemRow)
    monkeypatch.setattr(long_csv, "_TRANSITION_SETTERS", [])
    plain = file_rows("long_full.csv") + file_rows("long_vsm_workshop.csv")
    assert fast == plain and any(isinstance(row, TransitionRow) for row in fast)


@pytest.mark.parametrize("chunk_chars", [1, 7, 64, 8192])
def test_lines_are_physical_lines_whatever_the_reading_chunks(
    monkeypatch: pytest.MonkeyPatch, chunk_chars: int
) -> None:
    monkeypatch.setattr(csvfile, "_CHUNK_CHARS", chunk_chars)
    data = (
        b"id,state,entered_at,title\r\n"
        b"A,Doing,2024-01-01,plain\r\n"
        b'B,Doing,2024-01-02,"quoted, with a comma"\r\n'
        b"\r\n"
        b'C,Doing,2024-01-03,"two\r\nlines"\r\n'
        b"D,Doing,2024-01-04,\r\n"
        b'E,Doing,2024-01-05,"x ""y"""\r\n'
        b"F,Doing,2024-01-06,last"
    )
    rows = rows_of(data)
    assert [(row.external_id, row.line) for row in rows if isinstance(row, TransitionRow)] == [
        ("A", 2),
        ("B", 3),
        ("C", 5),
        ("D", 7),
        ("E", 8),
        ("F", 9),
    ]
    assert [row.title for row in rows if isinstance(row, ItemRow)] == [
        "plain",
        "quoted, with a comma",
        "two\nlines",
        "",
        'x "y"',
        "last",
    ]
