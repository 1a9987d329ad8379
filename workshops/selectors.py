"""Reads of workshops and memberships, always scoped to what the user may see."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from vsm_site.errors import NotFound
from vsm_site.ids import row_id
from workshops.models import Invitation, Membership, Workshop

AnyUser = AbstractBaseUser | AnonymousUser


def membership_get(*, user: AnyUser, workshop_id: Any) -> Membership:
    """The user's membership of the workshop. Raises NotFound for non-members and for ids no
    row can have, so a workshop's existence is never revealed to outsiders."""
    workshop_id = row_id(workshop_id)
    if not user.is_authenticated or workshop_id is None:
        raise NotFound("No such workshop.")
    membership = (
        Membership.objects.select_related("workshop")
        .filter(workshop_id=workshop_id, user_id=user.pk)
        .first()
    )
    if membership is None:
        raise NotFound("No such workshop.")
    return membership


def facilitator_membership_get(*, user: AnyUser, workshop_id: int) -> Membership:
    """Like `membership_get`, and raises PermissionDenied unless the user facilitates."""
    membership = membership_get(user=user, workshop_id=workshop_id)
    if not membership.is_facilitator:
        raise PermissionDenied("Only a facilitator can do this.")
    return membership


def editor_membership_get(*, user: AnyUser, workshop_id: int) -> Membership:
    """Like `membership_get`, and raises PermissionDenied for viewers."""
    membership = membership_get(user=user, workshop_id=workshop_id)
    if not membership.can_edit:
        raise PermissionDenied("Viewers cannot change the map.")
    return membership


def membership_columns_sql(*, workshop: str, user: str) -> str:
    """Two columns for a statement of an app above that must read a membership in its own
    round trip (`streams`' op lock: one UPDATE ... RETURNING takes the stream's row lock, the
    next seq and the actor's membership): the id and the role of user `user`'s membership of
    workshop `workshop`, both NULL for a non-member. `workshop` and `user` are SQL
    expressions of that statement (a column, a placeholder), never values."""
    table = Membership._meta.db_table
    where = f"WHERE m.workshop_id = {workshop} AND m.user_id = {user}"
    # Only our own table name and SQL expressions go in; values travel as the statement's params.
    return (
        f"(SELECT m.id FROM {table} m {where}), "  # noqa: S608
        f"(SELECT m.role FROM {table} m {where})"
    )


def member_roles_get(*, workshop_id: int, user_ids: list[Any]) -> dict[Any, tuple[int, str]]:
    """{user id: (membership id, role)} of those of `user_ids` who are members of the workshop
    (one query; for group commit, which authorises a batch of ops at once)."""
    members = Membership.objects.filter(workshop_id=workshop_id, user_id__in=user_ids)
    return {user: (pk, role) for user, pk, role in members.values_list("user_id", "id", "role")}


def workshop_list(*, user: AnyUser) -> QuerySet[Workshop]:
    if not user.is_authenticated:
        return Workshop.objects.none()
    return Workshop.objects.filter(memberships__user_id=user.pk)


def member_list(*, user: AnyUser, workshop_id: int) -> QuerySet[Membership]:
    membership_get(user=user, workshop_id=workshop_id)
    return Membership.objects.filter(workshop_id=workshop_id).select_related("user")


def invitation_list(*, user: AnyUser, workshop_id: int) -> QuerySet[Invitation]:
    facilitator_membership_get(user=user, workshop_id=workshop_id)
    return Invitation.objects.filter(workshop_id=workshop_id)


def invitation_get_usable(*, token: str) -> Invitation:
    """The invitation behind a token, or NotFound when unknown, revoked, expired or used up."""
    invitation = Invitation.objects.select_related("workshop").filter(token=str(token)[:64]).first()
    if invitation is None or not invitation.is_usable:
        raise NotFound("This invitation link is not valid any more.")
    return invitation


def facilitation_data(workshop: Workshop) -> dict[str, object]:
    """What every board of the workshop shows of the facilitation: phase, prompt, timer."""
    return {
        "id": workshop.pk,
        "title": workshop.title,
        "phase": workshop.phase,
        "phase_label": workshop.get_phase_display(),
        "prompt": workshop.phase_prompt,
        "timer_ends_at": workshop.timer_ends_at.isoformat() if workshop.timer_ends_at else None,
        "timer_seconds": workshop.timer_seconds,
    }
