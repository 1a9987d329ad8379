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
    errors = ImportProblemSerializer(
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
