"""Work items of a workshop's value stream, their state history, the workshop's mapping of
tracker states to flow states, the rules that type items, and import records.

Work items belong to a workshop, not to one map: the current-state map, the future state and a
re-mapping all look at the same flow.
"""

from django.conf import settings
from django.db import models


class FlowType(models.TextChoices):
    """The Flow Framework's four kinds of work."""

    FEATURE = "feature", "Feature"
    DEFECT = "defect", "Defect"
    RISK = "risk", "Risk"
    DEBT = "debt", "Debt"


class FlowState(models.TextChoices):
    """What time in a tracker state means for flow. `ignore` drops the state's transitions, as
    if the item had stayed where it was."""

    NEW = "new", "New (not started)"
    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"
    IGNORE = "ignore", "Ignore"


class WorkItem(models.Model):
    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="work_items"
    )
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=2000, blank=True)  # http(s) only; see importers
    tracker_type = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    flow_type = models.CharField(max_length=10, choices=FlowType.choices, default=FlowType.FEATURE)
    created = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The tracker connection that last brought the item (null: a file import only). Removing
    # the connection keeps the item unless the facilitator asks to delete its items too.
    source = models.ForeignKey(
        "workitems.Connection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_items",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "external_id"], name="workitem_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.title}"


class WorkState(models.Model):
    """One row per tracker state name seen in the workshop's imports."""

    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="work_states"
    )
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    flow_state = models.CharField(max_length=10, choices=FlowState.choices)
    category = models.CharField(max_length=50, blank=True)  # the tracker's, when a file says

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="workstate_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class StateActivity(models.Model):
    """On one map (a value stream of the workshop), the activity a tracker state belongs to:
    its `active` time counts as the activity's process time, its `waiting` time as its wait
    time. A state belongs to at most one activity per map; it may stay unmapped."""

    state = models.ForeignKey(WorkState, on_delete=models.CASCADE, related_name="activities")
    activity = models.ForeignKey(
        "streams.Activity", on_delete=models.CASCADE, related_name="work_states"
    )
    stream = models.ForeignKey("streams.ValueStream", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "stream"], name="stateactivity_one_per_map")
        ]

    def __str__(self) -> str:
        return f"{self.state_id} -> activity {self.activity_id}"


class Transition(models.Model):
    """The item entered `state` at `entered_at`; it stays until its next transition. At the
    same instant, transitions keep the order the file gave them (by id).

    A history runs to millions of rows written in bulk, so the foreign keys carry no database
    constraint and no index of their own: the one writer (`workitems.staging`) inserts rows
    joined to their item and state in the same transaction, deletes cascade (and a state in
    use is protected) through the ORM, and `transition_history` serves every lookup by item.
    Per-row constraint checks cost more than the rest of an import (BENCHMARKS.md)."""

    item = models.ForeignKey(
        WorkItem,
        on_delete=models.CASCADE,
        related_name="transitions",
        db_constraint=False,
        db_index=False,
    )
    state = models.ForeignKey(
        WorkState, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    entered_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["item", "entered_at", "id"], name="transition_history")]

    def __str__(self) -> str:
        return f"{self.item_id} -> {self.state_id} at {self.entered_at:%Y-%m-%d %H:%M}"


class TypeRule(models.Model):
    """A tag (or label) or a tracker type that gives an item its flow type. Tag rules win over
    type rules; an item no rule matches is a feature. Values match case-insensitively."""

    class Match(models.TextChoices):
        TAG = "tag", "Tag or label"
        TYPE = "type", "Tracker type"

    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="type_rules"
    )
    match = models.CharField(max_length=4, choices=Match.choices)
    value = models.CharField(max_length=100)  # stored lower-case
    flow_type = models.CharField(max_length=10, choices=FlowType.choices)

    class Meta:
        ordering = ["match", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "match", "value"], name="typerule_unique_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.match} {self.value} -> {self.flow_type}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class WorkItemImport(models.Model):
    """One uploaded file and what became of it. The file is deleted once the import ends."""

    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="work_item_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    format = models.CharField(max_length=20, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to="work-item-imports/", blank=True)
    size = models.BigIntegerField(default=0)
    progress = models.FloatField(default=0.0)  # 0..1 of the file read, then merged
    items = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename or 'import'} ({self.status})"


class ConnectionKind(models.TextChoices):
    AZURE_DEVOPS = "azure_devops", "Azure DevOps"
    JIRA = "jira", "Jira"
    GITHUB = "github", "GitHub"


class Connection(models.Model):
    """A workshop's link to a tracker: where it is (`base_url`), which work items (`scope`,
    per kind), and the credential, kept encrypted (`workitems.crypto`) and never shown again
    but for its last four characters (`credential_hint`).

    `cursor` is when the last successful sync started: the next one asks only for what
    changed since. `lock_sync` / `lock_until` hold the connection for one sync at a time
    (set and cleared under the row's lock, `workitems.connections`); a lock past
    `lock_until` is free again (its worker died)."""

    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="connections"
    )
    kind = models.CharField(max_length=20, choices=ConnectionKind.choices)
    base_url = models.CharField(max_length=500)
    scope = models.JSONField(default=dict, blank=True)
    credential_encrypted = models.TextField(blank=True)
    credential_hint = models.CharField(max_length=8, blank=True)
    schedule = models.PositiveIntegerField(default=60)  # minutes between syncs; 0: on demand
    cursor = models.DateTimeField(null=True, blank=True)
    lock_sync = models.ForeignKey(
        "workitems.ConnectionSync",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lock_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.base_url}"


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Waiting to retry"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ConnectionSync(models.Model):
    """One sync of a connection (on demand or on its schedule) and what became of it."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", "On demand"
        SCHEDULE = "schedule", "Scheduled"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="syncs")
    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="connection_syncs"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    full = models.BooleanField(default=False)  # every item again, not only the changed ones
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(null=True, blank=True)  # the cursor it asked from (null: all)
    pages = models.PositiveIntegerField(default=0)  # pages fetched by the current attempt
    items = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sync {self.pk} of connection {self.connection_id} ({self.status})"
