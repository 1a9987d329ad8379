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


PHASE_PROMPTS = {
    Phase.CHOOSE: "Pick a value stream that is recent, real, has reach, is representative and "
    "road-tested. Write down why.",
    Phase.PEOPLE: "Who touches this work, from the idea to the customer? Invite them all, "
    "and note the team or area each one speaks for.",
    Phase.TIMELINE: "Put every activity on the timeline, left to right: who does it, how long "
    "the work takes (process time), how long it waits before, and how often it is complete "
    "and accurate (%C&A).",
    Phase.CONVERSATION: "Walk the map together. What surprised you? Where does work wait, "
    "bounce back or get stuck? Add questions as notes.",
    Phase.WASTES: "Name the wastes: waiting, defects, hand-offs, partially done work, task "
    "switching, extra processing, extra features, unused talent. Pin each to its activity.",
    Phase.PRIORITIZE: "Dot-vote the wastes that hurt most. Votes stay hidden until the "
    "facilitator reveals them; then the most annoying waste wins its award.",
    Phase.COUNTERMEASURES: "For the top wastes: what is the current condition, what should the "
    "future condition be, and how will we measure it?",
    Phase.BABY_STEPS: "Size each countermeasure: how broad or bounded, how big, how hard. "
    "Start with the small, bounded, easy steps.",
    Phase.REPEAT: "Design the future state, then map again later and compare: measure, learn, "
    "improve.",
}


class Role(models.TextChoices):
    FACILITATOR = "facilitator", "Facilitator"
    PARTICIPANT = "participant", "Participant"
    VIEWER = "viewer", "Viewer"


#: The five R's a value stream is chosen against: (field, label, what it asks), in the order the
#: pages ask them (the new workshop's form, the workshop page's chips).
FIVE_RS = (
    ("is_recent", "Recent", "It happened in the last few months, so people remember it."),
    ("is_real", "Real", "A real piece of work, not an idealised process."),
    ("has_reach", "Reach", "It crosses many teams, from idea to customer."),
    ("is_representative", "Representative", "Most work flows the same way."),
    ("is_road_tested", "Road-tested", "It went all the way to production."),
)


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
    timer_ends_at = models.DateTimeField(null=True, blank=True)
    timer_seconds = models.PositiveIntegerField(default=0)
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
    def phase_prompt(self) -> str:
        return PHASE_PROMPTS[Phase(self.phase)]

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
