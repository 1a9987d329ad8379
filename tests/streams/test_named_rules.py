"""The kinds table holds plain field edits; every rule beyond them is a named service the
generic path calls (issue 16 item 2). The generic board code names no kind: a branch on
`kind == "vote"` or `spec is LINK` there would be a rule hidden from a reader."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from streams.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
GENERIC = [
    "streams/services/board.py",
    "streams/selectors.py",
    "streams/events.py",
    "streams/api/urls.py",
    "streams/api/views.py",
]
KIND_CONSTANTS = {name.upper() for name in KINDS}
KIND_NAMES = set(KINDS) | {f"{name}." for name in KINDS}


def _kind_branches(tree: ast.AST) -> list[int]:
    """Lines that compare something with a kind: `x == "vote"`, `spec is LINK`,
    `op.startswith("vote.")`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                named = isinstance(operand, ast.Name) and operand.id in KIND_CONSTANTS
                literal = isinstance(operand, ast.Constant) and operand.value in KIND_NAMES
                if named or literal:
                    lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and any(isinstance(a, ast.Constant) and a.value in KIND_NAMES for a in node.args)
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", GENERIC)
def test_the_generic_board_code_branches_on_no_kind(path):
    tree = ast.parse((ROOT / path).read_text(), path)
    assert _kind_branches(tree) == [], f"{path}: a kind's rule belongs in its named service"


def test_each_rule_beyond_plain_fields_has_a_named_service():
    from streams.services import board

    for name in (
        "activity_create",
        "activity_update",
        "link_create",
        "link_delete",
        "vote_create",
        "vote_delete",
    ):
        service = getattr(board, name)
        assert service.__doc__, name
    assert set(board._CREATE_SERVICES) == {"activity", "link", "vote"}
    assert set(board._UPDATE_SERVICES) == {"activity"}
    assert set(board._DELETE_SERVICES) == {"link", "vote"}
