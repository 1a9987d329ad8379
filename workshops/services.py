"""Every write to workshops, memberships and invitations. Each validates and authorises."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vsm_site.errors import NotFound
from vsm_site.validation import Boolean, Choice, Integer, Text, clean_payload
from workshops.events import (
    CLOSE_REMOVED,
    CLOSE_ROLE_CHANGED,
    close_message,
    person_sockets_close_on_commit,
)
from workshops.extensions import workshop_changed
from workshops.models import Invitation, Membership, Phase, Role, Workshop
from workshops.selectors import (
    facilitator_membership_get,
    invitation_get_usable,
    membership_get,
)

WORKSHOP_SPEC = {
    "title": Text(required=True, max_length=200, blank=False),
    "goal": Text(max_length=2000),
    "is_recent": Boolean(),
    "is_real": Boolean(),
    "has_reach": Boolean(),
    "is_representative": Boolean(),
    "is_road_tested": Boolean(),
    "choice_notes": Text(max_length=2000),
    "phase": Choice(choices=tuple(Phase.values)),
}
WORKSHOP_READ_ONLY = ("id", "created_at", "updated_at", "my_role", "streams", "five_rs")
MEMBERSHIP_SPEC = {"role": Choice(choices=tuple(Role.values)), "team": Text(max_length=100)}
INVITATION_SPEC = {
    "role": Choice(required=True, choices=tuple(Role.values)),
    "max_uses": Integer(minimum=1, maximum=1000),
    "expires_in_days": Integer(minimum=1, maximum=90),
}


@transaction.atomic
def workshop_create(*, actor: User, data: Any) -> Workshop:
    """Creates the workshop and makes `actor` its facilitator."""
    fields = clean_payload(WORKSHOP_SPEC, data, partial=False, read_only=WORKSHOP_READ_ONLY)
    workshop = Workshop.objects.create(created_by=actor, **fields)
    Membership.objects.create(workshop=workshop, user=actor, role=Role.FACILITATOR)
    return workshop


@transaction.atomic
def workshop_update(*, actor: User, workshop_id: int, data: Any, client_id: str = "") -> Workshop:
    """A facilitator changes the workshop (moving the phase, say). Holds the workshop's row
    lock; the workshop-change listeners (`workshops.extensions`) run in this transaction, so
    every board hears of it on commit."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    fields = clean_payload(WORKSHOP_SPEC, data, partial=True, read_only=WORKSHOP_READ_ONLY)
    workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
    for name, value in fields.items():
        setattr(workshop, name, value)
    workshop.save()
    workshop_changed(workshop=workshop, actor=actor, client_id=client_id)
    return workshop


TIMER_SPEC = {"seconds": Integer(required=True, minimum=0, maximum=4 * 3600)}


@transaction.atomic
def workshop_timer(*, actor: User, workshop_id: int, data: Any, client_id: str = "") -> Workshop:
    """Starts the shared countdown for `seconds` (0 stops it); like `workshop_update`, the
    workshop-change listeners run in this transaction, so every board hears of it."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    seconds = clean_payload(TIMER_SPEC, data, partial=False)["seconds"]
    workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
    workshop.timer_seconds = seconds
    workshop.timer_ends_at = timezone.now() + timedelta(seconds=seconds) if seconds else None
    workshop.save(update_fields=["timer_seconds", "timer_ends_at", "updated_at"])
    workshop_changed(workshop=workshop, actor=actor, client_id=client_id)
    return workshop


@transaction.atomic
def workshop_delete(*, actor: User, workshop_id: int) -> None:
    """A facilitator deletes the workshop; after commit every member's sockets of it close
    with 4404."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    members = list(
        Membership.objects.filter(workshop_id=workshop_id).values_list("user_id", flat=True)
    )
    Workshop.objects.filter(pk=workshop_id).delete()
    person_sockets_close_on_commit(
        members, close_message(code=CLOSE_REMOVED, workshop_id=workshop_id)
    )


def _ensure_a_facilitator_remains(membership: Membership) -> None:
    others = Membership.objects.filter(
        workshop_id=membership.workshop_id, role=Role.FACILITATOR
    ).exclude(pk=membership.pk)
    if membership.is_facilitator and not others.exists():
        raise ValidationError({"role": ["A workshop needs at least one facilitator."]})


@transaction.atomic
def membership_update(
    *, actor: User, workshop_id: int, membership_id: int, data: Any
) -> Membership:
    """A facilitator changes anyone's role and team; a member may change their own team. A new
    role closes the member's board sockets of the workshop after commit (4001: the client
    reconnects and is welcomed with the new role)."""
    own = membership_get(user=actor, workshop_id=workshop_id)
    target = _membership_in(workshop_id, membership_id)
    fields = clean_payload(MEMBERSHIP_SPEC, data, partial=True, read_only=("id", "user"))
    if not own.is_facilitator and (target.pk != own.pk or "role" in fields):
        raise PermissionDenied("Only a facilitator can change other members or roles.")
    if fields.get("role", target.role) != Role.FACILITATOR:
        _ensure_a_facilitator_remains(target)
    role_changed = fields.get("role", target.role) != target.role
    for name, value in fields.items():
        setattr(target, name, value)
    target.save()
    if role_changed:
        person_sockets_close_on_commit(
            [target.user_id],
            close_message(code=CLOSE_ROLE_CHANGED, workshop_id=workshop_id, flow=False),
        )
    return target


@transaction.atomic
def membership_delete(*, actor: User, workshop_id: int, membership_id: int) -> None:
    """A facilitator removes a member, or a member leaves; the last facilitator cannot go.
    After commit the member's sockets of the workshop (boards and Flow page) close with 4404."""
    own = membership_get(user=actor, workshop_id=workshop_id)
    target = _membership_in(workshop_id, membership_id)
    if not own.is_facilitator and target.pk != own.pk:
        raise PermissionDenied("Only a facilitator can remove other members.")
    _ensure_a_facilitator_remains(target)
    target.delete()
    person_sockets_close_on_commit(
        [target.user_id], close_message(code=CLOSE_REMOVED, workshop_id=workshop_id)
    )


def _membership_in(workshop_id: int, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update().filter(pk=membership_id, workshop_id=workshop_id)
    ).first()
    if membership is None:
        raise NotFound("No such member.")
    return membership


@transaction.atomic
def invitation_create(*, actor: User, workshop_id: int, data: Any) -> Invitation:
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    fields = clean_payload(INVITATION_SPEC, data, partial=False)
    days = fields.pop("expires_in_days", None)
    if days is not None:
        fields["expires_at"] = timezone.now() + timedelta(days=days)
    return Invitation.objects.create(workshop_id=workshop_id, created_by=actor, **fields)


@transaction.atomic
def invitation_revoke(*, actor: User, workshop_id: int, invitation_id: int) -> None:
    """Idempotent: revoking a revoked invitation is fine; an unknown one is NotFound."""
    facilitator_membership_get(user=actor, workshop_id=workshop_id)
    if not Invitation.objects.filter(pk=invitation_id, workshop_id=workshop_id).update(
        revoked=True
    ):
        raise NotFound("No such invitation.")


@transaction.atomic
def invitation_accept(*, actor: User, token: str) -> Membership:
    """Makes `actor` a member with the invitation's role. Idempotent: an existing member keeps
    their membership (and role) and uses nothing up."""
    invitation = invitation_get_usable(token=token)
    existing = Membership.objects.filter(workshop_id=invitation.workshop_id, user=actor).first()
    if existing is not None:
        return existing
    updated = Invitation.objects.filter(pk=invitation.pk, uses__lt=F("max_uses")).update(
        uses=F("uses") + 1
    )
    if not updated:
        raise NotFound("This invitation link is not valid any more.")
    return Membership.objects.create(
        workshop_id=invitation.workshop_id, user=actor, role=invitation.role
    )
