"""What a determined insider or outsider tried, each as a test (issue 12; docs/operations.md, "Security"):
accounts, tokens, rating, parameters, exports, headers, sessions and search. The isolation of tickets is
tests/test_policy_matrix.py; the pages under the Content-Security-Policy, tests/browser/test_csp.py."""

import csv
import io

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from musanada.api.models import ApiToken, RevokedBecause, TokenEvent, TokenEventKind
from musanada.api.services import token_create
from musanada.core.errors import IllegalTransition
from musanada.jobs.runner import run_due_jobs
from musanada.org.models import OrgUnit
from musanada.tickets import services
from musanada.web.auth import address_throttled_message
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD
from tests.helpers import file_request

API = "/api/v1"


def _sign_in(client, username, password=PASSWORD, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# Password reset ---------------------------------------------------------------------------------------------


def test_a_reset_request_sends_nothing_while_answering_and_answers_the_same_for_any_address(client, people):
    known = client.post(reverse("password-reset"), {"email": people["teacher"].email})
    unknown = client.post(reverse("password-reset"), {"email": "nobody@example.ma"})
    # The answer is given before any mail is written, whichever the address: its time tells nothing.
    assert mail.outbox == []
    assert (
        (known.status_code, known.url)
        == (unknown.status_code, unknown.url)
        == (302, reverse("password-reset-sent"))
    )
    run_due_jobs()
    assert [message.to for message in mail.outbox] == [[people["teacher"].email]]


def test_reset_requests_are_limited_per_account_silently_and_per_client_address_openly(
    client, people, settings
):
    settings.MUSANADA_RESETS_PER_ACCOUNT, settings.MUSANADA_RESETS_PER_ADDRESS = 2, 4
    for _ in range(3):
        assert client.post(reverse("password-reset"), {"email": people["teacher"].email}).status_code == 302
    run_due_jobs()
    assert len(mail.outbox) == 2, "the third request for the account answered the same and sent nothing"
    assert client.post(reverse("password-reset"), {"email": "x@example.ma"}).status_code == 302
    refused = client.post(reverse("password-reset"), {"email": "y@example.ma"})
    assert refused.status_code == 429
    with translation.override("ar"):
        assert translation.gettext("Too many reset requests from your network: try again in an hour.") in (
            refused.content.decode()
        )
    # Another network is not affected.
    other = client.post(reverse("password-reset"), {"email": "y@example.ma"}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302


# Sign-in ----------------------------------------------------------------------------------------------------


def test_one_address_failing_across_usernames_is_refused_for_the_window_even_with_a_right_password(
    client, people, settings
):
    settings.MUSANADA_SIGNIN_FAILURES_PER_ADDRESS = 6
    for username in ("teacher", "head", "province", "region", "central", "observer"):
        assert _sign_in(client, username, "not-the-password").status_code == 200
    refused = _sign_in(client, "supervisor")
    assert refused.status_code == 429 and not _signed_in(client)
    assert address_throttled_message() in refused.content.decode()
    # A colleague on another connection signs in.
    assert _sign_in(Client(), "supervisor", address="10.1.1.1").status_code == 302


# Sessions -------------------------------------------------------------------------------------------------


def test_a_session_lasts_a_working_day_from_sign_in_and_ends_after_an_idle_spell(
    client, people, clock, settings
):
    assert _sign_in(client, "teacher").status_code == 302
    assert client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE == 10 * 3600
    clock.advance(minutes=settings.MUSANADA_SESSION_IDLE_MINUTES - 5)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=settings.MUSANADA_SESSION_IDLE_MINUTES + 1)
    assert client.get(reverse("home")).status_code == 302 and not _signed_in(client)


def test_a_session_ends_after_its_working_day_however_active(client, people, clock, settings):
    assert _sign_in(client, "teacher").status_code == 302
    for _hour in range(10):
        clock.advance(minutes=59)
        assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=20)
    assert client.get(reverse("home")).status_code == 302


# Tokens ---------------------------------------------------------------------------------------------------


def _token_works(value) -> bool:
    return ApiClient(value).get("/tickets").status_code == 200


def test_a_password_change_revokes_the_tokens_and_their_owner_sees_why(client, people):
    teacher = people["teacher"]
    teacher.set_password(PASSWORD)
    teacher.save()
    _token, value = token_create(teacher, name="script")
    assert _token_works(value)
    assert _sign_in(client, "teacher").status_code == 302
    client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": "a-new-pass-2027!", "new_password2": "a-new-pass-2027!"},
    )
    assert not _token_works(value)
    token = ApiToken.objects.get(user=teacher)
    assert token.revoked_because == RevokedBecause.PASSWORD_CHANGED
    page = client.get(reverse("api-tokens")).content.decode()
    with translation.override("ar"):
        assert str(RevokedBecause.PASSWORD_CHANGED.label) in page


def test_signing_out_everywhere_ends_the_sessions_and_revokes_the_tokens(client, people):
    from musanada.org.services import user_sign_out_everywhere

    _token, value = token_create(people["head"], name="script")
    client.force_login(people["head"])
    assert client.get(reverse("home")).status_code == 200
    user_sign_out_everywhere(people["head"])
    assert client.get(reverse("home")).status_code == 302
    assert not _token_works(value)
    assert ApiToken.objects.get(user=people["head"]).revoked_because == RevokedBecause.SIGNED_OUT_EVERYWHERE


def test_an_administrator_signs_a_user_out_everywhere_from_the_admin(client, people):
    _token, value = token_create(people["head"], name="script")
    client.force_login(people["admin"])
    response = client.post(
        reverse("admin:org_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [people["head"].pk]},
    )
    assert response.status_code == 302
    assert not _token_works(value)


def test_live_tokens_per_user_are_capped(people, settings):
    settings.MUSANADA_TOKENS_PER_USER = 2
    token_create(people["teacher"], name="one")
    token_create(people["teacher"], name="two")
    from musanada.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        token_create(people["teacher"], name="three")
    assert refused.value.code == "too_many_tokens"


def test_requests_with_bad_tokens_are_throttled_per_client_address(people, settings):
    settings.MUSANADA_BAD_TOKENS_PER_ADDRESS = 3
    guesser = ApiClient("msn_guessed-token")
    assert [guesser.get("/tickets").status_code for _ in range(3)] == [401, 401, 401]
    assert guesser.get("/tickets").status_code == 429
    # Even a good token from that address waits: the address is guessing. Another address is served.
    _token, value = token_create(people["teacher"], name="script")
    assert ApiClient(value).get("/tickets").status_code == 429
    elsewhere = Client().get(
        API + "/tickets", headers={"Authorization": f"Bearer {value}"}, REMOTE_ADDR="10.3.3.3"
    )
    assert elsewhere.status_code == 200


def test_token_creation_use_and_revocation_are_in_the_audit_log(client, people):
    client.force_login(people["teacher"])
    client.post(reverse("api-tokens"), {"name": "script"})
    token = ApiToken.objects.get(user=people["teacher"])
    logged = TokenEvent.objects.filter(token=token)
    assert list(logged.values_list("kind", "address")) == [(TokenEventKind.CREATED, "127.0.0.1")]
    client.post(reverse("api-token-revoke", args=[token.pk]))
    assert set(logged.values_list("kind", flat=True)) == {TokenEventKind.CREATED, TokenEventKind.REVOKED}


def test_a_token_used_from_a_new_address_is_logged_at_once(people):
    _token, value = token_create(people["teacher"], name="script")
    client = Client()
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        client.get(API + "/tickets", headers={"Authorization": f"Bearer {value}"}, REMOTE_ADDR=address)
    used = TokenEvent.objects.filter(kind=TokenEventKind.USED).order_by("at", "id")
    assert list(used.values_list("address", flat=True)) == ["10.0.0.1", "10.0.0.2"]


# Rating ---------------------------------------------------------------------------------------------------


def test_a_desk_agent_cannot_rate_a_request_their_own_desk_resolved(people, units):
    # The province's agent files for the directorate itself: the request lands on their own desk.
    own = file_request(people["province"], units["MA-01-01"])
    assert own.desk == units["MA-01-01"]
    services.ticket_resolve(people["province"], own, resolution="Fait.")
    with pytest.raises(IllegalTransition) as refused:
        services.ticket_rate(people["province"], own, score=5)
    assert refused.value.code == "own_desk_rating"
    # A teacher rates what the school resolved.
    ticket = file_request(people["teacher"])
    services.ticket_resolve(people["head"], ticket, resolution="Fait.")
    services.ticket_rate(people["teacher"], ticket, score=4)


# Parameters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["0001-01-01", "9999-12-31", "1999-12-31"])
@pytest.mark.parametrize("name", ["dashboard", "csv", "xlsx"])
def test_dates_out_of_range_get_a_clear_400_on_pages_and_exports(client, people, end, name):
    client.force_login(people["supervisor"])
    url = reverse("dashboard") if name == "dashboard" else reverse("dashboard-export", args=["MA-01", name])
    response = client.get(url, {"end": end})
    assert response.status_code == 400
    with translation.override("ar"):
        assert "2000" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/reports/unit/MA%0001/", "/?unit=MA%0001", "/?q=a%00b", "/api/v1/tickets?desk=MEN%00"],
)
def test_a_nul_character_anywhere_in_a_request_is_refused_with_400(client, people, url):
    client.force_login(people["supervisor"])
    assert client.get(url).status_code == 400


def test_a_ticket_export_with_a_filter_it_cannot_read_is_refused(client, people):
    client.force_login(people["supervisor"])
    assert client.get(reverse("tickets-export", args=["csv"]), {"age": "x"}).status_code == 400


# Exports ----------------------------------------------------------------------------------------------------


def test_every_csv_cell_is_quoted_and_safe_from_formulas_the_header_included(client, people):
    academy = OrgUnit.objects.get(code="MA-01")
    academy.name_fr = academy.name_ar = '=HYPERLINK("http://x";"y")'
    academy.save()
    client.force_login(people["supervisor"])
    body = b"".join(client.get(reverse("dashboard-export", args=["MA-01", "csv"])).streaming_content)
    text = body.decode("utf-8").lstrip("\ufeff")
    first = text.splitlines()[0]
    assert first == '"MA-01","\'=HYPERLINK(""http://x"";""y"")"'
    # Every line's cells are quoted: a spreadsheet splitting on ";" keeps each one whole.
    rows = list(csv.reader(io.StringIO(text)))
    assert all(line.startswith('"') for line in text.splitlines() if line)
    assert rows[0][1].startswith("'=")


# Headers ----------------------------------------------------------------------------------------------------


def test_every_page_carries_a_strict_policy_and_signed_in_pages_are_never_kept(client, people):
    ticket = file_request(people["teacher"])
    anonymous = client.get(reverse("login"))
    assert "script-src 'self'" in anonymous["Content-Security-Policy"]
    assert "'unsafe-inline'" not in anonymous["Content-Security-Policy"]
    assert "camera=()" in anonymous["Permissions-Policy"]
    client.force_login(people["supervisor"])
    for url in (
        reverse("ticket-detail", args=[ticket.reference]),
        reverse("home"),
        reverse("tickets-export", args=["csv"]),
        reverse("dashboard-export", args=["MA-01", "xlsx"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_the_language_cookie_is_secure_and_not_for_scripts(client, people, settings):
    assert settings.LANGUAGE_COOKIE_SECURE and settings.LANGUAGE_COOKIE_HTTPONLY
    response = client.post(reverse("set-language"), {"language": "fr", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"]


# Search ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["%", "\\", "*", "\u0640", "\u064e", "%%"])
def test_a_search_with_nothing_to_look_for_finds_nothing_and_says_so(client, people, query):
    file_request(people["teacher"])
    client.force_login(people["supervisor"])
    response = client.get(reverse("home"), {"tab": "all", "q": query})
    assert list(response.context["tickets"]) == []
    with translation.override("ar"):
        notice = translation.gettext(
            "The search holds no letter or digit to look for: type a word or a reference."
        )
    assert notice in response.content.decode()


def test_like_wildcards_in_a_search_are_never_patterns(client, people):
    file_request(people["teacher"], subject="Taux 50%x bloqué")
    underscore = file_request(people["teacher"], subject="Fichier note_3 refusé")
    file_request(people["teacher"], subject="Fichier noteA3 refusé")
    client.force_login(people["supervisor"])

    def found(query):
        return {
            t.reference for t in client.get(reverse("home"), {"tab": "all", "q": query}).context["tickets"]
        }

    # They separate words, as any punctuation does: "n_te" is the words "n" and "te", which nothing holds,
    # where a LIKE pattern would have found "note_3" and "noteA3" (and "0%x" "50%x"); "note_3" is "note", "3".
    assert found("n_te") == found("0%x") == found("%") == set()
    assert found("note_3") == {underscore.reference}


def test_behind_the_proxy_each_client_is_counted_by_its_forwarded_address(client, people, settings):
    # As BEHIND_TLS_PROXY=on sets it: one proxy in front, which adds the client's address last.
    settings.MUSANADA_PROXY_COUNT = 1
    settings.MUSANADA_SIGNIN_FAILURES_PER_ADDRESS = 2
    proxy = "10.0.0.1"
    for username in ("head", "province"):
        client.post(
            reverse("login"),
            {"username": username, "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="41.250.1.1",
        )
    through_same_proxy = Client().post(
        reverse("login"),
        {"username": "supervisor", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="41.250.2.2",
    )
    assert through_same_proxy.status_code == 302
    refused = client.post(
        reverse("login"),
        {"username": "supervisor", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="41.250.1.1",
    )
    assert refused.status_code == 429
