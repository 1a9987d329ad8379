"""The wide CSV importer (ActionableAgile, jira-agile-metrics), on bytes alone."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from workitems.importers import wide_csv
from workitems.importers.rows import ItemRow, Problem, Row, StateRow, TransitionRow

FILES = Path(__file__).parent / "files"


def rows_of(data: bytes) -> list[Row]:
    return list(wide_csv.parse(lambda: io.BytesIO(data)))


def file_rows(name: str) -> list[Row]:
    return rows_of((FILES / name).read_bytes())


def errors(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and row.fatal]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_cycle_data_file_gives_ordered_stages_backfills_skips_and_keeps_dates_monotonic() -> None:
    link = "https://jira.example.com/browse/"
    assert file_rows("wide_cycle_data.csv") == [
        StateRow("Backlog", order=0),
        StateRow("Committed", order=1),
        StateRow("Build", order=2),
        StateRow("Test", order=3),
        StateRow("Done", order=4),
        ItemRow("PROJ-1", 2, "Login page", link + "PROJ-1", "Story"),
        TransitionRow("PROJ-1", "Backlog", at(2024, 1, 2), 2),
        TransitionRow("PROJ-1", "Committed", at(2024, 1, 3), 2),
        TransitionRow("PROJ-1", "Build", at(2024, 1, 5), 2),
        TransitionRow("PROJ-1", "Test", at(2024, 1, 9), 2),
        TransitionRow("PROJ-1", "Done", at(2024, 1, 10), 2),
        ItemRow("PROJ-2", 3, "Password reset", link + "PROJ-2", "Bug"),
        TransitionRow("PROJ-2", "Backlog", at(2024, 1, 2), 3),
        # Committed was skipped: the item passed through it when it entered Build.
        TransitionRow("PROJ-2", "Committed", at(2024, 1, 8), 3),
        TransitionRow("PROJ-2", "Build", at(2024, 1, 8), 3),
        ItemRow("PROJ-3", 4, "Audit log", link + "PROJ-3", "Story"),
        Problem(
            '"Build" (2024-01-05) is earlier than "Committed" (2024-01-06), the stage before '
            "it; it is taken as entered at the earlier stage's date.",
            4,
            fatal=False,
        ),
        TransitionRow("PROJ-3", "Backlog", at(2024, 1, 4), 4),
        TransitionRow("PROJ-3", "Committed", at(2024, 1, 6), 4),
        TransitionRow("PROJ-3", "Build", at(2024, 1, 6), 4),
        ItemRow("PROJ-4", 5, "Dark mode", link + "PROJ-4", "Story"),
        Problem('Item "PROJ-4" has no date in any stage column (no history).', 5, fatal=False),
    ]


def test_ado_layout_with_bom_crlf_us_dates_and_multiline_name() -> None:
    rows = file_rows("wide_ado_actionable.csv")
    edit = "https://dev.azure.com/contoso/Fabrikam/_workitems/edit/"
    assert rows == [
        StateRow("New", order=0),
        StateRow("Active", order=1),
        StateRow("Resolved", order=2),
        StateRow("Closed", order=3),
        ItemRow("4211", 2, "Checkout retries", edit + "4211", "User Story"),
        TransitionRow("4211", "New", at(2024, 4, 2, 9, 30), 2),
        TransitionRow("4211", "Active", at(2024, 4, 3, 13, 5), 2),
        TransitionRow("4211", "Resolved", at(2024, 4, 15, 16, 45), 2),
        TransitionRow("4211", "Closed", at(2024, 4, 16, 10, 0), 2),
        ItemRow("4212", 3, "Null reference in\ncart total", edit + "4212", "Bug"),
        TransitionRow("4212", "New", at(2024, 4, 5, 11, 0), 3),
        TransitionRow("4212", "Active", at(2024, 4, 8, 15, 20), 3),
        TransitionRow("4212", "Resolved", at(2024, 4, 8, 15, 20), 3),
    ]


def test_repeated_labels_columns_and_jira_csv_dates() -> None:
    rows = file_rows("wide_labels.csv")
    assert rows == [
        StateRow("To Do", order=0),
        StateRow("In Progress", order=1),
        StateRow("Done", order=2),
        ItemRow(
            "OPS-12",
            2,
            "Rotate TLS certificates",
            tracker_type="Task",
            tags=("security", "infra"),
        ),
        TransitionRow("OPS-12", "To Do", at(2024, 3, 12, 9, 41), 2),
        TransitionRow("OPS-12", "In Progress", at(2024, 3, 13, 14, 0), 2),
        TransitionRow("OPS-12", "Done", at(2024, 3, 14, 10, 15), 2),
        ItemRow("OPS-13", 3, "Upgrade Postgres", tracker_type="Task", tags=("tech-debt",)),
        TransitionRow("OPS-13", "To Do", at(2024, 3, 12, 10, 0), 3),
        TransitionRow("OPS-13", "In Progress", at(2024, 3, 15, 9, 0), 3),
    ]


def test_the_file_is_read_twice_through_fresh_streams() -> None:
    data = (FILES / "wide_cycle_data.csv").read_bytes()
    opened = []

    def opener() -> io.BytesIO:
        opened.append(1)
        return io.BytesIO(data)

    list(wide_csv.parse(opener))
    assert len(opened) == 2


def test_stage_columns_end_at_the_first_column_with_a_non_date_cell() -> None:
    rows = rows_of(
        b"ID,Title,Analysis,Dev,Estimate,Late\n"
        b"A,One,2024-01-02,,3,2024-02-01\n"
        b"B,Two,,2024-01-04,,\n"
    )
    assert [row for row in rows if isinstance(row, StateRow)] == [
        StateRow("Analysis", order=0),
        StateRow("Dev", order=1),
    ]
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("A", "Analysis", at(2024, 1, 2), 2),
        TransitionRow("B", "Analysis", at(2024, 1, 4), 3),
        TransitionRow("B", "Dev", at(2024, 1, 4), 3),
    ]


def test_pipe_separated_tags_column() -> None:
    rows = rows_of(b"ID,Name,Doing,Done,Tags\nA,x,2024-01-02,,risk|ui\n")
    assert rows[2] == ItemRow("A", 2, "x", tags=("risk", "ui"))


def test_no_stage_column_is_an_error_saying_what_follows_name() -> None:
    assert rows_of(b"ID,Name,Owner,Done\nA,x,Mia,2024-01-02\n") == [
        Problem(
            "No stage column: after ID, Link and Name a wide CSV has one column per stage, each "
            'holding the date the item entered it; the column "Owner" holds "Mia" on line 2.',
            1,
        )
    ]


def test_first_column_that_is_not_an_id_is_an_error() -> None:
    (problem,) = rows_of(b"Summary,Backlog,Done\nx,2024-01-02,\n")
    assert problem == Problem(
        'The first column must be the item id (named ID, Key or Issue key); it is "Summary".', 1
    )


def test_ambiguous_day_month_stage_dates_are_an_error() -> None:
    rows = rows_of(b"ID,Name,Todo,Done\nA,x,03/04/2024,05/04/2024\n")
    assert rows == [
        Problem(
            'Column "Todo": "03/04/2024": dates like 03/04/2024 could be 3 April or 4 March; '
            "export ISO 8601 (2024-04-03).",
            2,
        )
    ]


def test_one_stage_column_over_12_settles_day_first_for_all() -> None:
    rows = rows_of(b"ID,Name,Todo,Done\nA,x,03/04/2024,25/04/2024\n")
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("A", "Todo", at(2024, 4, 3), 2),
        TransitionRow("A", "Done", at(2024, 4, 25), 2),
    ]


def test_date_shaped_but_invalid_cell_is_an_error_naming_line_column_and_value() -> None:
    rows = rows_of(b"ID,Name,Todo,Done\nA,x,2024-01-02,\nB,y,2024-01-03,2024-02-30\n")
    assert errors(rows) == [
        Problem(
            'Column "Done": "2024-02-30" is not a valid date (day is out of range for month).',
            3,
        )
    ]
    assert not [row for row in rows if isinstance(row, TransitionRow) and row.external_id == "B"]


def test_repeated_item_row_is_skipped_with_a_warning() -> None:
    rows = rows_of(b"ID,Todo\nA,2024-01-02\nA,2024-01-05\n")
    assert rows == [
        StateRow("Todo", order=0),
        ItemRow("A", 2),
        TransitionRow("A", "Todo", at(2024, 1, 2), 2),
        Problem('Item "A" appeared already on line 2; this row is skipped.', 3, fatal=False),
    ]


def test_empty_id_is_an_error_with_its_line() -> None:
    assert errors(rows_of(b"ID,Todo\nA,2024-01-02\n,2024-01-05\n")) == [
        Problem("The item id is empty.", 3)
    ]


def test_formula_cells_are_kept_as_text() -> None:
    rows = rows_of(b'ID,Name,Todo\n"=1+2","=HYPERLINK(""http://x"",""y"")",2024-01-02\n')
    assert rows[1] == ItemRow("=1+2", 2, '=HYPERLINK("http://x","y")')


def test_ten_megabyte_name_is_a_clear_error_with_its_line() -> None:
    data = b'ID,Name,Todo\nA,ok,2024-01-02\nB,"' + b"n" * (10 * 1024 * 1024) + b'",2024-01-02\n'
    rows = rows_of(data)
    assert errors(rows) == [
        Problem(
            "A cell is longer than 131,072 characters, the limit (or a quote opened in this "
            "record is never closed).",
            3,
        )
    ]


def test_more_stage_columns_than_the_limit_is_an_error() -> None:
    header = "ID," + ",".join(f"S{n}" for n in range(300))
    (problem,) = rows_of(f"{header}\nA,2024-01-02\n".encode())
    assert problem.fatal and problem.line == 1
    assert problem.message.startswith("More than 200 stage columns")
