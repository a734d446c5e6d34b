"""Filing a request, the ticket page, its actions and its files.

Every page works as plain HTML forms (POST, then redirect). With htmx, an action on the ticket page posts with
`HX-Request` and gets back the same template rendered without the layout, which replaces the page's main
content: no full reload on slow school connections.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from musanada.core.errors import DomainError, InvalidInput, NotFound
from musanada.knowledge.selectors import article_suggestions
from musanada.notifications.services import notifications_mark_read_for_ticket
from musanada.tickets import actions, events, policy, selectors, services
from musanada.tickets.models import Attachment
from musanada.tickets.workflow import Action, EventKind
from musanada.web.forms import ACTION_FORMS, NewTicketForm

# The layout a page extends: the whole page, or only what replaces `<main>` for htmx.
FULL_LAYOUT = "base.html"
PARTIAL_LAYOUT = "web/_partial.html"


def is_htmx(request) -> bool:
    """A request made by htmx for a part of the page (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _layout(request) -> str:
    return PARTIAL_LAYOUT if is_htmx(request) else FULL_LAYOUT


# Filing ----------------------------------------------------------------------------------------------


def _show_domain_error(form, error: DomainError) -> str | None:
    """Put the refusal beside its field; return it when it belongs to no field of the form."""
    if error.field and error.field in form.fields:
        form.add_error(error.field, str(error))
        return None
    return str(error)


@login_required
def ticket_new(request):
    form = NewTicketForm(request.POST or None, request.FILES or None, user=request.user)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_file(request.user, **form.service_kwargs())
        except DomainError as refused:
            error = _show_domain_error(form, refused)
        else:
            messages.success(
                request, _("Your request %(reference)s was filed.") % {"reference": ticket.reference}
            )
            return redirect("ticket-detail", reference=ticket.reference)
    status = 400 if request.method == "POST" else 200
    form.warn_files_not_kept()
    # A page that comes back with an error shows the articles that may answer what was typed (JavaScript
    # or not).
    suggestions = []
    if request.method == "POST":
        typed = f"{request.POST.get('subject', '')[:200]} {request.POST.get('description', '')[:5000]}"
        category = form.cleaned_data.get("category")
        suggestions = article_suggestions(request.user, typed, category)
    context = {"form": form, "error": error, "suggestions": suggestions}
    return render(request, "web/ticket_new.html", context, status=status)


# One ticket ------------------------------------------------------------------------------------------


def _visible_ticket(user, reference: str):
    try:
        return selectors.ticket_get_for(user, reference)
    except NotFound:
        raise Http404(_("No such ticket.")) from None


# Attachments shown as images on the ticket page: the raster types the checks recognise by their content
# (never SVG, which can carry scripts).
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _inserted_text(request, replies, articles) -> str | None:
    """The text to put in the reply box: the canned reply asked for by `?canned=ID`, or a link to the help
    article asked for by `?article=SLUG`, if it is one offered here."""
    wanted = request.GET.get("canned", "")
    reply = next((reply for reply in replies if str(reply.pk) == wanted), None)
    if reply is not None:
        return reply.body
    wanted = request.GET.get("article", "")
    article = next((article for article in articles if article.slug == wanted), None)
    if article is not None:
        return article_link(request, article)
    return None


def article_link(request, article) -> str:
    """An article as a reply cites it: its title and its full address, on two lines."""
    address = request.build_absolute_uri(reverse("article-detail", args=[article.slug]))
    return f"{article.published.title}\n{address}"


def _resolution(user, ticket):
    """The text of the ticket's last resolution, as the requester reads it."""
    resolved = policy.visible_events(user, ticket).filter(kind=EventKind.RESOLVED).order_by("-pk").first()
    return resolved.body if resolved is not None else ""


# The actions written in the page's one composer, under the conversation, in this order; the first offered is
# the composer's default mode. The others sit in the action bar.
COMPOSER_ACTIONS = (Action.REPLY, Action.PROVIDE_INFO, Action.NOTE)
SEND_LABELS = {
    Action.REPLY: _("Send the reply"),
    Action.PROVIDE_INFO: _("Send the information"),
    Action.NOTE: _("Add the internal note"),
}


def _action_forms(request, ticket, offered_now, replies, articles, bound):
    """One form per action offered now: the bound one as the user sent it, the others empty."""
    inserted = _inserted_text(request, replies, articles)
    forms = []
    for action in offered_now:
        form = bound if bound is not None and bound.action == action else None
        if form is None and action == Action.REPLY and inserted is not None:
            # Without JavaScript, "insert" reloads the page with the reply's text in the box, to edit.
            form = ACTION_FORMS[action](ticket=ticket, user=request.user, initial={"body": inserted})
        forms.append(form or ACTION_FORMS[action](ticket=ticket, user=request.user))
    return forms


def _composer(forms, bound):
    """The composer's modes and the form whose fields it shows (the one sent back, else the default)."""
    modes = sorted(
        (form for form in forms if form.action in COMPOSER_ACTIONS),
        key=lambda form: COMPOSER_ACTIONS.index(form.action),
    )
    if not modes:
        return None
    shown = bound if bound is not None and bound.action in COMPOSER_ACTIONS else modes[0]
    for form in modes:
        form.send_label = SEND_LABELS[form.action]
    return {"modes": modes, "form": shown, "url_form": modes[0]}


def _render_ticket(request, ticket, *, bound=None, error=None, status=200):
    user = request.user
    history = policy.visible_events(user, ticket).select_related("actor").prefetch_related("attachments")
    offered_now = policy.available_actions(user, ticket)
    replies = list(policy.canned_replies_for(user, ticket)) if Action.REPLY in offered_now else []
    # The desk answering (it alone writes internal notes) is offered the articles that may answer the request.
    articles = []
    if Action.REPLY in offered_now and Action.NOTE in offered_now:
        articles = article_suggestions(user, f"{ticket.subject} {ticket.description}", ticket.category)
    forms = _action_forms(request, ticket, offered_now, replies, articles, bound)
    if bound is not None:
        bound.warn_files_not_kept()
    confirm = Action.CLOSE in offered_now and Action.REOPEN in offered_now
    # The composer's actions are written under the conversation; "confirm and close" is the next step's.
    in_bar = [
        form
        for form in forms
        if form.action not in COMPOSER_ACTIONS and not (confirm and form.action == Action.CLOSE)
    ]
    return render(
        request,
        "web/ticket_detail.html",
        {
            "ticket": ticket,
            "history": events.describe_all(history, known_units=(ticket.desk, ticket.origin_unit)),
            "composer": _composer(forms, bound),
            "actions": in_bar,
            "error": error,
            "staff_view": policy.reads_internal(user, ticket),
            "layout": _layout(request),
            "preview_types": PREVIEW_TYPES,
            "canned_replies": replies,
            "articles": articles,
            "related": selectors.related_tickets(user, ticket),
            # The requester's next step first: confirm or reopen a resolved request, then rate it.
            "confirm": confirm,
            "quick_rating": Action.RATE in offered_now,
            "resolution": _resolution(user, ticket) if Action.CLOSE in offered_now else None,
        },
        status=status,
    )


@login_required
def ticket_detail(request, reference):
    ticket = _visible_ticket(request.user, reference)
    notifications_mark_read_for_ticket(request.user, ticket)
    return _render_ticket(request, ticket)


def _status_of(error: DomainError) -> int:
    # A form the user can correct is a plain 400, whatever the domain calls it.
    return 400 if isinstance(error, InvalidInput) else error.status


@login_required
@require_POST
def ticket_act(request, reference, action):
    user = request.user
    ticket = _visible_ticket(user, reference)
    if action not in actions.BY_ACTION:
        raise Http404(_("No such action."))
    try:
        policy.authorize(user, ticket, action)
    except DomainError as refused:
        return _render_ticket(request, ticket, error=str(refused), status=_status_of(refused))

    form = ACTION_FORMS[action](request.POST, request.FILES, ticket=ticket, user=user)
    if not form.is_valid():
        return _render_ticket(request, ticket, bound=form, status=400)
    try:
        actions.perform(user, ticket, action, version=form.cleaned_data["version"], **form.service_kwargs())
    except NotFound:
        raise Http404(_("No such ticket.")) from None
    except DomainError as refused:
        fresh = _visible_ticket(user, reference)
        if refused.field and refused.field in form.fields:
            form.add_error(refused.field, str(refused))
            return _render_ticket(request, fresh, bound=form, status=_status_of(refused))
        # What the user typed stays, now against the version they are looking at.
        retry = ACTION_FORMS[action](
            ticket=fresh, user=user, initial={**request.POST.dict(), "version": fresh.version}
        )
        retry.open = True
        return _render_ticket(request, fresh, bound=retry, error=str(refused), status=_status_of(refused))
    messages.success(request, actions.BY_ACTION[action].done % {"desk": ticket.desk.name})
    if not is_htmx(request):
        return redirect("ticket-detail", reference=ticket.reference)
    # htmx: the refreshed page content in the same answer, with the confirmation, instead of a reload.
    try:
        fresh = selectors.ticket_get_for(user, reference)
    except NotFound:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("home")
        return response
    return _render_ticket(request, fresh)


@login_required
def attachment_download(request, reference, token):
    """Serve a file only when the event it came with is visible to the user (internal notes' files too)."""
    ticket = _visible_ticket(request.user, reference)
    attachment = Attachment.objects.filter(
        ticket=ticket, token=token, event__in=policy.visible_events(request.user, ticket)
    ).first()
    if attachment is None:
        raise Http404(_("No such file."))
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
