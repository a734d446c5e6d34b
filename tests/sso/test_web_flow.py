"""Signing in to Musanada through a real OpenID Connect provider, page by page as a browser follows the
redirects (Django's test client on our side, HTTP on the provider's)."""

from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from musanada.org.models import Membership, Role
from musanada.sso.models import OidcIdentity
from tests.oidc.server import sign_in_at_provider

MASSAR_BUTTON = "Sign in with Massar"


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def start(client, sso, next_url=None):
    response = client.get(reverse("sso-login"), {"next": next_url} if next_url else {})
    assert response.status_code == 302 and response.url.startswith(sso.issuer + "/auth?")
    return response.url


def test_a_new_person_signs_in_with_the_provider_and_lands_in_their_school(client, sso):
    authorization = start(client, sso, next_url=reverse("ticket-new"))
    asked = parse_qs(urlsplit(authorization).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["state"][0] and asked["nonce"][0]

    back = sign_in_at_provider(authorization, "amina.new")
    response = client.get(back)

    assert response.status_code == 302 and response.url == reverse("ticket-new")
    user = signed_in_user(client)
    assert (user.first_name, user.last_name, user.email) == ("Amina", "Alaoui", "amina.alaoui@taalim.ma")
    assert OidcIdentity.objects.filter(user=user, issuer=sso.issuer, subject="amina.new").exists()
    membership = Membership.objects.get(user=user)
    assert (membership.unit.code, membership.role) == ("01002B", Role.STAFF)
    assert client.get(reverse("ticket-new")).status_code == 200


def test_the_sign_in_page_offers_massar_only_when_single_sign_on_is_configured(client, settings, sso):
    with translation.override("en"):
        page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert MASSAR_BUTTON in page and 'name="password"' in page

        settings.OIDC = {**settings.OIDC, "ISSUER": ""}
        page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert MASSAR_BUTTON not in page and 'name="password"' in page
        assert client.get(reverse("sso-login")).status_code == 404


def test_with_local_passwords_off_the_form_is_gone_and_a_right_password_is_refused(client, settings, sso):
    settings.MUSANADA_LOCAL_PASSWORDS = False

    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post(reverse("login"), {"username": "teacher", "password": "demo-password-2026"})

    assert MASSAR_BUTTON in page and 'name="password"' not in page
    assert response.status_code == 403 and signed_in_user(client) is None
    assert not client.login(username="teacher", password="demo-password-2026")
    admin_login = client.post(reverse("admin:login"), {"username": "admin", "password": "demo-password-2026"})
    assert admin_login.status_code in (200, 403) and signed_in_user(client) is None


def test_a_forged_state_is_refused_and_signs_nobody_in(client, sso, caplog):
    authorization = start(client, sso)
    back = sign_in_at_provider(authorization, "amina.new")
    query = parse_qs(urlsplit(back).query)
    forged = f"{reverse('sso-callback')}?code={query['code'][0]}&state=forged-state&iss={sso.issuer}"

    response = client.get(forged)

    assert response.status_code == 400 and signed_in_user(client) is None
    assert "mismatching_state" in caplog.text
    assert not OidcIdentity.objects.exists()


def test_an_id_token_minted_for_another_nonce_is_refused(client, sso, caplog):
    authorization = start(client, sso)
    state = parse_qs(urlsplit(authorization).query)["state"][0]
    # What a replayed ID token looks like from our side: the nonce it carries is not the one this browser's
    # sign-in asked for.
    session = client.session
    session[f"_state_oidc_{state}"]["data"]["nonce"] = "a-nonce-from-another-sign-in"
    session.save()

    response = client.get(sign_in_at_provider(authorization, "amina.new"))

    assert response.status_code == 400 and signed_in_user(client) is None
    assert "'nonce'" in caplog.text
    assert not OidcIdentity.objects.exists()


def test_an_answer_naming_another_issuer_is_refused(client, sso):
    authorization = start(client, sso)
    back = sign_in_at_provider(authorization, "amina.new").replace(
        "iss=", "iss=https%3A%2F%2Fevil.example&x="
    )

    response = client.get(back)

    assert response.status_code == 400 and signed_in_user(client) is None


def test_signing_out_ends_the_session_here_and_at_the_provider(client, sso):
    client.get(sign_in_at_provider(start(client, sso), "amina.new"))
    id_token = client.session["sso_id_token"]

    response = client.post(reverse("sso-logout"))

    assert signed_in_user(client) is None
    assert response.status_code == 302
    target = urlsplit(response.url)
    assert f"{target.scheme}://{target.netloc}{target.path}" == sso.metadata()["end_session_endpoint"]
    params = parse_qs(target.query)
    assert params["id_token_hint"] == [id_token]
    assert params["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]


def test_signing_out_after_a_password_sign_in_stays_local(client, people, sso):
    client.force_login(people["teacher"])

    response = client.post(reverse("sso-logout"))

    assert response.status_code == 302 and response.url == reverse("login")
    assert signed_in_user(client) is None
