"""The flow summary's shape in the API."""

from datetime import UTC, timedelta

from django.utils import timezone
from rest_framework import serializers

DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 3 * 366


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


class FlowMetricsQuerySerializer(serializers.Serializer):
    """The window of the measured flow. Days are UTC days, both ends included."""

    start = serializers.DateField(
        required=False, help_text="First day (YYYY-MM-DD); default: 89 days before `end`."
    )
    end = serializers.DateField(
        required=False, help_text="Last day (YYYY-MM-DD); default and latest: as_of's UTC day."
    )
    as_of = serializers.DateTimeField(
        required=False,
        help_text="The instant the figures are taken at (ISO 8601; no offset means UTC); "
        "transitions after it are ignored. Default: now.",
    )
    interval = serializers.ChoiceField(
        choices=("day", "week", "month", "quarter"),
        default="day",
        help_text="The throughput's bucket.",
    )

    def validate(self, attrs: dict) -> dict:
        as_of = attrs.get("as_of") or timezone.now()
        if timezone.is_naive(as_of):
            as_of = as_of.replace(tzinfo=UTC)
        as_of_day = as_of.astimezone(UTC).date()
        end = min(attrs.get("end") or as_of_day, as_of_day)
        start = attrs.get("start") or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
        if start > as_of_day:
            raise serializers.ValidationError(
                {
                    "start": [
                        f"The window starts after {as_of_day.isoformat()}, the day the figures "
                        "are taken at: choose an earlier start."
                    ]
                }
            )
        if start > end:
            raise serializers.ValidationError({"start": ["The start must not be after the end."]})
        if (end - start).days + 1 > MAX_WINDOW_DAYS:
            raise serializers.ValidationError(
                {"start": [f"The window can be at most {MAX_WINDOW_DAYS} days long."]}
            )
        return {"start": start, "end": end, "as_of": as_of, "interval": attrs["interval"]}


class FlowMetricsSerializer(serializers.Serializer):
    """The measured flow of a workshop's work items (docs/flow-metrics.md defines each
    figure). Durations in days (86,400 s); shares and efficiency are fractions 0..1."""

    window = serializers.DictField(help_text="start, end (UTC days), as_of, interval.")
    velocity = serializers.DictField(
        help_text="Items whose final done falls in the window: total, by_type; canceled apart."
    )
    flow_time = serializers.DictField(
        help_text="Of the items done in the window: count, mean_days, p50/p70/p85/p95_days "
        "(first entry into waiting or active to the last entry into done)."
    )
    efficiency = serializers.DictField(
        help_text="portfolio: total active / (active + waiting) time of the done items; "
        "mean_per_item: the mean of their ratios."
    )
    distribution = serializers.DictField(
        help_text="Shares of velocity by type (done) and of the load at as_of (load)."
    )
    load = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per day: items in a waiting or active state at the end of the day.",
    )
    throughput = serializers.ListField(
        child=serializers.DictField(), help_text="Done items per interval, zeros included."
    )
    cfd = serializers.DictField(
        help_text="Per day and state (workflow order): items in that state or a later one."
    )
    aging = serializers.ListField(
        child=serializers.DictField(), help_text="Started, not done or canceled: age in days."
    )
    done = serializers.ListField(child=serializers.DictField())
    littles_law = serializers.DictField(
        help_text="mean_load against velocity_per_day x mean_flow_time_days; agrees within 25 %."
    )
    forecast = serializers.DictField(
        help_text="Monte Carlo from the window's daily throughput (10,000 trials)."
    )


class MapMeasuredQuerySerializer(FlowMetricsQuerySerializer):
    """The window of a map held against measured flow (the items done in it count)."""

    interval = None  # type: ignore[assignment]

    def validate(self, attrs: dict) -> dict:
        return super().validate({**attrs, "interval": "day"})


class MeasuredFiguresSerializer(serializers.Serializer):
    items = serializers.IntegerField(help_text="Done items that entered the activity.")
    process_time = serializers.FloatField(allow_null=True, help_text="Median, seconds.")
    wait_time = serializers.FloatField(allow_null=True, help_text="Median, seconds.")
    process_time_p85 = serializers.FloatField(allow_null=True)
    wait_time_p85 = serializers.FloatField(allow_null=True)
    pca = serializers.FloatField(allow_null=True, help_text="0..100")


class ActivityMeasuredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    estimate = serializers.DictField(help_text="process_time, wait_time (seconds), pca (0..100)")
    measured = MeasuredFiguresSerializer(
        allow_null=True, help_text="Null when no tracker state is assigned to the activity."
    )


class MapMeasuredSerializer(serializers.Serializer):
    """Times are seconds of working time, like the map's estimates (a calendar week of measured
    time is five working days); %C&A 0..100; shares 0..1."""

    window = serializers.DictField()
    items_done = serializers.IntegerField()
    activities = ActivityMeasuredSerializer(many=True)
    lead_time = serializers.DictField(
        help_text="estimate and measured (longest path; activities without measured figures "
        "keep their estimate: estimated_activities counts them)."
    )
    flow_time_median = serializers.FloatField(allow_null=True)
    coverage = serializers.DictField(help_text="mapped_share and unmapped_states [{name, share}].")
    surprises = serializers.ListField(
        child=serializers.IntegerField(), help_text="Activity ids, largest wait difference first."
    )
