"""Stored flow summaries: the latest per stream, and one snapshot per stream per day."""

from django.db import models

from streams.models import ValueStream


class FlowSummary(models.Model):
    """The latest computed summary of a stream. It reflects the op log up to `seq`; it is
    stale while the stream's own seq is ahead."""

    stream = models.OneToOneField(
        ValueStream, on_delete=models.CASCADE, related_name="flow_summary"
    )
    data = models.JSONField()
    seq = models.BigIntegerField()
    computed_at = models.DateTimeField()
    computations = models.PositiveIntegerField(
        default=0, help_text="How many times this summary was recomputed (debounce check)."
    )

    class Meta:
        verbose_name_plural = "flow summaries"

    def __str__(self) -> str:
        return f"Summary of {self.stream} at #{self.seq}"


class FlowSnapshot(models.Model):
    """A day's copy of a stream's summary, for trends."""

    stream = models.ForeignKey(ValueStream, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    data = models.JSONField()
    seq = models.BigIntegerField()
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stream", "day"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "day"], name="one_snapshot_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.stream} on {self.day}"
