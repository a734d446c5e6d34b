"""The lists: a user's requests, their desk's inbox, everything they may see."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import InvalidInput
from musanada.tickets import policy, selectors
from musanada.tickets.workflow import OPEN_STATUSES

# Home ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    filters: Q | None


def _tabs(user) -> list[Tab]:
    reach = policy.reach(user)
    tabs = [Tab("mine", _("My requests"), Q(requester=user))]
    if reach.desk_ids:
        tabs.append(Tab("desk", _("My desk"), Q(desk_id__in=reach.desk_ids, status__in=OPEN_STATUSES)))
        tabs.append(Tab("assigned", _("Assigned to me"), Q(assignee=user, status__in=OPEN_STATUSES)))
    tabs.append(Tab("all", _("All I can see"), None))
    return tabs


def _default_tab(user) -> str:
    reach = policy.reach(user)
    if reach.desk_ids:
        return "desk"
    return "all" if reach.subtree_paths else "mine"


@login_required
def home(request):
    tabs = _tabs(request.user)
    by_key = {tab.key: tab for tab in tabs}
    current = by_key.get(request.GET.get("tab")) or by_key[_default_tab(request.user)]
    try:
        page = selectors.ticket_list(request.user, filters=current.filters, cursor=request.GET.get("after"))
    except InvalidInput as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('home')}?{urlencode({'tab': current.key})}")
    next_url = None
    if page.next_cursor:
        next_url = f"{reverse('home')}?{urlencode({'tab': current.key, 'after': page.next_cursor})}"
    return render(
        request,
        "web/home.html",
        {
            "tabs": tabs,
            "current": current,
            "tickets": page.items,
            "next_url": next_url,
            "is_first_page": not request.GET.get("after"),
        },
    )
