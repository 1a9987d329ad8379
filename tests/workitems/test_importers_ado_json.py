"""The Azure DevOps Analytics WorkItemRevisions importer, on bytes alone."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from workitems.importers import ado_json
from workitems.importers.rows import ItemRow, Problem, Row, StateRow, TransitionRow
from workitems.models import FlowState
from workitems.rules import flow_state_guess

FILES = Path(__file__).parent / "files"


def rows_of(data: bytes) -> list[Row]:
    return list(ado_json.parse(lambda: io.BytesIO(data)))


def errors(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and row.fatal]


def warnings(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and not row.fatal]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def revision(work_item_id: int, number: int, state: str, changed: str, **more: Any) -> dict:
    return {
        "WorkItemId": work_item_id,
        "Revision": number,
        "WorkItemType": "Bug",
        "State": state,
        "ChangedDate": changed,
        **more,
    }


def test_odata_page_sorts_revisions_and_keeps_only_state_changes() -> None:
    rows = rows_of((FILES / "ado_revisions.json").read_bytes())
    assert [row for row in rows if not isinstance(row, Problem)] == [
        ItemRow(
            "512",
            2,
            "Saved cards for returning customers",
            "",
            "User Story",
            ("Checkout", "Debt"),
            at(2024, 2, 5, 17, 0),
        ),
        TransitionRow("512", "New", at(2024, 2, 5, 17, 0), 2),
        TransitionRow("512", "Active", at(2024, 2, 7, 18, 15), 1),
        TransitionRow("512", "Closed", at(2024, 2, 15, 1, 0), 5),
        ItemRow(
            "513",
            3,
            "Timeout on pay",
            "",
            "Bug",
            ("Risk", "Debt"),
            datetime(2024, 2, 6, 12, 0, 0, 123456, tzinfo=UTC),
        ),
        TransitionRow("513", "New", datetime(2024, 2, 6, 12, 0, 0, 123456, tzinfo=UTC), 3),
        TransitionRow("513", "Removed", datetime(2024, 2, 8, 9, 45, 0, 500000, tzinfo=UTC), 7),
        StateRow("Active", category="InProgress"),
        StateRow("New", category="Proposed"),
        StateRow("Closed", category="Completed"),
        StateRow("Removed", category="Removed"),
    ]


def test_next_link_is_noted_in_a_warning_not_followed() -> None:
    (warning,) = warnings(rows_of((FILES / "ado_revisions.json").read_bytes()))
    assert warning.message.startswith("The file ends with @odata.nextLink")


def test_state_categories_guess_the_flow_states() -> None:
    rows = rows_of((FILES / "ado_revisions.json").read_bytes())
    guesses = {
        row.name: flow_state_guess(row.name, row.category)
        for row in rows
        if isinstance(row, StateRow)
    }
    assert guesses == {
        "New": FlowState.NEW,
        "Active": FlowState.ACTIVE,
        "Closed": FlowState.DONE,
        "Removed": FlowState.CANCELED,
    }


def test_a_bare_list_of_revisions_is_read() -> None:
    data = json.dumps(
        [
            revision(7, 2, "Done", "2024-01-03T00:00:00Z"),
            revision(7, 1, "To Do", "2024-01-01T00:00:00Z", Title="Fix it"),
        ]
    ).encode()
    assert rows_of(data) == [
        ItemRow("7", 2, "", "", "Bug"),
        TransitionRow("7", "To Do", at(2024, 1, 1), 2),
        TransitionRow("7", "Done", at(2024, 1, 3), 1),
        StateRow("Done"),
        StateRow("To Do"),
    ]


def test_an_export_filtered_by_date_enters_the_first_state_at_its_state_change_date() -> None:
    data = json.dumps(
        {
            "value": [
                revision(
                    9, 4, "Active", "2024-03-01T00:00:00Z", StateChangeDate="2024-02-20T08:00:00Z"
                ),
                revision(9, 5, "Closed", "2024-03-02T00:00:00Z"),
            ]
        }
    ).encode()
    rows = rows_of(data)
    assert [row for row in rows if isinstance(row, TransitionRow)] == [
        TransitionRow("9", "Active", at(2024, 2, 20, 8, 0), 1),
        TransitionRow("9", "Closed", at(2024, 3, 2), 2),
    ]
    assert warnings(rows) == [
        Problem(
            "1 work item(s) start after revision 1 in this file (an export filtered by "
            "date?): the first state of each is taken as entered at its StateChangeDate, or "
            "else at that revision's ChangedDate.",
            1,
            fatal=False,
        )
    ]


def test_missing_changed_date_is_an_error_naming_the_item_and_revision() -> None:
    record = revision(5, 1, "New", "")
    assert errors(rows_of(json.dumps({"value": [record]}).encode())) == [
        Problem('Work item "5" revision 1 has no ChangedDate.', 1)
    ]


@pytest.mark.parametrize("number", [2**64, -1])
def test_a_revision_no_64_bit_integer_holds_is_an_error_not_a_crash(number: int) -> None:
    record = revision(5, number, "New", "2024-01-01T00:00:00Z")
    (problem,) = errors(rows_of(json.dumps({"value": [record]}).encode()))
    assert problem.line == 1 and "Revision is not a number" in problem.message


def test_garbage_changed_date_is_an_error_quoting_the_value() -> None:
    record = revision(5, 1, "New", "31/31/2024")
    assert errors(rows_of(json.dumps({"value": [record]}).encode())) == [
        Problem('Work item "5" revision 1: ChangedDate "31/31/2024" is not an ISO 8601 date.', 1)
    ]


def test_empty_state_and_missing_id_are_errors_with_their_records() -> None:
    records = [
        revision(5, 1, "", "2024-01-01T00:00:00Z"),
        {"Revision": 1, "State": "New", "ChangedDate": "2024-01-01T00:00:00Z"},
    ]
    assert errors(rows_of(json.dumps({"value": records}).encode())) == [
        Problem('Work item "5" revision 1: The state is empty.', 1),
        Problem("Record 2: a revision without a WorkItemId.", 2),
    ]


def test_object_without_value_is_an_unknown_layout() -> None:
    assert rows_of(b'{"issues": []}') == [
        Problem(
            'No revisions: expected an Analytics OData result ({"value": [...]}) of '
            "WorkItemRevisions, or a list of revisions."
        )
    ]


def test_malformed_json_is_an_error_in_words() -> None:
    data = json.dumps({"value": [revision(5, 1, "New", "2024-01-01T00:00:00Z")]}).encode()
    (problem,) = rows_of(data.replace(b'"State"', b"State"))
    assert problem == Problem(
        "The file is not valid JSON: it holds a character that cannot start a JSON value "
        "(before the first record).",
        None,
    )


def test_formula_title_is_kept_as_text() -> None:
    record = revision(5, 1, "New", "2024-01-01T00:00:00Z", Title="=cmd|' /C calc'!A0")
    assert rows_of(json.dumps([record]).encode())[0] == ItemRow(
        "5", 1, "=cmd|' /C calc'!A0", "", "Bug"
    )
