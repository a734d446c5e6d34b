"""The lists: a user's requests, their desk's inbox, their units' tickets, everything they may see.

The view parses the GET parameters with a form, asks the selectors (which go through the policy) and
renders. With htmx, the filters, tabs, tree and pager swap only the list region; without it they are plain
links and a GET form.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from musanada.core.errors import DomainError, InvalidInput, NotFound
from musanada.org.models import names_above
from musanada.sla.services import clocks_for
from musanada.tickets import bulk, policy, saved_views, selectors
from musanada.tickets.models import SavedView
from musanada.tickets.workflow import Action
from musanada.web.forms import BulkForm, InboxFilterForm
from musanada.web.rows import inbox_rows
from musanada.web.security import safe_next
from musanada.web.views.tickets import is_htmx

# The parameters a link keeps when it changes only the tab, the page or the unit.
FILTER_PARAMS = ("q", "category", "priority", "status", "unit", "age", "sort")

_IGNORED = _("A filter was not understood and was ignored: see the message beside it.")
_UNKNOWN_TAB = _("This list does not exist; here is your default list.")
_EMPTY_SEARCH = _("The search holds no letter or digit to look for: type a word or a reference.")


@dataclass(frozen=True)
class TabLink:
    key: str
    label: str
    # Capped: past selectors.count_cap() the tab says "1000+". None: not counted (a search counts only the
    # tab it lists).
    count: int | None
    url: str

    @property
    def shown(self) -> str:
        if self.count is None:
            return ""
        cap = selectors.count_cap()
        return f"{cap}+" if self.count > cap else str(self.count)


# The filters shown as removable chips when set (the search has its own box, the sort is not a filter).
CHIP_PARAMS = ("category", "priority", "status", "unit", "age")


def _shown_value(form, name: str, value: str) -> str:
    """A filter's value as its select box says it (the category's name, "Urgent"), else as typed."""
    for key, label in getattr(form.fields[name], "choices", None) or ():
        # A group of choices (an information system and its topics) holds its own (key, label) pairs.
        for inner_key, inner_label in label if isinstance(label, (list, tuple)) else [(key, label)]:
            if str(inner_key) == value:
                return str(inner_label)
    return value


def _url(params: dict, **changes) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({key: value for key, value in merged.items() if value not in (None, "")})


@login_required
@vary_on_headers("HX-Request")
def home(request):
    user = request.user
    notices = []
    form = InboxFilterForm(request.GET or None, user=user)
    if form.is_bound and not form.is_valid() and any(name != "after" for name in form.errors):
        notices.append(_IGNORED)

    tabs = selectors.tabs_for(user)
    tab, known = selectors.chosen_tab(user, form.value_of("tab"))
    if not known:
        notices.append(_UNKNOWN_TAB)

    refused = False
    try:
        scope = selectors.unit_scope(user, form.value_of("unit", ""), form.criteria())
    except InvalidInput as error:
        # A unit outside the user's reach: nothing is listed, not even the rest of their lists.
        notices.append(str(error))
        refused = True
        scope = selectors.UnitScope()
    criteria = form.criteria(tab=tab, unit=scope.unit)
    # A parameter that cannot be read answers 400, with the list shown without it and the notice saying so;
    # an empty search is a valid question with no answer.
    refused_input = bool(notices)
    if criteria.empty_search:
        notices.append(_EMPTY_SEARCH)

    kept = {name: request.GET.get(name, "") for name in FILTER_PARAMS if name not in form.errors}
    kept["tab"] = tab
    chips = [
        (form.fields[name].label, _shown_value(form, name, value), _url(kept, **{name: None}))
        for name, value in kept.items()
        if name in CHIP_PARAMS and value
    ]
    context = {
        "form": form,
        "notices": notices,
        "refused": refused,
        "current": tab,
        "current_label": selectors.Tab(tab).label,
        "scope": scope,
        "is_first_page": not request.GET.get("after"),
        "first_url": _url(kept),
        "reset_url": reverse("home") + _url({"tab": tab}),
        "chips": chips,
        "saved_views": list(SavedView.objects.filter(user=user)),
        "incidents": list(policy.incidents_concerning(user)[:3]),
        # Those who work a desk check requests in the list and act on them together.
        "bulk_form": BulkForm(user=user) if policy.reach(user).desk_ids else None,
        "here": request.get_full_path(),
        "kept": kept,
        "tree": None,
        "tickets": [],
        "next_url": None,
        "tabs": [],
    }
    if not refused:
        try:
            page = criteria.page(user, cursor=form.value_of("after"))
        except InvalidInput as error:
            notices.append(str(error))
            refused_input = True
            context["is_first_page"] = True
            page = criteria.page(user)
        # A first page with no next one is the whole list: its length is the count.
        counts = {tab: len(page.items)} if context["is_first_page"] and not page.next_cursor else {}
        # A keyword search counts nothing more: with the words, each count reads the text index again (at ten
        # million tickets, 0.2 s a tab, more than a second for a word common in a large desk), and other tabs'
        # numbers answer no question asked. Its tab shows the number when the results fit on the page.
        wanted = [] if criteria.keyed else tabs
        counts |= criteria.counts(user, [key for key in wanted if key not in counts])
        context["tabs"] = [
            TabLink(key, selectors.Tab(key).label, counts.get(key), _url(kept, tab=key)) for key in tabs
        ]
        context["tickets"] = _with_places(page.items)
        context["rows"] = inbox_rows(
            context["tickets"],
            reader=user,
            clocks=clocks_for(context["tickets"]),
            pick=context["bulk_form"] is not None,
        )
        if page.next_cursor:
            context["next_url"] = _url(kept, after=page.next_cursor)
        context["tree"] = {
            # The tree's counts are those of the subtree tab: a unit's link opens that tab.
            "top_url": _url(kept, unit=None, tab=selectors.Tab.SUBTREE),
            "trail": [(unit, _url(kept, unit=unit.code, tab=selectors.Tab.SUBTREE)) for unit in scope.trail],
            "children": [
                (unit, count, _url(kept, unit=unit.code, tab=selectors.Tab.SUBTREE))
                for unit, count in scope.children
            ],
        }
    template = "web/_ticket_list.html" if is_htmx(request) else "web/home.html"
    return render(request, template, context, status=400 if refused_input else 200)


def _with_places(tickets: list) -> list:
    """The tickets, each origin with the names of its province and academy (`origin_above`): a central
    agent tells two schools of one name apart. Read with the page (`selectors.with_related`)."""
    for ticket in tickets:
        ticket.origin_above = " · ".join(names_above(ticket.origin_unit.parent))
    return tickets


@login_required
@require_POST
def saved_view_save(request):
    """Name the list being looked at (its tab and filters, posted by the inbox's "save this view" form)."""
    try:
        view = saved_views.saved_view_add(
            request.user, name=request.POST.get("name", ""), params=request.POST
        )
    except DomainError as refused:
        messages.error(request, str(refused))
        return redirect(reverse("home") + _url({key: request.POST.get(key, "") for key in saved_views.KEPT}))
    messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
    return redirect(reverse("home") + "?" + view.query)


@login_required
@require_POST
def saved_view_remove(request, pk: int):
    try:
        saved_views.saved_view_remove(request.user, pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The view is removed."))
    return redirect("home")


@login_required
def unit_picker(request):
    """The unit filter's suggestions as the user types (a `<datalist>`'s options): units in their reach."""
    # The inbox's unit filter sends "unit"; the incident form's units concerned, "scope".
    typed = request.GET.get("unit") or request.GET.get("scope", "")
    units = selectors.pickable_units(request.user, typed)
    options = [(unit.code, " · ".join([unit.code, unit.name, *names_above(unit.parent)])) for unit in units]
    return render(request, "web/_unit_options.html", {"options": options})


@login_required
@require_POST
def bulk_act(request):
    """One action on the requests checked in a list, each through its own service; then back to the list,
    saying what was done and, for each request refused, why."""
    back = safe_next(request, request.POST.get("next"), "home")
    form = BulkForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(back)
    action = form.cleaned_data["action"]
    try:
        outcome = bulk.bulk_act(
            request.user,
            request.POST.getlist("tickets"),
            action,
            assignee=form.cleaned_data["assignee"],
            text=form.cleaned_data["text"],
            incident=form.cleaned_data["incident"],
        )
    except DomainError as refused:
        messages.error(request, str(refused))
        return redirect(back)
    if outcome.done:
        done = ngettext(
            "“%(action)s” done on %(count)s request.",
            "“%(action)s” done on %(count)s requests.",
            len(outcome.done),
        )
        messages.success(request, done % {"action": Action(action).label, "count": len(outcome.done)})
    for reference, reason in outcome.refused:
        messages.error(
            request,
            _("%(reference)s was not changed: %(reason)s") % {"reference": reference, "reason": reason},
        )
    return redirect(back)
