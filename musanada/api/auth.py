"""Who is calling the API: a personal token, another bearer token, or the web session.

Bearer tokens go through the callables listed in `settings.MUSANADA_API_BEARER_AUTHENTICATORS`, in order.
Each takes `(request, token)` and returns the active user the token stands for, returns None when the token
is not of its kind (the next one is tried), or raises `InvalidCredentials` when it is of its kind but not
valid (expired, revoked, bad signature). A token no authenticator accepts is refused with 401.

To add a kind of token (OpenID Connect access tokens from the ministry's identity provider), write such a
callable in its own module and append its dotted path to that setting; nothing here needs to change.

Every authenticated request then counts against the caller's rate limit (ratelimit.py) and runs in the
language of `Accept-Language` when the client sends one, else the user's own language.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from musanada.api import ratelimit
from musanada.api.models import TOKEN_PREFIX, ApiToken, token_digest

# Writing last_used_at on every call would make each read a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)
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
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    request.api_token = found
    return found.user


def _authenticators():
    return [import_string(path) for path in settings.MUSANADA_API_BEARER_AUTHENTICATORS]


def _accepted(request, user) -> None:
    """For every way in: the request acts as this user, counts against its limit, speaks its language."""
    request.user = user
    token = getattr(request, "api_token", None)
    identity = f"token:{token.digest}" if token is not None else f"user:{user.pk}"
    ratelimit.hit(identity)
    activate_language(request, user)


def activate_language(request, user=None) -> None:
    """The language of `Accept-Language` when sent, else the user's (as on the web pages)."""
    languages = dict(settings.LANGUAGES)
    header = request.headers.get("Accept-Language", "")
    for code, _quality in translation.trans_real.parse_accept_lang_header(header):
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
        token = token.strip()
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
