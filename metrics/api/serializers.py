"""The flow summary's shape in the API."""

from rest_framework import serializers


class TeamFlowSerializer(serializers.Serializer):
    team = serializers.CharField()
    process_time = serializers.FloatField()
    wait_time = serializers.FloatField()
    activities = serializers.IntegerField()


class FlowSummarySerializer(serializers.Serializer):
    """Headline figures in seconds; flow_efficiency 0..1; rolled_pca 0..100."""

    stream = serializers.IntegerField()
    lead_time = serializers.FloatField()
    process_time = serializers.FloatField()
    wait_time = serializers.FloatField()
    total_work = serializers.FloatField()
    flow_efficiency = serializers.FloatField()
    rolled_pca = serializers.FloatField()
    critical_path = serializers.ListField(child=serializers.IntegerField())
    bottleneck = serializers.IntegerField(allow_null=True)
    by_team = TeamFlowSerializer(many=True)
    wastes = serializers.DictField()
    steps = serializers.ListField(child=serializers.DictField())
    rework = serializers.DictField(help_text="Expected rework from %C&A (beyond the headline).")
    forecast = serializers.DictField(
        allow_null=True, help_text="Monte Carlo lead time p50/p85/p95 from min/max estimates."
    )
    deltas = serializers.DictField(allow_null=True, help_text="Against the based_on stream.")
    seq = serializers.IntegerField(help_text="The op seq this summary reflects.")
    computed_at = serializers.DateTimeField()
    stale = serializers.BooleanField(help_text="True while a recompute is pending.")
    votes_revealed = serializers.BooleanField()
