"""OpenID Connect access tokens from the ministry's provider, as API credentials.

`authenticate_bearer(token)` answers the user a JWT access token (RFC 9068) stands for: signed by one of the
provider's keys (its JWKS), issued by the configured issuer, meant for us (`aud` contains OIDC_API_AUDIENCE,
the client id by default), not expired, about a subject that has signed in to Musanada once (OidcIdentity).
The API calls it through `api_authenticator`, listed in settings.MUSANADA_API_BEARER_AUTHENTICATORS.
"""

import logging

import requests
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from musanada.sso.models import OidcIdentity
from musanada.sso.provider import (
    OidcSettings,
    ProviderMisconfigured,
    oidc_client,
    oidc_settings,
    provider_metadata,
)

logger = logging.getLogger(__name__)

# Asymmetric signatures only: a token signed with a shared secret (or with none) proves nothing about who
# issued it.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
# RFC 9068, 4: the header type that tells an access token from an ID token, which a client could otherwise
# replay here since both are signed by the same provider.
ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt"}
LEEWAY_SECONDS = 30


class BearerRefused(Exception):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith("msn_")


def _decode(token: str, conf: OidcSettings):
    provider_metadata(conf)
    client = oidc_client(conf)
    try:
        return jwt.decode(token, KeySet.import_key_set(client.fetch_jwk_set()), algorithms=ALGORITHMS)
    except InvalidKeyIdError:
        # The provider rotated its keys since we fetched them.
        return jwt.decode(
            token, KeySet.import_key_set(client.fetch_jwk_set(force=True)), algorithms=ALGORITHMS
        )


def access_token_claims(token: str, conf: OidcSettings) -> dict:
    """The claims of a valid access token of the provider, or BearerRefused saying why not."""
    try:
        decoded = _decode(token, conf)
    except (requests.RequestException, ProviderMisconfigured, ValueError) as error:
        logger.warning("Cannot check a bearer token against %s: %r", conf.issuer, error)
        raise BearerRefused(_("The identity provider cannot be reached to check this token.")) from None
    except JoseError:
        raise BearerRefused(_("The token is not valid, or has been revoked.")) from None
    if str(decoded.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise BearerRefused(_("This is not an access token."))
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(timezone.now().timestamp()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": conf.issuer},
        aud={"essential": True, "value": conf.api_audience},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as error:
        logger.info("Refused a bearer token of %s: %r", conf.issuer, error)
        raise BearerRefused(_("The token is not valid, or has expired.")) from None
    return decoded.claims


def user_for_access_token(token: str, conf: OidcSettings):
    claims = access_token_claims(token, conf)
    identity = (
        OidcIdentity.objects.select_related("user").filter(issuer=conf.issuer, subject=claims["sub"]).first()
    )
    if identity is None:
        raise BearerRefused(_("Sign in to Musanada with Massar once before using the API."))
    if not identity.user.is_active:
        raise BearerRefused(_("This account is deactivated."))
    return identity.user


def authenticate_bearer(token: str):
    """The active user a valid access token of the ministry's provider stands for, else None."""
    conf = oidc_settings()
    if conf is None or not looks_like_jwt(token):
        return None
    try:
        return user_for_access_token(token, conf)
    except BearerRefused:
        return None


def api_authenticator(request, token: str):
    """For MUSANADA_API_BEARER_AUTHENTICATORS: None for tokens that are not JWTs (someone else's kind),
    InvalidCredentials (401 with the reason) for a JWT that is not a valid access token of our provider."""
    from musanada.api.auth import InvalidCredentials

    conf = oidc_settings()
    if conf is None or not looks_like_jwt(token):
        return None
    try:
        user = user_for_access_token(token, conf)
    except BearerRefused as error:
        raise InvalidCredentials(error.message) from None
    return user
