"""Create, change, delete and clone value streams. Facilitators manage streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from streams import extensions
from streams.kinds import stream_data
from streams.models import StreamState, ValueStream
from streams.selectors import stream_get
from streams.services.board import op_record, stream_lock_next_seq
from vsm_site.errors import NotFound
from vsm_site.validation import Boolean, Choice, Reference, Text, clean_payload
from workshops.models import Workshop
from workshops.selectors import facilitation_data, facilitator_membership_get

STREAM_SPEC = {
    "workshop": Reference(required=True),
    "name": Text(required=True, max_length=200, blank=False),
    "state": Choice(choices=tuple(StreamState.values)),
    "based_on": Reference(nullable=True),
    "locked": Boolean(),
    "votes_revealed": Boolean(),
}
STREAM_READ_ONLY = ("id", "seq", "board_url", "summary_url")
CLONE_SPEC = {"name": Text(max_length=200), "state": STREAM_SPEC["state"]}


def _check_based_on(workshop_id: int, based_on: int | None) -> None:
    if (
        based_on is not None
        and not ValueStream.objects.filter(pk=based_on, workshop_id=workshop_id).exists()
    ):
        raise ValidationError({"based_on": ["No such value stream in this workshop."]})


@transaction.atomic
def stream_create(*, actor: User, data: Any) -> ValueStream:
    """A facilitator adds an empty value stream to their workshop. What is put in it in the
    same transaction (a clone's copies, an import) counts: its summary is asked for on
    commit (the flow-change listeners), so reads find it stored."""
    fields = clean_payload(STREAM_SPEC, data, partial=False, read_only=STREAM_READ_ONLY)
    workshop_id = fields.pop("workshop")
    try:
        facilitator_membership_get(user=actor, workshop_id=workshop_id)
    except NotFound:
        raise ValidationError({"workshop": ["No such workshop."]}) from None
    _check_based_on(workshop_id, fields.get("based_on"))
    based_on = fields.pop("based_on", None)
    stream = ValueStream.objects.create(workshop_id=workshop_id, based_on_id=based_on, **fields)
    extensions.flow_changed_on_commit(stream.pk)
    return stream


@transaction.atomic
def stream_update(*, actor: User, stream_id: int, data: Any, client_id: str = "") -> ValueStream:
    """A facilitator renames, locks or reveals votes; emits `stream.update` on the board. A
    stream stays in its workshop: `workshop` may only repeat the stream's own (a client may
    echo the whole object back)."""
    seq, workshop_id, _ = stream_lock_next_seq(stream_id)
    try:
        facilitator_membership_get(user=actor, workshop_id=workshop_id)
    except NotFound:
        raise NotFound("No such value stream.") from None
    named = data.get("workshop", workshop_id) if isinstance(data, dict) else workshop_id
    if type(named) is not int or named != workshop_id:
        raise ValidationError({"workshop": ["A value stream cannot move to another workshop."]})
    fields = clean_payload(
        STREAM_SPEC, data, partial=True, read_only=(*STREAM_READ_ONLY, "workshop")
    )
    if "based_on" in fields:
        if fields["based_on"] == stream_id:
            raise ValidationError({"based_on": ["A stream cannot be based on itself."]})
        _check_based_on(workshop_id, fields["based_on"])
        fields["based_on_id"] = fields.pop("based_on")
    stream = ValueStream.objects.get(pk=stream_id)
    for name, value in fields.items():
        setattr(stream, name, value)
    stream.save()
    op_record(
        stream_id=stream_id,
        seq=seq,
        actor=actor,
        op="stream.update",
        data=stream_data(stream),
        client_id=client_id,
    )
    return stream


def workshop_update_announce(*, workshop: Workshop, actor: User, client_id: str = "") -> None:
    """Records a `workshop.update` op (the facilitation: phase, prompt, timer) on every board
    of the workshop, so it reaches every participant live and on resync. A workshop-change
    listener (`workshops.extensions`, registered in StreamsConfig.ready): runs inside the
    workshop's change, taking each board's row lock in turn; the frames go out on commit."""
    data = facilitation_data(workshop)
    for stream_id in ValueStream.objects.filter(workshop=workshop).values_list("id", flat=True):
        seq, _, _ = stream_lock_next_seq(stream_id)
        op_record(
            stream_id=stream_id,
            seq=seq,
            actor=actor,
            op="workshop.update",
            data=data,
            client_id=client_id,
        )


@transaction.atomic
def stream_delete(*, actor: User, stream_id: int) -> None:
    stream, membership = stream_get(user=actor, stream_id=stream_id)
    if not membership.is_facilitator:
        raise PermissionDenied("Only a facilitator can do this.")
    stream.delete()


@transaction.atomic
def stream_clone(
    *,
    actor: User,
    stream_id: int,
    data: Any = None,
    activity_changes: Mapping[int, Mapping[str, Any]] | None = None,
) -> ValueStream:
    """Copies a stream's activities, links, wastes, countermeasures and notes into a new
    stream `based_on` it (votes are not copied: a new mapping votes afresh). `data` may name
    the clone and its state (default: a future state named after the source);
    `activity_changes` gives fields to set on the copy of an activity, by the source
    activity's id (e.g. measured times)."""
    source, _ = stream_get(user=actor, stream_id=stream_id)
    fields = clean_payload(CLONE_SPEC, {} if data is None else data, partial=True)
    state = fields.get("state", StreamState.FUTURE)
    name = fields.get("name") or f"{source.name[:180]} ({state})"
    clone = stream_create(
        actor=actor,
        data={"workshop": source.workshop_id, "based_on": source.pk, "name": name, "state": state},
    )
    activity_ids: dict[int, int] = {}
    for activity in source.activities.all():
        old_id = activity.pk
        activity.pk = None
        activity.stream = clone
        activity.version = 1
        activity.field_versions = {}  # the versions it names were the source's
        for name, value in (activity_changes or {}).get(old_id, {}).items():
            setattr(activity, name, value)
        activity.save(force_insert=True)
        activity_ids[old_id] = activity.pk
    for link in source.links.all():
        link.pk = None
        link.stream = clone
        link.source_id = activity_ids[link.source_id]
        link.target_id = activity_ids[link.target_id]
        link.save(force_insert=True)
    waste_ids: dict[int, int] = {}
    for waste in source.wastes.all():
        old_id = waste.pk
        waste.pk = None
        waste.stream = clone
        waste.activity_id = activity_ids.get(waste.activity_id) if waste.activity_id else None
        waste.save(force_insert=True)
        waste_ids[old_id] = waste.pk
    for countermeasure in source.countermeasures.all():
        countermeasure.pk = None
        countermeasure.stream = clone
        countermeasure.waste_id = waste_ids[countermeasure.waste_id]
        countermeasure.save(force_insert=True)
    for note in source.notes.all():
        note.pk = None
        note.stream = clone
        note.save(force_insert=True)
    return clone
