"""Personal API tokens: made and revoked on the tokens page, or issued on the command line."""

import io

import pytest
from django.core.management import CommandError, call_command

from musanada.api.models import ApiToken, token_digest
from musanada.api.services import token_create
from tests.api.conftest import ApiClient


def test_a_user_creates_a_token_shown_once_then_revokes_it(client, people):
    client.force_login(people["province"])
    page = client.get("/")
    assert 'href="/account/tokens/"' in page.content.decode()

    created = client.post("/account/tokens/", {"name": "Tableau de bord"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    value = created.context["created"]
    assert value.startswith("msn_") and value in created.content.decode()
    token = ApiToken.objects.get(user=people["province"])
    # Only its hash is kept.
    assert token.digest == token_digest(value) and value not in (token.prefix, token.digest)
    assert ApiClient(value).get("/me").json()["username"] == "province"

    listed = client.get("/account/tokens/").content.decode()
    assert "Tableau de bord" in listed and token.prefix in listed and value not in listed
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    revoked = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    assert ApiClient(value).get("/me").status_code == 401


def test_a_token_needs_a_name_and_one_user_cannot_revoke_anothers(client, people):
    client.force_login(people["teacher"])
    assert client.post("/account/tokens/", {"name": ""}).status_code == 400
    assert not ApiToken.objects.exists()
    other = ApiToken.objects.create(user=people["head"], name="x", prefix="msn_abc", digest="0" * 64)
    assert client.post(f"/account/tokens/{other.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


def test_the_tokens_page_needs_a_signed_in_user(client):
    assert client.get("/account/tokens/").status_code == 302


def test_an_administrator_issues_a_token_on_the_command_line(people):
    out, err = io.StringIO(), io.StringIO()
    call_command("create-token", "region", "--name", "Massar", stdout=out, stderr=err)
    value = out.getvalue().strip()
    assert ApiClient(value).get("/me").json()["username"] == "region"
    assert ApiToken.objects.get(user=people["region"]).name == "Massar"
    assert "not be shown again" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("create-token", "nobody", stdout=io.StringIO())


def test_an_administrator_revokes_a_token_in_the_admin(client, people):
    token, value = token_create(people["teacher"], name="script")
    client.force_login(people["admin"])
    listed = client.get("/admin/api/apitoken/")
    assert listed.status_code == 200 and token.prefix in listed.content.decode()
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiClient(value).get("/me").status_code == 401
