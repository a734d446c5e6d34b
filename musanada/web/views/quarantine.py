"""The quarantine of the mail intake: mail a sender who must authenticate sent without it, held for review.

Administrators and the supervisors of a mailbox's desk see it with the reason, and release it (it then does
what it would have done) or discard it; the record keeps who did (docs/mail.md, "Sender authentication").
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from musanada.core.errors import DomainError, NotFound
from musanada.mail import intake
from musanada.mail.models import InboundMessage
from musanada.tickets import policy

# What each reason means, for the reviewer.
REASONS = {
    "not_authenticated": _(
        "The sender's domain must be authenticated by the ministry's mail server, and this mail was not."
    ),
    "agent_not_authenticated": _(
        "The sender is a desk agent: a desk agent's mail is acted on only when the ministry's mail server "
        "authenticated it, and this one was not."
    ),
}


@login_required
def quarantine_list(request):
    if not policy.reviews_any_mail(request.user):
        raise Http404
    held = list(intake.quarantined_for(request.user)[:200])
    for record in held:
        record.reason_text = REASONS.get(record.reason, record.reason)
    return render(request, "web/quarantine.html", {"held": held})


@login_required
@require_POST
def quarantine_review(request, pk: int, decision: str):
    record = get_object_or_404(InboundMessage, pk=pk)
    review = {"release": intake.quarantine_release, "discard": intake.quarantine_discard}.get(decision)
    if review is None:
        raise Http404
    try:
        record = review(request.user, record)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("quarantine")
    if decision == "release":
        messages.success(request, _("Released: %(outcome)s.") % {"outcome": record.get_outcome_display()})
    else:
        messages.success(request, _("Discarded."))
    return redirect("quarantine")
