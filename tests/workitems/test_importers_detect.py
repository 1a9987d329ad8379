"""Detecting an upload's format from its first bytes, and `importers.parse`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from workitems import importers
from workitems.importers import detect_format
from workitems.importers.rows import ItemRow, Problem

FILES = Path(__file__).parent / "files"


def opener_of(data: bytes) -> importers.Opener:
    return lambda: io.BytesIO(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("long_vsm_workshop.csv", "long_csv"),
        ("long_full.csv", "long_csv"),
        ("wide_cycle_data.csv", "wide_csv"),
        ("wide_ado_actionable.csv", "wide_csv"),
        ("wide_labels.csv", "wide_csv"),
        ("jira_search.json", "jira_json"),
        ("jira_issues_list.json", "jira_json"),
        ("ado_revisions.json", "ado_json"),
        ("github_issues.json", "github_json"),
    ],
)
def test_each_format_is_detected_from_its_head(name: str, expected: str) -> None:
    data = (FILES / name).read_bytes()
    assert detect_format(data[: importers.HEAD_BYTES]) == expected
    fmt, rows = importers.parse(opener_of(data))
    assert fmt == expected
    assert not [row for row in rows if isinstance(row, Problem) and row.fatal]


def test_a_long_file_is_detected_from_its_first_64_kib_only() -> None:
    data = b"item_id,state,entered_at\n" + b"ITEM-1234,In Progress,2024-01-02T10:00:00Z\n" * 5000
    head = data[: importers.HEAD_BYTES]
    assert len(data) > len(head) and detect_format(head) == "long_csv"


def test_a_long_file_whose_second_column_is_its_date_is_still_long() -> None:
    assert detect_format(b"id,entered_at,state\nA,2024-01-02,Doing\n") == "long_csv"


def test_semicolon_wide_csv_is_detected() -> None:
    assert detect_format(b"ID;Name;Todo;Done\r\nA;x;2024-01-02;\r\n") == "wide_csv"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (
            b"Summary,Issue key,Issue id,Issue Type,Status,Created,Labels,Labels\n"
            b"Fix it,SHOP-1,10001,Bug,Done,12/Mar/24 9:41 AM,a,b\n",
            "This is Jira's CSV export, which holds current values only",
        ),
        (
            b"ID,Work Item Type,Title,Assigned To,State,Tags\n1,Bug,x,,Active,\n",
            "This is an Azure DevOps query export",
        ),
        (
            b"name,age\nmia,41\n",
            "The CSV's columns match no layout read here: a long CSV has one row per "
            "transition (item_id, state, entered_at); a wide CSV has ID, Link and Name and then "
            "one date column per stage. The header is: name, age.",
        ),
        (b'{"data": [1, 2, 3]}', "This JSON is none of the exports read here"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "This looks like an Excel workbook"),
        (bytes(range(256)) * 8, "The file is not text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "The file is not text"),
        (b"", "The file is empty."),
        (b"  \n\n", "The file is empty."),
    ],
)
def test_unknown_layouts_are_not_detected_and_parse_says_why(head: bytes, message: str) -> None:
    assert detect_format(head) is None
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        importers.parse(opener_of(head))


def test_json_signs_inside_strings_do_not_count() -> None:
    body = json.dumps({"notes": 'say "changelog": and "issuetype": here'}).encode()
    assert detect_format(body) is None


def test_an_explicit_format_skips_detection_and_reads_nothing_until_iterated() -> None:
    opened: list[int] = []

    def opener() -> io.BytesIO:
        opened.append(1)
        return io.BytesIO(b"id,state,entered_at\nA,Doing,2024-01-02\n")

    fmt, rows = importers.parse(opener, "long_csv")
    assert fmt == "long_csv" and opened == []
    assert isinstance(next(rows), ItemRow)


def test_an_unknown_explicit_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Unknown format 'xml'; leave it out to detect it"):
        importers.parse(opener_of(b""), "xml")


def test_every_format_has_a_parser_and_a_pass_count() -> None:
    assert (
        set(importers.FORMATS)
        == set(importers.PASSES)
        == {
            "long_csv",
            "wide_csv",
            "jira_json",
            "ado_json",
            "github_json",
        }
    )


def test_a_parser_given_another_formats_file_reports_a_problem_not_a_crash() -> None:
    files = {
        "long_csv": "jira_search.json",
        "wide_csv": "long_full.csv",
        "jira_json": "wide_cycle_data.csv",
        "ado_json": "github_issues.json",
        "github_json": "ado_revisions.json",
    }
    for fmt, name in files.items():
        rows = list(importers.FORMATS[fmt](opener_of((FILES / name).read_bytes())))
        assert rows and all(isinstance(row, Problem) for row in rows), fmt
        assert any(row.fatal for row in rows if isinstance(row, Problem)), fmt


def test_a_jira_issue_whose_changelog_is_beyond_the_head_is_still_jira() -> None:
    issue = {
        "self": "https://acme.atlassian.net/rest/api/3/issue/20001",
        "key": "APP-1",
        "fields": {"description": "d" * 100_000, "created": "2024-01-01T00:00:00.000+0000"},
        "changelog": {"histories": []},
    }
    head = json.dumps([issue]).encode()[: importers.HEAD_BYTES]
    assert b"changelog" not in head
    assert detect_format(head) == "jira_json"
