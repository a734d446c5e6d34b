"""What protects every request and response, whatever the view (docs/operations.md, "Security headers and
sessions"): input no database can store is refused, the browser is told what the page may load and that a
signed-in page is never kept, and a session ends after a working day or an idle spell."""

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from musanada.core.errors import ErrorCode

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_in(query_dict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists()
    )


def _carries_nul(request) -> bool:
    """A NUL in the address or a form's fields (never in files, which may hold any byte; the API's JSON
    bodies are checked field by field by its schemas, with a 422 that names the field)."""
    if "\x00" in request.path or _nul_in(request.GET):
        return True
    content_type = request.content_type or ""
    return request.method == "POST" and content_type in _FORM_TYPES and _nul_in(request.POST)


def _refused(request):
    message = _("The request contains a character that is not allowed (NUL).")
    if request.path.startswith("/api/"):
        from musanada.api.problems import problem_response

        return problem_response(400, ErrorCode.MALFORMED_REQUEST, message)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class SecurityHeadersMiddleware:
    """Refuse a request carrying a NUL character (400), and give every response its security headers:
    Content-Security-Policy, Permissions-Policy, and `Cache-Control: private, no-store` on whatever a
    signed-in user is shown (tickets, attachments, exports) unless the view said otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = _refused(request) if _carries_nul(request) else self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.MUSANADA_CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.MUSANADA_PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        return response


SEEN = "_musanada_seen"
# The last request's time is written to the session at most this often: not one session write per request.
SEEN_PRECISION = 60


class SessionTimeoutMiddleware:
    """Sign out a session idle for MUSANADA_SESSION_IDLE_MINUTES (the absolute lifetime is the cookie's,
    SESSION_COOKIE_AGE, set at sign-in and never extended)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            seen = request.session.get(SEEN)
            if seen is not None and now - seen > settings.MUSANADA_SESSION_IDLE_MINUTES * 60:
                logout(request)
            elif seen is None or now - seen > SEEN_PRECISION:
                request.session[SEEN] = now
        return self.get_response(request)


def safe_next(request, target: str | None, default: str) -> str:
    """Where to go after a form: `target` (a page's "next") when it stays on this site, else `default` (a URL
    or a URL name). Never a redirect to another site."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)
