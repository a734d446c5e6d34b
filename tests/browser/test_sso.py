"""Signing in with the ministry's identity provider in a real browser: a person Musanada has never seen
arrives from the provider, is placed in their school from its claims, and files a request there."""

import re

import pytest

from musanada.org.models import Membership, Role
from musanada.sso.models import OidcIdentity
from musanada.tickets.models import Ticket
from tests.browser.helpers import expect, submit
from tests.oidc.server import running_provider


@pytest.fixture
def live_provider(live_server, settings):
    with running_provider([f"{live_server.url}/sso/callback/"], [f"{live_server.url}/login/"]) as provider:
        settings.OIDC = provider.settings()
        yield provider


def test_a_new_person_signs_in_with_massar_is_placed_in_their_school_and_files_a_request(
    site, live_provider, units, categories
):
    page = site.new_page()
    page.goto(site.url("login"))
    with page.expect_navigation():
        page.locator("#sso-sign-in").click()
    assert page.url.startswith(live_provider.issuer)

    # The provider's own sign-in page, then its consent page.
    page.locator("[name=login]").fill("amina.new")
    page.locator("[name=password]").fill("her-massar-password")
    with page.expect_navigation():
        page.locator("[type=submit]").click()
    with page.expect_navigation(url=re.compile(re.escape(site.base_url))):
        page.locator("[type=submit]").click()
    expect(page.locator(".who")).to_have_text("Amina Alaoui")

    identity = OidcIdentity.objects.select_related("user").get(
        issuer=live_provider.issuer, subject="amina.new"
    )
    amina = identity.user
    assert [(m.unit.code, m.role) for m in Membership.objects.filter(user=amina)] == [("01002B", Role.STAFF)]

    page.goto(site.url("ticket-new"))
    form = page.locator("form#new-request")
    expect(form.locator("[name=unit]")).to_have_value(str(units["01002B"].pk))
    form.locator("[name=category]").select_option(str(categories["massar-grades"].pk))
    form.locator("[name=subject]").fill("تعذر الولوج إلى فضاء النقط")
    form.locator("[name=description]").fill("أول طلب بعد الدخول عبر مسار.")
    submit(page, form)
    expect(page).to_have_url(re.compile(r"/t/MSN-[0-9]{4}-[0-9]+/$"))
    site.shoot(page, "sso-first-request")

    ticket = Ticket.objects.get(requester=amina)
    assert ticket.origin_unit.code == "01002B" and ticket.desk.code == "01002B"
