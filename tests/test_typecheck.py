"""The type check (`make typecheck`: mypy with django-stubs and djangorestframework-stubs, run
by `make lint` and CI) is strict enough to catch an id passed where a model is expected:
mypy on tests/typecheck/model_arguments.py, whose deliberate errors are each marked
`# error: [code]` on their line, reports exactly those. The main run leaves tests/ out."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = Path("tests", "typecheck", "model_arguments.py")
MARK = re.compile(r"#\s*error:\s*\[(?P<code>[a-z-]+)\]")
REPORTED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def _marked(path: Path) -> set[tuple[int, str]]:
    lines = (ROOT / path).read_text().splitlines()
    return {
        (number, match["code"])
        for number, line in enumerate(lines, start=1)
        if (match := MARK.search(line))
    }


def test_mypy_reports_every_id_passed_where_a_model_is_expected_and_nothing_else() -> None:
    expected = _marked(CASES)
    assert len(expected) >= 5  # the file still holds its cases
    result = subprocess.run(
        [sys.executable, "-m", "mypy", str(CASES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    reported = {
        (int(match["line"]), match["code"])
        for match in map(REPORTED.match, result.stdout.splitlines())
        if match and Path(match["path"]) == CASES
    }
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported == expected, result.stdout
