from django.contrib import admin

from workshops.models import Invitation, Membership, Workshop


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["title", "phase", "created_by", "created_at"]
    list_filter = ["phase"]
    search_fields = ["title", "goal"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workshop", "role", "team"]
    list_filter = ["role"]
    search_fields = ["user__username", "workshop__title", "team"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["workshop", "role", "uses", "max_uses", "expires_at", "revoked"]
    list_filter = ["role", "revoked"]
    readonly_fields = ["token", "uses"]
