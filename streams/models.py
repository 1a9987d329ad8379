"""A value stream map: activities on a timeline, links for parallel paths, wastes, votes,
countermeasures, free notes, and the per-stream op log that orders every change."""

from django.conf import settings
from django.db import models

from workshops.models import Membership, Workshop


class StreamState(models.TextChoices):
    CURRENT = "current", "Current state"
    FUTURE = "future", "Future state"


class ValueStream(models.Model):
    """One map. `seq` is the last op-log sequence number; it only ever grows by one per op."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="streams")
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=StreamState.choices, default="current")
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="derived"
    )
    seq = models.BigIntegerField(default=0)
    locked = models.BooleanField(default=False)
    votes_revealed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class Activity(models.Model):
    """A sticky note on the timeline. Times are seconds; `pca` is percent complete & accurate."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=4000, blank=True)
    team = models.CharField(max_length=100, blank=True)
    lane = models.IntegerField(default=0)
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    order = models.IntegerField(default=0)
    process_time = models.FloatField(default=0)
    wait_time = models.FloatField(default=0)
    pca = models.FloatField("%C&A", default=100)
    lead_time_min = models.FloatField(null=True, blank=True)
    lead_time_max = models.FloatField(null=True, blank=True)
    color = models.CharField(max_length=9, default="#fde68a")
    version = models.IntegerField(default=1)
    #: Which version of the object last changed each field, and who changed it:
    #: `{field: [version, user id or null]}` (from the migration that added it on; a field not
    #: listed has not changed since). The conflict rule of a versioned update reads it
    #: (streams.services.board).
    field_versions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(process_time__gte=0) & models.Q(wait_time__gte=0),
                name="activity_times_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(pca__gte=0) & models.Q(pca__lte=100), name="activity_pca_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LinkKind(models.TextChoices):
    """A flow link carries the work forward (parallel paths, the longest one is the lead
    time); a rework link sends the share of work that is not complete & accurate back from an
    activity to an earlier one, which redoes it (never part of the critical path)."""

    FLOW = "flow", "Flow"
    REWORK = "rework", "Rework loop"


class Link(models.Model):
    """An edge source -> target between activities of one stream: the flow (parallel paths),
    or a rework loop back to an earlier activity (`kind`)."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="links")
    source = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="incoming")
    kind = models.CharField(max_length=10, choices=LinkKind.choices, default=LinkKind.FLOW)
    version = models.IntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="one_link_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="link_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


class WasteCategory(models.TextChoices):
    """The eight lean wastes (DOWNTIME), each with its software-delivery name beside it
    (Poppendieck's seven wastes of software development, plus unused talent). The one name of
    each category: the board (through its page), the summary and the exports all show these."""

    DEFECTS = "defects", "Defects"
    OVERPRODUCTION = "overproduction", "Overproduction (extra features)"
    WAITING = "waiting", "Waiting (delays, queues)"
    NON_UTILIZED_TALENT = "non_utilized_talent", "Non-utilized talent"
    TRANSPORTATION = "transportation", "Transportation (hand-offs)"
    INVENTORY = "inventory", "Inventory (partially done work)"
    MOTION = "motion", "Motion (task switching)"
    EXTRA_PROCESSING = "extra_processing", "Extra processing"


class Waste(models.Model):
    """A waste found on the map, optionally pinned to the activity where it happens."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="wastes")
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="wastes"
    )
    text = models.CharField(max_length=500)
    category = models.CharField(
        max_length=30, choices=WasteCategory.choices, default=WasteCategory.WAITING
    )
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    version = models.IntegerField(default=1)
    #: Which version of the object last changed each field, and who changed it:
    #: `{field: [version, user id or null]}` (from the migration that added it on; a field not
    #: listed has not changed since). The conflict rule of a versioned update reads it
    #: (streams.services.board).
    field_versions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class Vote(models.Model):
    """One dot placed by a member on a waste. A member may stack dots, within the budget."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="votes")
    waste = models.ForeignKey(Waste, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.waste_id}"


class Breadth(models.TextChoices):
    BROAD = "broad", "Broad"
    BOUNDED = "bounded", "Bounded"


class CountermeasureStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class Countermeasure(models.Model):
    """What we will do about a waste: current and future condition and how we will measure it,
    sized as a baby step (breadth, effort and difficulty on 1..5)."""

    stream = models.ForeignKey(
        ValueStream, on_delete=models.CASCADE, related_name="countermeasures"
    )
    waste = models.ForeignKey(Waste, on_delete=models.CASCADE, related_name="countermeasures")
    title = models.CharField(max_length=200, blank=True)
    current_condition = models.TextField(max_length=2000, blank=True)
    future_condition = models.TextField(max_length=2000, blank=True)
    measure = models.TextField(max_length=2000, blank=True)
    breadth = models.CharField(max_length=10, choices=Breadth.choices, default=Breadth.BOUNDED)
    effort = models.PositiveSmallIntegerField(default=3)
    difficulty = models.PositiveSmallIntegerField(default=3)
    owner = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=CountermeasureStatus.choices, default=CountermeasureStatus.PROPOSED
    )
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    version = models.IntegerField(default=1)
    #: Which version of the object last changed each field, and who changed it:
    #: `{field: [version, user id or null]}` (from the migration that added it on; a field not
    #: listed has not changed since). The conflict rule of a versioned update reads it
    #: (streams.services.board).
    field_versions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title or self.future_condition[:60]


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    QUESTION = "question", "Question"
    IDEA = "idea", "Idea"


class Note(models.Model):
    """A free sticky note on the board (a question, an idea) outside the timeline."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="notes")
    text = models.CharField(max_length=1000)
    kind = models.CharField(max_length=10, choices=NoteKind.choices, default=NoteKind.NOTE)
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    color = models.CharField(max_length=9, default="#bfdbfe")
    version = models.IntegerField(default=1)
    #: Which version of the object last changed each field, and who changed it:
    #: `{field: [version, user id or null]}` (from the migration that added it on; a field not
    #: listed has not changed since). The conflict rule of a versioned update reads it
    #: (streams.services.board).
    field_versions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:60]


class Op(models.Model):
    """One committed change of a stream, in server order. `seq` is gap-free per stream."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="ops")
    seq = models.BigIntegerField()
    op = models.CharField(max_length=40)
    client_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="one_op_per_seq"),
        ]
        # A re-sent op is found by its client id (streams.services.board.stream_lock_for_edit).
        indexes = [models.Index(fields=["stream", "client_id"], name="op_by_client_id")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.op}"
