"""A known incident in a real browser, in Arabic and in French: the academy's desk declares it, a teacher sees
the banner and files a request that follows it, the desk posts an update and resolves it, and the teacher's
request is resolved with it."""

import pytest
from django.utils import translation

from musanada.jobs.runner import run_until_empty
from musanada.tickets.models import Incident, Ticket
from musanada.tickets.workflow import Status
from tests.browser.helpers import expect, reference_in, submit


def say(language: str, text: str) -> str:
    """What the page says for `text` in `language`."""
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_an_incident_declared_followed_updated_and_resolved(site, people, categories, language):
    region = site.session_for("region", language=language)
    region.goto(site.url("incident-declare"))
    form = region.locator("main form")
    form.locator("[name=category]").select_option(str(categories["massar"].pk))
    form.locator("[name=scope]").fill("MA-01")
    form.locator("[name=title]").fill("Massar indisponible dans l'académie")
    form.locator("[name=description]").fill("Le serveur académique est en maintenance jusqu'à midi.")
    submit(region, form)
    expect(region.locator("#incident-status")).to_have_text(say(language, "Ongoing"))
    incident = Incident.objects.get()

    teacher = site.session_for("teacher", language=language)
    expect(teacher.locator(".incident-banner")).to_contain_text("Massar indisponible")
    teacher.goto(site.url("ticket-new"))
    expect(teacher.locator(".incident-banner")).to_be_visible()
    new = teacher.locator("form#new-request")
    new.locator("[name=category]").select_option(str(categories["massar-grades"].pk))
    new.locator(f"[name=incident][value='{incident.pk}']").check()
    new.locator("[name=subject]").fill("La saisie des notes ne répond pas")
    new.locator("[name=description]").fill("Depuis ce matin.")
    site.shoot(teacher, "incident-new-request")
    submit(teacher, new)
    ticket = Ticket.objects.get(reference=reference_in(teacher.url))
    assert ticket.incident == incident

    region.goto(site.url("incident-detail", incident.pk))
    with translation.override(language):
        one = translation.ngettext(
            "%(count)s request follows this incident.", "%(count)s requests follow this incident.", 1
        ) % {"count": 1}
    expect(region.locator("#incident-following")).to_contain_text(one)
    update = region.locator("form[action$='/update/']")
    update.locator("[name=body]").fill("Retour prévu à 14 h.")
    submit(region, update)
    site.shoot(region, "incident-handling")
    resolve = region.locator("form[action$='/resolve/']")
    resolve.locator("[name=resolution]").fill("Le serveur est rétabli.")
    submit(region, resolve)
    expect(region.locator("#incident-status")).to_have_text(say(language, "Resolved"))
    run_until_empty()

    teacher.goto(site.url("ticket-detail", ticket.reference))
    expect(teacher.locator("main")).to_contain_text("Retour prévu à 14 h.")
    expect(teacher.locator("main")).to_contain_text("Le serveur est rétabli.")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    site.shoot(teacher, "incident-resolved-request")
