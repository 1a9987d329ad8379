"""Work-item history importers: one module per format, each `parse(opener) -> Iterator[Row]`.
See `rows` for the canonical rows and docs/flow-metrics.md ("Formats") for the formats.

Every parser keeps one contract (see `problems.limited`): problems come as they are met
(warnings may come anywhere, most at the end); once a fatal problem has been yielded only
problems follow, and the rows stop after MAX_FATAL of them. Per item, its ItemRow comes
before its TransitionRows, which are contiguous and in history order; each item is yielded
once. StateRows (one per state name) come first in a wide CSV and last in the others.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from workitems.importers import (
    ado_json,
    csvfile,
    github_json,
    jira_json,
    long_csv,
    wide_csv,
)
from workitems.importers.rows import Opener, Parser, Row
from workitems.importers.source import HEAD_BYTES, head_text, read_head

FORMATS: dict[str, Parser] = {
    "long_csv": long_csv.parse,
    "wide_csv": wide_csv.parse,
    "jira_json": jira_json.parse,
    "ado_json": ado_json.parse,
    "github_json": github_json.parse,
}
# How many times each parser reads the file (for progress): a wide CSV is read twice; a long
# CSV once, or up to three times when its numeric dates need their day/month order settled.
PASSES: dict[str, int] = {
    "long_csv": 1,
    "wide_csv": 2,
    "jira_json": 1,
    "ado_json": 1,
    "github_json": 1,
}

_SAMPLE_ROWS = 200  # CSV rows of the head that detection looks at


def _key(name: str) -> re.Pattern[str]:
    # A JSON member name (not one quoted inside a string, where its quotes are escaped).
    return re.compile(r'(?<!\\)"' + re.escape(name) + r'"\s*:')


_JSON_SIGNS: dict[str, tuple[tuple[re.Pattern[str], int], ...]] = {
    "ado_json": (
        (_key("WorkItemId"), 3),
        (re.compile(r"WorkItemRevisions"), 2),
        (_key("StateCategory"), 1),
    ),
    "jira_json": (
        (re.compile(r'"self"\s*:\s*"https?://[^"]+/rest/api/(?:2|3|latest)/issue/'), 2),
        (_key("changelog"), 2),
        (_key("issuetype"), 2),
        (_key("histories"), 1),
        (_key("fields"), 1),
    ),
    "github_json": (
        (_key("timeline"), 2),
        (re.compile(r'"html_url"\s*:\s*"https?://[^"]+/issues/\d+"'), 2),
        (_key("state_reason"), 1),
        (_key("node_id"), 1),
    ),
}


def _detect_json(text: str) -> str | None:
    scores = {
        name: sum(weight for pattern, weight in signs if pattern.search(text))
        for name, signs in _JSON_SIGNS.items()
    }
    best = max(scores.values())
    winners = [name for name, score in scores.items() if score == best]
    return winners[0] if best >= 2 and len(winners) == 1 else None


def _csv_sample(text: str, cut: bool) -> list[list[str]]:
    """The head's first records (header first), the last one dropped if the head cut it."""
    lines = text.splitlines(keepends=True)
    if cut and len(lines) > 1:
        text = "".join(lines[:-1])
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csvfile.sniff_delimiter(first))
    sample: list[list[str]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                sample.append(cells)
                if len(sample) > _SAMPLE_ROWS:
                    break
    except csv.Error:
        pass
    return sample


def _detect_csv(text: str, cut: bool) -> str | None:
    sample = _csv_sample(text, cut)
    if not sample:
        return None
    header, rows = sample[0], sample[1:]
    is_long = not isinstance(long_csv.columns(header), str)
    stages = 0
    layout = wide_csv.layout(header)
    if not isinstance(layout, str):
        survey = wide_csv.Survey(header, layout.first_stage)
        for number, cells in enumerate(rows, start=2):
            survey.add(number, cells)
        stages = len(survey.stages) if survey.dated else 0
    if is_long and stages < 2:
        return "long_csv"
    if stages:
        return "wide_csv"
    return None


def detect_format(head: bytes) -> str | None:
    """The format of a file from its first bytes (about HEAD_BYTES), or None when it is no
    layout known here. JSON is told apart by its member names, CSV by its header (and, for a
    wide CSV, by date cells in the columns after ID, Link and Name)."""
    text = head_text(head)
    if text is None:
        return None
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped[0] in "[{":
        return _detect_json(stripped)
    return _detect_csv(text, cut=len(head) >= HEAD_BYTES)


def unknown_layout(head: bytes) -> str:
    """A sentence saying why a file's layout is not known, and what to export instead."""
    if head.startswith(b"PK\x03\x04"):
        return (
            "This looks like an Excel workbook or a zip archive; save the sheet as "
            "CSV UTF-8 and import that."
        )
    text = head_text(head)
    if text is None:
        return "The file is not text (it holds binary data); import a CSV or a JSON export."
    stripped = text.lstrip()
    if not stripped:
        return "The file is empty."
    if stripped[0] in "[{":
        return (
            "This JSON is none of the exports read here: Jira issues with their changelog "
            "(expand=changelog), Azure DevOps Analytics WorkItemRevisions, or GitHub issues "
            "with their timelines."
        )
    sample = _csv_sample(text, cut=len(head) >= HEAD_BYTES)
    header = sample[0] if sample else []
    names = {csvfile.normalise(name) for name in header}
    if {"issuekey", "summary", "status"} <= names:
        return (
            "This is Jira's CSV export, which holds current values only, no state history. "
            "Export the issues as JSON with their changelog (the REST search with "
            "expand=changelog) instead."
        )
    if {"id", "workitemtype", "state"} <= names:
        return (
            "This is an Azure DevOps query export, which holds current values only, no state "
            "history. Export Analytics WorkItemRevisions (OData) instead."
        )
    shown = ", ".join(name.strip() for name in header)
    shown = shown if len(shown) <= 200 else shown[:200] + "…"
    return (
        "The CSV's columns match no layout read here: a long CSV has one row per transition "
        "(item_id, state, entered_at); a wide CSV has ID, Link and Name and then one date "
        f"column per stage. The header is: {shown or '(none)'}."
    )


def parse(opener: Opener, format: str | None = None) -> tuple[str, Iterator[Row]]:
    """The format (detected from the file's head when `format` is None) and its rows.
    Raises ValueError, with a sentence for the user, when the format is not one of FORMATS
    or the file's layout is unknown. Reading (and its problems) happens as the rows are
    iterated."""
    if format is None:
        head = read_head(opener)
        detected = detect_format(head)
        if detected is None:
            raise ValueError(unknown_layout(head))
        format = detected
    parser = FORMATS.get(format)
    if parser is None:
        raise ValueError(
            f"Unknown format {format!r}; leave it out to detect it, or use one of: "
            f"{', '.join(FORMATS)}."
        )
    return format, parser(opener)
