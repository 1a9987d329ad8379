"""An import's rows, staged in temporary tables as they are parsed, then merged into the
workshop's items, states and transitions in one transaction.

Staging keeps the upload out of memory (rows go to the database in chunks: PostgreSQL's COPY,
or batched inserts on SQLite) and lets the merge be a handful of set-based statements: upsert
the items by `external_id`, replace the transitions of every item the file names, add the
states not seen before. Nothing reaches the real tables until the whole file has parsed
without an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from workitems.importers.rows import ItemRow, StateRow, TransitionRow
from workitems.models import FlowState, WorkState
from workitems.rules import flow_state_guess

CHUNK = 5_000
ITEM_COLUMNS = ("external_id", "title", "url", "tracker_type", "tags", "flow_type", "created")
TRANSITION_COLUMNS = ("seq", "external_id", "state", "entered_at")
# Where a state with no order of its own goes among new states: by flow state, then by its
# mean position in the items' histories.
_STATE_GROUP = {
    FlowState.NEW: 0,
    FlowState.WAITING: 1,
    FlowState.ACTIVE: 1,
    FlowState.IGNORE: 1,
    FlowState.DONE: 2,
    FlowState.CANCELED: 3,
}


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


class Staging:
    """Temporary tables for one import on this connection: `with Staging(n) as staging:`
    add rows, then `merge(...)` once. The tables are dropped on exit."""

    def __init__(self, import_id: int) -> None:
        self.items_table = f"workitem_stage_item_{int(import_id)}"
        self.transitions_table = f"workitem_stage_transition_{int(import_id)}"
        self._items: list[tuple[Any, ...]] = []
        self._transitions: list[tuple[Any, ...]] = []
        self.item_count = 0
        self.transition_count = 0
        self._seq = 0

    def __enter__(self) -> Staging:
        timestamp = "timestamptz" if _is_postgres() else "text"
        self._drop()
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.items_table} (external_id text NOT NULL, "  # noqa: S608
                f"title text, url text, tracker_type text, tags text, flow_type text, "
                f"created {timestamp})"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.transitions_table} (seq bigint NOT NULL, "  # noqa: S608
                f"external_id text NOT NULL, state text NOT NULL, entered_at {timestamp} NOT NULL)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._drop()

    def _drop(self) -> None:
        with connection.cursor() as cursor:
            for table in (self.items_table, self.transitions_table):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def _datetime(self, value: datetime | None) -> Any:
        if value is None or _is_postgres():
            return value
        return connection.ops.adapt_datetimefield_value(value)

    def add_item(self, row: ItemRow, flow_type: str) -> None:
        self._items.append(
            (
                row.external_id,
                row.title,
                row.url,
                row.tracker_type,
                json.dumps(list(row.tags)),
                flow_type,
                self._datetime(row.created),
            )
        )
        self.item_count += 1
        if len(self._items) >= CHUNK:
            self.flush()

    def add_transition(self, row: TransitionRow) -> None:
        self._seq += 1
        self._transitions.append(
            (self._seq, row.external_id, row.state, self._datetime(row.entered_at))
        )
        self.transition_count += 1
        if len(self._transitions) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Writes the buffered rows to the staging tables."""
        for table, columns, rows in (
            (self.items_table, ITEM_COLUMNS, self._items),
            (self.transitions_table, TRANSITION_COLUMNS, self._transitions),
        ):
            if rows:
                _write(table, columns, rows)
                rows.clear()

    def merge(
        self, *, workshop_id: int, states: Mapping[str, StateRow], now: datetime
    ) -> list[WorkState]:
        """Moves the staged rows into the workshop's tables in one transaction and returns the
        states it added. Items are upserted by `external_id` (attributes replaced); each named
        item's transitions are replaced by the file's; states keep the facilitator's mapping,
        and new ones get a guessed flow state and an order."""
        self.flush()
        with transaction.atomic(), connection.cursor() as cursor:
            if _is_postgres():
                cursor.execute(f"ANALYZE {self.items_table}")
                cursor.execute(f"ANALYZE {self.transitions_table}")
            added = self._merge_states(cursor, workshop_id, states)
            tags = "s.tags::jsonb" if _is_postgres() else "s.tags"
            cursor.execute(
                f"INSERT INTO workitems_workitem (workshop_id, external_id, title, url, "  # noqa: S608
                f"tracker_type, tags, flow_type, created, updated_at) "
                f"SELECT %s, s.external_id, s.title, s.url, s.tracker_type, {tags}, s.flow_type, "
                f"s.created, %s FROM {self.items_table} s WHERE true "
                f"ON CONFLICT (workshop_id, external_id) DO UPDATE SET title = excluded.title, "
                f"url = excluded.url, tracker_type = excluded.tracker_type, tags = excluded.tags, "
                f"flow_type = excluded.flow_type, created = excluded.created, "
                f"updated_at = excluded.updated_at",
                [workshop_id, self._datetime(now)],
            )
            cursor.execute(
                f"DELETE FROM workitems_transition WHERE item_id IN (SELECT w.id FROM "  # noqa: S608
                f"workitems_workitem w JOIN {self.items_table} s ON s.external_id = w.external_id "
                f"WHERE w.workshop_id = %s)",
                [workshop_id],
            )
            cursor.execute(
                f"INSERT INTO workitems_transition (item_id, state_id, entered_at) "  # noqa: S608
                f"SELECT w.id, ws.id, t.entered_at FROM {self.transitions_table} t "
                f"JOIN workitems_workitem w "
                f"ON w.workshop_id = %s AND w.external_id = t.external_id "
                f"JOIN workitems_workstate ws ON ws.workshop_id = %s AND ws.name = t.state "
                f"ORDER BY t.seq",
                [workshop_id, workshop_id],
            )
        return added

    def _merge_states(
        self, cursor: Any, workshop_id: int, states: Mapping[str, StateRow]
    ) -> list[WorkState]:
        existing = dict(
            WorkState.objects.filter(workshop_id=workshop_id).values_list("name", "order")
        )
        cursor.execute(
            f"SELECT state, AVG(position) FROM (SELECT state, ROW_NUMBER() OVER "  # noqa: S608
            f"(PARTITION BY external_id ORDER BY seq) AS position FROM {self.transitions_table}) "
            f"AS ranked GROUP BY state"
        )
        mean_position = {name: float(position) for name, position in cursor.fetchall()}
        names = (set(mean_position) | set(states)) - set(existing)
        new = []
        for name in names:
            hint = states.get(name) or StateRow(name)
            flow_state = flow_state_guess(name, hint.category)
            rank = (
                (0, hint.order, 0.0)
                if hint.order is not None
                else (1 + _STATE_GROUP[flow_state], 0, mean_position.get(name, 0.0))
            )
            new.append((rank, name, flow_state, hint.category))
        start = max(existing.values(), default=-1) + 1
        added = [
            WorkState(
                workshop_id=workshop_id,
                name=name,
                order=start + index,
                flow_state=flow_state,
                category=category[:50],
            )
            for index, (_, name, flow_state, category) in enumerate(sorted(new))
        ]
        WorkState.objects.bulk_create(added)
        return added


def _write(table: str, columns: Iterable[str], rows: list[tuple[Any, ...]]) -> None:
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if _is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(rows[0]))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
