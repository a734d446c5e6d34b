"""Signing in as a browser without JavaScript does it: wrong passwords, lockout, password change and reset.

Expected texts are taken through gettext in the page's (or the mail's) language, so that these tests hold
before and after the translations are filled in.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, gettext_lazy

from musanada.jobs.runner import run_due_jobs
from musanada.web.auth import lockout_message

PASSWORD = "a-known-password-2026"
NEW_PASSWORD = "another-good-password-2027"


@pytest.fixture
def teacher(people):
    user = people["teacher"]
    user.set_password(PASSWORD)
    user.email = "teacher@example.ma"
    user.save(update_fields=["password", "email"])
    return user


def shown(text_or_callable, language="ar", **params) -> str:
    """A message as the page shows it: translated into the page's language, then HTML-escaped."""
    with translation.override(language):
        text = text_or_callable() if callable(text_or_callable) else str(text_or_callable)
        return escape(text % params if params else text)


def wrong_password_message(language="ar") -> str:
    username = get_user_model()._meta.get_field("username").verbose_name
    return shown(AuthenticationForm.error_messages["invalid_login"], language, username=username)


def sign_in(client, username, password, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def fail(client, username, times, url=None):
    for _attempt in range(times):
        response = sign_in(client, username, "not-the-password", url)
    return response


def ask_reset(client, email, **headers):
    """Ask for a reset link on the page, then run the jobs as the worker does: the mail is sent by a job."""
    response = client.post(reverse("password-reset"), {"email": email}, **headers)
    run_due_jobs()
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# Wrong password and lockout ----------------------------------------------------------------------------


def test_a_wrong_password_says_so_and_does_not_mention_a_lock(client, teacher):
    response = fail(client, "teacher", 1)

    assert response.status_code == 200
    page = response.content.decode()
    assert wrong_password_message() in page
    assert shown(lockout_message) not in page
    assert not signed_in(client)


def test_five_failures_lock_the_account_even_against_the_right_password(client, teacher):
    assert wrong_password_message() in fail(client, "teacher", 4).content.decode()

    fifth = fail(client, "teacher", 1)
    assert fifth.status_code == 429
    assert shown(lockout_message) in fifth.content.decode()

    response = sign_in(client, "teacher", PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert shown(lockout_message) in page
    assert 'role="alert"' in page and '<form method="post"' in page
    assert not signed_in(client)


def test_the_lockout_message_names_the_configured_duration(client, teacher, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)

    response = fail(client, "teacher", 5)

    with translation.override("ar"):
        assert "30" in lockout_message()
    assert shown(lockout_message) in response.content.decode()


def test_the_lock_holds_for_the_whole_period_then_lifts(client, teacher, clock):
    fail(client, "teacher", 5)
    clock.advance(minutes=14)
    assert sign_in(client, "teacher", PASSWORD).status_code == 429
    assert not signed_in(client)

    # Attempts during the lock do not extend it: the period runs from the fifth failure.
    clock.advance(minutes=1, seconds=1)
    response = sign_in(client, "teacher", PASSWORD)

    assert response.status_code == 302 and response.url == reverse("home")
    assert signed_in(client)


def test_a_successful_sign_in_resets_the_failure_count(client, teacher):
    fail(client, "teacher", 4)
    assert sign_in(client, "teacher", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    response = fail(client, "teacher", 4)
    assert wrong_password_message() in response.content.decode()

    assert sign_in(client, "teacher", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_locked_account_does_not_lock_others_signing_in_from_the_same_place(client, teacher, people):
    people["head"].set_password(PASSWORD)
    people["head"].save(update_fields=["password"])
    fail(client, "teacher", 5)

    response = sign_in(client, "head", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_admin_sign_in_is_locked_the_same_way(client, people):
    admin = people["admin"]
    admin.set_password(PASSWORD)
    admin.save(update_fields=["password"])
    url = reverse("admin:login")

    fail(client, "admin", 5, url)
    response = sign_in(client, "admin", PASSWORD, url)

    assert response.status_code == 429
    assert shown(lockout_message) in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_lock_holds_for_the_username_from_that_address_only(client, teacher):
    fail(client, "teacher", 5)
    assert sign_in(client, "teacher", PASSWORD).status_code == 429

    # Someone who knows the username cannot lock its owner out from elsewhere.
    elsewhere = client.post(
        reverse("login"), {"username": "teacher", "password": PASSWORD}, REMOTE_ADDR="10.20.30.40"
    )
    assert elsewhere.status_code == 302 and signed_in(client)


def test_the_unlock_command_lifts_a_lock(client, teacher):
    from django.core.management import call_command

    fail(client, "teacher", 5)
    call_command("axes_reset_username", "teacher")

    assert sign_in(client, "teacher", PASSWORD).status_code == 302


def test_the_sign_in_page_links_to_the_password_reset(client):
    assert f'href="{reverse("password-reset")}"' in client.get(reverse("login")).content.decode()


# Password change ---------------------------------------------------------------------------------------


def test_the_header_offers_a_password_change_to_signed_in_users_only(client, teacher):
    link = f'href="{reverse("password-change")}"'
    assert link not in client.get(reverse("login")).content.decode()

    client.force_login(teacher)

    assert link in client.get(reverse("home")).content.decode()


def test_password_change_needs_a_signed_in_user(client):
    response = client.get(reverse("password-change"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_password_change_refuses_a_wrong_current_password_beside_the_field(client, teacher):
    client.force_login(teacher)

    response = client.post(
        reverse("password-change"),
        {"old_password": "not-the-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(r'<ul class="errorlist" id="id_old_password_error">(.*?)</ul>', page, re.S)
    assert error and shown(PasswordChangeForm.error_messages["password_incorrect"]) in error.group(1)
    assert '<label for="id_old_password"' in page
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


def test_password_change_with_the_current_password_keeps_the_user_signed_in(client, teacher):
    client.force_login(teacher)

    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302 and response.url == reverse("password-change-done")
    assert client.get(response.url).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    client.post(reverse("logout"))
    assert sign_in(client, "teacher", NEW_PASSWORD).status_code == 302


# Password reset by e-mail ------------------------------------------------------------------------------


def reset_link(message) -> str:
    match = re.search(r"http://testserver(/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def choose_new_password(client, link):
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    return client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


@pytest.mark.parametrize(
    ("language", "page_language"),
    # The page the request is made from is in another language than the account's.
    [("fr", "ar"), ("ar", "fr")],
)
def test_the_reset_mail_is_written_in_the_recipients_language(client, teacher, language, page_language):
    teacher.language = language
    teacher.save(update_fields=["language"])

    response = ask_reset(client, "teacher@example.ma", HTTP_ACCEPT_LANGUAGE=page_language)

    assert response.status_code == 302 and response.url == reverse("password-reset-sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["teacher@example.ma"]
    assert message.extra_headers["Content-Language"] == language
    with translation.override(language):
        subject = gettext("Password reset on %(site_name)s") % {"site_name": gettext("Musanada")}
        invitation = gettext("Please go to the following page and choose a new password:")
    assert message.subject == subject
    assert invitation in message.body
    assert "teacher" in message.body


def test_french_and_arabic_reset_mails_differ(client, teacher, people):
    people["head"].email = "head@example.ma"
    people["head"].language = "ar"
    people["head"].save(update_fields=["email", "language"])
    teacher.language = "fr"
    teacher.save(update_fields=["language"])

    ask_reset(client, "teacher@example.ma")
    ask_reset(client, "head@example.ma")

    french, arabic = mail.outbox
    assert french.subject != arabic.subject
    assert re.search(r"[\u0600-\u06FF]", arabic.subject)
    assert not re.search(r"[\u0600-\u06FF]", french.subject)


def test_the_reset_link_sets_a_new_password_that_signs_in(client, teacher):
    ask_reset(client, "teacher@example.ma")
    link = reset_link(mail.outbox[0])

    response = choose_new_password(client, link)

    assert response.status_code == 302 and response.url == reverse("password-reset-complete")
    assert client.get(response.url).status_code == 200
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    response = sign_in(client, "teacher", NEW_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")


def test_a_reset_link_works_only_once(client, teacher):
    ask_reset(client, "teacher@example.ma")
    link = reset_link(mail.outbox[0])
    choose_new_password(client, link)

    response = client.get(link, follow=True)

    page = response.content.decode()
    used = gettext_lazy("The password reset link has already been used or has expired. Ask for a new one.")
    assert shown(used) in page
    assert 'name="new_password1"' not in page


def test_a_password_reset_lifts_a_lockout(client, teacher):
    fail(client, "teacher", 5)
    ask_reset(client, "teacher@example.ma")

    choose_new_password(client, reset_link(mail.outbox[0]))

    assert sign_in(client, "teacher", NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, teacher):
    known = ask_reset(client, "teacher@example.ma")
    mail.outbox.clear()

    unknown = ask_reset(client, "nobody@example.ma")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert mail.outbox == []
    sent_page = client.get(unknown.url).content.decode()
    assert shown(gettext_lazy("Check your e-mail")) in sent_page
