"""Who is calling the API: a personal token, another bearer token, or the web session.

Bearer tokens go through the callables listed in `settings.MUSANADA_API_BEARER_AUTHENTICATORS`, in order.
Each takes `(request, token)` and returns the active user the token stands for, returns None when the token
is not of its kind (the next one is tried), or raises `InvalidCredentials` when it is of its kind but not
valid (expired, revoked, bad signature). A token no authenticator accepts is refused with 401.

To add a kind of token (OpenID Connect access tokens from the ministry's identity provider), write such a
callable in its own module and append its dotted path to that setting; nothing here needs to change.

Every authenticated request then runs in the language of `Accept-Language` when the client sends one, else
the user's own language, and counts against the caller's rate limit (`CallerThrottle`, set on the API object).
"""

import threading

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import trans_real
from ninja.errors import Throttled
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import SimpleRateThrottle
from ninja.utils import check_csrf

from musanada.api.models import TOKEN_PREFIX, ApiToken, token_digest
from musanada.api.services import token_used
from musanada.core import throttle
from musanada.web.auth import client_address

# Requests with a token that is not valid, per client address, before its requests are refused for the
# rest of the window: guessing tokens, or a forgotten script hammering with a revoked one.
BAD_TOKENS = "bad-tokens"
BAD_TOKENS_WINDOW = 15 * 60
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class InvalidCredentials(Exception):
    """Credentials were sent but are not valid: 401, never a fall-back to another way of signing in."""

    def __init__(self, message=None):
        self.message = message or _("The token is not valid, or has been revoked.")
        super().__init__(str(self.message))


class CsrfFailed(Exception):
    """A session request that changes something came without the page's CSRF token."""


def personal_token(request, token: str):
    """The user of a personal token (`msn_…`); other tokens are left to the next authenticator."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = ApiToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if found is None or found.revoked_at is not None or not found.user.is_active:
        raise InvalidCredentials()
    token_used(found, client_address(request))
    request.api_token = found
    return found.user


def _authenticators():
    return [import_string(path) for path in settings.MUSANADA_API_BEARER_AUTHENTICATORS]


def _accepted(request, user) -> None:
    """For every way in: the request acts as this user and speaks its language."""
    request.user = user
    activate_language(request, user)


def activate_language(request, user=None) -> None:
    """The language of `Accept-Language` when sent, else the user's (as on the web pages)."""
    languages = dict(settings.LANGUAGES)
    header = request.headers.get("Accept-Language", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        try:
            supported = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        translation.activate(supported)
        request.LANGUAGE_CODE = supported
        return
    if user is not None and getattr(user, "language", None) in languages:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a personal token, or any token a configured authenticator accepts."""

    def authenticate(self, request, token):
        address = client_address(request)
        limit = settings.MUSANADA_BAD_TOKENS_PER_ADDRESS
        if throttle.exceeded(BAD_TOKENS, address, limit, BAD_TOKENS_WINDOW):
            raise Throttled(BAD_TOKENS_WINDOW)
        try:
            return self._authenticate(request, token.strip())
        except InvalidCredentials:
            throttle.record(BAD_TOKENS, address, BAD_TOKENS_WINDOW)
            raise

    def _authenticate(self, request, token):
        if not token:
            raise InvalidCredentials()
        for authenticate in _authenticators():
            user = authenticate(request, token)
            if user is not None:
                if not user.is_active:
                    raise InvalidCredentials()
                _accepted(request, user)
                return user
        raise InvalidCredentials()


class SessionAuth(APIKeyCookie):
    """The web session, for pages calling the API; changes need the CSRF token like any form."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if request.method in UNSAFE_METHODS and not exempt and check_csrf(request) is not None:
            raise CsrfFailed()
        _accepted(request, user)
        return user

    def authenticate(self, request, key):
        # Unused: __call__ reads the user Django's session middleware already found.
        return None


API_AUTH = [BearerAuth(), SessionAuth()]


class CallerThrottle(SimpleRateThrottle, threading.local):
    """`MUSANADA_API_RATE` requests per personal token, or per user for the session and other tokens.

    django-ninja's sliding-window throttle. It keeps the current request's state on the instance between
    `allow_request` and `wait`, and the API holds one instance: `threading.local` gives each serving thread
    its own.
    """

    scope = "api"
    # The long names the setting has always accepted ("120/minute"), before ninja's own ("120/min", "10/5s");
    # ninja takes the first unit the rate ends with, so the longer names must come first.
    _PERIODS = {"second": 1, "minute": 60, **SimpleRateThrottle._PERIODS}

    def get_rate(self):
        return settings.MUSANADA_API_RATE

    def allow_request(self, request):
        # Read the setting at each request, as every other setting is.
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        return super().allow_request(request)

    def get_cache_key(self, request):
        token = getattr(request, "api_token", None)
        if token is not None:
            ident = f"token:{token.digest}"
        elif request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def wait(self):
        """Seconds until enough counted requests leave the window for one more to pass."""
        # ninja's own answer is None (so no Retry-After) when more than the allowance was counted, which
        # happens when the setting is lowered or two requests race.
        if not self.num_requests:
            return self.duration
        return self.duration - (self.now - self.history[self.num_requests - 1])
