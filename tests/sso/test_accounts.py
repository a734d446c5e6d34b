"""Accounts from the provider's claims: who is found, who is created, and where they are placed."""

import logging

import pytest
from django.contrib.auth import get_user_model

from musanada.org.models import Membership, Role
from musanada.sso.models import OidcIdentity
from musanada.sso.services import ClaimNames, SignInRefused, account_from_claims

ISSUER = "https://massar-id.men.gov.ma"
NAMES = ClaimNames(unit="massar_unit", role="massar_role", massar_id="massar_id")


def claims(**extra):
    return {
        "sub": "a1b2c3",
        "email": "new.teacher@taalim.ma",
        "email_verified": True,
        "given_name": "Salma",
        "family_name": "Bennani",
        "massar_unit": "01002B",
        "massar_role": "staff",
        **extra,
    }


def memberships(user):
    return {(m.unit.code, m.role) for m in Membership.objects.filter(user=user, is_active=True)}


def test_a_new_person_gets_an_account_with_their_names_in_the_school_the_provider_names(db):
    result = account_from_claims(ISSUER, claims(), NAMES)

    user = result.user
    assert result.created and result.matched_by == "created"
    assert (user.first_name, user.last_name, user.email) == ("Salma", "Bennani", "new.teacher@taalim.ma")
    assert not user.has_usable_password()
    assert memberships(user) == {("01002B", Role.STAFF)}
    assert OidcIdentity.objects.get(issuer=ISSUER, subject="a1b2c3").user == user


def test_a_returning_person_is_found_by_subject_even_with_a_new_address_and_name(db):
    first = account_from_claims(ISSUER, claims(), NAMES).user

    again = account_from_claims(
        ISSUER, claims(email="s.bennani@taalim.ma", family_name="Bennani-Idrissi"), NAMES
    )

    assert again.user == first and again.matched_by == "subject" and not again.created
    again.user.refresh_from_db()
    assert (again.user.email, again.user.last_name) == ("s.bennani@taalim.ma", "Bennani-Idrissi")
    assert get_user_model().objects.filter(email__iexact="s.bennani@taalim.ma").count() == 1


def test_an_existing_account_is_linked_by_its_verified_address(people):
    teacher = people["teacher"]

    result = account_from_claims(ISSUER, claims(sub="t-1", email=teacher.email.upper()), NAMES)

    assert result.user == teacher and result.matched_by == "email"
    assert OidcIdentity.objects.get(subject="t-1").user == teacher
    assert teacher.has_usable_password()


def test_an_unverified_address_never_takes_over_an_existing_account(people):
    teacher = people["teacher"]

    result = account_from_claims(ISSUER, claims(sub="t-2", email=teacher.email, email_verified=False), NAMES)

    assert result.created and result.user != teacher
    assert not OidcIdentity.objects.filter(user=teacher).exists()


def test_an_account_linked_to_another_subject_is_not_taken_by_the_same_address(people):
    teacher = people["teacher"]
    account_from_claims(ISSUER, claims(sub="t-3", email=teacher.email), NAMES)

    result = account_from_claims(ISSUER, claims(sub="someone-else", email=teacher.email), NAMES)

    assert result.created and result.user != teacher


def test_the_massar_identifier_links_an_account_imported_from_massar(people):
    head = people["head"]
    head.massar_id = "M123456"
    head.save(update_fields=["massar_id"])

    result = account_from_claims(
        ISSUER, claims(sub="h-1", email="other@taalim.ma", massar_id="M123456"), NAMES
    )

    assert result.user == head and result.matched_by == "massar_id"


@pytest.mark.parametrize(
    ("claimed", "role"),
    [
        ("staff", Role.STAFF),
        ("agent", Role.AGENT),
        ("Supervisor", Role.SUPERVISOR),
        ("observer", Role.OBSERVER),
        ("director-general", Role.STAFF),
        (None, Role.STAFF),
    ],
)
def test_the_providers_role_becomes_a_musanada_role_and_anything_unknown_is_staff(db, claimed, role):
    result = account_from_claims(ISSUER, claims(massar_role=claimed), NAMES)

    assert memberships(result.user) == {("01002B", role)}


def test_a_unit_unknown_to_musanada_places_nobody_and_is_logged(db, caplog):
    with caplog.at_level(logging.WARNING, logger="musanada.sso.services"):
        result = account_from_claims(ISSUER, claims(massar_unit="99999Z"), NAMES)

    assert result.membership is None and memberships(result.user) == set()
    assert "99999Z" in caplog.text


def test_a_deactivated_account_cannot_sign_in(people):
    teacher = people["teacher"]
    account_from_claims(ISSUER, claims(sub="t-4", email=teacher.email), NAMES)
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])

    with pytest.raises(SignInRefused):
        account_from_claims(ISSUER, claims(sub="t-4", email=teacher.email), NAMES)


def test_a_username_already_taken_gets_a_free_variant(people):
    result = account_from_claims(
        ISSUER, claims(sub="x-9", preferred_username="teacher", email="x@taalim.ma"), NAMES
    )

    assert result.user.username == "teacher-2" and result.user != people["teacher"]
