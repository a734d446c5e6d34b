from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from musanada.jobs import registry
from musanada.jobs.models import Job
from musanada.jobs.runner import requeue


class NameFilter(admin.SimpleListFilter):
    # The names come from the registry: a DISTINCT over millions of rows would slow every listing.
    title = _("name")
    parameter_name = "name"

    def lookups(self, request, model_admin):
        return [(name, name) for name in registry.names()]

    def queryset(self, request, queryset):
        return queryset.filter(name=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "attempts", "run_after", "created_at", "finished_at")
    list_filter = ("status", NameFilter)
    search_fields = ("name", "key", "last_error")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("retry",)

    def has_add_permission(self, request):
        # Jobs are queued by the actions that need them; a hand-made row would have no action behind it.
        return False

    def has_change_permission(self, request, obj=None):
        # A job is shown as it ran; the only change an administrator makes is "retry".
        return False

    @admin.action(description=_("Retry the selected jobs now"), permissions=["retry"])
    def retry(self, request, queryset):
        count = requeue(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d job queued again.",
                "%(count)d jobs queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_retry_permission(self, request):
        return request.user.has_perm("jobs.change_job")
