"""Shapes of measured flow's imports, state mapping and type rules in the API (the services
validate input)."""

from rest_framework import serializers

from vsm_site.api import spec_serializer
from workitems.services import IMPORT_FORMATS, TYPE_RULE_SPEC, WORK_STATE_SPEC


class ImportProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        allow_null=True,
        help_text="The line of a CSV file (header = 1) or the position of a JSON record; "
        "null for the file as a whole.",
    )
    message = serializers.CharField()


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The export: CSV or JSON, at most 50 MiB.")
    format = serializers.ChoiceField(
        choices=IMPORT_FORMATS, required=False, help_text="Detected from the content if absent."
    )


class WorkItemImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=("pending", "running", "done", "failed"))
    format = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    progress = serializers.FloatField(help_text="0..1: the file read, then merged.")
    items = serializers.IntegerField(help_text="Work items in the file (created or updated).")
    transitions = serializers.IntegerField(help_text="State transitions in the file.")
    # A field called `errors`: DRF's metaclass moves declared fields off the class, so
    # Serializer.errors stays as it is; the stubs see an override.
    errors = ImportProblemSerializer(  # type: ignore[assignment]
        many=True, help_text="The first 50; any error: nothing imported."
    )
    warnings = ImportProblemSerializer(many=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


WorkStateSerializer = spec_serializer(
    "WorkState",
    WORK_STATE_SPEC,
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(read_only=True),
        "category": serializers.CharField(read_only=True),
    },
)
TypeRuleSerializer = spec_serializer("TypeRule", TYPE_RULE_SPEC)


# Tracker connections (workitems.connections validates input; these describe the shapes).


class ConnectionSyncSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    connection = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=("manual", "schedule"))
    status = serializers.ChoiceField(choices=("pending", "running", "retrying", "done", "failed"))
    items = serializers.IntegerField(help_text="Work items changed (created or updated).")
    transitions = serializers.IntegerField(help_text="Their state transitions.")
    pages = serializers.IntegerField(help_text="Pages fetched by the current attempt.")
    attempts = serializers.IntegerField()
    message = serializers.CharField(help_text="What happened, in words.")
    errors = ImportProblemSerializer(  # type: ignore[assignment]  # (as above)
        many=True, help_text="Any error: nothing was written."
    )
    warnings = ImportProblemSerializer(many=True)
    full = serializers.BooleanField(help_text="Every item was asked for again.")
    since = serializers.DateTimeField(
        allow_null=True, help_text="Changes since this instant were asked for; null: all."
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    retry_at = serializers.DateTimeField(allow_null=True, help_text="When it is tried again.")


class ConnectionSyncRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(
        required=False,
        help_text="Fetch every item again, not only what changed since the last sync.",
    )


class ConnectionRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=("azure_devops", "jira", "github"))
    base_url = serializers.CharField(
        required=False,
        help_text="https only. Defaults: https://analytics.dev.azure.com, "
        "https://api.github.com; Jira: your site, https://<site>.atlassian.net.",
    )
    scope = serializers.DictField(
        help_text="azure_devops: {organization, project, filter?, query?}; jira: {jql}; "
        "github: {owner, repo, labels?}."
    )
    credential = serializers.DictField(
        write_only=True,
        help_text="azure_devops and github: {token}; jira: {email, token}. Never returned.",
    )
    schedule = serializers.IntegerField(
        required=False, help_text="Minutes between syncs (0, 15, 30, 60…1440; 0: on demand)."
    )


class ConnectionPatchSerializer(ConnectionRequestSerializer):
    kind = serializers.ChoiceField(choices=("azure_devops", "jira", "github"), required=False)
    scope = serializers.DictField(required=False)
    credential = serializers.DictField(
        required=False, write_only=True, help_text="Required with a new base_url."
    )


class ConnectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=("azure_devops", "jira", "github"))
    base_url = serializers.CharField()
    scope = serializers.DictField()
    credential_hint = serializers.CharField(
        help_text="The token's last four characters (empty for a token under 12)."
    )
    schedule = serializers.IntegerField()
    last_sync = ConnectionSyncSerializer(allow_null=True)
    last_success = serializers.DateTimeField(
        allow_null=True, help_text="When the last successful sync started (its cursor)."
    )
    items = serializers.IntegerField(help_text="Work items this connection brought.")
    created_at = serializers.DateTimeField()


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
