"""The known incidents' pages: the list, one incident with its updates, and for the desk that declared it,
updates and the resolution; declaring one. The policy decides who reads and who handles; the incident
services do the rest (docs/workflow.md, "Known incidents")."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from musanada.core.errors import DomainError, NotFound
from musanada.org.models import OrgUnit
from musanada.tickets import incidents, policy
from musanada.tickets.models import IncidentStatus, Ticket
from musanada.tickets.workflow import OPEN_STATUSES
from musanada.web.forms import CategoryField, UnitField, category_choices
from musanada.web.views.tickets import _show_domain_error

# The requests following an incident listed on its page for the desk handling it (the count says the rest).
LISTED = 50


class DeclareForm(forms.Form):
    desk = UnitField(queryset=OrgUnit.objects.none(), label=_("Your desk"))
    category = CategoryField(help_text=_("An information system covers all its topics."))
    scope = forms.CharField(
        label=_("Units concerned (code)"),
        max_length=32,
        help_text=_(
            "Every unit under this one: MEN for the whole country, an academy's or a province's code."
        ),
        # Suggestions as the user types, from the units in their reach (the inbox's unit filter's).
        widget=forms.TextInput(
            attrs={
                "dir": "ltr",
                "list": "unit-choices",
                "autocomplete": "off",
                "hx-get": reverse_lazy("unit-picker"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#unit-choices",
                "hx-swap": "innerHTML",
            }
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=incidents.TITLE_MAX)
    description = forms.CharField(
        label=_("What happens, and what people should do"),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        desks = policy.incident_desks(user).order_by("path")
        self.fields["desk"].queryset = desks
        self.fields["category"].choices = category_choices()
        only = list(desks[:2])
        if len(only) == 1:
            self.fields["desk"].initial = only[0]

    def clean_scope(self):
        code = self.cleaned_data["scope"].strip().upper()
        unit = OrgUnit.objects.filter(code=code, is_active=True).first()
        if unit is None:
            raise forms.ValidationError(_("No unit has this code."))
        return unit


class TextForm(forms.Form):
    body = forms.CharField(
        label=_("Update for the requesters"), widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"})
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("Every request that follows the incident is resolved with this text."),
    )


@login_required
@require_GET
def incident_list(request):
    user = request.user
    seen = policy.visible_incidents(user).select_related("desk", "scope", "category", "category__parent")
    context = {
        "ongoing": list(seen.filter(status=IncidentStatus.OPEN).order_by("-created_at")[:50]),
        "over": list(seen.filter(status=IncidentStatus.RESOLVED).order_by("-resolved_at")[:20]),
        "declares": policy.incident_desks(user).exists(),
    }
    return render(request, "web/incident_list.html", context)


@login_required
def incident_declare(request):
    user = request.user
    if not policy.incident_desks(user).exists():
        raise Http404
    form = DeclareForm(request.POST or None, user=user)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            incident = incidents.incident_declare(user, **form.cleaned_data)
        except DomainError as refused:
            error = _show_domain_error(form, refused)
        else:
            messages.success(request, _("The incident is declared: the units concerned see it now."))
            return redirect("incident-detail", pk=incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/incident_form.html", {"form": form, "error": error}, status=status)


def _incident_or_404(user, pk):
    try:
        return incidents.incident_get_for(user, pk)
    except NotFound:
        raise Http404(_("No such incident.")) from None


def _render(request, incident, *, update_form=None, resolve_form=None, status=200):
    user = request.user
    handles = policy.handles_incident(user, incident)
    following = Ticket.objects.filter(incident=incident)
    context = {
        "incident": incident,
        "updates": incident.updates.select_related("author"),
        "handles": handles,
        "following": following.count() if handles else None,
        "still_open": following.filter(status__in=OPEN_STATUSES).count() if handles else None,
        "listed": list(following.order_by("-updated_at")[:LISTED]) if handles else [],
        "update_form": update_form or TextForm(),
        "resolve_form": resolve_form or ResolveForm(),
    }
    return render(request, "web/incident_detail.html", context, status=status)


@login_required
@require_GET
def incident_detail(request, pk):
    return _render(request, _incident_or_404(request.user, pk))


@login_required
@require_POST
def incident_update(request, pk):
    incident = _incident_or_404(request.user, pk)
    form = TextForm(request.POST)
    if form.is_valid():
        try:
            incidents.incident_post_update(request.user, pk, form.cleaned_data["body"])
        except DomainError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("The update was sent to the requesters who follow the incident."))
            return redirect("incident-detail", pk=pk)
    return _render(request, incident, update_form=form, status=400)


@login_required
@require_POST
def incident_resolve(request, pk):
    incident = _incident_or_404(request.user, pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            incidents.incident_resolve(request.user, pk, form.cleaned_data["resolution"])
        except DomainError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                _("The incident is resolved; the requests that follow it are being resolved with it."),
            )
            return redirect("incident-detail", pk=pk)
    return _render(request, incident, resolve_form=form, status=400)
