"""The signed-in person's own settings, signing in, and passwords."""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from musanada.org.services import user_set_language
from musanada.sso.provider import is_enabled as sso_enabled
from musanada.sso.provider import local_passwords_allowed
from musanada.web.auth import LOCKED, LocalizedPasswordResetForm, ResetRefused, SignInForm

CHOSEN_LANGUAGE = "musanada_chosen_language"

# Language --------------------------------------------------------------------------------------------


@require_POST
def set_language(request):
    """Django's set_language, and the choice kept on the account so that it follows the user."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    if language not in dict(settings.LANGUAGES):
        return response
    user = request.user
    if not user.is_authenticated:
        # Chosen on the sign-in page: the account takes it when they sign in.
        request.session[CHOSEN_LANGUAGE] = language
    else:
        user_set_language(user, language)
    return response


# Signing in and passwords -----------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sso_enabled=sso_enabled(), local_passwords=local_passwords_allowed(), **kwargs
        )

    def post(self, request, *args, **kwargs):
        if not local_passwords_allowed():
            form = self.get_form()
            form.add_error(None, _("Passwords are switched off here: sign in with Massar."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 403
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, LOCKED):
            # Locked (axes) or refused for the address (too many failures from it): say so with the status.
            response.status_code = settings.AXES_HTTP_RESPONSE_CODE
        return response

    def form_valid(self, form):
        chosen = self.request.session.pop(CHOSEN_LANGUAGE, None)
        response = super().form_valid(form)
        user = form.get_user()
        if chosen:
            user_set_language(user, chosen)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/change_password.html"
    success_url = reverse_lazy("password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/change_password_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail; the answer is the same whether or not the address has an account."""

    form_class = LocalizedPasswordResetForm
    template_name = "registration/reset_password.html"
    email_template_name = "registration/reset_password_email.txt"
    subject_template_name = "registration/reset_password_subject.txt"
    success_url = reverse_lazy("password-reset-sent")

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ResetRefused:
            form.add_error(None, _("Too many reset requests from your network: try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_password_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_password_confirm.html"
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever can read the account's mail owns it: a reset also lifts a lockout.
        axes_reset(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_password_complete.html"
