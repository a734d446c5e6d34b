"""The forms of the pages: they parse what people type; the services decide what it means.

Field names are those of the service arguments (and of `DomainError.field`), so that a refusal from a service
shows beside the field it is about.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from musanada.org.models import DESK_ROLES, Category, OrgUnit, UnitKind
from musanada.tickets import routing
from musanada.tickets.workflow import Action, Priority


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when nothing was chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        clean_one = super().clean
        return [clean_one(item, initial) for item in items]


def category_choices() -> list:
    """Active categories grouped by information system: each system, then its topics."""
    categories = list(Category.objects.filter(is_active=True).select_related("parent"))
    systems = [category for category in categories if category.parent_id is None]
    topics: dict[int, list] = {}
    for category in categories:
        if category.parent_id is not None:
            topics.setdefault(category.parent_id, []).append(category)
    choices = [("", "---------")]
    for system in systems:
        general = pgettext_lazy("category", "%(system)s (general)") % {"system": system.name}
        options = [(system.pk, general)] + [(topic.pk, topic.name) for topic in topics.get(system.pk, [])]
        choices.append((system.name, options))
    return choices


class CategoryField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Category.objects.filter(is_active=True), label=_("Category"), **kwargs)


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name} ({unit.code})"


class NewTicketForm(forms.Form):
    unit = UnitField(queryset=OrgUnit.objects.none(), label=_("Unit you file for"))
    category = CategoryField()
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you were doing, what happened, and any error message shown."),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("Screenshots or documents, optional.")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(
            is_active=True, memberships__user=user, memberships__is_active=True
        ).distinct()
        self.fields["unit"].queryset = units
        self.fields["category"].choices = category_choices()
        only = list(units[:2])
        if len(only) == 1:
            self.fields["unit"].initial = only[0]
        self.has_units = bool(only)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["files"] = data.pop("attachments")
        return data


# Actions on a ticket ----------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """One action on one ticket. It carries the version the user saw, for optimistic locking."""

    action: str = ""
    # The main way forward from this state: shown as the prominent button.
    primary = False
    # Shown unfolded, e.g. when it comes back with what the user typed.
    open = False
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, ticket, user, **kwargs):
        self.ticket = ticket
        self.user = user
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        kwargs["initial"] = {"version": ticket.version, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)

    @property
    def label(self):
        return Action(self.action).label

    def service_kwargs(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if name != "version"}
        if "attachments" in data:
            data["files"] = data.pop("attachments")
        return data


def _text(label, rows=4, **kwargs):
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class TakeForm(ActionForm):
    action = Action.TAKE


class CloseForm(ActionForm):
    action = Action.CLOSE
    primary = True


class ReplyForm(ActionForm):
    action = Action.REPLY
    body = _text(_("Message"))
    attachments = MultipleFileField(label=_("Attachments"))


class NoteForm(ActionForm):
    action = Action.NOTE
    body = _text(_("Internal note"), help_text=_("Seen by the desks only, never by the requester."))
    attachments = MultipleFileField(label=_("Attachments"))


class RequestInfoForm(ActionForm):
    action = Action.REQUEST_INFO
    body = _text(_("What information do you need?"))


class ProvideInfoForm(ActionForm):
    action = Action.PROVIDE_INFO
    body = _text(_("Your answer"))
    attachments = MultipleFileField(label=_("Attachments"))


class AssignForm(ActionForm):
    action = Action.ASSIGN
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label=_("Agent"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                memberships__unit_id=self.ticket.desk_id,
                memberships__role__in=DESK_ROLES,
                memberships__is_active=True,
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )


class EscalateForm(ActionForm):
    action = Action.ESCALATE
    category = CategoryField()
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    note = _text(
        _("What was tried"),
        help_text=_("Required: what this desk tried before referring the request."),
    )

    def __init__(self, *args, **kwargs):
        ticket = kwargs["ticket"]
        kwargs["initial"] = {
            "category": ticket.category_id,
            "priority": ticket.priority,
            "subject": ticket.subject,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()

    def destination(self):
        """The desk the referral lands on with the ticket's current category."""
        return routing.escalation_desk(self.ticket.desk, self.ticket.category).desk

    def destination_depends_on_category(self) -> bool:
        # From an academy, the central service is the one that owns the requalified category.
        return self.ticket.desk.kind == UnitKind.ACADEMY


class ReturnForm(ActionForm):
    action = Action.RETURN
    instructions = _text(_("Instructions for the lower desk"))


class TransferForm(ActionForm):
    action = Action.TRANSFER
    to_desk = UnitField(queryset=OrgUnit.objects.none(), label=_("Central service"))
    note = _text(_("Why it goes to that service"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        services = OrgUnit.objects.filter(kind=UnitKind.SERVICE, is_active=True)
        self.fields["to_desk"].queryset = services.exclude(pk=self.ticket.desk_id)


class ResolveForm(ActionForm):
    action = Action.RESOLVE
    primary = True
    resolution = _text(_("Resolution"), help_text=_("The requester reads this: say what was done."))


class ReopenForm(ActionForm):
    action = Action.REOPEN
    reason = _text(_("Why is the problem not solved?"))


class RateForm(ActionForm):
    action = Action.RATE
    score = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[(score, str(score)) for score in range(1, 6)],
        help_text=_("1: very unsatisfied, 5: very satisfied."),
    )
    comment = _text(_("Comment"), rows=2, required=False)


class AttachForm(ActionForm):
    action = Action.ATTACH
    attachments = MultipleFileField(label=_("Files"), required=True)


ACTION_FORMS = {
    form.action: form
    for form in (
        TakeForm,
        AssignForm,
        ReplyForm,
        NoteForm,
        RequestInfoForm,
        ProvideInfoForm,
        EscalateForm,
        ReturnForm,
        TransferForm,
        ResolveForm,
        CloseForm,
        ReopenForm,
        RateForm,
        AttachForm,
    )
}
