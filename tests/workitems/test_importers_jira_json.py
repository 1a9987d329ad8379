"""The Jira changelog importer, on bytes alone."""

from __future__ import annotations

import codecs
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from workitems.importers import jira_json, jsonfile
from workitems.importers.rows import ItemRow, Problem, Row, StateRow, TransitionRow
from workitems.models import FlowState
from workitems.rules import flow_state_guess

FILES = Path(__file__).parent / "files"


def rows_of(data: bytes) -> list[Row]:
    return list(jira_json.parse(lambda: io.BytesIO(data)))


def file_rows(name: str) -> list[Row]:
    return rows_of((FILES / name).read_bytes())


def errors(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and row.fatal]


def warnings(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and not row.fatal]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def issue(key: str = "X-1", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "self": "https://jira.example.com/rest/api/2/issue/1",
        "key": key,
        "fields": {
            "summary": "Thing",
            "created": "2024-01-01T10:00:00.000+0000",
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        },
    }
    record.update(changes)
    return record


def test_search_result_gives_each_issues_history_sorted_by_created() -> None:
    rows = file_rows("jira_search.json")
    browse = "https://jira.example.com/browse/"
    assert [row for row in rows if not isinstance(row, Problem)] == [
        ItemRow(
            "SHOP-2",
            1,
            "Basket keeps items after checkout",
            browse + "SHOP-2",
            "Bug",
            ("checkout", "regression"),
            at(2024, 3, 4, 8, 12, 45),
        ),
        TransitionRow("SHOP-2", "To Do", at(2024, 3, 4, 8, 12, 45), 1),
        TransitionRow("SHOP-2", "In Progress", at(2024, 3, 5, 9, 0), 1),
        TransitionRow("SHOP-2", "Done", at(2024, 3, 11, 16, 40), 1),
        # No status change: the current status, entered at creation.
        ItemRow("SHOP-3", 2, "Gift cards", browse + "SHOP-3", "Story", (), at(2024, 3, 7, 8)),
        TransitionRow("SHOP-3", "To Do", at(2024, 3, 7, 8), 2),
        ItemRow(
            "SHOP-4",
            3,
            "Old import job",
            browse + "SHOP-4",
            "Story",
            ("tech-debt",),
            at(2023, 11, 1, 10),
        ),
        TransitionRow("SHOP-4", "To Do", at(2023, 11, 1, 10), 3),
        TransitionRow("SHOP-4", "In Progress", at(2023, 11, 2, 10), 3),
        TransitionRow("SHOP-4", "In Review", at(2023, 11, 20, 15, 30), 3),
        StateRow("To Do", category="new"),
        StateRow("In Progress", category=""),
        StateRow("Done", category="done"),
        StateRow("In Review", category="indeterminate"),
    ]


def test_truncated_embedded_changelog_is_a_warning_naming_the_issue() -> None:
    assert warnings(file_rows("jira_search.json")) == [
        Problem(
            'Issue "SHOP-4": the embedded changelog looks truncated, so its history may be '
            "incomplete; fetch /rest/api/3/issue/<key>/changelog for it.",
            3,
            fatal=False,
        )
    ]


def test_changelog_at_max_results_without_total_is_a_truncation_warning() -> None:
    histories = [
        {
            "created": f"2024-01-0{day}T10:00:00.000+0000",
            "items": [{"field": "status", "fromString": "To Do", "toString": "Doing"}],
        }
        for day in (2, 3)
    ]
    data = json.dumps([issue(changelog={"maxResults": 2, "histories": histories})]).encode()
    assert len(warnings(rows_of(data))) == 1


def test_list_of_issues_from_cloud_keeps_same_instant_changes_in_file_order() -> None:
    rows = file_rows("jira_issues_list.json")
    created = datetime(2024, 5, 2, 11, 45, 10, 123000, tzinfo=UTC)
    assert rows[:5] == [
        ItemRow(
            "APP-41",
            1,
            '=HYPERLINK("http://evil.example","click me")',
            "https://acme.atlassian.net/browse/APP-41",
            "Task",
            ("frontend",),
            created,
        ),
        TransitionRow("APP-41", "Backlog", created, 1),
        TransitionRow("APP-41", "Selected for Development", at(2024, 5, 3, 7, 0), 1),
        TransitionRow("APP-41", "In Progress", at(2024, 5, 3, 7, 0), 1),
        TransitionRow("APP-41", "Done", at(2024, 5, 6, 16, 20), 1),
    ]
    assert not [row for row in rows if isinstance(row, Problem)]


def test_status_categories_guess_the_flow_states() -> None:
    states = {row.name: row for row in file_rows("jira_search.json") if isinstance(row, StateRow)}
    assert flow_state_guess("In Review", states["In Review"].category) == FlowState.ACTIVE
    assert flow_state_guess("Done", states["Done"].category) == FlowState.DONE
    assert flow_state_guess("To Do", states["To Do"].category) == FlowState.NEW


def test_utf8_bom_and_utf16_files_are_read() -> None:
    text = (FILES / "jira_issues_list.json").read_text("utf-8")
    for data in (codecs.BOM_UTF8 + text.encode(), text.encode("utf-16")):
        rows = rows_of(data)
        assert not errors(rows) and rows[0].external_id == "APP-41"  # type: ignore[union-attr]


def test_search_result_that_is_one_page_warns() -> None:
    data = json.dumps({"total": 120, "maxResults": 1, "issues": [issue()]}).encode()
    assert warnings(rows_of(data)) == [
        Problem(
            "The search matched 120 issues but the file holds 1: it is one page of the "
            "results; import the other pages too.",
            None,
            fatal=False,
        )
    ]


def test_repeated_issue_is_skipped_with_a_warning() -> None:
    rows = rows_of(json.dumps([issue(), issue()]).encode())
    assert len([row for row in rows if isinstance(row, ItemRow)]) == 1
    assert warnings(rows) == [
        Problem('Issue "X-1" appears again; this copy is skipped.', 2, fatal=False)
    ]


def test_malformed_json_is_an_error_in_words_with_the_record() -> None:
    data = json.dumps([issue("X-1"), issue("X-2")]).encode()[:-40]
    assert errors(rows_of(data)) == [
        Problem(
            "The file is not valid JSON: the file ends in the middle of a value (was it cut "
            "off?) (in or after record 1).",
            1,
        )
    ]


def test_misplaced_comma_is_an_error_in_words() -> None:
    (problem,) = rows_of(b'{"issues": [,]}')
    assert problem == Problem(
        "The file is not valid JSON: a comma, colon or bracket is out of place (before the "
        "first record).",
        None,
    )


def test_json_that_is_not_a_jira_export_is_an_unknown_layout() -> None:
    assert rows_of(b'{"value": [{"WorkItemId": 1}]}') == [
        Problem(
            'No Jira issues: expected a search result ({"issues": [...]}) or a list of issues '
            "fetched with expand=changelog."
        )
    ]


def test_single_issue_asks_for_a_list() -> None:
    (problem,) = rows_of(json.dumps(issue()).encode())
    assert problem.message.startswith("The file holds a single issue")


def test_issue_without_key_is_an_error_with_its_record() -> None:
    record = issue()
    del record["key"]
    assert errors(rows_of(json.dumps([issue("X-0"), record]).encode())) == [
        Problem("Record 2: an issue without a key (or id).", 2)
    ]


def test_unparseable_created_names_issue_and_value() -> None:
    record = issue()
    record["fields"]["created"] = "yesterday"
    assert errors(rows_of(json.dumps([record]).encode())) == [
        Problem('Issue "X-1": fields.created date "yesterday" is not an ISO 8601 date.', 1)
    ]


def test_status_change_to_an_empty_status_is_an_error() -> None:
    change = {"field": "status", "fromString": "To Do", "toString": ""}
    record = issue(
        changelog={"histories": [{"created": "2024-01-02T00:00:00Z", "items": [change]}]}
    )
    assert errors(rows_of(json.dumps([record]).encode())) == [
        Problem('Issue "X-1": The state is empty.', 1)
    ]


def test_ten_megabyte_summary_is_a_clear_error_not_a_crash() -> None:
    record = issue()
    record["fields"]["summary"] = "s" * (10 * 1024 * 1024)
    assert errors(rows_of(json.dumps([issue("X-0"), record]).encode())) == [
        Problem('Issue "X-1": a field is longer than the limit of 131,072 characters.', 2)
    ]


def test_binary_garbage_is_an_error_not_a_crash() -> None:
    (problem,) = rows_of(bytes(range(256)) * 16)
    assert problem.fatal and problem.message.startswith("The file is not valid JSON")


def test_invalid_utf8_inside_a_string_is_an_error() -> None:
    data = json.dumps([issue()]).encode().replace(b"Thing", b"Th\xffng")
    (problem,) = rows_of(data)
    assert problem.message.startswith(
        "The file is not valid JSON: it holds bytes that are not UTF-8 text"
    )


def test_url_is_empty_when_self_is_missing() -> None:
    record = issue()
    del record["self"]
    assert rows_of(json.dumps([record]).encode())[0] == ItemRow(
        "X-1", 1, "Thing", "", "", (), at(2024, 1, 1, 10)
    )


def test_hostile_nesting_is_an_error_before_it_is_built() -> None:
    data = b"[" + json.dumps(issue()).encode() + b"," + b"[" * 5_000_000
    (problem,) = rows_of(data)
    assert problem.fatal
    assert problem.message == (
        "The file nests deeper than 128 levels (before the first record): this is not an "
        "export read here."
    )


def test_brackets_and_escaped_quotes_inside_strings_are_not_nesting() -> None:
    record = issue()
    record["fields"]["summary"] = '[[[{{{ \\" \\ ' * 6_000  # one string over two 64 KiB reads
    rows = rows_of(json.dumps([record]).encode())
    assert not errors(rows)


def test_a_record_with_too_many_values_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonfile, "MAX_RECORD_EVENTS", 1_000)
    record = issue(names={f"customfield_{n}": "x" for n in range(2_000)})
    assert errors(rows_of(json.dumps([issue("X-0"), record]).encode())) == [
        Problem("Record 2 holds more than 1,000 values: this is not an export read here.", 2)
    ]
