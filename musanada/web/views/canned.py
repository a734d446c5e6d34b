"""The canned replies page: a desk's supervisors write the ready answers their agents insert in replies."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from musanada.core.errors import DomainError, NotFound
from musanada.tickets import canned, policy
from musanada.tickets.models import CannedReply
from musanada.web.forms import ModelChoiceField


class CannedReplyForm(forms.Form):
    unit = ModelChoiceField(label=_("Desk"), queryset=None)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=canned.TITLE_MAX)
    body = forms.CharField(
        label=_("Text"), max_length=canned.BODY_MAX, widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = policy.canned_reply_units(user).order_by("path")
        self.fields["language"].initial = user.language


@login_required
def canned_replies(request):
    user = request.user
    if not policy.writes_canned_replies(user):
        raise Http404
    form = CannedReplyForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                canned.canned_reply_add(user, **form.cleaned_data)
            except DomainError as refused:
                form.add_error(refused.field if refused.field in form.fields else None, str(refused))
                status = 400
            else:
                messages.success(request, _("The canned reply is saved."))
                return redirect("canned-replies")
        else:
            status = 400
    units = policy.canned_reply_units(user)
    replies = (
        CannedReply.objects.filter(unit__in=units).select_related("unit").order_by("unit__path", "title")
    )
    return render(request, "web/canned_replies.html", {"form": form, "replies": replies}, status=status)


@login_required
@require_POST
def canned_reply_remove(request, pk: int):
    try:
        canned.canned_reply_remove(request.user, pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The canned reply is removed."))
    return redirect("canned-replies")
