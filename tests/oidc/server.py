"""A real OpenID Connect provider for the tests: tests/oidc/provider.mjs (the npm package oidc-provider) on
Node.js, on a free port of 127.0.0.1, and what a person does on its pages (sign in, consent)."""

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "musanada-test"
CLIENT_SECRET = "a-test-only-client-secret"
SCOPES = "openid email profile massar"
API_AUDIENCE = "urn:musanada:api"
OTHER_AUDIENCE = "urn:another-system:api"
START_SECONDS = 30

# The people the provider knows, by the login typed on its development sign-in page (also their `sub`).
ACCOUNTS = {
    "amina.new": {
        "email": "amina.alaoui@taalim.ma",
        "email_verified": True,
        "given_name": "Amina",
        "family_name": "Alaoui",
        "preferred_username": "amina.alaoui",
        "massar_unit": "01002B",
        "massar_role": "staff",
    },
}


def node_missing() -> str | None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (apt-get install nodejs npm)"
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    major, minor = (int(part) for part in version.lstrip("v").split(".")[:2])
    # oidc-provider 9 and its `jose` are ES modules written for Node.js 20.19 and later.
    if (major, minor) < (20, 19):
        return f"Node.js {version} is too old for oidc-provider 9 (20.19 or later)"
    return None


def require_node() -> None:
    """Skip (fail in CI, where a skip would hide a missing install step) when Node.js is missing."""
    reason = node_missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the OpenID Connect tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"OpenID Connect provider tests skipped: {reason}")


def _install() -> None:
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def settings(self, **overrides) -> dict:
        """settings.OIDC for a Musanada that signs in with this provider."""
        return {
            "ISSUER": self.issuer,
            "CLIENT_ID": self.client_id,
            "CLIENT_SECRET": self.client_secret,
            "SCOPES": SCOPES,
            "CLAIM_UNIT": "massar_unit",
            "CLAIM_ROLE": "massar_role",
            "CLAIM_MASSAR_ID": "",
            "API_AUDIENCE": API_AUDIENCE,
            **overrides,
        }

    def metadata(self) -> dict:
        return requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5).json()


@contextmanager
def running_provider(redirect_uris: list[str], post_logout_redirect_uris: list[str], accounts=None):
    """Start the provider for one Musanada client with these redirect URIs; stop it on exit."""
    require_node()
    _install()
    port = _free_port()
    config = {
        "port": port,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris,
        "accounts": accounts or ACCOUNTS,
        "resources": [API_AUDIENCE, OTHER_AUDIENCE],
    }
    log = (HERE / f"provider-{port}.log").open("w+")
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=HERE,
        env={**os.environ, "MUSANADA_TEST_OIDC": json.dumps(config)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    provider = Provider(issuer=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the OpenID Connect provider stopped at start:\n{log.read()}")
            try:
                if provider.metadata().get("issuer") == provider.issuer:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the OpenID Connect provider did not answer its discovery in time")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


class _Form(HTMLParser):
    """The first form of a page: its action and its hidden fields."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def sign_in_at_provider(authorization_url: str, login: str, http: requests.Session | None = None) -> str:
    """Go through the provider's development pages as a person would (sign in as `login`, any password;
    then consent) and answer the URL it sends the browser back to, with its code and state."""
    http = http or requests.Session()
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    url, response = authorization_url, None
    for _step in range(12):
        response = http.get(url, allow_redirects=False, timeout=10)
        while response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(issuer):
                return url
            response = http.get(url, allow_redirects=False, timeout=10)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        form = _Form()
        form.feed(response.text)
        assert form.action, response.text[:500]
        data = dict(form.fields)
        if data.get("prompt") == "login":
            data.update(login=login, password="any-password")
        response = http.post(urljoin(url, form.action), data=data, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
        if not url.startswith(issuer):
            return url
    raise AssertionError(f"the provider never sent the browser back (last page: {url})")


def tokens(provider: Provider, login: str, redirect_uri: str, resource: str = API_AUDIENCE) -> dict:
    """The token response (a JWT access token for `resource`, an ID token) that a client gets through the
    authorization code flow with PKCE."""
    metadata = provider.metadata()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": resource,
        }
    )
    back = sign_in_at_provider(f"{metadata['authorization_endpoint']}?{query}", login)
    params = dict(part.split("=", 1) for part in urlsplit(back).query.split("&"))
    assert params.get("state") == state, back
    response = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": requests.utils.unquote(params["code"]),
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "resource": resource,
        },
        auth=(provider.client_id, provider.client_secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def access_token(provider: Provider, login: str, redirect_uri: str, resource: str = API_AUDIENCE) -> str:
    return tokens(provider, login, redirect_uri, resource)["access_token"]
