"""The page where people make and revoke their personal API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from musanada.api import services
from musanada.api.models import ApiToken
from musanada.core.errors import DomainError, NotFound
from musanada.web.auth import client_address


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=services.NAME_MAX,
        help_text=_("What the token is for, e.g. the program that will use it."),
    )


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, created = services.token_create(
                    request.user, name=form.cleaned_data["name"], address=client_address(request)
                )
            except DomainError as refused:
                form.add_error("name" if refused.field == "name" else None, str(refused))
                status = 400
            else:
                form = TokenForm()
        else:
            status = 400
    rows = ApiToken.objects.filter(user=request.user)
    response = render(
        request, "api/tokens.html", {"form": form, "created": created, "tokens": rows}, status=status
    )
    if created:
        # The token is in this page only: no browser or proxy may keep a copy.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id):
    try:
        token = services.token_revoke(request.user, token_id, address=client_address(request))
    except NotFound:
        raise Http404(_("No such token.")) from None
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api-tokens")
