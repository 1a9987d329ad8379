from django.contrib import admin

from streams.models import Activity, Countermeasure, Link, Note, Op, ValueStream, Vote, Waste


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["order", "title", "team", "process_time", "wait_time", "pca"]


@admin.register(ValueStream)
class ValueStreamAdmin(admin.ModelAdmin):
    list_display = ["name", "workshop", "state", "based_on", "seq", "locked"]
    list_filter = ["state", "locked"]
    search_fields = ["name", "workshop__title"]
    readonly_fields = ["seq"]
    inlines = [ActivityInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "stream", "team", "order", "process_time", "wait_time", "pca"]
    list_filter = ["stream__workshop"]
    search_fields = ["title", "team"]


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["stream", "source", "target"]


@admin.register(Waste)
class WasteAdmin(admin.ModelAdmin):
    list_display = ["text", "category", "stream", "activity"]
    list_filter = ["category"]
    search_fields = ["text"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["waste", "member", "created_at"]


@admin.register(Countermeasure)
class CountermeasureAdmin(admin.ModelAdmin):
    list_display = ["__str__", "waste", "status", "breadth", "effort", "difficulty", "owner"]
    list_filter = ["status", "breadth"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "stream"]


@admin.register(Op)
class OpAdmin(admin.ModelAdmin):
    list_display = ["stream", "seq", "op", "actor", "created_at"]
    list_filter = ["op"]
    readonly_fields = [f.name for f in Op._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
