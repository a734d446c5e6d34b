"""A canned reply chosen in the reply form goes into the box at once, after what was typed, to be edited."""

from musanada.tickets import canned
from tests.browser.helpers import action_form, expect
from tests.helpers import file_request


def test_choosing_a_canned_reply_inserts_it_in_the_box(site, people, units):
    reply = canned.canned_reply_add(
        people["supervisor"], unit=units["MA-01"], language="fr", title="Cache", body="Videz le cache."
    )
    ticket = file_request(people["teacher"])
    head = site.sign_in("head")
    head.goto(site.url("ticket-detail", ticket.reference))
    form = action_form(head, "reply")
    form.locator("[name=body]").fill("Bonjour,")
    head.locator("#canned-choice").select_option(str(reply.pk))
    expect(form.locator("[name=body]")).to_have_value("Bonjour,\n\nVidez le cache.")
    site.shoot(head, "canned-inserted")
