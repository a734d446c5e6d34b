"""Sign-in hardening: lockout after repeated failures (django-axes) per username and address, a throttle per
address across usernames, sessions that end after a working day, and password reset mail sent by a job in the
recipient's language."""

import hashlib
import ipaddress
import logging
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import timezone, translation
from django.utils.translation import ngettext

from musanada.core import throttle
from musanada.jobs.runner import enqueue
from musanada.sso.provider import local_passwords_allowed
from musanada.web.security import SEEN

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


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind MUSANADA_PROXY_COUNT proxies the address the first of
    them wrote into X-Forwarded-For (the right-most ones are the proxies' own, which a client cannot forge).
    None when it is not an IP address. django-axes reads it too (AXES_CLIENT_IP_CALLABLE)."""
    address = request.META.get("REMOTE_ADDR", "")
    count = settings.MUSANADA_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            address = hops[-count]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


SIGNIN_FAILURES = "signin-failures"


def _failure_window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


@receiver(user_login_failed)
def count_failure_by_address(sender, credentials=None, request=None, **kwargs):
    if request is not None:
        throttle.record(SIGNIN_FAILURES, client_address(request), _failure_window())


@receiver(user_logged_in)
def start_session_clock(sender, request=None, user=None, **kwargs):
    """The session lasts SESSION_COOKIE_AGE from the sign-in, however active it is (absolute lifetime)."""
    if request is not None and hasattr(request, "session"):
        request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
        request.session[SEEN] = timezone.now().timestamp()


def address_throttled_message() -> str:
    minutes = max(1, _failure_window() // 60)
    return ngettext(
        "Too many failed sign-ins from your network: try again in %(minutes)d minute.",
        "Too many failed sign-ins from your network: try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockoutMessageMixin:
    """Say that the account is locked, rather than that the password is wrong, once axes has locked it;
    refuse every sign-in from an address that failed too often, before checking any password."""

    def clean(self):
        request = getattr(self, "request", None)
        if request is not None and throttle.exceeded(
            SIGNIN_FAILURES,
            client_address(request),
            settings.MUSANADA_SIGNIN_FAILURES_PER_ADDRESS,
            _failure_window(),
        ):
            raise ValidationError(address_throttled_message(), code=LOCKED)
        return super().clean()

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


RESET_JOB = "accounts.send_password_reset"
RESETS_BY_ACCOUNT = "resets-by-account"
RESETS_BY_ADDRESS = "resets-by-address"
HOUR = 3600


class ResetRefused(Exception):
    """Too many reset requests from the client's address (the page says so: it reveals no account)."""


def reset_requested(request, email: str, **mail) -> None:
    """Queue the reset mail for `email` (sent by the job RESET_JOB, so that the answer takes the same time
    whether or not an account has the address). Past MUSANADA_RESETS_PER_ACCOUNT requests for one address in
    an hour, nothing more is sent, silently; past MUSANADA_RESETS_PER_ADDRESS from one client address,
    ResetRefused is raised."""
    address = client_address(request)
    if throttle.exceeded(RESETS_BY_ADDRESS, address, settings.MUSANADA_RESETS_PER_ADDRESS, HOUR):
        raise ResetRefused
    throttle.record(RESETS_BY_ADDRESS, address, HOUR)
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    if throttle.record(RESETS_BY_ACCOUNT, account, HOUR) > settings.MUSANADA_RESETS_PER_ACCOUNT:
        logger.warning("password reset for a throttled address, from %s: not sent", address)
        return
    enqueue(RESET_JOB, {"email": email, **mail})


def send_password_reset(payload: dict) -> None:
    """The job RESET_JOB: Django's reset mail for every active account of the address (none: nothing)."""
    form = LocalizedPasswordResetForm({"email": payload["email"]})
    if form.is_valid():
        PasswordResetForm.save(
            form,
            domain_override=payload["domain"],
            use_https=payload["use_https"],
            subject_template_name=payload["subject_template_name"],
            email_template_name=payload["email_template_name"],
        )


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mail written in the recipient's language, not the page's, and sent
    by a job (`reset_requested`)."""

    def save(self, domain_override=None, use_https=False, request=None, **kwargs):
        reset_requested(
            request,
            self.cleaned_data["email"],
            domain=domain_override or get_current_site(request).domain,
            use_https=use_https,
            subject_template_name=kwargs["subject_template_name"],
            email_template_name=kwargs["email_template_name"],
        )

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
        # In the job: an SMTP failure raises, and the job is retried.
        message.send()
