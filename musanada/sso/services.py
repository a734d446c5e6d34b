"""Accounts from a provider's claims: find the person (subject, then Massar identifier, then verified e-mail)
or create them, keep their names, and place them in the unit the provider names."""

import logging
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import DomainError
from musanada.org.models import Membership, OrgUnit, Role
from musanada.org.services import membership_grant
from musanada.sso.models import OidcIdentity

logger = logging.getLogger(__name__)

# The provider's role names, as Massar or another ministry system may spell them.
ROLE_OF_CLAIM = {
    "staff": Role.STAFF,
    "agent": Role.AGENT,
    "supervisor": Role.SUPERVISOR,
    "observer": Role.OBSERVER,
}


class SignInRefused(DomainError):
    code = "sso_sign_in_refused"
    status = 403


@dataclass(frozen=True)
class ClaimNames:
    """Which claims carry the unit code, the role and the Massar identifier ("" when not sent)."""

    unit: str = ""
    role: str = ""
    massar_id: str = ""


@dataclass
class SignIn:
    user: object
    created: bool
    matched_by: str  # "subject", "massar_id", "email" or "created"
    membership: Membership | None


def _verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _text(claims: dict, name: str) -> str:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def role_from_claim(value) -> str:
    """The Musanada role a provider's role claim stands for; anything unknown is plain staff."""
    role = ROLE_OF_CLAIM.get(str(value or "").strip().lower())
    if role is None:
        logger.warning("Unknown role %r in the provider's claims: placed as staff", value)
        return Role.STAFF
    return role


def _free_username(claims: dict, subject: str) -> str:
    User = get_user_model()
    max_length = User._meta.get_field("username").max_length
    wanted = _text(claims, "preferred_username") or _text(claims, "email") or f"sso-{subject}"
    base = re.sub(r"[^\w.@+-]", "-", wanted)[: max_length - 8] or "sso"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _match_existing(issuer: str, claims: dict, names: ClaimNames):
    User = get_user_model()
    # A person already linked to another subject of this provider is someone else with the same address.
    unlinked = User.objects.exclude(oidc_identities__issuer=issuer)
    massar_id = _text(claims, names.massar_id)
    if massar_id:
        user = unlinked.filter(massar_id=massar_id).first()
        if user is not None:
            return user, "massar_id"
    email = _text(claims, "email")
    if email and _verified(claims):
        candidates = list(unlinked.filter(email__iexact=email)[:2])
        if len(candidates) == 1:
            return candidates[0], "email"
        if candidates:
            logger.warning("Several accounts share the verified address of a new subject: none is guessed")
    return None, "created"


def _place(user, claims: dict, names: ClaimNames) -> Membership | None:
    code = _text(claims, names.unit)
    if not code:
        return None
    unit = OrgUnit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        logger.warning("Unit %r named by the provider for user %s is unknown: not placed", code, user.pk)
        return None
    return membership_grant(user, unit, role_from_claim(claims.get(names.role)) if names.role else Role.STAFF)


@transaction.atomic
def account_from_claims(issuer: str, claims: dict, names: ClaimNames = ClaimNames()) -> SignIn:
    """The account of the person the provider vouches for, created if new, with names, e-mail and unit
    from the claims. Refuses deactivated accounts (a staff member who left)."""
    subject = _text(claims, "sub")
    if not subject:
        raise SignInRefused(_("The identity provider did not say who you are."))
    identity = OidcIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    created = False
    if identity is not None:
        user, matched_by = identity.user, "subject"
    else:
        user, matched_by = _match_existing(issuer, claims, names)
        if user is None:
            user = get_user_model()(username=_free_username(claims, subject))
            user.set_unusable_password()
            created = True
    if not created and not user.is_active:
        raise SignInRefused(_("This account is deactivated. Ask your desk to restore it."))

    changed = []
    for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
        value = _text(claims, claim)[:150]
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    email = _text(claims, "email")
    if email and (_verified(claims) or created) and user.email != email:
        user.email = email
        changed.append("email")
    massar_id = _text(claims, names.massar_id)
    if massar_id and not user.massar_id:
        user.massar_id = massar_id
        changed.append("massar_id")
    if created:
        user.save()
    elif changed:
        user.save(update_fields=changed)

    now = timezone.now()
    if identity is None:
        try:
            with transaction.atomic():
                identity = OidcIdentity.objects.create(
                    user=user, issuer=issuer, subject=subject, last_login_at=now
                )
        except IntegrityError:
            # The same person's first sign-in, twice at once (two tabs): the other request linked them.
            raise SignInRefused(_("Your sign-in is already being set up. Try again.")) from None
    else:
        OidcIdentity.objects.filter(pk=identity.pk).update(last_login_at=now)
    return SignIn(user=user, created=created, matched_by=matched_by, membership=_place(user, claims, names))
