"""Middleware of our own: each request observed (its id in the logs, its latency in the metrics), and the
signed-in user's stored language winning over the browser's, so that their choice follows them."""

import time

from django.conf import settings
from django.utils import translation

from musanada.core import metrics
from musanada.core.logs import begin_request, new_request_id

# Any other word a client sends as its method is counted as "other": the metrics' labels stay few.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ObservedMiddleware:
    """First of all: gives the request its id (the reverse proxy's X-Request-ID, else a new one), which every
    log line of the request and of the jobs it queues carries and the response sends back, and counts the
    request's latency and status per view in the metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        started = time.perf_counter()
        begin_request(request_id)
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "-") if match is not None else "-"
        method = request.method if request.method in _METHODS else "other"
        metrics.observe_request(view, method, response.status_code, time.perf_counter() - started)
        response["X-Request-ID"] = request_id
        return response


class UserLanguageMiddleware:
    """Activate `user.language` for signed-in users (runs after LocaleMiddleware and authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in self.languages:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
