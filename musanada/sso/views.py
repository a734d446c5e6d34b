"""Signing in with the ministry's provider (authorization code with PKCE, state and nonce) and out again."""

import logging
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from joserfc.errors import JoseError

from musanada.org.services import user_set_language
from musanada.sso import services
from musanada.sso.provider import ProviderMisconfigured, oidc_client, oidc_settings, provider_metadata
from musanada.web.security import safe_next
from musanada.web.views.account import CHOSEN_LANGUAGE

logger = logging.getLogger(__name__)

NEXT = "sso_next"
ID_TOKEN = "sso_id_token"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# What can go wrong between us and the provider, or in what it sends back: never a server error.
PROVIDER_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ProviderMisconfigured, ValueError)


def _settings_or_404():
    conf = oidc_settings()
    if conf is None:
        raise Http404
    return conf


def _failed(request, message: str, status: int):
    return render(request, "sso/failed.html", {"message": message}, status=status)


@require_GET
def sign_in(request):
    """Send the browser to the provider, remembering state, nonce and PKCE verifier in the session."""
    conf = _settings_or_404()
    request.session[NEXT] = safe_next(request, request.GET.get("next"), settings.LOGIN_REDIRECT_URL)
    try:
        provider_metadata(conf)
        return oidc_client(conf).authorize_redirect(
            request, request.build_absolute_uri(reverse("sso-callback"))
        )
    except PROVIDER_ERRORS:
        logger.exception("The identity provider %s cannot be reached", conf.issuer)
        return _failed(request, _("The identity provider cannot be reached. Try again in a moment."), 503)


@require_GET
def callback(request):
    """The provider's answer: check it, then sign the person in to their (perhaps new) account."""
    conf = _settings_or_404()
    if request.GET.get("error"):
        logger.info("The identity provider answered %s", request.GET.get("error"))
        return _failed(request, _("Signing in with the identity provider did not complete."), 400)
    # RFC 9207: an answer that says it comes from another issuer is a mix-up attack.
    if request.GET.get("iss") not in (None, conf.issuer):
        return _failed(request, _("This sign-in answer is not valid. Start again."), 400)
    client = oidc_client(conf)
    try:
        provider_metadata(conf)
        # Authlib checks the state against the session, sends the PKCE verifier, and validates the ID
        # token: signature from the provider's keys, issuer, audience, expiry and our nonce.
        token = client.authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("The provider answered without an ID token")
        claims = dict(claims)
        if provider_metadata(conf).get("userinfo_endpoint"):
            extra = dict(client.userinfo(token=token))
            # OpenID Connect Core 5.3.2: userinfo about another subject must not be used.
            if extra.get("sub") != claims["sub"]:
                raise ValueError("The userinfo subject differs from the ID token's")
            claims = {**extra, **claims}
    except PROVIDER_ERRORS as error:
        logger.warning("Refused a sign-in answer from %s: %r", conf.issuer, error)
        return _failed(request, _("This sign-in answer is not valid. Start again."), 400)
    names = services.ClaimNames(unit=conf.claim_unit, role=conf.claim_role, massar_id=conf.claim_massar_id)
    try:
        result = services.account_from_claims(conf.issuer, claims, names)
    except services.SignInRefused as error:
        return _failed(request, str(error), error.status)

    target = request.session.pop(NEXT, None)
    chosen = request.session.pop(CHOSEN_LANGUAGE, None)
    login(request, result.user, backend=MODEL_BACKEND)
    request.session[ID_TOKEN] = token["id_token"]
    if chosen:
        user_set_language(result.user, chosen)
    return HttpResponseRedirect(safe_next(request, target, settings.LOGIN_REDIRECT_URL))


@require_POST
def sign_out(request):
    """End the local session; after a single sign-on, also end the provider's (RP-initiated logout)."""
    id_token = request.session.get(ID_TOKEN)
    logout(request)
    after = resolve_url(settings.LOGOUT_REDIRECT_URL)
    conf = oidc_settings()
    if id_token and conf is not None:
        try:
            end_session = provider_metadata(conf).get("end_session_endpoint")
        except PROVIDER_ERRORS:
            logger.warning("The identity provider %s cannot be reached to end its session", conf.issuer)
            end_session = None
        if end_session:
            query = urlencode(
                {
                    "id_token_hint": id_token,
                    "post_logout_redirect_uri": request.build_absolute_uri(after),
                    "client_id": conf.client_id,
                }
            )
            return HttpResponseRedirect(f"{end_session}{'&' if '?' in end_session else '?'}{query}")
    return HttpResponseRedirect(after)
