"""Reads of measured flow, always scoped to what the user may see (non-members get 404)."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min, QuerySet

from vsm_site.errors import NotFound
from vsm_site.ids import row_id
from workitems.models import (
    Connection,
    ConnectionSync,
    ImportStatus,
    StateActivity,
    Transition,
    TypeRule,
    WorkItem,
    WorkItemImport,
    WorkState,
)
from workitems.rules import TypeRuleRow, default_type_rules
from workshops.selectors import AnyUser, facilitator_membership_get, membership_get


def import_progress_key(import_id: int) -> str:
    return f"work-item-import-{import_id}-progress"


def import_data(record: WorkItemImport) -> dict[str, Any]:
    """The import record as the API and the Flow page's frames present it; a running
    import's progress comes from the cache (it writes in one transaction)."""
    progress = record.progress
    if record.status == ImportStatus.RUNNING:
        progress = cache.get(import_progress_key(record.pk), progress)
    return {
        "id": record.pk,
        "status": record.status,
        "format": record.format,
        "filename": record.filename,
        "size": record.size,
        "progress": round(progress, 4),
        "items": record.items,
        "transitions": record.transitions,
        "errors": record.errors,
        "warnings": record.warnings,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }


def work_state_data(state: WorkState) -> dict[str, Any]:
    """A work state as the API shows it, with the activity it belongs to on each map."""
    return {
        "id": state.pk,
        "name": state.name,
        "order": state.order,
        "flow_state": state.flow_state,
        "category": state.category,
        "activities": [
            {"stream": stream, "activity": activity}
            for stream, activity in StateActivity.objects.filter(state=state)
            .order_by("stream_id")
            .values_list("stream_id", "activity_id")
        ],
    }


def state_board_data(state: WorkState, activity_id: int | None) -> dict[str, Any]:
    """A work state as a board shows it: with its activity on that board's map, or null."""
    return {
        "id": state.pk,
        "name": state.name,
        "order": state.order,
        "flow_state": state.flow_state,
        "activity": activity_id,
    }


def board_work_states(stream: Any, membership: Any) -> list[dict[str, Any]]:
    """The `work_states` of a board's snapshot: every tracker state of the workshop in
    workflow order, with its activity on this map (every member may read them)."""
    activity_of = dict(
        StateActivity.objects.filter(stream=stream).values_list("state_id", "activity_id")
    )
    return [
        state_board_data(state, activity_of.get(state.pk))
        for state in WorkState.objects.filter(workshop_id=stream.workshop_id).order_by(
            "order", "id"
        )
    ]


def import_get(*, user: AnyUser, import_id: int) -> WorkItemImport:
    """An import record of a workshop the user is a member of; NotFound otherwise."""
    record = WorkItemImport.objects.filter(pk=import_id).first() if row_id(import_id) else None
    if record is None:
        raise NotFound("No such import.")
    try:
        membership_get(user=user, workshop_id=record.workshop_id)
    except NotFound:
        raise NotFound("No such import.") from None  # the same answer as for no record
    return record


def import_list(*, user: AnyUser, workshop_id: int, limit: int = 10) -> list[WorkItemImport]:
    membership_get(user=user, workshop_id=workshop_id)
    return list(WorkItemImport.objects.filter(workshop_id=workshop_id)[:limit])


def work_state_list(*, user: AnyUser, workshop_id: int) -> QuerySet[WorkState]:
    membership_get(user=user, workshop_id=workshop_id)
    return WorkState.objects.filter(workshop_id=workshop_id).order_by("order", "id")


def work_state_get(*, user: AnyUser, state_id: int) -> WorkState:
    state = WorkState.objects.filter(pk=state_id).first() if row_id(state_id) else None
    if state is None:
        raise NotFound("No such state.")
    try:
        membership_get(user=user, workshop_id=state.workshop_id)
    except NotFound:
        raise NotFound("No such state.") from None  # the same answer as for no state
    return state


def type_rule_list(*, user: AnyUser, workshop_id: int) -> list[TypeRuleRow]:
    """The workshop's type rules; the defaults until a facilitator edits them."""
    membership_get(user=user, workshop_id=workshop_id)
    rows = TypeRule.objects.filter(workshop_id=workshop_id).values("match", "value", "flow_type")
    return list(rows) or default_type_rules()


def work_history_facts(*, workshop_id: int) -> dict[str, Any]:
    """How much history the workshop has: `items`, `transitions` and the `first` and `last`
    instants a transition was made (None without any)."""
    facts = Transition.objects.filter(item__workshop_id=workshop_id).aggregate(
        transitions=Count("id"), first=Min("entered_at"), last=Max("entered_at")
    )
    return {**facts, "items": WorkItem.objects.filter(workshop_id=workshop_id).count()}


# Tracker connections: facilitators only. Others get 403 for a workshop's list (they may know
# the workshop) and 404 for a connection or a sync (the same as for none).


def sync_data(sync: ConnectionSync) -> dict[str, Any]:
    """A sync record as the API and the Flow page's `sync.progress` frames present it."""
    return {
        "id": sync.pk,
        "connection": sync.connection_id,
        "trigger": sync.trigger,
        "status": sync.status,
        "items": sync.items,
        "transitions": sync.transitions,
        "pages": sync.pages,
        "attempts": sync.attempts,
        "full": sync.full,
        "message": sync.message,
        "errors": sync.errors,
        "warnings": sync.warnings,
        "since": sync.since.isoformat() if sync.since else None,
        "created_at": sync.created_at.isoformat() if sync.created_at else None,
        "started_at": sync.started_at.isoformat() if sync.started_at else None,
        "finished_at": sync.finished_at.isoformat() if sync.finished_at else None,
        "retry_at": sync.retry_at.isoformat() if sync.retry_at else None,
    }


def connection_data(connection: Connection) -> dict[str, Any]:
    """A connection as the API shows it: never its credential, only `credential_hint` (the
    token's last four characters); `last_sync` its latest sync record, or null."""
    latest = connection.syncs.order_by("-created_at", "-id").first()
    return {
        "id": connection.pk,
        "kind": connection.kind,
        "base_url": connection.base_url,
        "scope": connection.scope,
        "credential_hint": connection.credential_hint,
        "schedule": connection.schedule,
        "last_sync": sync_data(latest) if latest is not None else None,
        "last_success": connection.cursor.isoformat() if connection.cursor else None,
        "items": connection.work_items.count(),
        "created_at": connection.created_at.isoformat() if connection.created_at else None,
    }


def connection_list(*, user: AnyUser, workshop_id: int) -> list[Connection]:
    facilitator_membership_get(user=user, workshop_id=workshop_id)
    return list(Connection.objects.filter(workshop_id=workshop_id).order_by("id"))


def connection_for_facilitator(*, user: AnyUser, connection_id: Any) -> Connection:
    """A connection of a workshop the user facilitates; NotFound otherwise (whatever the
    reason, so a connection's existence is never revealed to other members)."""
    connection = (
        Connection.objects.filter(pk=connection_id).first() if row_id(connection_id) else None
    )
    if connection is None:
        raise NotFound("No such connection.")
    try:
        membership = membership_get(user=user, workshop_id=connection.workshop_id)
    except NotFound:
        raise NotFound("No such connection.") from None
    if not membership.is_facilitator:
        raise NotFound("No such connection.")
    return connection


def sync_get(*, user: AnyUser, sync_id: Any) -> ConnectionSync:
    """A sync record of a connection the user may see (facilitators); NotFound otherwise."""
    sync = ConnectionSync.objects.filter(pk=sync_id).first() if row_id(sync_id) else None
    if sync is None:
        raise NotFound("No such sync.")
    try:
        connection_for_facilitator(user=user, connection_id=sync.connection_id)
    except NotFound:
        raise NotFound("No such sync.") from None
    return sync


# PostgreSQL's binary COPY of (transition id, item id, state id, epoch seconds), all int8 and
# never null: a 2-byte field count, then per field a 4-byte length and the 8-byte value,
# big-endian; after a 19-byte header. Read straight into numpy, and put in history order
# there (a sort in numpy costs less than one in the query).
_COPY_HEADER = 19
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("id_len", ">i4"),
        ("id", ">i8"),
        ("item_len", ">i4"),
        ("item", ">i8"),
        ("state_len", ">i4"),
        ("state", ">i8"),
        ("at_len", ">i4"),
        ("at", ">i8"),
    ]
)
_TRANSITIONS_SQL = (
    "SELECT t.id, t.item_id, t.state_id, floor(extract(epoch FROM t.entered_at))::int8 "
    "FROM workitems_transition t JOIN workitems_workitem w ON w.id = t.item_id "
    "WHERE w.workshop_id = %s"
)


def transition_rows(*, workshop_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ids, item ids, state ids, epoch seconds) of the workshop's transitions, any order, as
    int64 arrays: what measured flow reads on every figure, so on PostgreSQL one binary COPY
    read straight into numpy. Not scoped to a user: callers authorise first."""
    if connection.vendor == "postgresql":
        buffer = bytearray()
        with connection.cursor() as cursor:
            sql = cursor.mogrify(_TRANSITIONS_SQL, [workshop_id])
            if isinstance(sql, bytes):
                sql = sql.decode()
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
                for block in copy:
                    buffer += block
        count = (len(buffer) - _COPY_HEADER - 2) // _COPY_ROW.itemsize
        rows = np.frombuffer(buffer, dtype=_COPY_ROW, count=count, offset=_COPY_HEADER)
        return tuple(rows[name].astype(np.int64) for name in ("id", "item", "state", "at"))  # type: ignore[return-value]
    transitions = list(
        Transition.objects.filter(item__workshop_id=workshop_id).values_list(
            "id", "item_id", "state_id", "entered_at"
        )
    )
    return (
        np.array([row[0] for row in transitions], dtype=np.int64),
        np.array([row[1] for row in transitions], dtype=np.int64),
        np.array([row[2] for row in transitions], dtype=np.int64),
        np.array([int(row[3].timestamp()) for row in transitions], dtype=np.int64),
    )
