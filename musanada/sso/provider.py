"""The ministry's OpenID Connect provider as configured (settings.OIDC), discovered from its issuer."""

from dataclasses import dataclass
from threading import Lock

from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings

# Timeouts on every call to the provider: a slow provider must not hold a worker for long.
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    claim_unit: str
    claim_role: str
    claim_massar_id: str
    api_audience: str

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def oidc_settings() -> OidcSettings | None:
    """The provider's settings, or None when single sign-on is not configured."""
    conf = getattr(settings, "OIDC", {}) or {}
    if not conf.get("ISSUER"):
        return None
    return OidcSettings(
        issuer=conf["ISSUER"],
        client_id=conf["CLIENT_ID"],
        client_secret=conf["CLIENT_SECRET"],
        scopes=conf.get("SCOPES") or "openid email profile",
        claim_unit=conf.get("CLAIM_UNIT") or "",
        claim_role=conf.get("CLAIM_ROLE") or "",
        claim_massar_id=conf.get("CLAIM_MASSAR_ID") or "",
        api_audience=conf.get("API_AUDIENCE") or conf["CLIENT_ID"],
    )


def is_enabled() -> bool:
    return oidc_settings() is not None


def local_passwords_allowed() -> bool:
    return getattr(settings, "MUSANADA_LOCAL_PASSWORDS", True) or not is_enabled()


_clients: dict[OidcSettings, DjangoOAuth2App] = {}
_lock = Lock()


def oidc_client(conf: OidcSettings) -> DjangoOAuth2App:
    """Authlib's client for the provider: one per configuration, so that the discovery document and the
    signing keys it fetches are kept between requests (and refetched when a new key id appears)."""
    with _lock:
        client = _clients.get(conf)
        if client is None:
            client = DjangoOAuth2App(
                DjangoIntegration("oidc"),
                name="oidc",
                client_id=conf.client_id,
                client_secret=conf.client_secret,
                server_metadata_url=conf.discovery_url,
                client_kwargs={
                    "scope": conf.scopes,
                    "code_challenge_method": "S256",
                    "default_timeout": TIMEOUT_SECONDS,
                },
            )
            _clients[conf] = client
        return client


class ProviderMisconfigured(Exception):
    pass


def provider_metadata(conf: OidcSettings) -> dict:
    """The discovery document, which must name the configured issuer (OpenID Connect Discovery, 4.3):
    otherwise tokens would be checked against an issuer the ministry did not choose."""
    metadata = oidc_client(conf).load_server_metadata()
    if metadata.get("issuer") != conf.issuer:
        raise ProviderMisconfigured(
            f"The provider at {conf.discovery_url} names issuer {metadata.get('issuer')!r}, "
            f"not {conf.issuer!r}."
        )
    return metadata
