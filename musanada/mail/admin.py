from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import InvalidInput
from musanada.mail.models import HeldFile, InboundMessage, Mailbox
from musanada.mail.services import check_mailbox_desk
from musanada.tickets import policy


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


def _download(field_file, filename: str) -> FileResponse:
    # Possibly hostile (a refused executable, a forged mail): never shown inline, never cached.
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HeldFileInline(admin.TabularInline):
    model = HeldFile
    fields = ("name", "reason", "size", "download")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("file"))
    def download(self, held):
        if not held.file:
            return _("no longer kept")
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:mail_heldfile_download", args=[held.pk]), _("download")
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "sender",
        "subject",
        "outcome",
        "reason",
        "ticket",
        "files_left_out",
        "answered",
        "mailbox",
    )
    list_filter = ("outcome", "answered")
    search_fields = ("message_id", "sender", "subject", "ticket__reference")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "mailbox",
        "message_id",
        "sender",
        "subject",
        "outcome",
        "reason",
        "ticket",
        "answered",
        "kept_copy",
        "reviewed_by",
        "reviewed_at",
    )
    readonly_fields = fields
    inlines = [HeldFileInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(held=Count("held_files"))

    @admin.display(description=_("files left out"), ordering="held")
    def files_left_out(self, record):
        return record.held

    @admin.display(description=_("raw message"))
    def kept_copy(self, record):
        if not record.raw:
            return _("no longer kept")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:mail_inboundmessage_raw", args=[record.pk]),
            _("download (.eml)"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/raw/", view(self.raw_view), name="mail_inboundmessage_raw"),
            path("held/<int:pk>/", view(self.held_view), name="mail_heldfile_download"),
            *super().get_urls(),
        ]

    def raw_view(self, request, pk):
        record = InboundMessage.objects.filter(pk=pk).exclude(raw="").first()
        if record is None or not policy.reads_kept_mail(request.user):
            raise Http404
        return _download(record.raw, f"{record.pk}.eml")

    def held_view(self, request, pk):
        held = HeldFile.objects.filter(pk=pk).exclude(file="").first()
        if held is None or not policy.reads_kept_mail(request.user):
            raise Http404
        return _download(held.file, held.name)

    # The record of what was done: read-only, or a mail could be processed twice.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
