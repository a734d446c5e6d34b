"""Sign-in hardening: lockout after repeated failures (django-axes) and password reset mail in the
recipient's language."""

import logging

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import ngettext

from musanada.sso.provider import local_passwords_allowed

logger = logging.getLogger(__name__)

LOCKED = "locked"


def lockout_minutes() -> int:
    """How long a locked account stays locked, in whole minutes (MUSANADA_LOCKOUT_MINUTES)."""
    cool_off = get_cool_off()
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_message() -> str:
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed attempts: this account is locked for %(minutes)d minute. "
        "Try again later, or reset your password by e-mail.",
        "Too many failed attempts: this account is locked for %(minutes)d minutes. "
        "Try again later, or reset your password by e-mail.",
        minutes,
    ) % {"minutes": minutes}


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, also applied where `authenticate()` is called without a request.

    The test client's `login()` and scripts authenticate without one; axes would refuse them outright.
    They still meet the per-username lock; only the client's address is unknown.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is not None and not local_passwords_allowed():
            # Single sign-on only (MUSANADA_LOCAL_PASSWORDS=off): no password opens a session, whatever
            # the form that sent it (the admin's included).
            raise PermissionDenied
        return super().authenticate(request or HttpRequest(), username, password, **kwargs)


class LockoutMessageMixin:
    """Say that the account is locked, rather than that the password is wrong, once axes has locked it."""

    def get_invalid_login_error(self):
        if getattr(self.request, "axes_locked_out", False):
            return ValidationError(lockout_message(), code=LOCKED)
        return super().get_invalid_login_error()


class SignInForm(LockoutMessageMixin, AuthenticationForm):
    pass


class StaffSignInForm(LockoutMessageMixin, AdminAuthenticationForm):
    """The admin's sign-in form, with the same lockout message."""


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page the view rendered, whose form already explains the lock.

    Any other caller of `authenticate()` that axes locks out gets the message as plain text.
    """
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    status = settings.AXES_HTTP_RESPONSE_CODE
    if form is not None and form.has_error(NON_FIELD_ERRORS, LOCKED):
        original_response.status_code = status
        return original_response
    return HttpResponse(lockout_message(), status=status, content_type="text/plain; charset=utf-8")


def recipient_language(user) -> str:
    languages = dict(settings.LANGUAGES)
    return user.language if user.language in languages else settings.LANGUAGE_CODE


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mail written in the recipient's language, not the page's."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        language = recipient_language(user)
        context = {**context, "reset_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}
        with translation.override(language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(
            subject, body, from_email, [to_email], headers={"Content-Language": language}
        )
        try:
            message.send()
        except Exception:
            # The page must answer the same whether or not a mail went out: no account enumeration.
            logger.exception("Failed to send password reset email to user %s", user.pk)
