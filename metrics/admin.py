from django.contrib import admin

from metrics.models import FlowSnapshot, FlowSummary


@admin.register(FlowSummary)
class FlowSummaryAdmin(admin.ModelAdmin):
    list_display = ["stream", "seq", "computed_at", "computations"]
    readonly_fields = ["stream", "data", "seq", "computed_at", "computations"]


@admin.register(FlowSnapshot)
class FlowSnapshotAdmin(admin.ModelAdmin):
    list_display = ["stream", "day", "seq", "taken_at"]
    list_filter = ["day"]
