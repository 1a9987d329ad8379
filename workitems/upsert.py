"""The one writer of imported history: an importer's rows go into the workshop's items, states
and transitions as they are parsed, inside the caller's transaction (so a file that turns out
to have an error rolls back whole, and nothing is held but a batch).

Items are upserted by `external_id` in batches (attributes and flow type replaced); a batch's
items that existed lose their old transitions; the file's transitions go in with PostgreSQL's
binary COPY (batched inserts elsewhere). While the file is read, PostgreSQL writes on its own
core. A state seen for the first time is created at once with a guessed flow state; when the
file ends, the states this import added get the file's categories and workflow positions.
Existing states keep the facilitator's mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection
from psycopg.types.json import Jsonb

from workitems.importers.rows import ItemRow, StateRow, TransitionRow
from workitems.models import FlowState, Transition, WorkItem, WorkState
from workitems.rules import flow_state_guess, flow_type_for

BATCH_ITEMS = 2_000
ITEM_FIELDS = ["title", "url", "tracker_type", "tags", "flow_type", "created", "updated_at"]
# Where a new state with no position from the file goes: by flow state, then by its mean
# position in the items' histories.
_STATE_GROUP = {
    FlowState.NEW: 0,
    FlowState.WAITING: 1,
    FlowState.ACTIVE: 1,
    FlowState.IGNORE: 1,
    FlowState.DONE: 2,
    FlowState.CANCELED: 3,
}


class HistoryUpsert:
    """Feed it rows in the importers' order (an item's ItemRow, then its transitions); call
    `finish()` once. Must run inside a transaction (`transaction.atomic()`)."""

    def __init__(
        self,
        *,
        workshop_id: int,
        tag_rules: Mapping[str, str],
        type_rules: Mapping[str, str],
        now: datetime,
        source_id: int | None = None,
    ) -> None:
        """`source_id`: the tracker connection the rows come from (None: a file), recorded
        on every item written; a file import keeps an item's source."""
        self.workshop_id = workshop_id
        self.source_id = source_id
        self.tag_rules = tag_rules
        self.type_rules = type_rules
        self.now = now
        self.item_count = 0
        self.updated_count = 0  # items that existed before this import
        self.transition_count = 0
        self.hints: dict[str, StateRow] = {}
        self._state_ids = dict(
            WorkState.objects.filter(workshop_id=workshop_id).values_list("name", "id")
        )
        self._next_order = (
            max(
                WorkState.objects.filter(workshop_id=workshop_id).values_list("order", flat=True),
                default=-1,
            )
            + 1
        )
        self._added: dict[str, WorkState] = {}
        self._positions: dict[str, list[int]] = {}  # new state -> [sum of positions, count]
        self._seen: set[str] = set()
        self._items: list[tuple[Any, ...]] = []  # ITEM_COLUMNS of the batch's items
        self._transitions: list[tuple[str, int, datetime]] = []
        self._current: str | None = None
        self._position = 0

    def item(self, row: ItemRow) -> None:
        if row.external_id in self._seen:
            self._current = None  # a repeat (importers yield each once): its rows are dropped
            return
        if len(self._items) >= BATCH_ITEMS:
            self._flush()
        self._seen.add(row.external_id)
        self._current = row.external_id
        self._position = 0
        self._items.append(
            (
                row.external_id,
                row.title,
                row.url,
                row.tracker_type,
                list(row.tags),
                flow_type_for(
                    tags=row.tags,
                    tracker_type=row.tracker_type,
                    tag_rules=self.tag_rules,
                    type_rules=self.type_rules,
                ),
                row.created,
            )
        )
        self.item_count += 1

    def transition(self, row: TransitionRow) -> None:
        if row.external_id != self._current:
            if row.external_id in self._seen:
                return
            self.item(ItemRow(row.external_id))
        state_id = self._state_ids.get(row.state)
        if state_id is None:
            state_id = self._add_state(row.state)
        if row.state in self._positions:
            self._positions[row.state][0] += self._position
            self._positions[row.state][1] += 1
        self._position += 1
        self._transitions.append((row.external_id, state_id, row.entered_at))
        self.transition_count += 1

    def state(self, row: StateRow) -> None:
        self.hints[row.name] = row

    def finish(self) -> list[WorkState]:
        """Writes what is left and settles the states this import added; returns them."""
        self._flush()
        added = list(self._added.values())
        for state in added:
            hint = self.hints.get(state.name) or StateRow(state.name)
            state.category = hint.category[:50]
            state.flow_state = flow_state_guess(state.name, hint.category)

        def rank(state: WorkState) -> tuple[int, float]:
            hint = self.hints.get(state.name)
            if hint is not None and hint.order is not None:
                return (0, float(hint.order))
            total, count = self._positions.get(state.name, [0, 0])
            return (1 + _STATE_GROUP[FlowState(state.flow_state)], total / max(count, 1))

        start = min((state.order for state in added), default=0)
        for offset, state in enumerate(sorted(added, key=rank)):
            state.order = start + offset
        WorkState.objects.bulk_update(added, ["category", "flow_state", "order"])
        return added

    def _add_state(self, name: str) -> int:
        hint = self.hints.get(name) or StateRow(name)
        state = WorkState.objects.create(
            workshop_id=self.workshop_id,
            name=name,
            order=self._next_order,
            flow_state=flow_state_guess(name, hint.category),
            category=hint.category[:50],
        )
        self._next_order += 1
        self._state_ids[name] = state.pk
        self._added[name] = state
        self._positions[name] = [0, 0]
        return state.pk

    def _flush(self) -> None:
        if not self._items:
            return
        ids, existed = _upsert_items(self.workshop_id, self._items, self.now, self.source_id)
        self.updated_count += len(existed)
        if existed:
            _delete_transitions(existed)
        rows = [(ids[external_id], state, at) for external_id, state, at in self._transitions]
        _write_transitions(rows)
        self._items.clear()
        self._transitions.clear()


ITEM_COLUMNS = ("external_id", "title", "url", "tracker_type", "tags", "flow_type", "created")
# A batch's items go to a temporary table by COPY (binary, each value adapted in C), then into
# the items in one statement.
_ITEM_BATCH_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS workitem_batch (external_id text, title text, "
    "url text, tracker_type text, tags jsonb, flow_type text, created timestamptz) "
    "ON COMMIT DROP"
)
_UPSERT_ITEMS = (
    "INSERT INTO workitems_workitem (workshop_id, external_id, title, url, tracker_type, tags, "
    "flow_type, created, updated_at, source_id) SELECT %s, external_id, title, url, "
    "tracker_type, tags, flow_type, created, %s, %s::bigint FROM workitem_batch WHERE true "
    "ON CONFLICT (workshop_id, external_id) DO UPDATE SET "
    "title = COALESCE(NULLIF(excluded.title, ''), workitems_workitem.title), "
    "url = COALESCE(NULLIF(excluded.url, ''), workitems_workitem.url), "
    "tracker_type = COALESCE(NULLIF(excluded.tracker_type, ''), workitems_workitem.tracker_type), "
    "tags = CASE WHEN excluded.tags = '[]'::jsonb THEN workitems_workitem.tags "
    "ELSE excluded.tags END, "
    "flow_type = excluded.flow_type, "
    "created = COALESCE(excluded.created, workitems_workitem.created), "
    "updated_at = excluded.updated_at, "
    "source_id = COALESCE(excluded.source_id, workitems_workitem.source_id) "
    # xmax is 0 only in a row version this statement inserted: the others existed before.
    "RETURNING external_id, id, xmax <> 0"
)


def _upsert_items(
    workshop_id: int, items: list[tuple[Any, ...]], now: datetime, source_id: int | None = None
) -> tuple[dict[str, int], list[int]]:
    """Inserts or updates the items (ITEM_COLUMNS tuples) by (workshop, external_id); returns
    their ids and the ids of those that existed before. An attribute the file leaves empty
    keeps the value an earlier import gave (a flow type is then set again by the caller). On
    PostgreSQL: COPY into a temporary table and one upsert from it (the ORM's bulk upsert, or
    arrays adapted in Python, cost several times as much per item)."""
    if connection.vendor != "postgresql":
        before = {
            row[0]: row
            for row in WorkItem.objects.filter(
                workshop_id=workshop_id, external_id__in=[item[0] for item in items]
            ).values_list("external_id", "id", *ITEM_COLUMNS[1:])
        }
        objects = []
        for item in items:
            fields = dict(zip(ITEM_COLUMNS, item, strict=True))
            old = before.get(item[0])
            if old is not None:  # what the file leaves empty keeps what was there
                for name, value in zip(ITEM_COLUMNS[1:], old[2:], strict=True):
                    if name != "flow_type" and fields[name] in ("", [], None):
                        fields[name] = value
            objects.append(
                WorkItem(workshop_id=workshop_id, updated_at=now, source_id=source_id, **fields)
            )
        existed = [row[1] for row in before.values()]
        WorkItem.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["workshop", "external_id"],
            update_fields=ITEM_FIELDS + (["source"] if source_id is not None else []),
        )
        return {item.external_id: item.pk for item in objects}, existed
    with connection.cursor() as cursor:
        cursor.execute(_ITEM_BATCH_TABLE)
        cursor.execute("TRUNCATE workitem_batch")
        with cursor.cursor.copy(
            "COPY workitem_batch (external_id, title, url, tracker_type, tags, flow_type, "
            "created) FROM STDIN (FORMAT binary)"
        ) as copy:
            copy.set_types(["text", "text", "text", "text", "jsonb", "text", "timestamptz"])
            for external_id, title, url, tracker_type, tags, flow_type, created in items:
                copy.write_row(
                    (external_id, title, url, tracker_type, Jsonb(tags), flow_type, created)
                )
        cursor.execute(_UPSERT_ITEMS, [workshop_id, now, source_id])
        rows = cursor.fetchall()
    return {external_id: pk for external_id, pk, _ in rows}, [pk for _, pk, old in rows if old]


def _delete_transitions(item_ids: list[int]) -> None:
    """Deletes the items' transitions (nothing refers to a transition): on PostgreSQL one
    statement with the ids as one array parameter, rather than the ORM's delete, which
    compiles an `IN (...)` list of every id in Python."""
    if connection.vendor != "postgresql":
        Transition.objects.filter(item_id__in=item_ids).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM workitems_transition WHERE item_id = ANY(%s)", [item_ids])


def _write_transitions(rows: list[tuple[int, int, datetime]]) -> None:
    """Appends transitions in the given order (ids increase with it: the order at the same
    instant)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Transition.objects.bulk_create(
            (Transition(item_id=item, state_id=state, entered_at=at) for item, state, at in rows),
            batch_size=1_000,
        )
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY workitems_transition (item_id, state_id, entered_at) FROM STDIN (FORMAT binary)"
        ) as copy,
    ):
        copy.set_types(["int8", "int8", "timestamptz"])
        for row in rows:
            copy.write_row(row)
