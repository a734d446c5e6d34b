"""A request filed twice, merged by the school's head from the ticket page, in Arabic and in French: the
duplicate closes and says where it is answered, the other lists it among its related requests, and the
teacher reads both."""

import pytest
from django.utils import translation

from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Status
from tests.browser.helpers import action_form, expect, submit
from tests.helpers import file_request


def say(language: str, text: str) -> str:
    """What the page says for `text` in `language`."""
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_head_merges_a_request_filed_twice_and_the_teacher_follows_the_other(site, people, language):
    first = file_request(people["teacher"], subject="Massar refuse la saisie des notes")
    again = file_request(people["teacher"], subject="Massar refuse la saisie (encore)")
    head = site.session_for("head", language=language)
    head.goto(site.url("ticket-detail", again.reference))
    form = action_form(head, "merge")
    form.locator("[name=into]").fill(first.reference.lower())
    form.locator("[name=note]").fill("Nous suivons votre première demande.")
    site.shoot(head, "merge-form")
    submit(head, form)
    expect(head.locator("#messages")).to_contain_text(
        say(language, "The request was merged; the other one goes on.")
    )
    assert Ticket.objects.get(pk=again.pk).status == Status.CLOSED

    head.goto(site.url("ticket-detail", first.reference))
    related = head.locator("#ticket-related")
    expect(related).to_contain_text(again.reference)
    site.shoot(head, "merge-related")

    teacher = site.session_for("teacher", language=language)
    teacher.goto(site.url("ticket-detail", again.reference))
    expect(teacher.locator("main")).to_contain_text(first.reference)
    expect(teacher.locator("main")).to_contain_text("Nous suivons votre première demande.")
    teacher.locator("#ticket-related a", has_text=first.reference).click()
    expect(teacher).to_have_url(site.url("ticket-detail", first.reference))
