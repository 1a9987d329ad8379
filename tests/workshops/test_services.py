"""Rules of the workshop services: creation, settings, members, the last facilitator,
invitations. Each rule through the service, and its contract through the API."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from vsm_site.errors import NotFound
from workshops.models import Invitation, Membership, Role, Workshop
from workshops.services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_delete,
    membership_update,
    workshop_create,
    workshop_update,
)

pytestmark = pytest.mark.django_db


def workshop_state() -> dict[str, Any]:
    return {
        "workshops": list(Workshop.objects.order_by("id").values()),
        "memberships": list(Membership.objects.order_by("id").values()),
        "invitations": list(Invitation.objects.order_by("id").values()),
    }


def rejected(call: Any) -> dict[str, list[str]]:
    before = workshop_state()
    with pytest.raises(ValidationError) as refused:
        call()
    assert workshop_state() == before
    return refused.value.message_dict


# Workshops ---------------------------------------------------------------------------------


def test_creating_a_workshop_makes_the_creator_its_facilitator(db):
    user = UserFactory()
    workshop = workshop_create(actor=user, data={"title": "Deploys", "is_real": True})
    membership = Membership.objects.get(workshop=workshop)
    assert (membership.user, membership.role) == (user, Role.FACILITATOR)
    assert (workshop.title, workshop.is_real, workshop.phase) == ("Deploys", True, "choose")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x" * 1024 * 1024}, "title"),
        ({"title": 42}, "title"),
        ({"title": ["t"]}, "title"),
        ({"title": "t", "goal": "x" * 2001}, "goal"),
        ({"title": "t", "choice_notes": {"why": 1}}, "choice_notes"),
        ({"title": "t", "is_recent": "true"}, "is_recent"),
        ({"title": "t", "is_real": 1}, "is_real"),
        ({"title": "t", "has_reach": None}, "has_reach"),
        ({"title": "t", "phase": "step 10"}, "phase"),
        ({"title": "t", "phase": 3}, "phase"),
        ({"title": "t", "created_by": 1}, "created_by"),
        ({"title": "t", "owner": "me"}, "owner"),
    ],
)
def test_invalid_workshop_is_refused_and_nothing_is_half_saved(db, data, field):
    errors = rejected(lambda: workshop_create(actor=UserFactory(), data=data))
    assert list(errors) == [field]


def test_workshop_update_sets_only_the_fields_sent(cast):
    workshop_update(
        actor=cast.facilitator, workshop_id=cast.workshop.pk, data={"phase": "timeline"}
    )
    cast.workshop.refresh_from_db()
    assert (cast.workshop.phase, cast.workshop.goal) == ("timeline", "Shorten lead time")


@pytest.mark.parametrize(
    "data", [{"phase": "later"}, {"title": ""}, {"is_real": "yes"}, {"title": "ok", "x": 1}]
)
def test_invalid_workshop_update_changes_nothing(cast, data):
    rejected(
        lambda: workshop_update(actor=cast.facilitator, workshop_id=cast.workshop.pk, data=data)
    )


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_only_the_facilitator_updates_the_workshop(cast, role):
    with pytest.raises(PermissionDenied):
        workshop_update(actor=cast.user(role), workshop_id=cast.workshop.pk, data={"title": "x"})


@pytest.mark.parametrize(
    "body",
    [
        '{"title": ""}',
        '{"title": 1e400}',
        '{"title": NaN}',
        '{"title": "t", "is_real": "true"}',
        '{"title": "t", "phase": null}',
        "[]",
    ],
)
def test_api_refuses_an_invalid_workshop_with_400_and_saves_nothing(db, client_for, body):
    before = workshop_state()
    response = client_for(UserFactory()).generic(
        "POST", "/api/workshops/", body, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()
    assert workshop_state() == before


# Members and the last facilitator ---------------------------------------------------------


def test_the_last_facilitator_cannot_leave(cast):
    own = cast.membership("facilitator")
    errors = rejected(
        lambda: membership_delete(
            actor=cast.facilitator, workshop_id=cast.workshop.pk, membership_id=own.pk
        )
    )
    assert errors == {"role": ["A workshop needs at least one facilitator."]}


@pytest.mark.parametrize("role", ["participant", "viewer"])
def test_the_last_facilitator_cannot_be_demoted(cast, role):
    own = cast.membership("facilitator")
    errors = rejected(
        lambda: membership_update(
            actor=cast.facilitator,
            workshop_id=cast.workshop.pk,
            membership_id=own.pk,
            data={"role": role},
        )
    )
    assert list(errors) == ["role"]


def test_a_facilitator_may_leave_when_another_remains(cast):
    second = MembershipFactory(workshop=cast.workshop, role=Role.FACILITATOR)
    own = cast.membership("facilitator")
    membership_delete(actor=cast.facilitator, workshop_id=cast.workshop.pk, membership_id=own.pk)
    assert list(cast.workshop.memberships.filter(role=Role.FACILITATOR)) == [second]


def test_a_facilitator_may_step_down_when_another_remains(cast):
    MembershipFactory(workshop=cast.workshop, role=Role.FACILITATOR)
    own = cast.membership("facilitator")
    membership_update(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        membership_id=own.pk,
        data={"role": "participant"},
    )
    own.refresh_from_db()
    assert own.role == Role.PARTICIPANT


def test_the_last_facilitator_may_still_change_their_team(cast):
    own = cast.membership("facilitator")
    membership_update(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        membership_id=own.pk,
        data={"team": "Coaching", "role": "facilitator"},
    )
    own.refresh_from_db()
    assert (own.role, own.team) == (Role.FACILITATOR, "Coaching")


def test_api_refuses_to_remove_the_last_facilitator_with_400(cast, client_for):
    own = cast.membership("facilitator")
    url = f"/api/workshops/{cast.workshop.pk}/members/{own.pk}/"
    client = client_for(cast.facilitator)
    demoted = client.patch(url, {"role": "viewer"}, format="json")
    removed = client.delete(url)
    assert (demoted.status_code, removed.status_code) == (400, 400)
    assert list(demoted.json()["errors"]) == list(removed.json()["errors"]) == ["role"]
    own.refresh_from_db()
    assert own.role == Role.FACILITATOR


@pytest.mark.parametrize(
    "data", [{"role": "owner"}, {"role": None}, {"team": "x" * 101}, {"team": 5}]
)
def test_invalid_membership_change_is_refused(cast, data):
    target = cast.membership("participant")
    rejected(
        lambda: membership_update(
            actor=cast.facilitator,
            workshop_id=cast.workshop.pk,
            membership_id=target.pk,
            data=data,
        )
    )


def test_a_membership_cannot_be_moved_to_another_user(cast):
    target = cast.membership("participant")
    membership_update(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        membership_id=target.pk,
        data={"user": cast.outsider.pk, "team": "QA"},
    )
    target.refresh_from_db()
    assert (target.user, target.team) == (cast.participant, "QA")


# Invitations --------------------------------------------------------------------------------


def test_invitation_token_is_long_and_unguessable(cast):
    tokens = {
        invitation_create(
            actor=cast.facilitator, workshop_id=cast.workshop.pk, data={"role": "viewer"}
        ).token
        for _ in range(20)
    }
    assert len(tokens) == 20 and min(len(token) for token in tokens) >= 40


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "role"),
        ({"role": "owner"}, "role"),
        ({"role": None}, "role"),
        ({"role": "viewer", "max_uses": 0}, "max_uses"),
        ({"role": "viewer", "max_uses": 1001}, "max_uses"),
        ({"role": "viewer", "max_uses": "5"}, "max_uses"),
        ({"role": "viewer", "max_uses": math.inf}, "max_uses"),
        ({"role": "viewer", "expires_in_days": 0}, "expires_in_days"),
        ({"role": "viewer", "expires_in_days": 91}, "expires_in_days"),
        ({"role": "viewer", "expires_in_days": 1.5}, "expires_in_days"),
        ({"role": "viewer", "token": "mine"}, "token"),
        ({"role": "viewer", "uses": -1}, "uses"),
    ],
)
def test_invalid_invitation_is_refused(cast, data, field):
    errors = rejected(
        lambda: invitation_create(actor=cast.facilitator, workshop_id=cast.workshop.pk, data=data)
    )
    assert list(errors) == [field]


def test_invitation_expiry_and_use_limit_are_set_from_the_request(cast):
    invitation = invitation_create(
        actor=cast.facilitator,
        workshop_id=cast.workshop.pk,
        data={"role": "viewer", "max_uses": 3, "expires_in_days": 2},
    )
    left = invitation.expires_at - timezone.now()
    assert invitation.max_uses == 3 and timedelta(days=1) < left <= timedelta(days=2)


def test_accepting_makes_the_caller_a_member_with_the_invitation_role(cast):
    invitation = InvitationFactory(workshop=cast.workshop, role=Role.VIEWER)
    membership = invitation_accept(actor=cast.outsider, token=invitation.token)
    invitation.refresh_from_db()
    assert (membership.workshop, membership.role, invitation.uses) == (
        cast.workshop,
        Role.VIEWER,
        1,
    )


@pytest.mark.parametrize("role", ["facilitator", "participant", "viewer"])
def test_accepting_is_idempotent_for_an_existing_member(cast, role):
    invitation = InvitationFactory(workshop=cast.workshop, role=Role.PARTICIPANT, max_uses=1)
    before = cast.membership(role)
    for _ in range(2):
        assert invitation_accept(actor=cast.user(role), token=invitation.token) == before
    invitation.refresh_from_db()
    assert invitation.uses == 0 and cast.membership(role).role == role


def _expired(workshop: Any) -> Invitation:
    return InvitationFactory(workshop=workshop, expires_at=timezone.now() - timedelta(seconds=1))


UNUSABLE = {
    "expired": _expired,
    "revoked": lambda workshop: InvitationFactory(workshop=workshop, revoked=True),
    "used up": lambda workshop: InvitationFactory(workshop=workshop, max_uses=2, uses=2),
}


@pytest.mark.parametrize("state", list(UNUSABLE))
def test_an_unusable_invitation_is_not_found(cast, state):
    invitation = UNUSABLE[state](cast.workshop)
    with pytest.raises(NotFound):
        invitation_accept(actor=cast.outsider, token=invitation.token)
    assert not Membership.objects.filter(user=cast.outsider).exists()


@pytest.mark.parametrize("state", [*UNUSABLE, "unknown"])
def test_api_answers_404_for_an_unusable_invitation(cast, client_for, state):
    token = UNUSABLE[state](cast.workshop).token if state in UNUSABLE else "no-such-token"
    response = client_for(cast.outsider).post(f"/api/invitations/{token}/accept/")
    assert response.status_code == 404
    assert not Membership.objects.filter(user=cast.outsider).exists()


def test_the_last_use_of_an_invitation_admits_one_more_member_only(cast):
    invitation = InvitationFactory(workshop=cast.workshop, max_uses=1)
    invitation_accept(actor=cast.outsider, token=invitation.token)
    with pytest.raises(NotFound):
        invitation_accept(actor=UserFactory(), token=invitation.token)
    assert invitation.workshop.memberships.count() == 4


def test_revoking_an_invitation_stops_it_working(cast):
    invitation = InvitationFactory(workshop=cast.workshop)
    invitation_revoke(
        actor=cast.facilitator, workshop_id=cast.workshop.pk, invitation_id=invitation.pk
    )
    with pytest.raises(NotFound):
        invitation_accept(actor=cast.outsider, token=invitation.token)


def test_revoking_an_unknown_invitation_is_not_found(cast):
    with pytest.raises(NotFound):
        invitation_revoke(actor=cast.facilitator, workshop_id=cast.workshop.pk, invitation_id=10**9)


def test_api_invitation_create_answers_400_per_field(cast, client_for):
    response = client_for(cast.facilitator).generic(
        "POST",
        f"/api/workshops/{cast.workshop.pk}/invitations/",
        json.dumps({"role": "boss", "max_uses": 0}),
        content_type="application/json",
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"role", "max_uses"}
    assert not Invitation.objects.exists()
