"""Every write of measured flow: importing work-item history, the workshop's state mapping and
its type rules. Each authorises (facilitators write; non-members get 404), validates, writes
in one transaction and tells the workshop's Flow pages after commit."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from streams.models import Activity, Op, ValueStream
from streams.services.board import (
    Batch,
    op_apply,
    op_record,
    op_transaction,
    stream_lock_for_edit,
)
from vsm_site.errors import NotFound
from vsm_site.validation import Choice, Integer, Reference, Text, clean_payload
from workitems import events, importers
from workitems.importers.rows import ItemRow, Problem, StateRow, TransitionRow
from workitems.models import (
    FlowState,
    FlowType,
    ImportStatus,
    StateActivity,
    TypeRule,
    WorkItem,
    WorkItemImport,
    WorkState,
)
from workitems.rules import DEFAULT_TAG_RULES, DEFAULT_TYPE_RULES, flow_type_for, rule_key
from workitems.selectors import import_data, import_progress_key, state_board_data
from workitems.tasks import work_item_import_run_task
from workitems.upsert import HistoryUpsert
from workshops.selectors import facilitator_membership_get

logger = logging.getLogger(__name__)

IMPORT_FORMATS = ("long_csv", "wide_csv", "jira_json", "ado_json", "github_json")
MAX_PROBLEMS = 50  # errors (and warnings) kept on an import record
PROGRESS_EVERY = 0.5  # seconds between two progress updates of a running import
READ_SHARE = 0.9  # of the progress bar: reading the file; the rest is the merge
WORK_STATE_SPEC = {
    "order": Integer(minimum=0, maximum=10_000),
    "flow_state": Choice(choices=tuple(FlowState.values)),
}
WORK_STATE_READ_ONLY = ("id", "name", "category", "activities")
STATE_MAP_SPEC = {
    "id": Reference(required=True),
    "activity": Reference(required=True, nullable=True),
}
TYPE_RULE_SPEC = {
    "match": Choice(required=True, choices=tuple(TypeRule.Match.values)),
    "value": Text(required=True, max_length=100, blank=False),
    "flow_type": Choice(required=True, choices=tuple(FlowType.values)),
}
MAX_TYPE_RULES = 500


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


# Import ---------------------------------------------------------------------------------------


def work_item_import_create(
    *, actor: User, workshop_id: int, upload: UploadedFile | None, format: Any = ""
) -> WorkItemImport:
    """A facilitator uploads a file of work-item history. The file is kept until the import
    ends; a file up to VSM_IMPORT_INLINE_BYTES is imported before this returns, a larger one
    by a worker after commit (the record is `pending` until it starts)."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    errors: dict[str, list[str]] = {}
    # (An upload's size is always known: File.size is None only for files of unknown length.)
    if upload is None or not hasattr(upload, "size"):
        errors["file"] = ["Choose a file to import (a multipart field named file)."]
    elif upload.size > settings.VSM_IMPORT_MAX_BYTES:
        errors["file"] = [
            f"The file is {_mib(cast(int, upload.size))}; the limit is "
            f"{_mib(settings.VSM_IMPORT_MAX_BYTES)}. Export a shorter period."
        ]
    elif upload.size == 0:
        errors["file"] = ["The file is empty."]
    if format not in ("", None) and format not in IMPORT_FORMATS:
        errors["format"] = [
            f"Unknown format; leave it out to detect it, or use one of: "
            f"{', '.join(IMPORT_FORMATS)}."
        ]
    if errors:
        raise ValidationError(errors)
    assert upload is not None  # noqa: S101 (narrowed by the checks above)
    record = WorkItemImport(
        workshop_id=workshop_id,
        created_by=actor,
        format=format or "",
        filename=(upload.name or "upload")[:255],
        size=cast(int, upload.size),
    )
    record.file.save("upload", upload, save=False)
    record.save()
    if upload.size <= settings.VSM_IMPORT_INLINE_BYTES:
        return work_item_import_run(import_id=record.pk)
    transaction.on_commit(lambda: work_item_import_run_task.delay(record.pk))
    return record


class _CountingReader(io.RawIOBase):
    """A file that counts the bytes read through it (for an import's progress)."""

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._on_read(len(data))
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Progress:
    """Reports a running import's progress at most every PROGRESS_EVERY seconds: the share
    of the file read (all of an importer's passes). The import writes in one transaction, so
    progress goes to the cache (which the record's readers consult) and to the Flow pages."""

    def __init__(self, record: WorkItemImport, passes: int) -> None:
        self.record = record
        self.total = max(1, record.size * passes)
        self.read = 0
        self.last = 0.0

    def on_read(self, count: int) -> None:
        self.read += count
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            self.report(READ_SHARE * min(1.0, self.read / self.total))

    def report(self, progress: float) -> None:
        self.record.progress = progress
        cache.set(import_progress_key(self.record.pk), progress, timeout=24 * 3600)
        events.flow_send(self.record.workshop_id, import_frame(self.record))


def import_frame(record: WorkItemImport) -> dict[str, Any]:
    return {"frame": "import.progress", "import": import_data(record)}


def _problem(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line, "message": problem.message}


def work_item_import_run(*, import_id: int) -> WorkItemImport:
    """Parses the import's file and writes its rows into the workshop in one transaction as
    they come (`workitems.upsert`); a row with an error rolls it all back and the first
    MAX_PROBLEMS errors are recorded with their lines. Idempotent: a finished import is
    returned as it is; one left `running` by a lost worker runs again from the start (nothing
    of it was committed). Always ends `done` or `failed` and deletes the file."""
    record = WorkItemImport.objects.get(pk=import_id)
    if record.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return record
    record.status = ImportStatus.RUNNING
    record.save(update_fields=["status"])
    try:
        _run(record)
    except Exception:
        logger.exception("Work-item import %s failed", record.pk)
        record.status = ImportStatus.FAILED
        record.errors = [
            {
                "line": None,
                "message": "The import stopped on an internal error; nothing was "
                "imported. Try again, and tell the administrators if it happens again.",
            }
        ]
    finally:
        record.finished_at = timezone.now()
        record.progress = 1.0
        record.save()
        if record.file:
            record.file.delete(save=False)
            WorkItemImport.objects.filter(pk=record.pk).update(file="")
        events.flow_send(record.workshop_id, import_frame(record))
    if record.status == ImportStatus.DONE:
        events.flow_send(record.workshop_id, {"frame": "flow.changed", "reason": "import"})
    return record


def _run(record: WorkItemImport) -> None:
    progress = _Progress(record, passes=importers.PASSES.get(record.format or "", 2))

    def opener() -> BinaryIO:
        return io.BufferedReader(_CountingReader(record.file.open("rb"), progress.on_read))

    try:
        fmt, rows = importers.parse(opener, record.format or None)
    except ValueError as error:
        record.status = ImportStatus.FAILED
        record.errors = [{"line": None, "message": str(error)}]
        return
    record.format = fmt
    progress.total = max(1, record.size * importers.PASSES.get(fmt, 1))
    tag_rules, type_rules = type_rules_get(workshop_id=record.workshop_id)
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    more_warnings = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Plans of a bulk write are cheap; compiling them (JIT) costs more than they save.
                cursor.execute("SET LOCAL jit = off")
        upsert = HistoryUpsert(
            workshop_id=record.workshop_id,
            tag_rules=tag_rules,
            type_rules=type_rules,
            now=timezone.now(),
        )
        for row in rows:
            if isinstance(row, TransitionRow):
                if not errors:
                    upsert.transition(row)
            elif isinstance(row, ItemRow):
                if not errors:
                    upsert.item(row)
            elif isinstance(row, StateRow):
                upsert.state(row)
            elif row.fatal:
                errors.append(_problem(row))
                if len(errors) >= MAX_PROBLEMS:
                    break
            elif len(warnings) < MAX_PROBLEMS:
                warnings.append(_problem(row))
            else:
                more_warnings += 1
        if not errors and not upsert.item_count:
            errors.append({"line": None, "message": "The file has no work items."})
        if more_warnings:
            warnings.append({"line": None, "message": f"…and {more_warnings} more warnings."})
        record.warnings = warnings
        if errors:
            transaction.set_rollback(True)  # nothing of the file stays
            record.status = ImportStatus.FAILED
            record.errors = errors
            return
        progress.report(READ_SHARE)
        upsert.finish()
        if upsert.updated_count:  # merged attributes may type an item differently
            work_items_retype(workshop_id=record.workshop_id)
    if not upsert.transition_count:
        record.warnings.insert(
            0,
            {
                "line": None,
                "message": "This export has no state history: the Flow page can show "
                "velocity and age only. Export with the changelog (Jira), the revisions "
                "(Azure DevOps) or one column per stage to see flow time and load.",
            },
        )
    record.status = ImportStatus.DONE
    record.items = upsert.item_count
    record.transitions = upsert.transition_count


# State mapping --------------------------------------------------------------------------------


def _workshop_states_locked(workshop_id: int) -> list[WorkState]:
    return list(
        WorkState.objects.select_for_update()
        .filter(workshop_id=workshop_id)
        .order_by("order", "id")
    )


def _renumber(states: list[WorkState], moves: dict[int, int]) -> None:
    """Puts each state of `moves` (id -> wanted position) at its position and the others in
    their order around them; orders become 0..n-1."""
    by_id = {state.pk: state for state in states}
    result = [state for state in states if state.pk not in moves]
    for state_id, position in sorted(moves.items(), key=lambda move: move[1]):
        result.insert(min(position, len(result)), by_id[state_id])
    for order, state in enumerate(result):
        state.order = order


@transaction.atomic
def work_states_update(*, actor: User, workshop_id: int, data: Any) -> list[WorkState]:
    """A facilitator edits the state mapping: a list of `{"id", "flow_state"?, "order"?}`,
    applied together (all or nothing). An `order` moves the state to that position; the
    workshop's orders stay 0..n-1. Every metric follows the new mapping."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    if not isinstance(data, list) or not data:
        raise ValidationError({"non_field_errors": ["Expected a list of states to change."]})
    states = _workshop_states_locked(workshop_id)
    by_id = {state.pk: state for state in states}
    errors: dict[str, list[str]] = {}
    changes: list[tuple[WorkState, dict[str, Any]]] = []
    for index, entry in enumerate(data):
        state_id = entry.get("id") if isinstance(entry, dict) else None
        state = by_id.get(state_id) if isinstance(state_id, int) else None
        if state is None:
            errors[f"{index}.id"] = ["No such state in this workshop."]
            continue
        try:
            fields = clean_payload(
                WORK_STATE_SPEC, entry, partial=True, read_only=WORK_STATE_READ_ONLY
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[f"{index}.{name}"] = messages
            continue
        changes.append((state, fields))
    if errors:
        raise ValidationError(errors)
    moves = {state.pk: fields["order"] for state, fields in changes if "order" in fields}
    for state, fields in changes:
        if "flow_state" in fields:
            state.flow_state = fields["flow_state"]
    if moves:
        _renumber(states, moves)
    WorkState.objects.bulk_update(states, ["order", "flow_state"])
    events.flow_changed_on_commit(workshop_id, reason="states")
    return sorted(states, key=lambda state: state.order)


def work_state_update(*, actor: User, state_id: int, data: Any) -> WorkState:
    """One state's flow state or position (see `work_states_update`), and its activity on a
    map: `activity` an activity id of a map of the workshop (the state moves to it on that
    map), or null with `stream` (unmapped on that map) or without (unmapped on every map).
    Mapping goes through the board op `state.update` of each map concerned, so every board
    hears of it. All of it or nothing."""
    workshop_id = (
        WorkState.objects.filter(pk=state_id).values_list("workshop_id", flat=True).first()
        if isinstance(state_id, int) and 0 < state_id < 2**63
        else None
    )
    if workshop_id is None:
        raise NotFound("No such state.")
    try:
        facilitator_membership_get(user=actor, workshop_id=workshop_id)
    except NotFound:
        raise NotFound("No such state.") from None  # the same answer as for no state
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Expected an object."]})
    fields = dict(data)
    mapping = {name: fields.pop(name) for name in ("activity", "stream") if name in fields}
    with transaction.atomic():
        if set(fields) - {"id", *WORK_STATE_READ_ONLY} or not mapping:
            try:
                work_states_update(
                    actor=actor, workshop_id=workshop_id, data=[{**fields, "id": state_id}]
                )
            except ValidationError as error:  # keyed by the state's place in the list: "0.order"
                raise ValidationError(
                    {
                        name.removeprefix("0."): messages
                        for name, messages in error.message_dict.items()
                    }
                ) from None
        if "activity" in mapping:
            _state_map(actor, workshop_id, state_id, mapping)
        elif "stream" in mapping:
            raise ValidationError({"stream": ["Give `stream` only with `activity: null`."]})
    return WorkState.objects.get(pk=state_id)


def _state_map(actor: User, workshop_id: int, state_id: int, mapping: dict[str, Any]) -> None:
    """Applies `activity` (and `stream`) of a work-state PATCH as `state.update` ops."""
    activity_id, stream_id = mapping["activity"], mapping.get("stream")
    if activity_id is not None:
        if isinstance(activity_id, bool) or not isinstance(activity_id, int):
            raise ValidationError({"activity": ["Must be the id of an activity, or null."]})
        streams = (
            list(
                Activity.objects.filter(
                    pk=activity_id, stream__workshop_id=workshop_id
                ).values_list("stream_id", flat=True)
            )
            if 0 < activity_id < 2**63
            else []
        )
        if not streams:
            raise ValidationError({"activity": ["No such activity on a map of this workshop."]})
        if stream_id is not None and stream_id != streams[0]:
            raise ValidationError({"stream": ["The activity is on another map."]})
    elif stream_id is not None:
        if (
            isinstance(stream_id, bool)
            or not isinstance(stream_id, int)
            or not (ValueStream.objects.filter(pk=stream_id, workshop_id=workshop_id).exists())
        ):
            raise ValidationError({"stream": ["No such map in this workshop."]})
        streams = [stream_id]
    else:
        streams = list(
            StateActivity.objects.filter(state_id=state_id).values_list("stream_id", flat=True)
        )
    for stream in streams:
        op_apply(
            actor=actor,
            stream_id=stream,
            op="state.update",
            data={"id": state_id, "activity": activity_id},
        )


@op_transaction
def state_activity_op(
    *,
    actor: User,
    stream_id: int,
    action: str,
    data: Any,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """The board op `state.update` `{"id": <work state>, "activity": <activity> | null}`: a
    facilitator assigns a tracker state of the workshop to an activity of this map, or
    unassigns it. Holds the stream's lock and records one op whose data is the state as the
    board shows it; broadcast on commit. NotFound for a state of another workshop (the same
    as for none), ValidationError for an activity that is not on this map; nothing changes."""
    if action != "update":
        raise ValidationError({"op": ["Tracker states are assigned with state.update."]})
    seq, membership = stream_lock_for_edit(
        actor=actor, stream_id=stream_id, client_id=client_id, batch=batch
    )
    if not membership.is_facilitator:
        raise PermissionDenied("Only a facilitator assigns tracker states to activities.")
    fields = clean_payload(
        STATE_MAP_SPEC, data, partial=False, read_only=("name", "order", "flow_state", "category")
    )
    state = WorkState.objects.filter(pk=fields["id"], workshop_id=membership.workshop_id).first()
    if state is None:
        raise NotFound("No such state.")
    activity_id = fields["activity"]
    if activity_id is None:
        StateActivity.objects.filter(state=state, stream_id=stream_id).delete()
    elif not Activity.objects.filter(pk=activity_id, stream_id=stream_id).exists():
        raise ValidationError({"activity": ["No such activity on this map."]})
    else:
        StateActivity.objects.update_or_create(
            state=state, stream_id=stream_id, defaults={"activity_id": activity_id}
        )
    return op_record(
        stream_id=stream_id,
        seq=seq,
        actor=actor,
        op="state.update",
        data=state_board_data(state, activity_id),
        client_id=client_id,
        batch=batch,
    )


# Type rules -----------------------------------------------------------------------------------


def type_rules_get(*, workshop_id: int) -> tuple[dict[str, str], dict[str, str]]:
    """The workshop's (tag rules, type rules), keyed by `rule_key`; the defaults until a
    facilitator has edited them."""
    rows = list(
        TypeRule.objects.filter(workshop_id=workshop_id).values_list("match", "value", "flow_type")
    )
    if not rows:
        return dict(DEFAULT_TAG_RULES), dict(DEFAULT_TYPE_RULES)
    tag_rules = {
        value: flow_type for match, value, flow_type in rows if match == TypeRule.Match.TAG
    }
    type_rules = {
        value: flow_type for match, value, flow_type in rows if match == TypeRule.Match.TYPE
    }
    return tag_rules, type_rules


@transaction.atomic
def type_rules_replace(*, actor: User, workshop_id: int, data: Any) -> int:
    """A facilitator replaces the workshop's type rules with `data` (a list of
    `{"match": "tag"|"type", "value", "flow_type"}`) and every item is retyped. Returns how
    many items changed type. At least one rule is kept: an empty list is refused."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    if not isinstance(data, list) or not data:
        raise ValidationError(
            {"rules": ["Give at least one rule (items no rule matches are features)."]}
        )
    if len(data) > MAX_TYPE_RULES:
        raise ValidationError({"rules": [f"At most {MAX_TYPE_RULES} rules."]})
    errors: dict[str, list[str]] = {}
    rules: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(data):
        try:
            fields = clean_payload(TYPE_RULE_SPEC, entry, partial=False, read_only=("id",))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[f"{index}.{name}"] = messages
            continue
        rules[(fields["match"], rule_key(fields["value"]))] = fields["flow_type"]
    if errors:
        raise ValidationError(errors)
    TypeRule.objects.filter(workshop_id=workshop_id).delete()
    TypeRule.objects.bulk_create(
        TypeRule(workshop_id=workshop_id, match=match, value=value, flow_type=flow_type)
        for (match, value), flow_type in rules.items()
    )
    changed = work_items_retype(workshop_id=workshop_id)
    events.flow_changed_on_commit(workshop_id, reason="types")
    return changed


def work_items_retype(*, workshop_id: int) -> int:
    """Gives every item of the workshop the flow type its tags and tracker type get under
    the current rules; returns how many changed."""
    tag_rules, type_rules = type_rules_get(workshop_id=workshop_id)
    moves: dict[str, list[int]] = {}
    rows: Iterable[tuple[int, list[str], str, str]] = (
        WorkItem.objects.filter(workshop_id=workshop_id)
        .values_list("id", "tags", "tracker_type", "flow_type")
        .iterator(chunk_size=5_000)
    )
    for item_id, tags, tracker_type, current in rows:
        flow_type = flow_type_for(
            tags=tags or (), tracker_type=tracker_type, tag_rules=tag_rules, type_rules=type_rules
        )
        if flow_type != current:
            moves.setdefault(flow_type, []).append(item_id)
    for flow_type, ids in moves.items():
        for start in range(0, len(ids), 5_000):
            WorkItem.objects.filter(pk__in=ids[start : start + 5_000]).update(flow_type=flow_type)
    return sum(len(ids) for ids in moves.values())
