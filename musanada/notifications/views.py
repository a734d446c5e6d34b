"""The notifications page, the bell and the read actions. Reading is GET; marking read is POST only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musanada.core.errors import InvalidInput, NotFound
from musanada.notifications import selectors, services
from musanada.notifications.forms import EmailPreferencesForm
from musanada.tickets.selectors import waiting_for
from musanada.web.security import safe_next


@login_required
@require_GET
def notification_list(request):
    try:
        page = selectors.notification_page(request.user, cursor=request.GET.get("after"))
    except InvalidInput as error:
        messages.error(request, str(error))
        return redirect("notifications:list")
    first_page = not request.GET.get("after")
    next_url = None
    if page.next_cursor:
        next_url = f"{reverse('notifications:list')}?{urlencode({'after': page.next_cursor})}"
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": page.items,
            # The user's own requests that wait for them come first, whatever the notifications say.
            "waiting": list(waiting_for(request.user)[:WAITING_SHOWN]) if first_page else [],
            "next_url": next_url,
            "is_first_page": first_page,
        },
    )


# The requests waiting for the user listed above the notifications; the bell counts them all.
WAITING_SHOWN = 20

# htmx stops polling on this status: a page left open after signing out stops asking, and loses its bell.
STOP_POLLING = 286


@require_GET
def bell(request):
    """The bell alone, for htmx to refresh it in place."""
    if not request.user.is_authenticated:
        # Not a redirect: htmx would follow it and put the sign-in page inside the header.
        return HttpResponse(status=STOP_POLLING)
    response = render(request, "notifications/_bell.html")
    response["Cache-Control"] = "private, no-store"
    return response


def _back(request):
    return redirect(safe_next(request, request.POST.get("next"), "notifications:list"))


def _mark_read(request, pk):
    try:
        return services.notification_mark_read(request.user, pk)
    except NotFound:
        raise Http404(_("No such notification.")) from None


@login_required
@require_POST
def notification_open(request, pk):
    """Mark the notification read and go to its ticket."""
    notification = _mark_read(request, pk)
    return redirect("ticket-detail", reference=notification.ticket.reference)


@login_required
@require_POST
def notification_read(request, pk):
    _mark_read(request, pk)
    return _back(request)


@login_required
@require_POST
def notification_read_all(request):
    services.notification_mark_all_read(request.user)
    messages.success(request, _("All your notifications are marked as read."))
    return _back(request)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """Which kinds of notification also come by e-mail; the bell shows them all whatever is chosen here."""
    form = EmailPreferencesForm(
        request.POST if request.method == "POST" else None,
        preferences=selectors.email_preferences(request.user),
    )
    if form.is_bound and form.is_valid():
        services.notification_preferences_set(request.user, email_kinds=form.email_kinds())
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
