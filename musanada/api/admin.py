from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from musanada.api.models import ApiToken, RevokedBecause, TokenEvent
from musanada.api.services import tokens_revoke
from musanada.web.auth import client_address


class TokenEventInline(admin.TabularInline):
    """The token's audit log: read-only."""

    model = TokenEvent
    fields = readonly_fields = ("at", "kind", "address", "detail")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here; they are issued by their users or with `musanada create-token`,
    because the token itself can only be shown at the moment it is made."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at", "revoked_because")
    list_filter = ("revoked_at", "revoked_because")
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "last_used_from",
        "revoked_at",
        "revoked_because",
    )
    inlines = [TokenEventInline]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = tokens_revoke(queryset, RevokedBecause.ADMINISTRATOR, address=client_address(request))
        self.message_user(request, _("%(count)s tokens revoked.") % {"count": count}, messages.SUCCESS)
