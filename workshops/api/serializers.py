"""Shapes of workshops, members and invitations in the API (the services validate input)."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from vsm_site.api import spec_serializer
from workshops.models import Invitation, Membership, Workshop
from workshops.services import INVITATION_SPEC, MEMBERSHIP_SPEC, WORKSHOP_SPEC


def workshop_data(workshop: Workshop, membership: Membership | None = None) -> dict[str, Any]:
    return {
        "id": workshop.pk,
        "title": workshop.title,
        "goal": workshop.goal,
        "is_recent": workshop.is_recent,
        "is_real": workshop.is_real,
        "has_reach": workshop.has_reach,
        "is_representative": workshop.is_representative,
        "is_road_tested": workshop.is_road_tested,
        "choice_notes": workshop.choice_notes,
        "phase": workshop.phase,
        "my_role": membership.role if membership else None,
        "created_at": workshop.created_at.isoformat(),
    }


def membership_data(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "id": membership.pk,
        "user": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "role": membership.role,
        "team": membership.team,
    }


def invitation_data(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "token": invitation.token,
        "url": reverse("invitation-join", args=[invitation.token]),
        "role": invitation.role,
        "expires_at": invitation.expires_at.isoformat(),
        "max_uses": invitation.max_uses,
        "uses": invitation.uses,
        "revoked": invitation.revoked,
        "usable": invitation.is_usable,
    }


WorkshopSerializer = spec_serializer(
    "Workshop",
    WORKSHOP_SPEC,
    {
        "id": serializers.IntegerField(read_only=True),
        "my_role": serializers.CharField(read_only=True),
        "created_at": serializers.DateTimeField(read_only=True),
    },
)
MembershipSerializer = spec_serializer(
    "Membership",
    MEMBERSHIP_SPEC,
    {
        "id": serializers.IntegerField(read_only=True),
        "user": serializers.IntegerField(read_only=True),
        "username": serializers.CharField(read_only=True),
        "name": serializers.CharField(read_only=True),
    },
)
InvitationSerializer = spec_serializer(
    "Invitation",
    INVITATION_SPEC,
    {
        "id": serializers.IntegerField(read_only=True),
        "token": serializers.CharField(read_only=True),
        "url": serializers.CharField(read_only=True),
        "expires_at": serializers.DateTimeField(read_only=True),
        "uses": serializers.IntegerField(read_only=True),
        "revoked": serializers.BooleanField(read_only=True),
        "usable": serializers.BooleanField(read_only=True),
    },
)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=1000, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
