"""Measured flow's input: work items and their state histories as flat arrays.

Pure and framework-free. The selector reads a workshop's items, states and transitions into
one `History`; `History.from_rows` builds one from plain rows for tests and small callers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

FLOW_TYPES: tuple[str, ...] = ("feature", "defect", "risk", "debt")
FLOW_STATES: tuple[str, ...] = ("new", "waiting", "active", "done", "canceled", "ignore")
SECONDS_PER_DAY = 86_400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StateFacts:
    """One tracker state of the workshop. Raises ValueError for an unknown flow state."""

    name: str
    order: int  # workflow position
    flow_state: str  # one of FLOW_STATES

    def __post_init__(self) -> None:
        if self.flow_state not in FLOW_STATES:
            raise ValueError(f"flow_state must be one of {FLOW_STATES}, got {self.flow_state!r}")


@dataclass(frozen=True, eq=False)  # arrays do not compare as one truth value
class History:
    """Work items and their state histories as flat arrays.

    Items are indexed 0..n-1 by position in `external_ids` / `titles` / `flow_types` (an index
    into FLOW_TYPES: the item's type now). Transition k says item `transition_item[k]` entered
    `states[transition_state[k]]` at `transition_at[k]` (epoch seconds, UTC). Transitions are
    sorted by (item, time), ties in history order; the arrays are coerced to int8 / int64 /
    intp / int64. Raises ValueError when lengths differ, an index is out of range, state names
    repeat or the transitions are not sorted.
    """

    external_ids: Sequence[str]  # per item
    titles: Sequence[str]  # per item
    flow_types: np.ndarray  # int8 per item, index into FLOW_TYPES
    states: Sequence[StateFacts]  # indexed by transition_state
    transition_item: np.ndarray  # int per transition: item index
    transition_state: np.ndarray  # int per transition: index into states
    transition_at: np.ndarray  # int64 per transition: epoch seconds UTC

    def __post_init__(self) -> None:
        coerced: dict[str, np.ndarray] = {
            "flow_types": np.asarray(self.flow_types, dtype=np.int8),
            "transition_item": np.asarray(self.transition_item, dtype=np.int64),
            "transition_state": np.asarray(self.transition_state, dtype=np.intp),
            "transition_at": np.asarray(self.transition_at, dtype=np.int64),
        }
        for field, array in coerced.items():
            if array.ndim != 1:
                raise ValueError(f"{field} must be a one-dimensional array")
            object.__setattr__(self, field, array)

        items = len(self.external_ids)
        if len(self.titles) != items or len(self.flow_types) != items:
            raise ValueError("external_ids, titles and flow_types must have one entry per item")
        if items and (self.flow_types.min() < 0 or self.flow_types.max() >= len(FLOW_TYPES)):
            raise ValueError("flow_types must index into FLOW_TYPES")
        if len({state.name for state in self.states}) != len(self.states):
            raise ValueError("state names must be unique")

        item, state, at = self.transition_item, self.transition_state, self.transition_at
        if not len(item) == len(state) == len(at):
            raise ValueError("transition arrays must have one entry per transition")
        if not len(item):
            return
        if item.min() < 0 or item.max() >= items:
            raise ValueError("transition_item must index into the items")
        if state.min() < 0 or state.max() >= len(self.states):
            raise ValueError("transition_state must index into states")
        item_step = np.diff(item)
        if (item_step < 0).any() or ((item_step == 0) & (np.diff(at) < 0)).any():
            raise ValueError("transitions must be sorted by (item, time)")

    @property
    def item_count(self) -> int:
        return len(self.external_ids)

    @classmethod
    def from_rows(
        cls,
        *,
        items: Iterable[tuple[str, str, str]],
        states: Sequence[StateFacts],
        transitions: Iterable[tuple[int, int, datetime | int | float]],
    ) -> History:
        """A History from rows: items (external_id, title, flow_type_name), transitions
        (item_index, state_index, aware datetime or epoch seconds, floored to the second).
        Sorts transitions stably by (item, time), so rows of one item at one instant keep
        their given order. Raises ValueError for an unknown flow type or a naive datetime."""
        external_ids: list[str] = []
        titles: list[str] = []
        flow_types: list[int] = []
        for external_id, title, flow_type in items:
            if flow_type not in FLOW_TYPES:
                raise ValueError(f"flow_type must be one of {FLOW_TYPES}, got {flow_type!r}")
            external_ids.append(external_id)
            titles.append(title)
            flow_types.append(FLOW_TYPES.index(flow_type))

        rows = [(item, state, epoch_seconds(at)) for item, state, at in transitions]
        item = np.array([row[0] for row in rows], dtype=np.int64)
        state = np.array([row[1] for row in rows], dtype=np.intp)
        at = np.array([row[2] for row in rows], dtype=np.int64)
        order = np.lexsort((at, item))  # lexsort is stable
        return cls(
            external_ids=tuple(external_ids),
            titles=tuple(titles),
            flow_types=np.array(flow_types, dtype=np.int8),
            states=tuple(states),
            transition_item=item[order],
            transition_state=state[order],
            transition_at=at[order],
        )


def epoch_seconds(moment: datetime | int | float) -> int:
    """Whole epoch seconds (floored) of an aware datetime or a number of seconds."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("transition times must be aware datetimes")
        return (moment - EPOCH) // timedelta(seconds=1)
    return math.floor(moment)
