"""Workshops, the people in them and the invitations that bring people in."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Phase(models.TextChoices):
    """Paula Thrasher's nine steps of a value stream mapping workshop, in order."""

    CHOOSE = "choose", "1. Choose the value stream"
    PEOPLE = "people", "2. Identify the people"
    TIMELINE = "timeline", "3. Place activities on a timeline"
    CONVERSATION = "conversation", "4. Have the conversation"
    WASTES = "wastes", "5. Identify the wastes"
    PRIORITIZE = "prioritize", "6. Prioritize the wastes"
    COUNTERMEASURES = "countermeasures", "7. Brainstorm countermeasures"
    BABY_STEPS = "baby_steps", "8. Baby steps"
    REPEAT = "repeat", "9. Repeat"


class Role(models.TextChoices):
    FACILITATOR = "facilitator", "Facilitator"
    PARTICIPANT = "participant", "Participant"
    VIEWER = "viewer", "Viewer"


class Workshop(models.Model):
    """A mapping workshop; why its value stream was chosen is recorded against the five R's."""

    title = models.CharField(max_length=200)
    goal = models.TextField(max_length=2000, blank=True)
    is_recent = models.BooleanField("recent", default=False)
    is_real = models.BooleanField("real", default=False)
    has_reach = models.BooleanField("reach", default=False)
    is_representative = models.BooleanField("representative", default=False)
    is_road_tested = models.BooleanField("road-tested", default=False)
    choice_notes = models.TextField("why this value stream", max_length=2000, blank=True)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.CHOOSE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def five_rs(self) -> dict[str, bool]:
        return {
            "recent": self.is_recent,
            "real": self.is_real,
            "reach": self.has_reach,
            "representative": self.is_representative,
            "road_tested": self.is_road_tested,
        }


class Membership(models.Model):
    """A person's role in one workshop, and the team or area they speak for."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    team = models.CharField("team or area", max_length=100, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "user"], name="one_membership_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.workshop}"

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.FACILITATOR, Role.PARTICIPANT)

    @property
    def is_facilitator(self) -> bool:
        return self.role == Role.FACILITATOR


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


def default_invitation_expiry():  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(days=settings.VSM_INVITATION_DAYS)


class Invitation(models.Model):
    """A link that makes whoever opens it a member with `role`, until expiry or use limit."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    max_uses = models.PositiveIntegerField(default=50)
    uses = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.role} invitation to {self.workshop}"

    @property
    def is_usable(self) -> bool:
        return not self.revoked and self.uses < self.max_uses and self.expires_at > timezone.now()
