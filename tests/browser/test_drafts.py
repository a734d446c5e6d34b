"""A reply typed when the session has expired is not lost: the page says nothing was recorded, the reply
comes back in the box after signing in again, and once it is sent the box is empty again."""

from musanada.tickets.models import Event
from musanada.tickets.workflow import EventKind
from tests.browser.helpers import action_form, expect, submit
from tests.helpers import file_request

REPLY = "Videz le cache du navigateur puis reconnectez-vous à Massar, s'il vous plaît."


def test_a_reply_survives_an_expired_session_and_is_forgotten_once_sent(site, people):
    ticket = file_request(people["teacher"])
    head = site.sign_in("head")
    head.goto(site.url("ticket-detail", ticket.reference))
    form = action_form(head, "reply")
    form.locator("[name=body]").fill(REPLY)

    # The session ends while the reply is being written (a new day, a sign-out in another tab).
    head.context.clear_cookies()
    submit(head, form)
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.REPLY).exists()

    site.sign_in("head", page=head)
    head.goto(site.url("ticket-detail", ticket.reference))
    form = action_form(head, "reply")
    expect(form.locator("[name=body]")).to_have_value(REPLY)
    expect(form.locator(".draft-note")).to_be_visible()
    site.shoot(head, "draft-restored")

    submit(head, form)
    expect(head.locator("#messages")).to_be_visible()
    assert Event.objects.get(ticket=ticket, kind=EventKind.REPLY).body == REPLY
    head.reload()
    expect(action_form(head, "reply").locator("[name=body]")).to_have_value("")
