"""The ministry's provider, played by a real OpenID Connect provider (tests/oidc/server.py), for the whole
session; each test that asks for `sso` has Musanada configured to sign in with it."""

import pytest

from tests.oidc.server import running_provider

CALLBACK = "http://testserver/sso/callback/"


@pytest.fixture(scope="session")
def oidc_provider():
    with running_provider([CALLBACK], ["http://testserver/login/"]) as provider:
        yield provider


@pytest.fixture
def sso(db, settings, oidc_provider):
    settings.OIDC = oidc_provider.settings()
    return oidc_provider
