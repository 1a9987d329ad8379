"""Default guesses, pure: the flow type of an item from its tags and tracker type, and the flow
state of a tracker state from its name and category. A workshop's facilitator edits both; these
are only where a new workshop starts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypedDict

from workitems.models import FlowState, FlowType

# Tags (or labels) win over tracker types; an item no rule matches is a feature.
DEFAULT_TAG_RULES: dict[str, str] = {
    "risk": FlowType.RISK,
    "security": FlowType.RISK,
    "vulnerability": FlowType.RISK,
    "debt": FlowType.DEBT,
    "tech debt": FlowType.DEBT,
    "technical debt": FlowType.DEBT,
    "refactor": FlowType.DEBT,
}
DEFAULT_TYPE_RULES: dict[str, str] = {
    **{name: FlowType.DEFECT for name in ("bug", "defect", "incident", "problem")},
    **{name: FlowType.RISK for name in ("vulnerability", "security", "security issue")},
    **{name: FlowType.DEBT for name in ("debt", "tech debt", "technical debt")},
    **{
        name: FlowType.FEATURE
        for name in ("story", "user story", "feature", "epic", "requirement", "task")
    },
}


class TypeRuleRow(TypedDict):
    """One type rule as the API lists it."""

    match: str  # "tag" or "type"
    value: str
    flow_type: str


def default_type_rules() -> list[TypeRuleRow]:
    """The default rules as the API lists them (`match`, `value`, `flow_type`)."""
    return [
        {"match": match, "value": value, "flow_type": str(flow_type)}
        for match, rules in (("tag", DEFAULT_TAG_RULES), ("type", DEFAULT_TYPE_RULES))
        for value, flow_type in rules.items()
    ]


def rule_key(text: str) -> str:
    """How tags, types and rule values compare: case-insensitive, `-` and `_` as spaces, runs
    of spaces as one (so `Tech-Debt` matches the rule `tech debt`)."""
    return " ".join(re.sub(r"[-_]", " ", text).lower().split())


def flow_type_for(
    *,
    tags: Iterable[str],
    tracker_type: str,
    tag_rules: Mapping[str, str],
    type_rules: Mapping[str, str],
) -> str:
    """The first tag (in the item's order) that a tag rule names decides; else the tracker
    type's rule; else `feature`. Rule keys must already be `rule_key`s."""
    for tag in tags:
        flow_type = tag_rules.get(rule_key(tag))
        if flow_type:
            return flow_type
    return type_rules.get(rule_key(tracker_type), FlowType.FEATURE)


# Tracker state categories: Azure DevOps StateCategory and Jira's statusCategory key.
CATEGORY_FLOW_STATES: dict[str, str] = {
    "proposed": FlowState.NEW,
    "new": FlowState.NEW,
    "to do": FlowState.NEW,
    "in progress": FlowState.ACTIVE,
    "inprogress": FlowState.ACTIVE,
    "indeterminate": FlowState.ACTIVE,
    "resolved": FlowState.DONE,
    "completed": FlowState.DONE,
    "done": FlowState.DONE,
    "removed": FlowState.CANCELED,
}
_CANCELED = re.compile(
    r"\bcancel|\bremoved\b|\brejected\b|\bwon'?t (do|fix)\b|\bwontfix\b|\bduplicate\b"
    r"|\bnot planned\b|\bdeclined\b|\babandoned\b"
)
_WAITING = re.compile(r"\b(a?wait|queue)|\bready\b|\bblocked\b|\bon hold\b|\breview requested\b")
_DONE = re.compile(r"\b(done|closed|resolved|completed?|released|deployed|shipped)\b")
_NEW = re.compile(r"^(backlog|new|to ?do|proposed|open|icebox|funnel)$")


def flow_state_guess(name: str, category: str = "") -> str:
    """The default flow state of a tracker state. Canceled and waiting names are the most
    specific and come first; then the tracker's category when the file gave one; then done
    and new names; anything else is active."""
    key = " ".join(name.lower().replace("’", "'").split())
    if _CANCELED.search(key):
        return FlowState.CANCELED
    if _WAITING.search(key):
        return FlowState.WAITING
    by_category = CATEGORY_FLOW_STATES.get(" ".join(category.lower().split()))
    if by_category:
        return by_category
    if _NEW.match(key):
        return FlowState.NEW
    if _DONE.search(key):
        return FlowState.DONE
    return FlowState.ACTIVE
