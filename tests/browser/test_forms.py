"""Forms sent with bad data: the message stands beside the field it is about, and what was typed stays."""

import re

from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Priority
from tests.browser.helpers import action_form, expect, submit
from tests.helpers import file_request


def field_box(form, name):
    """The block that holds one field: its label, its input, its help and its errors."""
    return form.locator(".field", has=form.page.locator(f"[name={name}]")).first


def test_new_request_with_bad_data_shows_each_error_beside_its_field_and_keeps_what_was_typed(
    site, people, categories, tmp_path
):
    teacher = site.sign_in("teacher")
    teacher.goto("/t/new/")
    form = teacher.locator("form#new-request")
    subject, description = "تعذر طبع بيانات النقط", "تظهر رسالة خطأ عند طبع بيانات النقط للقسم 2."
    form.locator("[name=subject]").fill(subject)
    form.locator("[name=description]").fill(description)
    form.locator("[name=priority]").select_option("high")

    # No category chosen.
    submit(teacher, form)
    form = teacher.locator("form#new-request")
    expect(field_box(form, "category").locator(".errorlist")).to_be_visible()
    expect(form.locator("[name=category]")).to_have_attribute("aria-invalid", "true")
    expect(field_box(form, "subject").locator(".errorlist")).to_have_count(0)
    expect(form.locator("[name=subject]")).to_have_value(subject)
    expect(form.locator("[name=description]")).to_have_value(description)
    expect(form.locator("[name=priority]")).to_have_value("high")
    site.shoot(teacher, "new-request-errors")

    # A text file that calls itself a picture: refused by its content, the message names it.
    fake = tmp_path / "screenshot.png"
    fake.write_text("not a picture at all")
    form.locator("[name=category]").select_option(str(categories["massar-grades"].pk))
    form.locator("[name=attachments]").set_input_files(fake)
    submit(teacher, form)
    form = teacher.locator("form#new-request")
    expect(field_box(form, "attachments").locator(".errorlist")).to_contain_text("screenshot.png")
    expect(field_box(form, "category").locator(".errorlist")).to_have_count(0)
    expect(form.locator("[name=category]")).to_have_value(str(categories["massar-grades"].pk))
    expect(form.locator("[name=subject]")).to_have_value(subject)
    expect(form.locator("[name=description]")).to_have_value(description)
    assert not Ticket.objects.filter(requester=people["teacher"]).exists()

    # Corrected, it files.
    form.locator("[name=attachments]").set_input_files([])
    submit(teacher, form)
    expect(teacher).to_have_url(re.compile(r"/t/MSN-[0-9]{4}-[0-9]+/$"))
    expect(teacher.locator("main h1")).to_have_text(subject)


def test_referral_without_its_note_is_refused_beside_the_note_and_keeps_the_requalification(
    site, people, units, categories
):
    ticket = file_request(
        people["teacher"],
        subject="تعذر إدخال الغياب",
        description="لا تظهر لائحة التلاميذ في صفحة الغياب.",
        priority=Priority.NORMAL,
    )
    head = site.session_for("head")
    head.goto(f"/t/{ticket.reference}/")
    form = action_form(head, "escalate")
    form.locator("[name=category]").select_option(str(categories["massar-absences"].pk))
    form.locator("[name=priority]").select_option("urgent")
    form.locator("[name=note]").fill("   ")
    submit(head, form)

    form = action_form(head, "escalate")
    expect(field_box(form, "note").locator(".errorlist")).to_be_visible()
    expect(form.locator("[name=category]")).to_have_value(str(categories["massar-absences"].pk))
    expect(form.locator("[name=priority]")).to_have_value("urgent")
    site.shoot(head, "escalate-errors")
    ticket.refresh_from_db()
    assert ticket.desk == units["01001A"] and ticket.priority == Priority.NORMAL
