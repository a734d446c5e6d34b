"""Every API error as an RFC 9457 problem document: a stable code for programs, a translated text for people.

    {"type": "urn:musanada:problem:not_found", "title": "Not found", "status": 404,
     "detail": "No such ticket.", "code": "not_found", "errors": []}

`errors` lists the fields at fault (`field`, `message`) on 422. The codes are those of the domain
(`musanada.core.errors`) plus the API's own: unauthenticated, invalid_token, csrf_failed, rate_limited,
malformed_request, invalid, idempotency_key_reused.
"""

import json
import math

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from musanada.api.auth import CsrfFailed, InvalidCredentials
from musanada.core.errors import DomainError, ErrorCode

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:musanada:problem:"

TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Authentication required"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    409: gettext_lazy("Conflict"),
    422: gettext_lazy("Invalid input"),
    429: gettext_lazy("Too many requests"),
}


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] = []


# Every operation documents these answers (as application/problem+json, see main.py).
ERRORS = {code: Problem for code in (400, 401, 403, 404, 409, 422, 429)}


def problem_response(status: int, code: str, detail, *, errors=(), headers=None) -> HttpResponse:
    body = {
        "type": TYPE_PREFIX + code,
        "title": str(TITLES.get(status, gettext_lazy("Error"))),
        "status": status,
        "detail": str(detail),
        "code": code,
        "errors": [{"field": field, "message": str(message)} for field, message in errors],
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _unauthenticated(request, exc, *, code=ErrorCode.UNAUTHENTICATED, detail=None):
    return problem_response(
        401,
        code,
        detail or _("Sign in, or send a token: Authorization: Bearer <token>."),
        headers={"WWW-Authenticate": 'Bearer realm="musanada"'},
    )


_LOCATIONS = ("body", "query", "path", "header", "form", "file", "cookie")
# The handlers' parameter names that hold a whole schema: not the caller's business.
_CONTAINERS = ("payload", "params")


def _field_name(loc) -> str:
    # ninja's locations read ("body", "payload", "subject") or ("query", "status"): keep the field's own name.
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _CONTAINERS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _field_message(error: dict) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": context.get("expected", "")}
    if kind.startswith("int_") or kind == "int_type":
        return _("Give a whole number.")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _("This number is out of range.")
    if kind == "string_too_long":
        return _("This text is too long (%(max)s characters at most).") % {
            "max": context.get("max_length", "")
        }
    if kind.startswith("datetime") or kind.startswith("date_"):
        return _("Give a date and time, e.g. 2026-09-01T08:00:00+01:00.")
    if kind == "string_pattern_mismatch":
        return _("This value does not have the expected form.")
    if kind == "value_error":
        return str(context.get("error") or error.get("msg", ""))
    return error.get("msg", _("This value is not valid."))


def _validation_error(request, exc: ValidationError):
    errors = [(_field_name(error.get("loc", ())), _field_message(error)) for error in exc.errors]
    return problem_response(422, ErrorCode.INVALID, _("Some fields are not valid."), errors=errors)


def _domain_error(request, exc: DomainError):
    errors = [(exc.field, str(exc))] if exc.field else []
    return problem_response(exc.status, exc.code, str(exc), errors=errors)


def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return problem_response(
            400, ErrorCode.MALFORMED_REQUEST, _("The request body could not be read as JSON.")
        )
    if exc.status_code == 405:
        return problem_response(405, ErrorCode.METHOD_NOT_ALLOWED, _("This method is not allowed here."))
    return problem_response(exc.status_code, ErrorCode.HTTP_ERROR, str(exc))


def _rate_limited(request, exc: Throttled):
    # ninja adds the Retry-After header, rounded up as here, to the response this returns.
    return problem_response(
        429,
        ErrorCode.RATE_LIMITED,
        _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": math.ceil(exc.wait or 1)},
    )


def install(api) -> None:
    """Make every error of `api` a problem document."""
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(AuthenticationError, _unauthenticated)
    api.add_exception_handler(
        InvalidCredentials,
        lambda request, exc: _unauthenticated(request, exc, code=ErrorCode.INVALID_TOKEN, detail=exc.message),
    )
    api.add_exception_handler(
        CsrfFailed,
        lambda request, exc: problem_response(
            403,
            ErrorCode.CSRF_FAILED,
            _("The CSRF token is missing or wrong: reload the page and try again."),
        ),
    )
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Throttled, _rate_limited)
