from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from musanada.org.import_admin import MassarImportMixin
from musanada.org.models import Category, Membership, OrgUnit, User
from musanada.org.services import unit_repath, user_sign_out_everywhere


@admin.register(OrgUnit)
class OrgUnitAdmin(MassarImportMixin, admin.ModelAdmin):
    import_kind = "units"
    list_display = ("code", "kind", "name_ar", "name_fr", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_ar", "name_fr")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")

    def save_model(self, request, obj, form, change):
        unit_repath(obj)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ar", "name_fr", "parent", "owner", "is_active")
    list_filter = ("owner", "is_active")
    search_fields = ("code", "name_ar", "name_fr")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role", "is_active", "created_at")
    list_filter = ("role", "is_active", "unit__kind")
    search_fields = ("user__username", "user__last_name", "unit__code", "unit__name_fr")
    raw_id_fields = ("user", "unit")


@admin.register(User)
class UserAdmin(MassarImportMixin, DjangoUserAdmin):
    import_kind = "staff"
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email", "massar_id")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Musanada"), {"fields": ("language", "massar_id")}),
    )
    actions = ["sign_out_everywhere"]

    @admin.action(description=_("Sign the selected users out everywhere (sessions and API tokens)"))
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            user_sign_out_everywhere(user)
        self.message_user(
            request,
            _("%(count)s users signed out everywhere.") % {"count": len(queryset)},
            messages.SUCCESS,
        )
