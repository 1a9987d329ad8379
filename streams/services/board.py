"""Create, update, move and delete the objects on a board, each as one op in the op log.

Every function here runs in one transaction that (1) bumps the stream's `seq`, which also
row-locks the stream so ops of one stream are applied one at a time in `seq` order,
(2) authorises the actor, (3) validates and writes, (4) records the op, and (5) registers the
`applied` broadcast for after commit. Updates set only the fields sent, so concurrent edits of
one object resolve per field, last writer (in server order) wins.

An update or move that carries `version` (the version of the object the change was made
against: Taiga's optimistic concurrency, per field) is refused with `EditConflict` when
someone else changed one of its fields to another value since that version; fields nobody
else touched still apply. Each object keeps, per field, the version that last changed it and
who changed it (`field_versions`), so the rule needs no history: an op without `version`
is applied as before (last writer wins).

`ops_apply` is group commit for the board sockets: several ops of one stream share one
transaction, one row lock and one commit, and each still gets the next seq only if it is
applied. The rules and writes are the same functions, called with the `Batch` as `batch=`:
every board service takes it (the lock, the seqs, the objects read and the op-log rows of
the batch), and without it runs alone, in a transaction of its own. A batch the database
fails under (restarting, a broken connection) is all or nothing: tried once more on a new
connection, then every op of it is refused as `DatabaseUnavailable`, never half applied.

A batch costs one round trip per kind of statement, not per op: the objects it names are read
in one query per kind, its op-log rows written in one INSERT, and under PostgreSQL the updates
and moves of its objects are held back and written together (`Batch.update_later`), one
`executemany` per table and set of columns (psycopg sends those in one pipeline).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    models,
    transaction,
)

from streams import extensions
from streams.events import applied_frame, broadcast_on_commit, user_ref
from streams.kinds import ACTIVITY, FLOW_NEUTRAL_OPS, KINDS, LINK, READ_ONLY, VOTE, WASTE, Kind
from streams.models import Activity, Link, LinkKind, Op, ValueStream, Vote
from streams.replay import replay_limit
from streams.selectors import vote_visible
from vsm_site.concurrency import EditConflict
from vsm_site.errors import NotFound
from vsm_site.ids import row_id
from vsm_site.validation import Integer, clean_payload, field_label
from workshops.models import Membership
from workshops.selectors import member_roles_get, membership_columns_sql

logger = logging.getLogger(__name__)

ACTIONS = ("create", "update", "move", "delete")
#: What a rejected op raises; anything else is a failure of the server or the database.
REJECTIONS = (ValidationError, PermissionDenied, NotFound, EditConflict)
#: The database itself failed (it restarted, the connection broke): nothing of the
#: transaction is left, whatever the op, so the same ops can be tried again.
UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_ATTEMPTS = 2  # a batch under a broken connection is tried once more on a new one
F = TypeVar("F", bound=Callable[..., Any])


def _kind(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise ValidationError({"op": [f"Unknown kind {name!r}."]})
    return kind


def stream_lock_next_seq(stream_id: int, *, bump: int = 1) -> tuple[int, int, bool]:
    """Takes the stream's row lock and the next op seq in one statement (`bump=0` only locks,
    and returns the last seq: group commit hands out the seqs of its batch itself).

    Returns (seq, workshop_id, locked); raises NotFound for an unknown stream. Must run inside
    the op's transaction so that a rollback gives the seq back (the log stays gap-free).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE streams_valuestream SET seq = seq + %s WHERE id = %s "
            "RETURNING seq, workshop_id, locked",
            [bump, stream_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such value stream.")
    return int(row[0]), int(row[1]), bool(row[2])


class DatabaseUnavailable(Exception):
    """The database did not answer (restarting, say): the op was not applied, unless its
    commit got through unseen. Sending it again under the same client id is safe: it is
    applied once, or answered as already applied."""

    def __init__(self) -> None:
        super().__init__("The database is unavailable.")


class OpAlreadyApplied(Exception):
    """The actor already sent this op (same client id): nothing changed, it is at `seq`."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"Already applied as #{seq}.")
        self.seq = seq


# Only SQL expressions and our own table names go in; values travel as the statement's params.
_LOCK_FOR_EDIT = (
    "UPDATE streams_valuestream SET seq = seq + 1 WHERE id = %(stream)s "  # noqa: S608
    "RETURNING seq, workshop_id, locked, "
    + membership_columns_sql(workshop="streams_valuestream.workshop_id", user="%(user)s")
    + ", (SELECT o.seq FROM streams_op o "
    " WHERE o.stream_id = streams_valuestream.id AND o.client_id = %(client_id)s "
    " AND o.client_id <> '' AND o.actor_id = %(user)s "
    " AND o.seq > streams_valuestream.seq - %(window)s ORDER BY o.seq LIMIT 1)"
)


def stream_lock_for_edit(
    *, actor: AbstractBaseUser, stream_id: int, client_id: str = "", batch: Batch | None = None
) -> tuple[int, Membership]:
    """`stream_lock_next_seq`, the actor's membership and the re-send check in one round
    trip, then the rules: NotFound for an unknown stream or a non-member, OpAlreadyApplied when
    this actor's op `client_id` is among the last `replay_limit()` ops, PermissionDenied for a
    viewer, or for a participant while the facilitator has locked the board.
    Returns (seq, membership). With `batch` (`ops_apply`), the batch holds the lock already."""
    seq, membership, locked = _stream_lock(
        actor=actor, stream_id=stream_id, client_id=client_id, batch=batch
    )
    _may_edit(membership, locked=locked)
    return seq, membership


def _stream_lock(
    *, actor: AbstractBaseUser, stream_id: int, client_id: str, batch: Batch | None
) -> tuple[int, Membership, bool]:
    """`stream_lock_for_edit` without its edit rule: (seq, membership, locked)."""
    if batch is not None:
        return batch.lock(actor=actor, stream_id=stream_id, client_id=client_id)
    user_id = _user_id(actor)
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCK_FOR_EDIT,
            {
                "stream": stream_id,
                "user": user_id,
                "client_id": client_id[:64],
                "window": replay_limit(),
            },
        )
        row = cursor.fetchone()
    if row is None or row[3] is None:
        raise NotFound("No such value stream.")
    seq, workshop_id, locked, membership_id, role, applied_seq = row
    if applied_seq is not None:
        raise OpAlreadyApplied(int(applied_seq))
    membership = Membership(pk=membership_id, workshop_id=workshop_id, user_id=user_id, role=role)
    return int(seq), membership, bool(locked)


def _may_edit(membership: Membership, *, locked: bool) -> None:
    if not membership.can_edit:
        raise PermissionDenied("Viewers cannot change the map.")
    if locked and not membership.is_facilitator:
        raise PermissionDenied("The facilitator has locked the board.")


@dataclass
class Batch:
    """What `ops_apply` holds for its ops: the stream's row lock, the last seq given out, the
    members who send, the ops they applied already, and the op-log rows still to write."""

    stream_id: int
    seq: int
    workshop_id: int
    locked: bool
    members: dict[Any, tuple[int, str]] = field(default_factory=dict)
    applied: dict[tuple[Any, str], int] = field(default_factory=dict)
    records: list[Op] = field(default_factory=list)
    #: The objects the ops name, by (kind, id), read in one query per kind; None: not on the
    #: stream. The ops of the batch change these very instances.
    objects: dict[tuple[str, int], Any] = field(default_factory=dict)
    #: Whether updates are held back to be written together (PostgreSQL, where each statement
    #: is a round trip); elsewhere (SQLite, in process) each is saved at once.
    holds_updates: bool = field(default_factory=lambda: connection.vendor == "postgresql")
    #: The updates held back, by (model, id): each object's columns and their database values
    #: as of its last update in the batch (`update_later`).
    held: dict[tuple[type[models.Model], Any], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def start(cls, stream_id: int, requests: list[OpRequest]) -> Batch | None:
        """Locks the stream and reads what the rules and the ops need: the members who send,
        the ops they sent already, the objects named (a query each). None for an unknown
        stream."""
        users = list({_user_id(request.actor) for request in requests} - {None})
        client_ids = list({request.client_id[:64] for request in requests} - {""})
        try:
            seq, workshop_id, locked = stream_lock_next_seq(stream_id, bump=0)
        except NotFound:
            return None
        batch = cls(stream_id=stream_id, seq=seq, workshop_id=workshop_id, locked=locked)
        batch.members = member_roles_get(workshop_id=batch.workshop_id, user_ids=users)
        if client_ids:
            sent = Op.objects.filter(
                stream_id=stream_id, client_id__in=client_ids, seq__gt=batch.seq - replay_limit()
            ).order_by("-seq")
            batch.applied = {
                (actor, cid): done
                for actor, cid, done in sent.values_list("actor_id", "client_id", "seq")
            }
        batch.objects_read(requests)
        return batch

    def objects_read(self, requests: list[OpRequest]) -> None:
        """Reads the objects the update, move and delete ops name, one query per kind."""
        named: dict[str, set[int]] = {}
        for request in requests:
            kind, _, action = str(request.op).partition(".")
            object_id = request.data.get("id") if isinstance(request.data, dict) else None
            # An id no row can have is left out: its op is not found, with no query.
            named_id = row_id(object_id) if type(object_id) is int else None
            if kind in KINDS and action != "create" and named_id:
                named.setdefault(kind, set()).add(named_id)
        for kind, ids in named.items():
            found = KINDS[kind].model._default_manager.filter(stream_id=self.stream_id, pk__in=ids)
            by_id = {obj.pk: obj for obj in found}
            self.objects.update({(kind, object_id): by_id.get(object_id) for object_id in ids})

    def lock(
        self, *, actor: AbstractBaseUser, stream_id: int, client_id: str
    ) -> tuple[int, Membership, bool]:
        """`_stream_lock` within the batch: the seq after the last applied op."""
        user_id = _user_id(actor)
        if stream_id != self.stream_id or user_id not in self.members:
            raise NotFound("No such value stream.")
        applied = self.applied.get((user_id, client_id[:64])) if client_id else None
        if applied is not None:
            raise OpAlreadyApplied(applied)
        membership_id, role = self.members[user_id]
        membership = Membership(
            pk=membership_id, workshop_id=self.workshop_id, user_id=user_id, role=role
        )
        return self.seq + 1, membership, self.locked

    def record(self, op: Op) -> None:
        """Takes the op's seq; its log row is written with the others by `finish`."""
        self.seq = op.seq
        self.records.append(op)
        if op.client_id:
            self.applied[(op.actor_id, op.client_id)] = op.seq

    def update_later(self, obj: models.Model, update_fields: list[str]) -> None:
        """`obj.save(update_fields=...)`, written with the batch's other updates by
        `write_held` (at once where the batch holds none back). Values are taken now (an
        `auto_now` field is set now, as `save` would), so a rule that fails later, after
        setting fields on the same instance, changes nothing that is written."""
        if not self.holds_updates:
            obj.save(update_fields=update_fields)
            return
        fields = {model_field.attname: model_field for model_field in obj._meta.concrete_fields}
        row = self.held.setdefault((type(obj), obj.pk), {})
        for name in update_fields:
            model_field = fields[name]
            value = model_field.pre_save(obj, add=False)
            row[model_field.column] = model_field.get_db_prep_save(value, connection)

    def write_held(self) -> None:
        """Writes the held updates: one UPDATE per table and set of columns, its rows sent
        by one `executemany` (one round trip: psycopg pipelines it). Raises DatabaseError when
        a row is gone, as `save(update_fields=...)` does, so the batch falls back to one op at
        a time (`ops_apply`)."""
        held, self.held = self.held, {}
        statements: dict[tuple[type[models.Model], tuple[str, ...]], list[list[Any]]] = {}
        for (model, pk), row in held.items():
            columns = tuple(sorted(row))
            statements.setdefault((model, columns), []).append([row[c] for c in columns] + [pk])
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for (model, columns), rows in statements.items():
                sets = ", ".join(f"{quote(column)} = %s" for column in columns)
                table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE {key} = %s", rows)  # noqa: S608
                if cursor.rowcount != len(rows):
                    raise DatabaseError(f"{model.__name__}: a held update matched no row.")

    def before(self, request: OpRequest) -> None:
        """Writes the held updates before an op that may read what they changed. Only an
        update or move of the kinds table goes on with them unwritten: it reads the batch's
        objects, and otherwise only what no update changes (whether a referenced object is
        on the stream, the users)."""
        if not self.held:
            return
        kind, _, action = str(request.op).partition(".")
        plain = kind in KINDS and kind not in extensions.board_op_kinds
        if not (plain and action in ("update", "move")):
            self.write_held()

    def objects_forget(self) -> None:
        """Forgets the objects read (they are read again, with the held updates written first):
        after a delete (what it cascaded to) or a rejected op (a rule may have failed after
        setting fields on one)."""
        self.write_held()
        self.objects.clear()

    def finish(self) -> None:
        self.write_held()
        if self.records:
            Op.objects.bulk_create(self.records)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE streams_valuestream SET seq = %s WHERE id = %s",
                    [self.seq, self.stream_id],
                )


def _user_id(actor: Any) -> Any:
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def op_transaction(func: F) -> F:
    """`transaction.atomic` around one board write, unless it is called with a `batch`
    (`ops_apply`), whose transaction it shares: its rules raise before it writes, so a
    rejected op leaves the batch's transaction as it found it."""

    @functools.wraps(func)
    def write(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("batch") is not None:
            return func(*args, **kwargs)
        with transaction.atomic():
            return func(*args, **kwargs)

    return write  # type: ignore[return-value]


def op_record(
    *,
    stream_id: int,
    seq: int,
    actor: AbstractBaseUser | None,
    op: str,
    data: Any,
    client_id: str,
    batch: Batch | None = None,
) -> Op:
    """Writes the op-log row (with `batch`, the batch writes it with the others when it
    finishes) and registers its `applied` broadcast for after commit."""
    fields = {"stream_id": stream_id, "seq": seq, "op": op, "data": data}
    fields.update(actor=actor, client_id=client_id[:64])
    if batch is None:
        record = Op.objects.create(**fields)
    else:
        record = Op(**fields)
        batch.record(record)
    broadcast_on_commit(stream_id, applied_frame(record, by=user_ref(actor)))
    if not op.startswith(FLOW_NEUTRAL_OPS):
        extensions.flow_changed_on_commit(stream_id)
    return record


def _object_id(kind: Kind, object_id: Any) -> int:
    """`object_id` if a row can have it; NotFound for anything else (a string, 2**64, ...)."""
    if isinstance(object_id, str) or row_id(object_id) is None:
        raise NotFound(f"No such {kind.name}.")
    return int(object_id)


def _object_get(kind: Kind, object_id: int, stream_id: int, batch: Batch | None) -> models.Model:
    """The object on the stream (with `batch`, read with the batch's others); NotFound if
    there is no such object there."""
    key = (kind.name, object_id)
    if batch is not None and key in batch.objects:
        obj = batch.objects[key]
    else:
        obj = kind.model._default_manager.filter(pk=object_id, stream_id=stream_id).first()
    if obj is None:
        raise NotFound(f"No such {kind.name}.")
    return obj


def _object_for_edit(
    *,
    actor: AbstractBaseUser,
    spec: Kind,
    object_id: Any,
    within: int | None,
    client_id: str,
    batch: Batch | None,
    visible: Callable[..., bool] | None = None,
) -> tuple[int, Membership, Any]:
    """The access rule of every op on an existing object, one answer on every path (REST
    names the object alone; a board's socket passes its stream as `within`). Holds the
    stream's row lock; returns (seq, membership, object). Raises, in this order:

    * the same NotFound "No such <kind>." for an object that is missing, on another board, on
      a board the actor is no member of, or one `visible(obj, membership=, stream_id=)` hides
      (another member's dot before the reveal: `_vote_visible`), so a refusal never tells
      what exists;
    * OpAlreadyApplied for a re-sent op;
    * PermissionDenied for a viewer, or a participant on a locked board (`_may_edit`).
    """
    object_id = _object_id(spec, object_id)
    stream_id = within if within is not None else _object_stream_id(spec, object_id)
    try:
        seq, membership, locked = _stream_lock(
            actor=actor, stream_id=stream_id, client_id=client_id, batch=batch
        )
    except NotFound:
        if within is not None:
            raise  # the board itself is gone for the actor
        raise NotFound(f"No such {spec.name}.") from None
    obj = _object_get(spec, object_id, stream_id, batch)
    if visible is not None and not visible(obj, membership=membership, stream_id=stream_id):
        raise NotFound(f"No such {spec.name}.")
    _may_edit(membership, locked=locked)
    return seq, membership, obj


def _object_stream_id(kind: Kind, object_id: int) -> int:
    """The stream of the object; NotFound when there is no such object."""
    found = list(
        kind.model._default_manager.filter(pk=object_id).values_list("stream_id", flat=True)
    )
    if not found:
        raise NotFound(f"No such {kind.name}.")
    return int(found[0])


def _check_references(kind: Kind, stream_id: int, fields: dict[str, Any]) -> None:
    """Every referenced object must exist in the same stream (never across streams)."""
    errors: dict[str, list[str]] = {}
    for name, model in kind.refs.items():
        ref_id = fields.get(name)
        if ref_id is None:
            continue
        if not model._default_manager.filter(pk=ref_id, stream_id=stream_id).exists():
            errors[name] = [f"No such {model._meta.verbose_name} on this value stream."]
    if errors:
        raise ValidationError(errors)


def _flow_successors(stream_id: int) -> dict[int, list[int]]:
    successors: dict[int, list[int]] = {}
    flow = Link.objects.filter(stream_id=stream_id, kind=LinkKind.FLOW)
    for link_source, link_target in flow.values_list("source_id", "target_id"):
        successors.setdefault(link_source, []).append(link_target)
    return successors


def _reaches(successors: dict[int, list[int]], start: int, goal: int) -> bool:
    frontier, seen = [start], {start}
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        for successor in successors.get(node, ()):
            if successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return False


def _check_link(
    stream_id: int, source: int, target: int, *, kind: str, membership: Membership
) -> None:
    """A link joins two different activities once. A flow link never closes a cycle of flow
    links; a rework link (facilitators only, one per source) goes back to an activity
    earlier in the flow: one the flow links lead from to the source, or, on a map without
    flow links (one chain in (order, id) order), one before it. Rework links are left out of
    the cycle check: they are the loops."""
    if source == target:
        raise ValidationError({"target": ["An activity cannot link to itself."]})
    if Link.objects.filter(source_id=source, target_id=target).exists():
        raise ValidationError({"target": ["These activities are already linked."]})
    successors = _flow_successors(stream_id)
    if kind == LinkKind.REWORK:
        if not membership.is_facilitator:
            raise PermissionDenied("Only a facilitator can draw a rework loop.")
        if Link.objects.filter(source_id=source, kind=LinkKind.REWORK).exists():
            raise ValidationError(
                {"source": ["This activity already sends its rework back: delete that loop first."]}
            )
        if successors:
            earlier = _reaches(successors, target, source)
        else:
            orders = dict(
                Activity.objects.filter(pk__in=(source, target)).values_list("pk", "order")
            )
            earlier = (orders[target], target) < (orders[source], source)
        if not earlier:
            raise ValidationError(
                {"target": ["A rework loop goes back to an activity earlier in the flow."]}
            )
        return
    # Adding source -> target closes a cycle iff source is already reachable from target.
    if _reaches(successors, target, source):  # (work sent back is a rework loop instead)
        raise ValidationError({"target": ["This link would close a loop in the flow."]})


def _create_fields(spec: Kind, stream_id: int, data: Any) -> dict[str, Any]:
    """The fields of a new object of `spec`: its rules (ValidationError, per field), and every
    object it references on the same stream."""
    fields = clean_payload(spec.spec, data, partial=False, read_only=READ_ONLY)
    _check_references(spec, stream_id, fields)
    return fields


def _insert(
    *,
    actor: AbstractBaseUser,
    spec: Kind,
    obj: models.Model,
    seq: int,
    client_id: str,
    batch: Batch | None,
) -> Op:
    """Saves a new object (its author where the kind keeps one) and records `<kind>.create`."""
    if hasattr(obj, "created_by_id"):
        obj.created_by = actor  # type: ignore[attr-defined]
    obj.save(force_insert=True)
    return op_record(
        stream_id=obj.stream_id,  # type: ignore[attr-defined]
        seq=seq,
        actor=actor,
        op=f"{spec.name}.create",
        data=spec.data(obj),
        client_id=client_id,
        batch=batch,
    )


def board_create(
    *,
    actor: AbstractBaseUser,
    kind: str,
    stream_id: int,
    data: Any,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """Creates one object of `kind` on the stream; emits `<kind>.create` with its JSON. A kind
    with a rule of its own is created by its named service (`_CREATE_SERVICES`:
    `activity_create`, `link_create`, `vote_create`); the others are their fields alone."""
    spec = _kind(kind)
    named = _CREATE_SERVICES.get(spec.name)
    if named is not None:
        return named(actor=actor, stream_id=stream_id, data=data, client_id=client_id, batch=batch)
    return _plain_create(
        actor=actor, spec=spec, stream_id=stream_id, data=data, client_id=client_id, batch=batch
    )


@op_transaction
def _plain_create(
    *,
    actor: AbstractBaseUser,
    spec: Kind,
    stream_id: int,
    data: Any,
    client_id: str,
    batch: Batch | None,
) -> Op:
    seq, _ = stream_lock_for_edit(
        actor=actor, stream_id=stream_id, client_id=client_id, batch=batch
    )
    fields = _create_fields(spec, stream_id, data)
    obj = spec.model(stream_id=stream_id, **_as_attnames(spec, fields))
    return _insert(actor=actor, spec=spec, obj=obj, seq=seq, client_id=client_id, batch=batch)


# Activities ------------------------------------------------------------------------------------


def _check_activity_estimates(activity: Activity) -> None:
    """An activity's estimates hold min <= max."""
    low, high = activity.lead_time_min, activity.lead_time_max
    if low is not None and high is not None and low > high:
        raise ValidationError({"lead_time_max": ["Must not be below the shortest lead time."]})


@op_transaction
def activity_create(
    *,
    actor: AbstractBaseUser,
    stream_id: int,
    data: Any,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """Adds an activity to the map: without `order`, after the last one in the flow; its
    estimates must hold min <= max (`_check_activity_estimates`). Holds the stream's row
    lock; emits `activity.create` on commit. Raises NotFound for a board the actor is no
    member of, PermissionDenied for a viewer or a locked board, ValidationError per field."""
    seq, _ = stream_lock_for_edit(
        actor=actor, stream_id=stream_id, client_id=client_id, batch=batch
    )
    fields = _create_fields(ACTIVITY, stream_id, data)
    if "order" not in fields:
        last = Activity.objects.filter(stream_id=stream_id).aggregate(last=models.Max("order"))
        fields["order"] = 0 if last["last"] is None else last["last"] + 1
    activity = Activity(stream_id=stream_id, **_as_attnames(ACTIVITY, fields))
    _check_activity_estimates(activity)
    return _insert(
        actor=actor, spec=ACTIVITY, obj=activity, seq=seq, client_id=client_id, batch=batch
    )


@op_transaction
def activity_update(
    *,
    actor: AbstractBaseUser,
    activity_id: Any,
    data: Any,
    client_id: str = "",
    within: int | None = None,
    batch: Batch | None = None,
) -> Op:
    """`board_update` of an activity, whose estimates must still hold min <= max afterwards
    (`_check_activity_estimates`); emits `activity.update`."""
    return _change(
        actor=actor,
        kind=ACTIVITY.name,
        object_id=activity_id,
        data=data,
        client_id=client_id,
        action="update",
        allowed=None,
        within=within,
        batch=batch,
        check=_check_activity_estimates,
    )


# Links -----------------------------------------------------------------------------------------


@op_transaction
def link_create(
    *,
    actor: AbstractBaseUser,
    stream_id: int,
    data: Any,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """Draws a link from one activity of the map to another: a flow link (the default) that
    closes no loop of flow links, or a rework loop that a facilitator draws back along the
    flow, one per source (`_check_link`). Holds the stream's row lock; emits `link.create` on
    commit. Raises NotFound for a board the actor is no member of, PermissionDenied for a
    viewer, a locked board, or a participant's rework loop, ValidationError per field."""
    seq, membership = stream_lock_for_edit(
        actor=actor, stream_id=stream_id, client_id=client_id, batch=batch
    )
    fields = _create_fields(LINK, stream_id, data)
    _check_link(
        stream_id,
        fields["source"],
        fields["target"],
        kind=fields.get("kind", LinkKind.FLOW),
        membership=membership,
    )
    link = Link(stream_id=stream_id, **_as_attnames(LINK, fields))
    return _insert(actor=actor, spec=LINK, obj=link, seq=seq, client_id=client_id, batch=batch)


@op_transaction
def link_delete(
    *,
    actor: AbstractBaseUser,
    link_id: Any,
    client_id: str = "",
    within: int | None = None,
    batch: Batch | None = None,
) -> Op:
    """Removes a link; a rework loop only a facilitator removes. Emits `link.delete`."""
    seq, membership, link = _object_for_edit(
        actor=actor, spec=LINK, object_id=link_id, within=within, client_id=client_id, batch=batch
    )
    if link.kind == LinkKind.REWORK and not membership.is_facilitator:
        raise PermissionDenied("Only a facilitator can remove a rework loop.")
    return _remove(actor=actor, spec=LINK, obj=link, seq=seq, client_id=client_id, batch=batch)


# Dots ------------------------------------------------------------------------------------------


def _check_vote_budget(stream_id: int, membership: Membership) -> None:
    """A member spends at most `VSM_DOT_BUDGET` dots on one map."""
    budget = settings.VSM_DOT_BUDGET
    if Vote.objects.filter(stream_id=stream_id, member=membership).count() >= budget:
        raise ValidationError({"waste": [f"You have used all {budget} of your dots."]})


@op_transaction
def vote_create(
    *,
    actor: AbstractBaseUser,
    waste_id: Any,
    stream_id: int | None = None,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """Spends one of the actor's dots on the waste (`_check_vote_budget`), on the board
    `stream_id` (a board's socket passes its own) or, without it, on the waste's. Holds the
    stream's row lock; emits `vote.create` on commit, redacted for the other members until the
    votes are revealed (streams.events). Raises the same NotFound "No such waste." for a waste
    that is missing, on another board or on one the actor is no member of; then
    PermissionDenied for a viewer or a locked board; then ValidationError once the actor's
    dots are used up."""
    seq, membership, waste = _object_for_edit(
        actor=actor,
        spec=WASTE,
        object_id=waste_id,
        within=stream_id,
        client_id=client_id,
        batch=batch,
    )
    _check_vote_budget(waste.stream_id, membership)
    vote = Vote(stream_id=waste.stream_id, waste=waste, member=membership)
    return _insert(actor=actor, spec=VOTE, obj=vote, seq=seq, client_id=client_id, batch=batch)


def _vote_create_op(
    *,
    actor: AbstractBaseUser,
    stream_id: int,
    data: Any,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """`vote_create` for the op `vote.create` `{"waste": <id>}` (its voter is the actor,
    whatever the payload says)."""
    fields = clean_payload(VOTE.spec, data, partial=False, read_only=READ_ONLY)
    return vote_create(
        actor=actor,
        waste_id=fields["waste"],
        stream_id=stream_id,
        client_id=client_id,
        batch=batch,
    )


def _vote_visible(vote: Vote, *, membership: Membership, stream_id: int) -> bool:
    """A dot's secrecy (`streams.selectors.vote_visible`), read under the stream's row lock
    (the reveal is read only when the dot is not the member's own)."""
    if vote.member_id == membership.pk:
        return True
    revealed = (
        ValueStream.objects.filter(pk=stream_id).values_list("votes_revealed", flat=True).first()
    )
    return vote_visible(
        voter_id=vote.member_id, membership=membership, votes_revealed=bool(revealed)
    )


@op_transaction
def vote_delete(
    *,
    actor: AbstractBaseUser,
    vote_id: Any,
    client_id: str = "",
    within: int | None = None,
    batch: Batch | None = None,
) -> Op:
    """Takes back one of the actor's dots; emits `vote.delete`, redacted like `vote.create`.
    Another member's dot does not exist for the actor before the reveal (`_vote_visible`:
    the same NotFound "No such vote." as for a missing one) and is forbidden after it."""
    seq, membership, vote = _object_for_edit(
        actor=actor,
        spec=VOTE,
        object_id=vote_id,
        within=within,
        client_id=client_id,
        batch=batch,
        visible=_vote_visible,
    )
    if vote.member_id != membership.pk:
        raise PermissionDenied("You can only take back your own dots.")
    return _remove(actor=actor, spec=VOTE, obj=vote, seq=seq, client_id=client_id, batch=batch)


#: The kinds whose writes are more than their fields, by action: the generic services
#: (`board_create`, `board_update`, `board_delete`) hand their ops to these named ones.
_CREATE_SERVICES: dict[str, Callable[..., Op]] = {
    ACTIVITY.name: activity_create,
    LINK.name: link_create,
    VOTE.name: _vote_create_op,
}
_UPDATE_SERVICES: dict[str, Callable[..., Op]] = {
    ACTIVITY.name: lambda *, object_id, **op: activity_update(activity_id=object_id, **op),
}
_DELETE_SERVICES: dict[str, Callable[..., Op]] = {
    LINK.name: lambda *, object_id, **op: link_delete(link_id=object_id, **op),
    VOTE.name: lambda *, object_id, **op: vote_delete(vote_id=object_id, **op),
}


#: What an update writes besides the fields sent: the version, and `updated_at` where a kind
#: keeps one (an `auto_now` field is only set when it is named).
_ALWAYS_SAVED = {
    name: tuple(
        field
        for field in ("version", "updated_at", "field_versions")
        if any(f.name == field for f in kind.model._meta.concrete_fields)
    )
    for name, kind in KINDS.items()
}
#: The `version` a change says it was made against (absent: no conflict check).
BASE_VERSION = Integer(minimum=1, maximum=2**31 - 1)


def _attname(kind: Kind, name: str) -> str:
    return f"{name}_id" if name in kind.refs else name


def _as_attnames(kind: Kind, fields: dict[str, Any]) -> dict[str, Any]:
    return {_attname(kind, name): value for name, value in fields.items()}


def _change(
    *,
    actor: AbstractBaseUser,
    kind: str,
    object_id: Any,
    data: Any,
    client_id: str,
    action: str,
    allowed: tuple[str, ...] | None,
    within: int | None,
    batch: Batch | None,
    check: Callable[[Any], None] | None = None,
) -> Op:
    spec = _kind(kind)
    if not spec.updatable:
        raise ValidationError({"op": [f"A {kind} cannot be changed; delete it and add another."]})
    seq, _, obj = _object_for_edit(
        actor=actor, spec=spec, object_id=object_id, within=within, client_id=client_id, batch=batch
    )
    stream_id = obj.stream_id
    rules = spec.spec if allowed is None else {name: spec.spec[name] for name in allowed}
    fields = clean_payload(rules, data, partial=True, read_only=READ_ONLY)
    base = _base_version(data)
    _check_references(spec, stream_id, fields)
    actor_id = _user_id(actor)
    if base is not None:
        _check_conflict(spec, obj, fields, base=base, actor_id=actor_id)
    changed = _as_attnames(spec, fields)
    differs = [
        name for name, value in fields.items() if getattr(obj, _attname(spec, name)) != value
    ]
    for name, value in changed.items():
        setattr(obj, name, value)
    if check is not None:
        check(obj)
    obj.version += 1
    if hasattr(obj, "field_versions"):
        obj.field_versions = {
            **(obj.field_versions or {}),
            **{name: [obj.version, actor_id] for name in differs},
        }
    saved = [*changed, *_ALWAYS_SAVED[spec.name]]
    if batch is None:
        obj.save(update_fields=saved)
    else:
        batch.update_later(obj, saved)
    return op_record(
        stream_id=stream_id,
        seq=seq,
        actor=actor,
        op=f"{kind}.{action}",
        data=spec.data(obj),
        client_id=client_id,
        batch=batch,
    )


def _base_version(data: Any) -> int | None:
    """The `version` the change was made against, if it names one; ValidationError for a
    `version` that is not a version number."""
    if not isinstance(data, dict) or data.get("version") is None:
        return None
    return clean_payload({"version": BASE_VERSION}, {"version": data["version"]}, partial=True)[
        "version"
    ]


def _check_conflict(
    spec: Kind, obj: models.Model, fields: dict[str, Any], *, base: int, actor_id: Any
) -> None:
    """EditConflict if someone other than the actor changed a field of `fields` since version
    `base` and it now holds another value than the one sent (the same value is no conflict).
    A field changed before its object kept field versions counts as unchanged."""
    versions = getattr(obj, "field_versions", None) or {}
    conflicts: list[str] = []
    changers: list[Any] = []
    for name, value in fields.items():
        entry = versions.get(name)
        if not entry or int(entry[0]) <= base or (actor_id is not None and entry[1] == actor_id):
            continue
        if getattr(obj, _attname(spec, name)) != value:
            conflicts.append(name)
            changers.append(entry[1])
    if not conflicts:
        return
    by = _user_ref_of(changers[-1])
    labels = [field_label(name) for name in conflicts]
    said = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    who = by["name"] if by else "Someone"
    verb = "was" if len(labels) == 1 else "were"
    raise EditConflict(
        f"{said} {verb} changed by {who} after you started: keep yours or take theirs.",
        fields=conflicts,
        current=spec.data(obj),
        by=by,
    )


def _user_ref_of(user_id: Any) -> dict[str, Any] | None:
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model()._default_manager.filter(pk=user_id).first()
    return user_ref(user) if user is not None else None


def board_update(
    *,
    actor: AbstractBaseUser,
    kind: str,
    object_id: Any,
    data: Any,
    client_id: str = "",
    within: int | None = None,
    batch: Batch | None = None,
) -> Op:
    """Sets the fields sent (partial update); emits `<kind>.update` with the whole object.

    With `within`, the object must be on that stream (a board's socket passes its own). With
    `version` in `data` (the version the change was made against), raises EditConflict, and
    changes nothing, when someone else has since set one of the fields sent to another value
    (module docstring); without it, the last writer wins. A kind with a rule of its own is
    changed by its named service (`_UPDATE_SERVICES`: `activity_update`)."""
    named = _UPDATE_SERVICES.get(_kind(kind).name)
    if named is not None:
        return named(
            actor=actor,
            object_id=object_id,
            data=data,
            client_id=client_id,
            within=within,
            batch=batch,
        )
    return _plain_update(
        actor=actor,
        kind=kind,
        object_id=object_id,
        data=data,
        client_id=client_id,
        within=within,
        batch=batch,
    )


@op_transaction
def _plain_update(
    *,
    actor: AbstractBaseUser,
    kind: str,
    object_id: Any,
    data: Any,
    client_id: str,
    within: int | None,
    batch: Batch | None,
) -> Op:
    return _change(
        actor=actor,
        kind=kind,
        object_id=object_id,
        data=data,
        client_id=client_id,
        action="update",
        allowed=None,
        within=within,
        batch=batch,
    )


@op_transaction
def board_move(
    *,
    actor: AbstractBaseUser,
    kind: str,
    object_id: Any,
    data: Any,
    client_id: str = "",
    within: int | None = None,
    batch: Batch | None = None,
) -> Op:
    """Like `board_update` restricted to position fields; emits `<kind>.move`."""
    spec = _kind(kind)
    if not spec.movable:
        raise ValidationError({"op": [f"A {kind} cannot be moved."]})
    return _change(
        actor=actor,
        kind=kind,
        object_id=object_id,
        data=data,
        client_id=client_id,
        action="move",
        allowed=spec.movable,
        within=within,
        batch=batch,
    )


def board_delete(
    *,
    actor: AbstractBaseUser,
    kind: str,
    object_id: Any,
    client_id: str = "",
    within: int | None = None,
    batch: Batch | None = None,
) -> Op:
    """Deletes the object (and what cascades from it); emits `<kind>.delete` with its id. A
    kind with a rule of its own is deleted by its named service (`_DELETE_SERVICES`:
    `link_delete`, `vote_delete`)."""
    spec = _kind(kind)
    named = _DELETE_SERVICES.get(spec.name)
    if named is not None:
        return named(
            actor=actor, object_id=object_id, client_id=client_id, within=within, batch=batch
        )
    return _plain_delete(
        actor=actor, spec=spec, object_id=object_id, client_id=client_id, within=within, batch=batch
    )


@op_transaction
def _plain_delete(
    *,
    actor: AbstractBaseUser,
    spec: Kind,
    object_id: Any,
    client_id: str,
    within: int | None,
    batch: Batch | None,
) -> Op:
    seq, _, obj = _object_for_edit(
        actor=actor, spec=spec, object_id=object_id, within=within, client_id=client_id, batch=batch
    )
    return _remove(actor=actor, spec=spec, obj=obj, seq=seq, client_id=client_id, batch=batch)


def _remove(
    *,
    actor: AbstractBaseUser,
    spec: Kind,
    obj: models.Model,
    seq: int,
    client_id: str,
    batch: Batch | None,
) -> Op:
    """Deletes the object (and what cascades from it) and records `<kind>.delete`."""
    stream_id, data = obj.stream_id, {"id": obj.pk}  # type: ignore[attr-defined]
    obj.delete()
    if batch is not None:
        batch.objects_forget()  # what the delete cascaded to must be read again
    return op_record(
        stream_id=stream_id,
        seq=seq,
        actor=actor,
        op=f"{spec.name}.delete",
        data=data,
        client_id=client_id,
        batch=batch,
    )


def op_apply(
    *,
    actor: AbstractBaseUser,
    stream_id: int,
    op: Any,
    data: Any,
    client_id: str = "",
    batch: Batch | None = None,
) -> Op:
    """Applies a board op `"<kind>.<action>"` to stream `stream_id` through the services above.

    `data` is the object's fields; update, move and delete name the object with `data["id"]`,
    which must be on `stream_id`. With `batch` (`ops_apply`), in the batch's transaction.
    """
    if not isinstance(op, str) or op.count(".") != 1:
        raise ValidationError({"op": ["Expected '<kind>.<action>'."]})
    kind, action = op.split(".")
    handler = extensions.board_op_kinds.get(kind)
    if handler is None:
        _kind(kind)
    if action not in ACTIONS:
        raise ValidationError({"op": [f"Unknown action {action!r}."]})
    if not isinstance(data, dict):
        raise ValidationError({"data": ["Expected an object."]})
    if handler is not None:
        return handler(
            actor=actor,
            stream_id=stream_id,
            action=action,
            data=data,
            client_id=client_id,
            batch=batch,
        )
    if action == "create":
        return board_create(
            actor=actor, kind=kind, stream_id=stream_id, data=data, client_id=client_id, batch=batch
        )
    payload = dict(data)
    object_id = payload.pop("id", None)
    if action == "delete":
        return board_delete(
            actor=actor,
            kind=kind,
            object_id=object_id,
            client_id=client_id,
            within=stream_id,
            batch=batch,
        )
    service = board_update if action == "update" else board_move
    return service(
        actor=actor,
        kind=kind,
        object_id=object_id,
        data=payload,
        client_id=client_id,
        within=stream_id,
        batch=batch,
    )


@dataclass(frozen=True)
class OpRequest:
    """One op a board socket sends: `"<kind>.<action>"`, its data and the client's id."""

    actor: AbstractBaseUser
    op: Any
    data: Any
    client_id: str = ""


def ops_apply(*, stream_id: int, requests: list[OpRequest]) -> list[Op | Exception]:
    """Applies ops to one stream in one transaction, in order (group commit).

    Returns, per request, its Op or the exception that stopped it: a rejection (one of
    `REJECTIONS`, or OpAlreadyApplied), or a failure. Nothing of a rejected op is written, and
    it takes no seq. Should the database itself fail (`UNAVAILABLE`: restarting, the connection
    broken), the batch is rolled back and tried once more on a new connection, then every op
    is `DatabaseUnavailable`: all applied, or none. Should it fail otherwise midway (a
    constraint, say), every op is applied in a transaction of its own, so one broken op never
    costs the others.
    """
    for attempt in range(1, DATABASE_ATTEMPTS + 1):
        try:
            return _apply_together(stream_id, requests)
        except UNAVAILABLE:
            logger.warning(
                "stream %s: the database failed under %s ops (attempt %s of %s)",
                stream_id,
                len(requests),
                attempt,
                DATABASE_ATTEMPTS,
                exc_info=True,
            )
        except DatabaseError:
            logger.exception(
                "stream %s: a batch of %s ops failed; one by one", stream_id, len(requests)
            )
            return [_apply_alone(stream_id, request) for request in requests]
    return [DatabaseUnavailable() for _ in requests]


def _apply_together(stream_id: int, requests: list[OpRequest]) -> list[Op | Exception]:
    """The ops in one transaction (an op alone in its own); raises what the database does."""
    if len(requests) == 1:
        return [_apply(stream_id, requests[0], batch=None)]
    with transaction.atomic():
        batch = Batch.start(stream_id, requests)
        if batch is None:
            return [NotFound("No such value stream.") for _ in requests]
        results = [_apply(stream_id, request, batch=batch) for request in requests]
        batch.finish()
        return results


def _apply_alone(stream_id: int, request: OpRequest) -> Op | Exception:
    """`_apply` in a transaction of its own; a failure is returned, for this op alone."""
    try:
        return _apply(stream_id, request, batch=None)
    except UNAVAILABLE:
        logger.warning("stream %s: the database failed under %s", stream_id, request.op)
        return DatabaseUnavailable()
    except Exception as failure:
        logger.exception("stream %s: %s failed", stream_id, request.op)
        return failure


def _apply(stream_id: int, request: OpRequest, *, batch: Batch | None) -> Op | Exception:
    if batch is not None:
        batch.before(request)
    try:
        return op_apply(
            actor=request.actor,
            stream_id=stream_id,
            op=request.op,
            data=request.data,
            client_id=request.client_id,
            batch=batch,
        )
    except (*REJECTIONS, OpAlreadyApplied) as rejection:
        if batch is not None:
            batch.objects_forget()  # a rule may have failed after setting fields on one
        return rejection
