"""The forms of the pages: they parse what people type; the services decide what it means.

Field names are those of the service arguments (and of `DomainError.field`), so that a refusal from a service
shows beside the field it is about.
"""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from musanada.core.errors import ErrorCode
from musanada.knowledge.models import Audience
from musanada.org.models import Category, OrgUnit, UnitKind
from musanada.tickets import actions, bulk, policy, routing, search, selectors
from musanada.tickets.attachments import EXTENSION_ALIASES
from musanada.tickets.models import IncidentStatus
from musanada.tickets.services import SUBJECT_MAX
from musanada.tickets.workflow import Action, Priority, Status


class _ReadOnce(forms.models.ModelChoiceIterator):
    """The choices from the field's queryset itself: its rows are read once per form, however often the box
    is rendered or asked whether it has any."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.queryset:
            yield self.choice(row)


class ModelChoiceField(forms.ModelChoiceField):
    """Django's, but a select box reads its rows as one plain query: Django's own iterates with
    `.iterator()`, which on PostgreSQL opens a server-side cursor (DECLARE … WITH HOLD)
    for each box rendered (docs/performance.md)."""

    iterator = _ReadOnce


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
            raise forms.ValidationError(self.error_messages["required"], code=ErrorCode.REQUIRED)
        clean_one = super().clean
        return [clean_one(item, initial) for item in items]

    def state_rules(self) -> None:
        """Write the upload rules into the help text (read without JavaScript) and into data- attributes (for
        the drop zone's checks before upload), in the language of the current request. The server still
        checks every file (musanada.tickets.attachments)."""
        limits = settings.MUSANADA
        types = sorted(set(limits["ATTACHMENT_TYPES"]))
        extensions = types + sorted(alias for alias, ext in EXTENSION_ALIASES.items() if ext in types)
        size = filesizeformat(limits["ATTACHMENT_MAX_BYTES"])
        listed = pgettext("list separator", ", ").join(types)
        rules = _("Up to %(count)s files, each at most %(size)s. Accepted types: %(types)s.") % {
            "count": limits["ATTACHMENT_MAX_FILES"],
            "size": size,
            "types": listed,
        }
        self.help_text = f"{self.help_text} {rules}" if self.help_text else rules
        # The server's own messages, with the file name left for the script to fill in.
        name = {"name": "%(name)s", "limit": size, "types": ", ".join(types)}
        self.widget.attrs.update(
            {
                "accept": ",".join(f".{ext}" for ext in extensions),
                "data-max-bytes": limits["ATTACHMENT_MAX_BYTES"],
                "data-max-files": limits["ATTACHMENT_MAX_FILES"],
                "data-types": ",".join(extensions),
                "data-msg-type": _("The file “%(name)s” is not of an accepted type (%(types)s).") % name,
                "data-msg-size": _("The file “%(name)s” is larger than the %(limit)s allowed.") % name,
                "data-msg-empty": _("The file “%(name)s” is empty.") % name,
                "data-msg-count": _("At most %(limit)s files can be attached at once.")
                % {"limit": limits["ATTACHMENT_MAX_FILES"]},
                "data-msg-remove": _("Remove %(name)s") % {"name": "%(name)s"},
            }
        )


class FileRulesMixin:
    """Forms with attachments: state the rules, and say that files must be chosen again after an error."""

    def state_file_rules(self) -> None:
        for field in self.fields.values():
            if isinstance(field, MultipleFileField):
                field.state_rules()

    def warn_files_not_kept(self) -> None:
        """Browsers never send a chosen file back with a page: say so beside each file field that had some."""
        if not self.is_bound or not self.errors:
            return
        for name, field in self.fields.items():
            if isinstance(field, MultipleFileField) and self.files.getlist(self.add_prefix(name)):
                self.add_error(
                    name,
                    _(
                        "The page came back because of an error: your browser does not keep chosen files, "
                        "so choose them again."
                    ),
                )


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


class CategoryField(ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Category.objects.filter(is_active=True), label=_("Category"), **kwargs)


class UnitField(ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name} ({unit.code})"


class NewTicketForm(FileRulesMixin, forms.Form):
    unit = UnitField(queryset=OrgUnit.objects.none(), label=_("Unit you file for"))
    category = CategoryField(
        help_text=_("The information system, then the topic; choose “(general)” when no topic fits.")
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text=_("What you were doing, what happened, and any error message shown."),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("Screenshots or documents, optional.")
    )
    incident = forms.TypedChoiceField(
        label=_("Is your request about a known incident?"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text=_("Following it, you are told of its progress and your request is resolved with it."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked right after the category, before the person writes out what the desks already know.
        self.order_fields(["unit", "category", "incident"])
        # The ongoing incidents over one of the user's units: offered to follow, else the field goes.
        self.incidents = list(policy.incidents_concerning(user)[:5])
        if self.incidents:
            self.fields["incident"].choices = [("", _("No, it is something else"))] + [
                (incident.pk, f"{incident.title} ({incident.category})") for incident in self.incidents
            ]
        else:
            del self.fields["incident"]
        units = policy.filing_units(user)
        self.fields["unit"].queryset = units
        self.fields["category"].choices = category_choices()
        self.state_file_rules()
        only = list(units[:2])
        if len(only) == 1:
            self.fields["unit"].initial = only[0]
        self.has_units = bool(only)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["files"] = data.pop("attachments")
        return data


# Actions on a ticket ----------------------------------------------------------------------------------


class ActionForm(FileRulesMixin, forms.Form):
    """One action on one ticket, its fields built from the action's declaration (tickets/actions.py). It
    carries the version the user saw, for optimistic locking."""

    spec: actions.ActionSpec
    # Shown unfolded, e.g. when it comes back with what the user typed.
    open = False
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, ticket, user, **kwargs):
        self.ticket = ticket
        self.user = user
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        prefilled = {
            field.name: _ticket_value(ticket, field.name) for field in self.spec.fields if field.from_ticket
        }
        kwargs["initial"] = {"version": ticket.version, **prefilled, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        for field in self.spec.fields:
            self.fields[_form_name(field)] = _form_field(field, ticket)
        self.open = self.spec.emphasis == "open"
        self.state_file_rules()

    @property
    def action(self) -> str:
        return self.spec.action

    @property
    def primary(self) -> bool:
        """The main way forward from this state: shown as the prominent button."""
        return self.spec.emphasis == "primary"

    @property
    def label(self):
        return self.spec.label

    def service_kwargs(self) -> dict:
        return {field.name: self.cleaned_data[_form_name(field)] for field in self.spec.fields}


def _form_name(field: actions.Field) -> str:
    # The page's file inputs are named "attachments" (the drag-and-drop script and the browser tests look
    # for that name); the services call them files.
    return "attachments" if field.kind == actions.Kind.FILES else field.name


def _ticket_value(ticket, name: str):
    return ticket.category_id if name == "category" else getattr(ticket, name)


def _form_field(field: actions.Field, ticket) -> forms.Field:
    """The form field that asks for one input of an action, in the context of the ticket."""
    common = {"label": field.label, "help_text": field.help, "required": field.required}
    kind = field.kind
    if kind == actions.Kind.TEXT:
        rows = 4 if field.required else 2
        # A text reads in the direction its writer typed it (French in the Arabic page, and the reverse).
        return forms.CharField(widget=forms.Textarea(attrs={"rows": rows, "dir": "auto"}), **common)
    if kind == actions.Kind.SUBJECT:
        return forms.CharField(max_length=SUBJECT_MAX, **common)
    if kind == actions.Kind.PRIORITY:
        return forms.ChoiceField(choices=Priority.choices, **common)
    if kind == actions.Kind.CATEGORY:
        category = CategoryField(help_text=field.help, required=field.required)
        category.choices = category_choices()
        return category
    if kind == actions.Kind.DESK_AGENT:
        return ModelChoiceField(queryset=policy.desk_agents(ticket.desk), **common)
    if kind == actions.Kind.CENTRAL_SERVICE:
        others = OrgUnit.objects.filter(kind=UnitKind.SERVICE, is_active=True).exclude(pk=ticket.desk_id)
        return UnitField(queryset=others, **common)
    if kind == actions.Kind.INCIDENT:
        return ModelChoiceField(
            queryset=policy.incidents_covering(ticket.origin_unit, ticket.category), **common
        )
    if kind == actions.Kind.REFERENCE:
        return forms.CharField(
            max_length=32,
            widget=forms.TextInput(attrs={"dir": "ltr"}),
            **common,
        )
    if kind == actions.Kind.SCORE:
        scores = [(score, str(score)) for score in range(1, 6)]
        return forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, choices=scores, **common)
    return MultipleFileField(**common)


class EscalateForm(ActionForm):
    """The referral form also says where the ticket will land."""

    def destination(self):
        """The desk the referral lands on with the ticket's current category."""
        return routing.escalation_desk(self.ticket.desk, self.ticket.category).desk

    def destination_depends_on_category(self) -> bool:
        # From an academy, the central service is the one that owns the requalified category.
        return self.ticket.desk.kind == UnitKind.ACADEMY

    def destinations(self) -> dict:
        """Category id → name of the desk a referral in that category lands on (for the form's live hint)."""
        if not self.destination_depends_on_category():
            return {}
        by_owner: dict[int, str] = {}
        result = {}
        for category in Category.objects.filter(is_active=True).select_related("owner"):
            if category.owner_id not in by_owner:
                by_owner[category.owner_id] = routing.first_staffed(category.owner, category).desk.name
            result[str(category.pk)] = by_owner[category.owner_id]
        return result


def _action_form(spec: actions.ActionSpec) -> type[ActionForm]:
    base = EscalateForm if spec.action == Action.ESCALATE else ActionForm
    return type(f"{spec.action.title().replace('_', '')}Form", (base,), {"spec": spec})


# Built from the declarations: adding an action adds its form.
ACTION_FORMS = {spec.action: _action_form(spec) for spec in actions.SPECS}


class BulkForm(forms.Form):
    """The list's "with the selected requests" bar: the action, and what it asks for (an agent, a text)."""

    action = forms.ChoiceField(label=_("With the selected requests"))
    assignee = ModelChoiceField(
        label=_("Agent"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Choose an agent of your desk.")},
    )
    incident = ModelChoiceField(
        label=_("Known incident"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Choose an ongoing incident.")},
    )
    text = forms.CharField(
        label=_("Note or resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text=_("Referring: what was tried. Resolving: what the requesters read."),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        ongoing = policy.visible_incidents(user).filter(status=IncidentStatus.OPEN).order_by("-created_at")
        self.fields["incident"].queryset = ongoing
        # Attaching to an incident is offered while one is going on. The rows are read once, here, and the
        # select box shows them (`ModelChoiceField`).
        going_on = bool(self.fields["incident"].queryset)
        offered = [a for a in bulk.BULK_ACTIONS if a != Action.FOLLOW_INCIDENT or going_on]
        self.fields["action"].choices = [(action, Action(action).label) for action in offered]
        self.fields["assignee"].queryset = policy.colleagues(user)


# The lists --------------------------------------------------------------------------------------------


def _age_label(days: int) -> str:
    return ngettext("Filed over %(days)s day ago", "Filed over %(days)s days ago", days) % {"days": days}


class InboxFilterForm(forms.Form):
    """The GET parameters of the lists. A value that does not parse is ignored, with its error beside it."""

    tab = forms.CharField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("A reference, or words of the request and of its conversation."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = forms.CharField(
        label=_("Origin unit"),
        required=False,
        max_length=32,
        help_text=_(
            "Type a name or a code and choose among the suggestions; the units below it are included."
        ),
        # Suggestions as the user types, from the units in their reach; the list region is not replaced.
        widget=forms.TextInput(
            attrs={
                "list": "unit-options",
                "autocomplete": "off",
                "dir": "auto",
                "hx-get": reverse_lazy("unit-picker"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#unit-options",
                "hx-swap": "innerHTML",
                "hx-push-url": "false",
            }
        ),
    )
    age = forms.TypedChoiceField(label=_("Age"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=selectors.Sort.choices)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        any_value = [("", pgettext_lazy("filter", "Any"))]
        self._categories = {
            str(category.pk): category
            for category in Category.objects.filter(is_active=True).select_related("parent")
        }
        self.fields["category"].choices = any_value + self._category_choices()
        self.fields["priority"].choices = any_value + list(Priority.choices)
        self.fields["status"].choices = any_value + list(Status.choices)
        self.fields["age"].choices = any_value + [(days, _age_label(days)) for days in selectors.AGE_DAYS]
        # No sort chosen ("") reads a keyword search best match first and any other list by last activity:
        # the box names that default first, then the others (relevance only as a search's default).
        # Every sort stays valid: a kept link may carry relevance after its words are cleared (last activity).
        default = (
            selectors.Sort.RELEVANCE
            if search.searched((data or {}).get("q", ""))
            else selectors.Sort.ACTIVITY
        )
        sorts = [("", selectors.Sort(default).label)]
        self.fields["sort"].choices = sorts + list(selectors.Sort.choices)
        others = [
            choice
            for choice in selectors.Sort.choices
            if choice[0] not in (default, selectors.Sort.RELEVANCE)
        ]
        self.fields["sort"].widget.choices = sorts + others
        reach = policy.reach(user)
        # Requesters list only their own requests: an origin-unit filter would tell them nothing.
        self.shows_unit = bool(reach.desk_ids or reach.subtree_paths)

    def _category_choices(self) -> list:
        categories = list(self._categories.values())
        choices = []
        for system in (category for category in categories if category.parent_id is None):
            everything = pgettext("category filter", "%(system)s (all topics)") % {"system": system.name}
            topics = [(topic.pk, topic.name) for topic in categories if topic.parent_id == system.pk]
            choices.append((system.name, [(system.pk, everything), *topics]))
        return choices

    def clean_category(self):
        value = self.cleaned_data["category"]
        return self._categories.get(value) if value else None

    def value_of(self, name: str, default=None):
        """The cleaned value of a field, or `default` when it is missing or did not parse."""
        if not self.is_bound or name in self.errors:
            return default
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def criteria(self, *, tab: str | None = None, unit=None) -> selectors.TicketQuery:
        """The list the valid fields ask for; `unit` is the origin unit once checked in reach."""
        return selectors.TicketQuery(
            tab=tab,
            category=self.value_of("category"),
            priority=self.value_of("priority", ""),
            status=self.value_of("status", ""),
            unit=unit,
            older_than_days=self.value_of("age"),
            query=self.value_of("q", ""),
            sort=self.value_of("sort", ""),
        )


# Help articles ----------------------------------------------------------------------------------------


class ArticleForm(forms.Form):
    """An article's texts in Arabic, French and English (one language at least, checked by the service)."""

    unit = UnitField(queryset=OrgUnit.objects.none(), label=_("Written for the units under"))
    category = CategoryField()
    audience = forms.ChoiceField(
        label=_("Who reads it"), choices=Audience.choices, initial=Audience.EVERYONE, widget=forms.RadioSelect
    )
    title_ar = forms.CharField(label=_("Title in Arabic"), required=False, max_length=200)
    body_ar = forms.CharField(
        label=_("Text in Arabic"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "dir": "rtl", "lang": "ar"}),
    )
    title_fr = forms.CharField(label=_("Title in French"), required=False, max_length=200)
    body_fr = forms.CharField(
        label=_("Text in French"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "dir": "ltr", "lang": "fr"}),
    )
    title_en = forms.CharField(label=_("Title in English"), required=False, max_length=200)
    body_en = forms.CharField(
        label=_("Text in English"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "dir": "ltr", "lang": "en"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, user, article=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title_ar"].widget.attrs.update(dir="rtl", lang="ar")
        self.fields["title_fr"].widget.attrs.update(dir="ltr", lang="fr")
        self.fields["title_en"].widget.attrs.update(dir="ltr", lang="en")
        self.fields["category"].choices = category_choices()
        if article is None:
            units = policy.article_units(user).order_by("path")
            self.fields["unit"].queryset = units
            only = list(units[:2])
            if len(only) == 1:
                self.fields["unit"].initial = only[0]
        else:
            # The writing unit is the article's for good: it decides who reads it and who reviews it.
            del self.fields["unit"]


class ArticleNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
