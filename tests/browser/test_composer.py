"""The ticket page's composer: reply or internal note in one box, and a pasted screenshot sent as a file."""

import re

from musanada.tickets.models import Event
from musanada.tickets.workflow import EventKind
from tests.browser.helpers import action_form, expect, submit
from tests.helpers import file_request

# A 1×1 PNG, as a screenshot tool puts it on the clipboard.
PASTE_SCREENSHOT = """(area) => {
  const bytes = Uint8Array.from(atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
  ), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "image.png", { type: "image/png" }));
  area.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


def test_an_internal_note_with_a_pasted_screenshot_reaches_the_desks_only(site, people):
    ticket = file_request(people["teacher"])
    head = site.sign_in("head")
    head.goto(site.url("ticket-detail", ticket.reference))

    composer = action_form(head, "note")
    expect(head.locator("#note-warning")).to_be_visible()
    expect(composer.locator("button[data-mode=reply]")).to_be_hidden()
    body = composer.locator("[name=body]")
    body.fill("Capture de l'écran d'erreur de Massar.")
    body.evaluate(PASTE_SCREENSHOT)
    expect(composer.locator(".file-list .file-name")).to_have_text(
        [re.compile(r"^screenshot-\d{8}-\d{6}\.png$")]
    )
    site.shoot(head, "composer-note-pasted")
    submit(head, composer)

    expect(head.locator("#messages")).to_be_visible()
    note = Event.objects.get(ticket=ticket, kind=EventKind.NOTE)
    assert not note.public and note.body == "Capture de l'écran d'erreur de Massar."
    (attachment,) = note.attachments.all()
    assert attachment.original_name.startswith("screenshot-") and attachment.content_type == "image/png"
    expect(head.locator(f"#event-{note.pk} .preview img")).to_be_visible()

    teacher = site.sign_in("teacher")
    teacher.goto(site.url("ticket-detail", ticket.reference))
    expect(teacher.locator(f"#event-{note.pk}")).to_have_count(0)
    expect(teacher.locator("#composer input[name=mode]")).to_have_count(0)


def test_the_reply_mode_is_the_default_and_sends_to_the_requester(site, people):
    ticket = file_request(people["teacher"])
    head = site.sign_in("head")
    head.goto(site.url("ticket-detail", ticket.reference))

    composer = head.locator("#composer form.composer-form")
    expect(composer.locator("input[name=mode][value=reply]")).to_be_checked()
    expect(head.locator("#note-warning")).to_be_hidden()
    composer.locator("[name=body]").fill("Nous vérifions votre compte.")
    submit(head, composer)

    reply = Event.objects.get(ticket=ticket, kind=EventKind.REPLY)
    assert reply.public and reply.body == "Nous vérifions votre compte."
