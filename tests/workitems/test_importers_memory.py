"""The importers stream: a large file is never held whole (memory only, no timing)."""

from __future__ import annotations

import io
import json
import tracemalloc

from workitems.importers import jira_json, long_csv
from workitems.importers.rows import ItemRow, Problem, TransitionRow

STATES = ("Backlog", "Ready", "In Progress", "Review", "Testing", "Done")


def long_file(items: int, transitions: int) -> bytes:
    """A long CSV whose items' rows are spread over the whole file (one pass per state)."""
    out = io.StringIO()
    out.write("item_id,state,entered_at,title\n")
    for step in range(transitions):
        for item in range(items):
            out.write(
                f"ITEM-{item:06d},{STATES[step % len(STATES)]},"
                f"2024-{1 + step:02d}-{1 + item % 28:02d}T09:{item % 60:02d}:00Z,"
                f"Work item number {item}\n"
            )
    return out.getvalue().encode()


def test_a_200000_row_long_csv_is_parsed_in_a_fraction_of_its_size() -> None:
    data = long_file(items=20_000, transitions=10)
    counts = {ItemRow: 0, TransitionRow: 0, Problem: 0}
    tracemalloc.start()
    try:
        for row in long_csv.parse(lambda: io.BytesIO(data)):
            counts[type(row)] = counts.get(type(row), 0) + 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts[ItemRow] == 20_000 and counts[TransitionRow] == 200_000
    assert counts[Problem] == 0
    assert peak < 2 * len(data), f"peak {peak:,} bytes for a {len(data):,}-byte file"


def test_a_jira_export_is_streamed_one_issue_at_a_time() -> None:
    issue = {
        "key": "X-0",
        "fields": {
            "summary": "s",
            "description": "d" * 2000,
            "created": "2024-01-01T00:00:00.000+0000",
            "status": {"name": "Done", "statusCategory": {"key": "done"}},
        },
        "changelog": {"histories": []},
    }
    text = json.dumps(issue)
    data = ("[" + ",".join(text.replace("X-0", f"X-{n}") for n in range(5_000)) + "]").encode()
    tracemalloc.start()
    try:
        items = sum(1 for row in jira_json.parse(lambda: io.BytesIO(data)) if type(row) is ItemRow)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert items == 5_000
    assert peak < len(data) / 4, f"peak {peak:,} bytes for a {len(data):,}-byte file"
