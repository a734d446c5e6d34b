"""The admin's "Import from a Massar export" page: upload, read the dry-run report, confirm to apply.

The uploaded file waits in the default storage between the two steps, under a random name that only the
uploader's session knows; applying reruns the whole import, so what changed in between is taken into account.
"""

import uuid
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from musanada.org.imports import ImportRefused, import_staff, import_units

SESSION_KEY = "musanada_import_uploads"


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Massar export (CSV or JSON)"))
    full = forms.BooleanField(
        label=_("The file is the complete list of the units it names: deactivate the others there"),
        required=False,
    )


# For the type checker the mixin is a ModelAdmin, so that what it sets is checked against ModelAdmin's.
if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class MassarImportMixin(_AdminBase):
    """Adds the import page to a ModelAdmin; `import_kind` is "units" or "staff"."""

    import_kind = "units"
    change_list_template = "admin/org/change_list_import.html"

    def get_urls(self):
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_import"
        return [path("import/", self.admin_site.admin_view(self.import_view), name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.is_superuser}
        return super().changelist_view(request, extra_context)

    def _run(self, data: bytes, *, dry_run: bool, full: bool):
        if self.import_kind == "staff":
            return import_staff(data, dry_run=dry_run, full=full)
        return import_units(data, dry_run=dry_run)

    def import_view(self, request):
        if not request.user.is_superuser:
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import from a Massar export"),
            "kind": self.import_kind,
        }
        uploads = request.session.get(SESSION_KEY, {})
        form = ImportForm()
        if request.method == "POST" and request.POST.get("token") in uploads:
            token = request.POST["token"]
            stored = uploads.pop(token)
            request.session[SESSION_KEY] = uploads
            with default_storage.open(stored["name"], "rb") as handle:
                data = handle.read()
            default_storage.delete(stored["name"])
            try:
                report = self._run(data, dry_run=False, full=stored["full"])
            except ImportRefused as refused:
                context["refused"] = refused
            else:
                messages.success(request, _("Import applied. %(summary)s") % {"summary": report.summary()})
                return redirect(
                    reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
                )
        elif request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data["file"].read()
                full = self.import_kind == "staff" and form.cleaned_data["full"]
                try:
                    context["report"] = self._run(data, dry_run=True, full=full)
                except ImportRefused as refused:
                    context["refused"] = refused
                else:
                    token = uuid.uuid4().hex
                    name = default_storage.save(f"imports/{token}.upload", ContentFile(data))
                    uploads[token] = {"name": name, "full": full}
                    request.session[SESSION_KEY] = uploads
                    context["token"] = token
        context["form"] = form
        return TemplateResponse(request, "admin/org/import.html", context)
