"""Administrators keep the targets, the holidays and the automatic escalation rules here."""

from django.contrib import admin

from musanada.sla.models import AutoEscalationRule, Holiday, LevelVisit, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("level", "priority", "first_response_minutes", "resolution_minutes")
    list_editable = ("first_response_minutes", "resolution_minutes")
    list_filter = ("level", "priority")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name_ar", "name_fr", "confirmed")
    list_editable = ("confirmed",)
    list_filter = ("confirmed",)
    date_hierarchy = "date"
    search_fields = ("name_ar", "name_fr")


@admin.register(AutoEscalationRule)
class AutoEscalationRuleAdmin(admin.ModelAdmin):
    list_display = ("level", "enabled", "overrun_minutes")
    list_editable = ("enabled", "overrun_minutes")


@admin.register(LevelVisit)
class LevelVisitAdmin(admin.ModelAdmin):
    """Read-only: the clocks are written by the ticket services and the sweep, never by hand."""

    list_display = ("ticket", "desk", "level", "arrived_at", "left_at", "outcome", "resolution_due_at")
    list_filter = ("level", "outcome", "response_breached", "resolution_breached")
    list_select_related = ("ticket", "desk")
    raw_id_fields = ("ticket", "desk")
    search_fields = ("ticket__reference",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
