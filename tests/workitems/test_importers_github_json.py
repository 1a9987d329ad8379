"""The GitHub issues-with-timelines importer, on bytes alone."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workitems.importers import github_json
from workitems.importers.rows import ItemRow, Problem, Row, StateRow, TransitionRow
from workitems.models import FlowState
from workitems.rules import flow_state_guess

FILES = Path(__file__).parent / "files"


def rows_of(data: bytes) -> list[Row]:
    return list(github_json.parse(lambda: io.BytesIO(data)))


def file_rows() -> list[Row]:
    return rows_of((FILES / "github_issues.json").read_bytes())


def errors(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and row.fatal]


def warnings(rows: list[Row]) -> list[Problem]:
    return [row for row in rows if isinstance(row, Problem) and not row.fatal]


def history(rows: list[Row], number: str = "1") -> list[tuple[str, datetime]]:
    return [
        (row.state, row.entered_at)
        for row in rows
        if isinstance(row, TransitionRow) and row.external_id == number
    ]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def issue(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "number": 1,
        "title": "Thing",
        "html_url": "https://github.com/acme/shop/issues/1",
        "state": "open",
        "state_reason": None,
        "created_at": "2024-01-01T00:00:00Z",
        "closed_at": None,
        "labels": [],
        "timeline": list(events),
    }
    record.update(fields)
    return record


def event(kind: str, day: int, **more: Any) -> dict[str, Any]:
    return {"event": kind, "created_at": f"2024-01-{day:02}T00:00:00Z", **more}


def label(kind: str, day: int, name: str) -> dict[str, Any]:
    return event(kind, day, label={"name": name, "color": "ededed"})


def test_issues_file_gives_label_states_reopens_closes_and_columns() -> None:
    rows = file_rows()
    url = "https://github.com/acme/shop/issues/"
    assert [row for row in rows if not isinstance(row, Problem)] == [
        ItemRow("1", 1, "Search ignores accents", url + "1", "", ("bug",), at(2024, 6, 1, 10)),
        TransitionRow("1", "Open", at(2024, 6, 1, 10), 1),
        TransitionRow("1", "In Progress", at(2024, 6, 2, 9), 1),
        # In Review is labeled before In Progress is removed: no move back in between.
        TransitionRow("1", "In Review", at(2024, 6, 4, 15), 1),
        ItemRow("2", 2, "Export orders as PDF", url + "2", "", (), at(2024, 6, 1, 11)),
        TransitionRow("2", "Open", at(2024, 6, 1, 11), 2),
        TransitionRow("2", "In Progress", at(2024, 6, 2, 8), 2),
        TransitionRow("2", "Closed", at(2024, 6, 3, 17), 2),
        TransitionRow("2", "In Progress", at(2024, 6, 5, 9, 30), 2),
        TransitionRow("2", "Open", at(2024, 6, 6, 10), 2),
        # The issue's final state_reason (not_planned) applies to its last close.
        TransitionRow("2", "Closed (not planned)", at(2024, 6, 7, 16), 2),
        ItemRow("4", 4, "Faster image upload", url + "4", "", ("enhancement",), at(2024, 6, 8, 8)),
        TransitionRow("4", "Open", at(2024, 6, 8, 8), 4),
        TransitionRow("4", "To do", at(2024, 6, 8, 8, 1), 4),
        TransitionRow("4", "In progress", at(2024, 6, 9, 10), 4),
        # Closed without a closed event in the timeline: closed at closed_at.
        TransitionRow("4", "Closed", at(2024, 6, 10, 12), 4),
        ItemRow("5", 5, "Typo on the About page", url + "5", "", ("docs",), at(2024, 6, 11, 7)),
        TransitionRow("5", "Open", at(2024, 6, 11, 7), 5),
        StateRow("Open", category="new"),
        StateRow("In Progress"),
        StateRow("In Review"),
        StateRow("Closed", category="done"),
        StateRow("Closed (not planned)", category="removed"),
        StateRow("To do"),
        StateRow("In progress"),
    ]


def test_pull_requests_are_skipped_with_one_warning_and_missing_timelines_noted() -> None:
    assert warnings(file_rows()) == [
        Problem(
            "1 pull request(s) in the file were skipped: only issues are work items here.",
            3,
            fatal=False,
        ),
        Problem(
            "1 issue(s) have no timeline: only their opening and closing are known. Add each "
            "issue's /timeline events as its `timeline` member.",
            5,
            fatal=False,
        ),
    ]


def test_fixed_states_guess_done_canceled_and_new() -> None:
    states = {row.name: row.category for row in file_rows() if isinstance(row, StateRow)}
    assert flow_state_guess("Closed", states["Closed"]) == FlowState.DONE
    assert flow_state_guess("Closed (not planned)", states["Closed (not planned)"]) == (
        FlowState.CANCELED
    )
    assert flow_state_guess("Open", states["Open"]) == FlowState.NEW


def test_closed_events_own_reason_decides_earlier_closes() -> None:
    record = issue(
        event("closed", 2, state_reason="not_planned"),
        event("reopened", 3),
        event("closed", 4, state_reason="completed"),
        state="closed",
        state_reason="completed",
        closed_at="2024-01-04T00:00:00Z",
    )
    assert history(rows_of(json.dumps([record]).encode())) == [
        ("Open", at(2024, 1, 1)),
        ("Closed (not planned)", at(2024, 1, 2)),
        ("Open", at(2024, 1, 3)),
        ("Closed", at(2024, 1, 4)),
    ]


def test_unlabeling_returns_to_the_status_label_that_remains() -> None:
    record = issue(
        label("labeled", 2, "status: Ready"),
        label("labeled", 3, "STATE: Blocked"),
        label("unlabeled", 4, "state: blocked "),  # another case: a different label
        label("unlabeled", 5, "STATE: Blocked"),
        label("unlabeled", 6, "status: Ready"),
    )
    assert history(rows_of(json.dumps({"issues": [record]}).encode())) == [
        ("Open", at(2024, 1, 1)),
        ("Ready", at(2024, 1, 2)),
        ("Blocked", at(2024, 1, 3)),
        ("Ready", at(2024, 1, 5)),
        ("Open", at(2024, 1, 6)),
    ]


def test_status_labels_while_closed_wait_for_the_reopening() -> None:
    record = issue(
        event("closed", 2),
        label("labeled", 3, "status/Testing"),
        event("reopened", 4),
    )
    assert history(rows_of(json.dumps([record]).encode())) == [
        ("Open", at(2024, 1, 1)),
        ("Closed", at(2024, 1, 2)),
        ("Testing", at(2024, 1, 4)),
    ]


def test_status_labels_are_not_tags_and_other_labels_are() -> None:
    record = issue(labels=[{"name": "status: Doing"}, {"name": "Tech-Debt"}, "risk"])
    assert rows_of(json.dumps([record]).encode())[0].tags == ("Tech-Debt", "risk")  # type: ignore[union-attr]


def test_timeline_events_are_sorted_by_time() -> None:
    record = issue(label("labeled", 5, "status: Later"), label("labeled", 2, "status: Sooner"))
    assert history(rows_of(json.dumps([record]).encode())) == [
        ("Open", at(2024, 1, 1)),
        ("Sooner", at(2024, 1, 2)),
        ("Later", at(2024, 1, 5)),
    ]


def test_two_pull_requests_give_one_warning_counting_them() -> None:
    pulls = [issue(number=n, pull_request={"url": "x"}) for n in (7, 8)]
    rows = rows_of(json.dumps([*pulls, issue()]).encode())
    assert warnings(rows) == [
        Problem(
            "2 pull request(s) in the file were skipped: only issues are work items here.",
            1,
            fatal=False,
        )
    ]


def test_javascript_html_url_is_dropped_with_a_warning() -> None:
    rows = rows_of(json.dumps([issue(html_url="javascript:alert(document.cookie)")]).encode())
    assert rows[0].url == ""  # type: ignore[union-attr]
    assert [problem.line for problem in warnings(rows)] == [1]


def test_unparseable_event_date_is_an_error_naming_the_issue() -> None:
    record = issue({"event": "labeled", "created_at": "soon", "label": {"name": "x"}})
    assert errors(rows_of(json.dumps([record]).encode())) == [
        Problem('Issue #1: labeled event\'s created_at "soon" is not an ISO 8601 date.', 1)
    ]


def test_issue_without_number_is_an_error() -> None:
    record = issue()
    del record["number"]
    assert errors(rows_of(json.dumps([record]).encode())) == [
        Problem("Record 1: an issue without a number.", 1)
    ]


def test_json_that_is_not_a_list_of_issues_is_an_unknown_layout() -> None:
    (problem,) = rows_of(b'{"value": []}')
    assert problem.fatal and problem.message.startswith("No GitHub issues")


def test_a_reopened_issue_keeps_its_closed_events_own_reason() -> None:
    record = issue(
        event("closed", 2, state_reason="not_planned"),
        event("reopened", 3),
        state="open",
        state_reason="reopened",
    )
    assert history(rows_of(json.dumps([record]).encode())) == [
        ("Open", at(2024, 1, 1)),
        ("Closed (not planned)", at(2024, 1, 2)),
        ("Open", at(2024, 1, 3)),
    ]
