"""Every write of tracker connections and their syncs (the services of `workitems.connectors`).

Facilitators create, change, test, sync and remove a workshop's connections; anyone else gets
404 for a connection (and 403 for the list, `selectors.connection_list`). A credential is
validated, encrypted (`workitems.crypto`) and never returned, logged or put in a task's
arguments: tasks take the connection's and the sync's ids.

A sync (`connection_sync_run`, run by `tasks.connection_sync_task`):

1. takes the connection in a short transaction (`select_for_update(nowait=True)` on its row):
   a connection held by another sync whose lock has not expired is not synced again;
2. fetches, outside any transaction, the items changed since the connection's `cursor` (the
   start of its last successful sync), each item whole, into batches on disk;
3. writes every batch through the importers and the one upsert (`HistoryUpsert`) in ONE
   transaction, which also moves the cursor to when this sync started and frees the lock.

So a sync that fails, or whose worker is killed, leaves nothing half-written and its cursor
where it was: the next attempt asks for the same changes again. Rate limits and transient
failures (unreachable, 5xx, a cut answer) are raised to the task, which retries through Celery
(the wait the tracker asked for, or an exponential backoff with jitter); the record says
`retrying` until then, and the connection stays held for it.
"""

from __future__ import annotations

import logging
import tempfile
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from workitems import events, importers
from workitems.connectors import (
    CREDENTIALS,
    DEFAULT_BASE_URLS,
    SCOPES,
    ConnectorError,
    Transient,
    connector_for,
)
from workitems.connectors.base import redact, url_problem
from workitems.crypto import CredentialKeyError, credential_decrypt, credential_encrypt
from workitems.importers.rows import ItemRow, StateRow, TransitionRow
from workitems.models import (
    Connection,
    ConnectionKind,
    ConnectionSync,
    SyncStatus,
    Transition,
    WorkItem,
)
from workitems.selectors import connection_for_facilitator, sync_data
from workitems.tasks import connection_sync_task
from workitems.upsert import HistoryUpsert
from workshops.selectors import facilitator_membership_get

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 50
LOCK_SECONDS = 3600  # a sync's hold on its connection; longer only while it waits to retry
PROGRESS_EVERY = 0.5
SCHEDULE_CHOICES = (0, 15, 30, 60, 120, 180, 360, 720, 1440)
CREDENTIAL_CHARS = 1000


# Validation ---------------------------------------------------------------------------------


def _text(value: Any, *, required: bool, max_length: int) -> tuple[str, str | None]:
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", "Must be text."
    value = value.strip()
    if required and not value:
        return "", "Required."
    if len(value) > max_length:
        return "", f"At most {max_length} characters."
    return value, None


def _clean_scope(kind: str, scope: Any) -> tuple[dict[str, str], list[str]]:
    if not isinstance(scope, dict):
        return {}, ["An object with " + ", ".join(SCOPES[kind]) + "."]
    messages: list[str] = []
    unknown = sorted(set(scope) - set(SCOPES[kind]))
    if unknown:
        messages.append(
            f"Unknown for {ConnectionKind(kind).label}: {', '.join(unknown)} (give "
            f"{', '.join(SCOPES[kind])})."
        )
    cleaned: dict[str, str] = {}
    for name, (required, max_length, _help) in SCOPES[kind].items():
        value, problem = _text(scope.get(name), required=required, max_length=max_length)
        if problem:
            messages.append(f"{name}: {problem}")
        elif value:
            cleaned[name] = value
    if kind == "azure_devops" and "\n" in cleaned.get("filter", ""):
        messages.append("filter: One line only.")
    return cleaned, messages


def _clean_credential(kind: str, credential: Any) -> tuple[dict[str, str], list[str]]:
    fields = CREDENTIALS[kind]
    if not isinstance(credential, dict):
        return {}, ["An object with " + ", ".join(fields) + "."]
    messages: list[str] = []
    unknown = sorted(set(credential) - set(fields))
    if unknown:
        messages.append(f"Give only {', '.join(fields)}.")
    cleaned: dict[str, str] = {}
    for name in fields:
        value, problem = _text(credential.get(name), required=True, max_length=CREDENTIAL_CHARS)
        if problem:
            messages.append(f"{name}: {problem}")
            continue
        if any(ord(char) < 32 for char in value):
            messages.append(f"{name}: Must be one line.")
            continue
        cleaned[name] = value
    if kind == "jira" and "email" in cleaned and "@" not in cleaned["email"]:
        messages.append("email: The Atlassian account's e-mail address.")
    return cleaned, messages


def credential_hint(credential: dict[str, str]) -> str:
    """The last four characters of the token (none of a token shorter than 12)."""
    token = credential.get("token", "")
    return token[-4:] if len(token) >= 12 else ""


def _clean_schedule(value: Any) -> tuple[int, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCHEDULE_CHOICES:
        return 0, (
            "Minutes between syncs, one of "
            + ", ".join(str(choice) for choice in SCHEDULE_CHOICES)
            + " (0: only on demand)."
        )
    return value, None


def _clean_base_url(kind: str, value: Any) -> tuple[str, str | None]:
    if value in (None, ""):
        value = DEFAULT_BASE_URLS[kind]
        if not value:
            return "", "Give the site's address, e.g. https://your-site.atlassian.net."
    problem = url_problem(value)
    if problem:
        return "", problem
    return value.strip().rstrip("/"), None


# Connections --------------------------------------------------------------------------------


@transaction.atomic
def connection_create(*, actor: User, workshop_id: int, data: Any) -> Connection:
    """A facilitator connects the workshop to a tracker: `{"kind", "base_url"?, "scope",
    "credential", "schedule"?}`. The credential is encrypted; only `credential_hint` is kept
    readable. Nothing is fetched until a test or a sync."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Expected an object."]})
    kind = data.get("kind")
    if kind not in ConnectionKind.values:
        raise ValidationError({"kind": ["One of: " + ", ".join(ConnectionKind.values) + "."]})
    errors: dict[str, list[str]] = {}
    base_url, problem = _clean_base_url(kind, data.get("base_url"))
    if problem:
        errors["base_url"] = [problem]
    scope, messages = _clean_scope(kind, data.get("scope"))
    if messages:
        errors["scope"] = messages
    credential, messages = _clean_credential(kind, data.get("credential"))
    if messages:
        errors["credential"] = messages
    schedule = int(settings.VSM_SYNC_EVERY_MINUTES)
    if "schedule" in data:
        schedule, problem = _clean_schedule(data["schedule"])
        if problem:
            errors["schedule"] = [problem]
    unknown = sorted(set(data) - {"kind", "base_url", "scope", "credential", "schedule"})
    for name in unknown:
        errors[name] = ["Unknown field."]
    if errors:
        raise ValidationError(errors)
    return Connection.objects.create(
        workshop_id=workshop_id,
        kind=kind,
        base_url=base_url,
        scope=scope,
        credential_encrypted=credential_encrypt(credential),
        credential_hint=credential_hint(credential),
        schedule=schedule,
        created_by=actor,
    )


@transaction.atomic
def connection_update(*, actor: User, connection_id: Any, data: Any) -> Connection:
    """A facilitator changes a connection's `base_url`, `scope`, `credential` or `schedule`
    (`kind` stays). A new address needs the credential again (it is never sent to another
    host unasked); a new address or scope starts the next sync from scratch."""
    current = connection_for_facilitator(user=actor, connection_id=connection_id)
    connection = Connection.objects.select_for_update().get(pk=current.pk)
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Expected an object."]})
    errors: dict[str, list[str]] = {}
    if "kind" in data and data["kind"] != connection.kind:
        errors["kind"] = ["A connection's kind cannot change: add another connection."]
    for name in sorted(set(data) - {"kind", "base_url", "scope", "credential", "schedule", "id"}):
        errors[name] = ["Unknown field."]
    reset = False
    if "base_url" in data:
        base_url, problem = _clean_base_url(connection.kind, data["base_url"])
        if problem:
            errors["base_url"] = [problem]
        elif base_url != connection.base_url:
            if "credential" not in data:
                errors["credential"] = ["Enter the credential again to use it at a new address."]
            connection.base_url = base_url
            reset = True
    if "scope" in data:
        scope, messages = _clean_scope(connection.kind, data["scope"])
        if messages:
            errors["scope"] = messages
        elif scope != connection.scope:
            connection.scope = scope
            reset = True
    if "credential" in data:
        credential, messages = _clean_credential(connection.kind, data["credential"])
        if messages:
            errors["credential"] = messages
        else:
            connection.credential_encrypted = credential_encrypt(credential)
            connection.credential_hint = credential_hint(credential)
    if "schedule" in data:
        schedule, problem = _clean_schedule(data["schedule"])
        if problem:
            errors["schedule"] = [problem]
        connection.schedule = schedule
    if errors:
        raise ValidationError(errors)
    if reset:
        connection.cursor = None
    connection.save()
    return connection


@transaction.atomic
def connection_delete(*, actor: User, connection_id: Any, delete_items: bool) -> int:
    """Removes a connection and its sync records. The work items it brought stay (they are the
    workshop's history, their `source` cleared) unless `delete_items`, when they go with
    their transitions; returns how many items were deleted. A sync still running finds its
    connection gone and stops."""
    found = connection_for_facilitator(user=actor, connection_id=connection_id)
    deleted = 0
    if delete_items:
        ids = list(WorkItem.objects.filter(source=found).values_list("id", flat=True))
        for start in range(0, len(ids), 5_000):
            chunk = ids[start : start + 5_000]
            Transition.objects.filter(item_id__in=chunk).delete()
            WorkItem.objects.filter(pk__in=chunk).delete()
        deleted = len(ids)
    Connection.objects.filter(pk=found.pk).update(lock_sync=None)
    found.delete()
    if deleted:
        events.flow_changed_on_commit(found.workshop_id, reason="connection")
    return deleted


def connection_test(*, actor: User, connection_id: Any) -> dict[str, Any]:
    """Makes one cheap authenticated request (two at most) with the saved credential and
    says in words what it found or what failed: `{"ok", "message"}`."""
    connection = connection_for_facilitator(user=actor, connection_id=connection_id)
    try:
        connector = _connector(connection)
        return {"ok": True, "message": connector.test()}
    except (ConnectorError, CredentialKeyError) as error:
        return {"ok": False, "message": str(error)}


def _connector(connection: Connection) -> Any:
    credential = credential_decrypt(connection.credential_encrypted)
    return connector_for(
        connection.kind,
        base_url=connection.base_url,
        scope=dict(connection.scope or {}),
        credential=credential,
    )


# Syncs --------------------------------------------------------------------------------------


def _held(connection: Connection, now: datetime) -> bool:
    return bool(connection.lock_sync_id and connection.lock_until and connection.lock_until > now)


def connection_sync_request(*, actor: User, connection_id: Any, data: Any = None) -> ConnectionSync:
    """A facilitator asks for a sync now (`{"full": true}`: every item again, not only what
    changed since the last sync). A sync of the connection already pending, running or
    waiting to retry is returned instead of a second one; else a new record is queued for a
    worker after commit (run at once where tasks are eager)."""
    found = connection_for_facilitator(user=actor, connection_id=connection_id)
    data = {} if data in (None, "") else data
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Expected an object."]})
    errors = {name: ["Unknown field."] for name in sorted(set(data) - {"full"})}
    full = data.get("full", False)
    if not isinstance(full, bool):
        errors["full"] = ["Must be true or false."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=found.pk)
        sync = _sync_open(connection, trigger=ConnectionSync.Trigger.MANUAL, full=full)
    return ConnectionSync.objects.get(pk=sync.pk)


def _sync_open(connection: Connection, *, trigger: str, full: bool = False) -> ConnectionSync:
    """Inside a transaction holding the connection's row: the open sync, or a new one queued
    on commit."""
    existing = (
        ConnectionSync.objects.filter(
            connection=connection,
            status__in=(SyncStatus.PENDING, SyncStatus.RUNNING, SyncStatus.RETRYING),
        )
        .order_by("-id")
        .first()
    )
    if existing is not None and (
        existing.status == SyncStatus.PENDING or _held(connection, timezone.now())
    ):
        return existing
    sync = ConnectionSync.objects.create(
        connection=connection, workshop_id=connection.workshop_id, trigger=trigger, full=full
    )
    connection_id, sync_id = connection.pk, sync.pk
    transaction.on_commit(lambda: connection_sync_task.delay(connection_id, sync_id))
    return sync


def connection_syncs_due(*, now: datetime | None = None) -> list[int]:
    """Celery beat: queues a sync of every connection whose schedule is due (its last sync
    started at least `schedule` minutes ago, or it never synced) and that no sync holds;
    closes sync records a lost worker left open. Returns the queued syncs' ids."""
    now = now or timezone.now()
    _syncs_abandoned_close(now)
    queued = []
    for connection_id, schedule in Connection.objects.filter(schedule__gt=0).values_list(
        "id", "schedule"
    ):
        latest = (
            ConnectionSync.objects.filter(connection_id=connection_id)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if latest is not None and latest > now - timedelta(minutes=schedule):
            continue
        with transaction.atomic():
            connection = Connection.objects.select_for_update().filter(pk=connection_id).first()
            if connection is None or _held(connection, now):
                continue
            sync = _sync_open(connection, trigger=ConnectionSync.Trigger.SCHEDULE)
            queued.append(sync.pk)
    return queued


def _syncs_abandoned_close(now: datetime) -> None:
    """Sync records left running or retrying whose connection no longer holds them (the lock
    expired: the worker was lost and the task not delivered again) end failed."""
    for sync in ConnectionSync.objects.filter(
        status__in=(SyncStatus.RUNNING, SyncStatus.RETRYING)
    ).select_related("connection"):
        connection = sync.connection
        if connection.lock_sync_id == sync.pk and _held(connection, now):
            continue
        if connection.lock_sync_id == sync.pk:
            Connection.objects.filter(pk=connection.pk, lock_sync=sync).update(
                lock_sync=None, lock_until=None
            )
        _sync_end(
            sync,
            SyncStatus.FAILED,
            "The sync stopped (its worker was lost); nothing "
            "of it was written. The next sync asks for the same changes again.",
        )


def _sync_end(sync: ConnectionSync, status: str, message: str) -> None:
    sync.status = status
    sync.message = message[:500]
    if status == SyncStatus.FAILED and not sync.errors:
        sync.errors = [{"line": None, "message": message}]
    sync.finished_at = timezone.now()
    sync.save()
    _send(sync)


def _send(sync: ConnectionSync) -> None:
    events.flow_send(sync.workshop_id, sync_frame(sync))


def sync_frame(sync: ConnectionSync) -> dict[str, Any]:
    return {"frame": "sync.progress", "sync": sync_data(sync)}


class _Busy(Exception):
    """Another sync holds the connection."""


def _sync_start(sync_id: int) -> tuple[ConnectionSync, Connection] | None:
    """Takes the connection for this sync (see the module's docstring); None when the sync
    or its connection is gone, or the sync has already ended."""
    now = timezone.now()
    with transaction.atomic():
        sync = ConnectionSync.objects.filter(pk=sync_id).first()
        if sync is None or sync.status in (SyncStatus.DONE, SyncStatus.FAILED):
            return None
        try:
            connection = (
                Connection.objects.select_for_update(nowait=True)
                .filter(pk=sync.connection_id)
                .first()
            )
        except DatabaseError:
            raise _Busy from None  # another sync is taking it at this very moment
        if connection is None:
            return None
        if connection.lock_sync_id not in (None, sync.pk) and _held(connection, now):
            raise _Busy
        connection.lock_sync = sync
        connection.lock_until = now + timedelta(seconds=LOCK_SECONDS)
        connection.save(update_fields=["lock_sync", "lock_until"])
        sync.status = SyncStatus.RUNNING
        sync.started_at = now
        sync.retry_at = None
        sync.attempts += 1
        sync.since = None if sync.full else connection.cursor
        sync.pages = 0
        sync.message = ""
        sync.save()
    _send(sync)
    return sync, connection


class _SyncProgress:
    def __init__(self, sync: ConnectionSync) -> None:
        self.sync = sync
        self.last = 0.0

    def __call__(self, pages: int, items: int) -> None:
        now = time.monotonic()
        self.sync.pages, self.sync.items = pages, items
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        ConnectionSync.objects.filter(pk=self.sync.pk).update(pages=pages, items=items)
        _send(self.sync)


def connection_sync_run(*, sync_id: int, may_retry: bool = True) -> ConnectionSync | None:
    """Runs one attempt of a sync (see the module's docstring). Returns the record, ended
    `done` or `failed`; None when there was nothing to run (the sync or its connection is
    gone, or it has ended). Raises Transient (RateLimited) for the task to retry when
    `may_retry`, the record then `retrying` and the connection still held for it; a sync
    whose connection another sync holds ends failed at once, saying so."""
    try:
        started = _sync_start(sync_id)
    except _Busy:
        sync = ConnectionSync.objects.get(pk=sync_id)
        _sync_end(
            sync,
            SyncStatus.FAILED,
            "Another sync of this connection is running; this one was not started.",
        )
        return sync
    if started is None:
        return None
    sync, connection = started
    began = sync.started_at or timezone.now()
    connector = None
    try:
        connector = _connector(connection)
        with tempfile.TemporaryDirectory(prefix="flowmap-sync-") as folder:
            batches = []
            for number, batch in enumerate(
                connector.batches(sync.since, progress=_SyncProgress(sync)), start=1
            ):
                path = Path(folder) / f"{number}.json"
                path.write_bytes(batch.content)
                batches.append((batch.format, path))
            _sync_write(sync, connection, batches, began)
    except Transient as error:
        message = error.message
        if not may_retry:
            _sync_release(sync, connection)
            _sync_end(
                sync, SyncStatus.FAILED, message + " No more attempts are left: sync again later."
            )
            return sync
        raise
    except (ConnectorError, CredentialKeyError) as error:
        _sync_release(sync, connection)
        _sync_end(sync, SyncStatus.FAILED, str(error))
        return sync
    except Exception as error:
        secrets = connector.secrets() if connector is not None else []
        users = connector.users() if connector is not None else []
        logger.error(
            "Sync %s of connection %s failed:\n%s",
            sync.pk,
            connection.pk,
            redact("".join(traceback.format_exception(error)), secrets, users),
        )
        _sync_release(sync, connection)
        _sync_end(
            sync,
            SyncStatus.FAILED,
            "The sync stopped on an internal error; nothing was "
            "written. Try again, and tell the administrators if it happens again.",
        )
        return sync
    return ConnectionSync.objects.get(pk=sync.pk)


def connection_sync_retry_wait(*, sync_id: int, countdown: float, message: str) -> None:
    """The task will retry the sync in `countdown` seconds: the record says so (`retrying`,
    `retry_at`, the reason) and the connection stays held for it meanwhile."""
    now = timezone.now()
    sync = ConnectionSync.objects.filter(pk=sync_id).first()
    if sync is None:
        return
    Connection.objects.filter(pk=sync.connection_id, lock_sync=sync).update(
        lock_until=now + timedelta(seconds=countdown + LOCK_SECONDS)
    )
    sync.status = SyncStatus.RETRYING
    sync.retry_at = now + timedelta(seconds=countdown)
    sync.message = f"{message} Next attempt in {countdown:.0f} s."[:500]
    sync.save()
    _send(sync)


def connection_sync_give_up(*, sync_id: int, message: str) -> None:
    """The task has no retries left: the sync ends failed and frees its connection."""
    sync = ConnectionSync.objects.filter(pk=sync_id).select_related("connection").first()
    if sync is None or sync.status in (SyncStatus.DONE, SyncStatus.FAILED):
        return
    _sync_release(sync, sync.connection)
    _sync_end(sync, SyncStatus.FAILED, message + " No more attempts are left: sync again later.")


def _sync_release(sync: ConnectionSync, connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk, lock_sync=sync).update(
        lock_sync=None, lock_until=None
    )


def _problem(problem: Any) -> dict[str, Any]:
    return {"line": problem.line, "message": problem.message}


def _sync_write(
    sync: ConnectionSync,
    connection: Connection,
    batches: list[tuple[str, Path]],
    began: datetime,
) -> None:
    """Writes the fetched batches in one transaction: every item whole through the parsers
    and HistoryUpsert, the cursor moved to `began`, the lock freed, the record done; or, when
    a parser finds an error, nothing and the record failed with the errors."""
    from workitems.services import type_rules_get, work_items_retype

    tag_rules, type_rules = type_rules_get(workshop_id=connection.workshop_id)
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    with transaction.atomic():
        locked = Connection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None or locked.lock_sync_id != sync.pk:
            raise ConnectorError(
                "lost", "The connection was removed or taken over while this sync ran."
            )
        if db_connection.vendor == "postgresql":
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        upsert = HistoryUpsert(
            workshop_id=connection.workshop_id,
            tag_rules=tag_rules,
            type_rules=type_rules,
            now=timezone.now(),
            source_id=connection.pk,
        )
        for fmt, path in batches:

            def opener(path: Path = path) -> BinaryIO:
                return path.open("rb")

            _, rows = importers.parse(opener, fmt)
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
                    if len(errors) < MAX_PROBLEMS:
                        errors.append(_problem(row))
                elif len(warnings) < MAX_PROBLEMS:
                    warnings.append(_problem(row))
        sync.warnings = warnings
        if errors:
            transaction.set_rollback(True)
        else:
            upsert.finish()
            if upsert.updated_count:
                work_items_retype(workshop_id=connection.workshop_id)
            locked.cursor = began
            locked.lock_sync = None
            locked.lock_until = None
            locked.save(update_fields=["cursor", "lock_sync", "lock_until"])
            sync.status = SyncStatus.DONE
            sync.items = upsert.item_count
            sync.transitions = upsert.transition_count
            sync.finished_at = timezone.now()
            sync.message = (
                f"{upsert.item_count} work item(s) changed since the last sync."
                if sync.since
                else f"{upsert.item_count} work item(s) fetched."
            )
            sync.save()
            workshop_id = connection.workshop_id
            frame = sync_frame(sync)
            transaction.on_commit(lambda: events.flow_send(workshop_id, frame), robust=True)
            if upsert.item_count:
                events.flow_changed_on_commit(workshop_id, reason="sync")
    if errors:
        sync.errors = errors
        _sync_release(sync, connection)
        _sync_end(
            sync,
            SyncStatus.FAILED,
            f"The tracker's data has {len(errors)} error(s); nothing was written.",
        )
