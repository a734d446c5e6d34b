"""Access tokens of the ministry's provider as API credentials: a real token from the provider is accepted;
an expired one, one meant for another system, and an ID token are refused."""

import pytest

from musanada.sso.bearer import authenticate_bearer
from musanada.sso.services import ClaimNames, account_from_claims
from tests.oidc.server import ACCOUNTS, OTHER_AUDIENCE, access_token, tokens
from tests.sso.conftest import CALLBACK


@pytest.fixture
def amina(sso):
    """Amina has signed in to Musanada with the provider once: her subject is linked to her account."""
    claims = {"sub": "amina.new", **ACCOUNTS["amina.new"]}
    return account_from_claims(sso.issuer, claims, ClaimNames(unit="massar_unit", role="massar_role")).user


def test_an_access_token_from_the_provider_stands_for_its_user(sso, amina):
    token = access_token(sso, "amina.new", CALLBACK)

    assert authenticate_bearer(token) == amina


def test_the_api_answers_a_caller_with_a_provider_token_as_that_user(client, sso, amina):
    token = access_token(sso, "amina.new", CALLBACK)

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == amina.username and body["authenticated_by"] == "bearer"
    assert [(m["unit"], m["role"]) for m in body["memberships"]] == [("01002B", "staff")]


def test_an_expired_access_token_is_refused(client, sso, amina, clock):
    token = access_token(sso, "amina.new", CALLBACK)
    clock.advance(hours=2)

    assert authenticate_bearer(token) is None
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401


def test_an_access_token_meant_for_another_system_is_refused(client, sso, amina):
    token = access_token(sso, "amina.new", CALLBACK, resource=OTHER_AUDIENCE)

    assert authenticate_bearer(token) is None
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_valid_token_of_someone_who_never_signed_in_here_is_refused(sso, db):
    token = access_token(sso, "amina.new", CALLBACK)

    assert authenticate_bearer(token) is None


def test_a_token_signed_by_someone_else_is_refused(sso, amina):
    header, payload, signature = access_token(sso, "amina.new", CALLBACK).split(".")
    forged = ".".join([header, payload, signature[::-1]])

    assert authenticate_bearer(forged) is None


def test_an_id_token_is_not_accepted_as_an_access_token(sso, amina, settings):
    # Even where the API's audience is the client id, the audience of every ID token.
    settings.OIDC = {**settings.OIDC, "API_AUDIENCE": sso.client_id}
    id_token = tokens(sso, "amina.new", CALLBACK)["id_token"]

    assert authenticate_bearer(id_token) is None
