from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import InvalidInput
from musanada.mail.models import InboundMessage, Mailbox
from musanada.mail.services import check_mailbox_desk


class MailboxForm(forms.ModelForm):
    # Never sent back to the browser; left empty, the stored password stays.
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "desk",
            "scheme",
            "host",
            "port",
            "username",
            "password",
            "folder",
            "default_category",
            "is_active",
        ]

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if not password:
            if self.instance.pk:
                return self.instance.password
            raise forms.ValidationError(_("A new mailbox needs its password."))
        return password

    def clean_desk(self):
        desk = self.cleaned_data["desk"]
        try:
            check_mailbox_desk(desk)
        except InvalidInput as error:
            raise forms.ValidationError(str(error)) from None
        return desk


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = (
        "id",
        "desk",
        "scheme",
        "host",
        "port",
        "username",
        "folder",
        "is_active",
        "last_polled_at",
    )
    list_filter = ("is_active", "scheme")
    search_fields = ("desk__code", "host", "username")
    raw_id_fields = ("desk",)
    readonly_fields = ("last_polled_at", "last_error")


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "subject", "outcome", "reason", "ticket", "answered", "mailbox")
    list_filter = ("outcome", "answered")
    search_fields = ("message_id", "sender", "subject", "ticket__reference")
    date_hierarchy = "received_at"

    # The record of what was done: read-only, or a mail could be processed twice.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
