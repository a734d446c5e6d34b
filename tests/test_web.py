"""The pages as a browser without JavaScript uses them: sign in, lists, filing, the ticket page, its forms.

Expected texts are taken through gettext in the page's language, so that these tests hold before and after
the translations are filled in.
"""

import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from musanada.tickets import policy, services
from musanada.tickets.models import Attachment, Event, Ticket
from musanada.tickets.workflow import Priority, Status
from musanada.web.renderers import FormRenderer
from tests.conftest import PASSWORD
from tests.helpers import file_request

SUBJECT = "تعذر إدخال النقط"
DESCRIPTION = "لا يقبل النظام إدخال نقط المراقبة المستمرة للقسم 3."


def png(width=1, height=1) -> bytes:
    """A real, tiny PNG: the attachment check reads the content, not the name."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def shown(message, language="ar", **params) -> str:
    """A message as the page shows it: translated into the page's language, then HTML-escaped."""
    with translation.override(language):
        text = str(message)
        return escape(text % params if params else text)


def listed(response) -> set:
    return set(re.findall(r'class="ref" href="/t/([A-Z]+-\d{4}-\d+)/"', response.content.decode()))


def act(client, ticket, action, **data):
    data.setdefault("version", ticket.version)
    return client.post(reverse("ticket-act", args=[ticket.reference, action]), data)


def state(ticket) -> tuple:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.version,
        fresh.status,
        fresh.desk_id,
        fresh.assignee_id,
        Event.objects.filter(ticket=ticket).count(),
    )


def field_error(response, field_id: str) -> str:
    """The text of the error list Django ties to a field (`<ul id="<field id>_error">`)."""
    match = re.search(
        rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', response.content.decode(), re.S
    )
    return match.group(1) if match else ""


# Signing in -------------------------------------------------------------------------------------------


def test_wrong_password_shows_a_clear_error_and_signs_nobody_in(client, people):
    response = client.post(reverse("login"), {"username": "teacher", "password": "not-the-password"})

    assert response.status_code == 200
    username = get_user_model()._meta.get_field("username").verbose_name
    expected = shown(AuthenticationForm.error_messages["invalid_login"], username=username)
    assert 'role="alert"' in response.content.decode()
    assert expected in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_right_password_signs_in_and_lands_on_home(client, people):
    people["head"].set_password("a-known-password-2026")
    people["head"].save(update_fields=["password"])

    response = client.post(reverse("login"), {"username": "head", "password": "a-known-password-2026"})

    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(client, people):
    ticket = file_request(people["teacher"])
    for url in (reverse("home"), reverse("ticket-new"), reverse("ticket-detail", args=[ticket.reference])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_signing_out_is_a_post_and_returns_to_the_sign_in_page(client, people):
    client.force_login(people["teacher"])

    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


# Home lists -------------------------------------------------------------------------------------------


@pytest.fixture
def spread(people):
    """Tickets in both academies: the teacher's two (one referred to the province), one in academy MA-02."""
    at_school = file_request(people["teacher"], subject="حساب مسار")
    referred = file_request(people["teacher"], subject="النقط")
    services.ticket_escalate(people["head"], referred, note="أعدت المحاولة دون جدوى")
    elsewhere = file_request(people["outsider_teacher"])
    services.ticket_escalate(people["outsider_head"], elsewhere, note="يتجاوز المؤسسة")
    province_own = file_request(people["province2"])
    return {
        "at_school": at_school,
        "referred": referred,
        "elsewhere": elsewhere,
        "province_own": province_own,
    }


@pytest.mark.parametrize(
    "persona",
    ["teacher", "head", "head2", "province", "province2", "region", "supervisor", "observer", "outsider"],
)
def test_each_persona_lists_exactly_the_tickets_the_policy_lets_them_see(client, people, spread, persona):
    user = people[persona]
    client.force_login(user)

    response = client.get(reverse("home"), {"tab": "all"})

    assert response.status_code == 200
    expected = set(policy.visible_tickets(user).values_list("reference", flat=True))
    assert listed(response) == expected


def test_teacher_and_outsider_each_see_their_own_academy_only(client, people, spread):
    client.force_login(people["teacher"])
    assert listed(client.get(reverse("home"), {"tab": "all"})) == {
        spread["at_school"].reference,
        spread["referred"].reference,
    }
    client.force_login(people["outsider"])
    assert listed(client.get(reverse("home"), {"tab": "all"})) == {spread["elsewhere"].reference}


def test_school_head_desk_tab_shows_the_open_tickets_the_school_holds(client, people, spread):
    resolved = file_request(people["teacher"], subject="حُلّ")
    services.ticket_resolve(people["head"], resolved, resolution="تم.")
    client.force_login(people["head"])

    response = client.get(reverse("home"))  # a desk agent starts on their desk

    assert listed(response) == {spread["at_school"].reference}
    assert 'href="?tab=desk" aria-current="page"' in response.content.decode()


def test_assigned_tab_lists_what_the_agent_took(client, people, spread):
    services.ticket_take(people["province"], spread["referred"])
    client.force_login(people["province"])

    assert listed(client.get(reverse("home"), {"tab": "assigned"})) == {spread["referred"].reference}
    client.force_login(people["head"])
    assert listed(client.get(reverse("home"), {"tab": "assigned"})) == set()


def test_a_row_shows_requester_status_priority_category_origin_holding_desk_and_time(
    client, people, units, categories, clock
):
    clock.now = datetime(2026, 11, 25, 13, 5, tzinfo=UTC)
    ticket = file_request(people["teacher"], category=categories["massar-grades"], priority=Priority.HIGH)
    client.force_login(people["teacher"])

    page = client.get(reverse("home"), {"tab": "mine"}).content.decode()

    row = page[page.index(ticket.reference) :]
    row = row[: row.index("</tr>")]
    with translation.override("ar"):
        for text in (
            Status.NEW.label,
            Priority.HIGH.label,
            str(categories["massar-grades"]),
            units["01001A"].name_ar,
            people["teacher"].get_full_name(),
            "25/11/2026 14:05",  # Africa/Casablanca is UTC+1 in November; Western digits in Arabic too
        ):
            assert escape(str(text)) in row


def test_a_long_list_pages_with_a_next_link(client, people, settings):
    settings.MUSANADA = {**settings.MUSANADA, "PAGE_SIZE": 2}
    tickets = [file_request(people["teacher"], subject=f"طلب {n}") for n in range(3)]
    client.force_login(people["teacher"])

    first = client.get(reverse("home"), {"tab": "mine"})
    next_url = (
        re.search(r'<a rel="next" href="([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    )
    second = client.get(next_url)

    assert listed(first) == {tickets[2].reference, tickets[1].reference}
    assert listed(second) == {tickets[0].reference}
    assert 'rel="next"' not in second.content.decode()


def test_a_broken_page_link_returns_to_the_first_page_with_a_message(client, people):
    client.force_login(people["teacher"])

    response = client.get(reverse("home"), {"tab": "mine", "after": "not-a-cursor"}, follow=True)

    assert response.status_code == 400
    assert shown(_("This page link is not valid.")) in response.content.decode()


# Filing -----------------------------------------------------------------------------------------------


def test_teacher_files_a_request_with_an_attachment_through_the_form(client, people, units, categories):
    client.force_login(people["teacher"])
    form = client.get(reverse("ticket-new")).content.decode()
    # The teacher belongs to one school: it is chosen for them.
    assert f'<option value="{units["01001A"].pk}" selected>' in form

    response = client.post(
        reverse("ticket-new"),
        {
            "unit": units["01001A"].pk,
            "category": categories["massar-grades"].pk,
            "subject": SUBJECT,
            "description": DESCRIPTION,
            "priority": Priority.HIGH,
            "attachments": [SimpleUploadedFile("capture.png", png(), content_type="image/png")],
        },
    )

    ticket = Ticket.objects.get(requester=people["teacher"])
    assert response.status_code == 302 and response.url == reverse("ticket-detail", args=[ticket.reference])
    assert (ticket.desk, ticket.category, ticket.priority, ticket.subject) == (
        units["01001A"],
        categories["massar-grades"],
        Priority.HIGH,
        SUBJECT,
    )
    attachment = ticket.attachments.get()
    assert attachment.original_name == "capture.png"

    page = client.get(response.url).content.decode()
    download = reverse("attachment-download", args=[ticket.reference, attachment.token])
    assert download in page and SUBJECT in page
    served = client.get(download)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert (
        served["Content-Disposition"].startswith("attachment;")
        and "capture.png" in served["Content-Disposition"]
    )
    assert b"".join(served.streaming_content) == png()


def test_missing_subject_re_renders_with_the_error_beside_the_field_and_keeps_the_description(
    client, people, units, categories
):
    client.force_login(people["teacher"])

    response = client.post(
        reverse("ticket-new"),
        {
            "unit": units["01001A"].pk,
            "category": categories["massar"].pk,
            "subject": "  ",
            "description": DESCRIPTION,
            "priority": Priority.NORMAL,
        },
    )

    assert response.status_code == 400
    assert shown(forms.Field.default_error_messages["required"]) in field_error(response, "id_subject")
    assert 'aria-describedby="id_subject_error"' in response.content.decode()
    assert DESCRIPTION in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_refusal_from_the_service_shows_beside_its_field_and_keeps_the_form(
    client, people, units, categories
):
    client.force_login(people["teacher"])

    response = client.post(
        reverse("ticket-new"),
        {
            "unit": units["01001A"].pk,
            "category": categories["massar"].pk,
            "subject": SUBJECT,
            "description": DESCRIPTION,
            "priority": Priority.NORMAL,
            "attachments": [
                SimpleUploadedFile("rapport.pdf", b"just text, not a pdf", content_type="application/pdf")
            ],
        },
    )

    assert response.status_code == 400
    assert "rapport.pdf" in field_error(response, "id_attachments")
    assert SUBJECT in response.content.decode() and DESCRIPTION in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_user_cannot_file_for_a_unit_they_do_not_belong_to(client, people, units, categories):
    client.force_login(people["teacher"])

    response = client.post(
        reverse("ticket-new"),
        {
            "unit": units["02001D"].pk,
            "category": categories["massar"].pk,
            "subject": SUBJECT,
            "description": DESCRIPTION,
            "priority": Priority.NORMAL,
        },
    )

    assert response.status_code == 400
    assert field_error(response, "id_unit")
    assert not Ticket.objects.exists()


# The ticket page and its actions ----------------------------------------------------------------------


def test_head_escalates_through_the_form_and_the_ticket_lands_at_the_province(
    client, people, units, categories
):
    ticket = file_request(people["teacher"], subject=SUBJECT)
    client.force_login(people["head"])
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    # The form says where the request will go, prefilled with the ticket's qualification.
    assert escape(units["MA-01-01"].name_ar) in page.split("action-escalate")[1]
    assert f'value="{escape(SUBJECT)}"' in page

    response = act(
        client,
        ticket,
        "escalate",
        category=categories["massar-grades"].pk,
        priority=Priority.HIGH,
        subject="إدخال نقط المراقبة المستمرة",
        note="أعدت تشغيل المتصفح ولم ينجح",
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.desk == units["MA-01-01"] and ticket.status == Status.NEW
    confirmation = shown(_("The ticket was referred to %(desk)s."), desk=units["MA-01-01"].name_ar)
    assert confirmation in client.get(response.url).content.decode()
    assert (ticket.category, ticket.priority) == (categories["massar-grades"], Priority.HIGH)
    assert ticket.events.filter(kind="requalified", body="أعدت تشغيل المتصفح ولم ينجح").exists()


def test_escalating_without_the_note_of_what_was_tried_is_refused_beside_the_note(client, people, categories):
    ticket = file_request(people["teacher"])
    before = state(ticket)
    client.force_login(people["head"])

    response = act(
        client,
        ticket,
        "escalate",
        category=categories["massar"].pk,
        priority=Priority.NORMAL,
        subject=SUBJECT,
        note="",
    )

    assert response.status_code == 400
    assert field_error(response, "escalate-note")
    assert state(ticket) == before


def test_a_ticket_walks_from_a_school_to_the_central_level_and_back_to_closed_through_the_pages(
    client, people, units, categories
):
    client.force_login(people["teacher"])
    client.post(
        reverse("ticket-new"),
        {
            "unit": units["01001A"].pk,
            "category": categories["massar"].pk,
            "subject": SUBJECT,
            "description": DESCRIPTION,
            "priority": Priority.NORMAL,
        },
    )
    ticket = Ticket.objects.get()

    steps = [
        ("head", "take", {}),
        (
            "head",
            "escalate",
            {
                "category": categories["massar-grades"].pk,
                "priority": Priority.HIGH,
                "subject": SUBJECT,
                "note": "جربت متصفحا آخر",
            },
        ),
        (
            "province",
            "escalate",
            {
                "category": categories["massar-grades"].pk,
                "priority": Priority.HIGH,
                "subject": SUBJECT,
                "note": "المشكل عام في الإقليم",
            },
        ),
        (
            "region",
            "escalate",
            {
                "category": categories["massar-grades"].pk,
                "priority": Priority.HIGH,
                "subject": SUBJECT,
                "note": "يتطلب تدخلا مركزيا",
            },
        ),
        ("central", "request_info", {"body": "ما هو القسم المعني؟"}),
        ("teacher", "provide_info", {"body": "القسم 3"}),
        ("central", "resolve", {"resolution": "تم تصحيح الخلل في الخادم."}),
        ("teacher", "close", {}),
        ("teacher", "rate", {"score": 5, "comment": "شكرا"}),
    ]
    desks = []
    for username, action, data in steps:
        client.force_login(people[username])
        ticket.refresh_from_db()
        page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
        assert reverse("ticket-act", args=[ticket.reference, action]) in page, (username, action)
        response = act(client, ticket, action, **data)
        assert response.status_code == 302, (username, action, response.content.decode()[:2000])
        desks.append(Ticket.objects.get(pk=ticket.pk).desk.code)

    ticket.refresh_from_db()
    assert desks[1:4] == ["MA-01-01", "MA-01", "MEN-MASSAR"]
    assert ticket.status == Status.CLOSED and ticket.rating == 5
    # The requester's page shows the public history, never the requalification notes.
    client.force_login(people["teacher"])
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assert "تم تصحيح الخلل في الخادم." in page and "المشكل عام في الإقليم" not in page


def test_assign_offers_only_the_agents_of_the_holding_desk(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assign = page.split("action-assign")[1].split("</form>")[0]

    offered = set(re.findall(r'<option value="(\d+)"', assign))
    assert offered == {str(people["head"].pk)}

    response = act(client, ticket, "assign", assignee=people["teacher"].pk)

    assert response.status_code == 400 and Ticket.objects.get(pk=ticket.pk).assignee is None


def test_outsider_gets_404_on_the_ticket_page_and_on_the_attachment_download(client, people):
    ticket = file_request(
        people["teacher"], files=[SimpleUploadedFile("capture.png", png(), content_type="image/png")]
    )
    attachment = ticket.attachments.get()
    client.force_login(people["outsider"])

    assert client.get(reverse("ticket-detail", args=[ticket.reference])).status_code == 404
    assert client.get(reverse("ticket-detail", args=["MSN-2026-999999"])).status_code == 404
    assert (
        client.get(reverse("attachment-download", args=[ticket.reference, attachment.token])).status_code
        == 404
    )


def test_requester_cannot_download_the_file_of_an_internal_note(client, people):
    ticket = file_request(people["teacher"])
    services.ticket_note(
        people["head"],
        ticket,
        body="لقطة من حساب المؤسسة",
        files=[SimpleUploadedFile("interne.png", png(), content_type="image/png")],
    )
    attachment = Attachment.objects.get(original_name="interne.png")
    url = reverse("attachment-download", args=[ticket.reference, attachment.token])

    client.force_login(people["teacher"])
    assert client.get(url).status_code == 404
    assert "interne.png" not in client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    client.force_login(people["head"])
    assert client.get(url).status_code == 200


def test_a_forged_post_of_an_action_not_offered_is_refused_and_changes_nothing(client, people, categories):
    ticket = file_request(people["teacher"])
    before = state(ticket)

    client.force_login(people["teacher"])
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assert reverse("ticket-act", args=[ticket.reference, "escalate"]) not in page
    refused = act(
        client,
        ticket,
        "escalate",
        category=categories["massar"].pk,
        priority=Priority.NORMAL,
        subject=SUBJECT,
        note="أريد الإحالة",
    )
    assert refused.status_code == 403
    assert shown(_("You may not do this on this ticket.")) in refused.content.decode()

    client.force_login(people["outsider"])
    assert act(client, ticket, "take").status_code == 404
    client.force_login(people["head"])
    assert act(client, ticket, "no-such-action").status_code == 404
    assert state(ticket) == before


def test_a_stale_version_gives_the_conflict_message_and_changes_nothing(client, people):
    ticket = file_request(people["teacher"])
    seen_version = ticket.version
    services.ticket_reply(people["teacher"], ticket, body="هل من جديد؟")
    before = state(ticket)
    client.force_login(people["head"])

    response = act(client, ticket, "resolve", version=seen_version, resolution="تم الحل.")

    assert response.status_code == 409
    page = response.content.decode()
    assert shown(_("Someone else changed this ticket in the meantime. Reload it and try again.")) in page
    # The page now shows the new version, and keeps what the head typed for a second try.
    assert f'name="version" value="{ticket.version}"' in page and "تم الحل." in page
    assert state(ticket) == before


def test_get_never_changes_state(client, people):
    ticket = file_request(
        people["teacher"], files=[SimpleUploadedFile("capture.png", png(), content_type="image/png")]
    )
    before = state(ticket)
    client.force_login(people["head"])

    for action in ("take", "resolve", "escalate", "close"):
        assert client.get(reverse("ticket-act", args=[ticket.reference, action])).status_code == 405
    client.get(reverse("ticket-detail", args=[ticket.reference]))
    client.get(reverse("attachment-download", args=[ticket.reference, ticket.attachments.get().token]))
    client.get(reverse("home"), {"tab": "desk"})
    assert client.get(reverse("set-language"), {"language": "fr"}).status_code == 405

    assert state(ticket) == before
    assert get_user_model().objects.get(pk=people["head"].pk).language == "ar"


# Language, direction and formats ----------------------------------------------------------------------


def test_page_is_right_to_left_in_arabic_and_left_to_right_after_switching_to_french(client, people):
    client.force_login(people["teacher"])
    assert '<html lang="ar" dir="rtl">' in client.get(reverse("home")).content.decode()

    response = client.post(reverse("set-language"), {"language": "fr", "next": reverse("home")})

    assert response.status_code == 302 and response.url == reverse("home")
    assert get_user_model().objects.get(pk=people["teacher"].pk).language == "fr"
    assert '<html lang="fr" dir="ltr">' in client.get(reverse("home")).content.decode()


def test_the_stored_language_follows_the_user_to_a_new_session(client, people):
    teacher = people["teacher"]
    teacher.language = "en"
    teacher.save(update_fields=["language"])
    client.force_login(teacher)

    assert '<html lang="en" dir="ltr">' in client.get(reverse("home")).content.decode()


def test_the_sign_in_page_switches_language_for_a_visitor(client, db):
    assert '<html lang="ar" dir="rtl">' in client.get(reverse("login")).content.decode()

    client.post(reverse("set-language"), {"language": "fr", "next": reverse("login")})

    assert '<html lang="fr" dir="ltr">' in client.get(reverse("login")).content.decode()


def test_history_times_read_as_moroccan_dates_in_casablanca_time(client, people, clock):
    moment = datetime(2026, 3, 5, 9, 7, tzinfo=UTC)  # during Ramadan 2026 Morocco is at UTC+0
    clock.now = moment
    ticket = file_request(people["teacher"])
    client.force_login(people["teacher"])

    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()

    local = timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")
    assert f">{local}</time>" in page
    assert re.search(r">\d{2}/\d{2}/\d{4} \d{2}:\d{2}</time>", page)


def test_the_stylesheet_is_served_and_uses_logical_properties_only(client):
    found = finders.find("musanada/musanada.css")
    assert found, "musanada/static/musanada/musanada.css is not found by the static files finders"
    assert static("musanada/musanada.css") in client.get(reverse("login")).content.decode()

    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|"
        r"(?:text-align|float|clear)\s*:\s*(?:left|right)",
        Path(found).read_text(),
    )
    assert physical == []


def test_a_language_chosen_on_the_sign_in_page_is_kept_on_the_account(client, people):
    client.post(reverse("set-language"), {"language": "fr", "next": reverse("login")})
    client.post(reverse("login"), {"username": "teacher", "password": PASSWORD})
    people["teacher"].refresh_from_db()
    assert people["teacher"].language == "fr"
    page = client.get(reverse("home"))
    assert 'lang="fr"' in page.content.decode()


def test_select_boxes_inputs_and_text_areas_written_in_python_are_djangos_markup_exactly():
    stock, ours = DjangoTemplates(), FormRenderer()
    choices = [
        ("", "---------"),
        ("Massar", [("massar-grades", "Saisie des notes <&>"), ("massar-access", 'Code d\'accès "oublié"')]),
        ("other", "أخرى"),
        (3, "trois"),
    ]
    widgets = [
        (
            forms.Select(choices=choices, attrs={"id": "id_c", "required": True, "data-x": None}),
            "massar-grades",
        ),
        (forms.Select(choices=choices, attrs={"disabled": False, "aria-describedby": "h"}), None),
        (forms.SelectMultiple(choices=choices), ["other", "3"]),
        (forms.NullBooleanSelect(), True),
    ]
    for widget, value in widgets:
        assert widget.render("c", value, renderer=ours) == widget.render("c", value, renderer=stock)
    # Inputs and text areas too, with values and attributes that need escaping.
    fields = [
        (
            forms.TextInput(attrs={"id": "id_q", "maxlength": 200, "dir": "auto", "required": True}),
            'a "b" <c>',
        ),
        (forms.HiddenInput(), 7),
        (forms.NumberInput(attrs={"min": 1}), None),
        (forms.PasswordInput(render_value=False), "secret"),
        (forms.EmailInput(), "x@example.ma"),
        (forms.FileInput(attrs={"accept": ".png,.pdf", "data-max-files": 10}), None),
        (forms.Textarea(attrs={"rows": 4, "dir": "auto", "aria-invalid": "true"}), "ligne 1\n<b>& ligne 2"),
        (forms.Textarea(), ""),
    ]
    for widget, value in fields:
        assert widget.render("c", value, renderer=ours) == widget.render("c", value, renderer=stock)
    # Every form of the product renders with it.
    assert isinstance(get_default_renderer(), FormRenderer)


# The requester's next step, and people by name ------------------------------------------------------------


def test_a_resolved_request_asks_its_requester_first_to_confirm_or_reopen_then_rate_in_one_tap(
    client, people
):
    ticket = file_request(people["teacher"])
    services.ticket_resolve(people["head"], ticket, resolution="Mot de passe réinitialisé.")
    client.force_login(people["teacher"])

    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()

    next_step = page[page.index('id="next-step"') :]
    assert next_step.index("Mot de passe réinitialisé.") < next_step.index('id="actions"')
    assert f'action="{reverse("ticket-act", args=[ticket.reference, "close"])}"' in next_step
    assert 'href="#reopen-reason"' in next_step and 'id="reopen-reason"' in page
    client.post(reverse("ticket-act", args=[ticket.reference, "close"]), {"version": ticket.version})
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    # Closed: the rating is the one step left, one tap.
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assert 'name="score" value="5"' in page[page.index('id="next-step"') :]
    client.post(
        reverse("ticket-act", args=[ticket.reference, "rate"]), {"version": ticket.version, "score": "5"}
    )
    ticket.refresh_from_db()
    assert ticket.rating == 5
    assert (
        'id="next-step"' not in client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    )


def test_the_desk_sees_no_next_step_of_the_requester(client, people):
    ticket = file_request(people["teacher"])
    services.ticket_resolve(people["head"], ticket, resolution="Fait.")
    client.force_login(people["head"])
    assert (
        'id="next-step"' not in client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    )


def test_the_history_names_the_assigned_agent_by_name_not_username(client, people):
    ticket = file_request(people["teacher"])
    services.ticket_assign(people["head"], ticket, assignee=people["head"])
    client.force_login(people["head"])
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    with translation.override("ar"):
        assert (
            escape(translation.gettext("Assigned to %(user)s") % {"user": people["head"].get_full_name()})
            in page
        )


def test_the_inbox_folds_its_filters_and_shows_the_active_ones_as_removable_chips(client, people):
    file_request(people["teacher"], priority=Priority.URGENT)
    client.force_login(people["head"])

    page = client.get(reverse("home"), {"tab": "desk", "priority": "urgent"}).content.decode()

    assert '<details class="more-filters">' in page
    chips = page[page.index('class="chips"') :]
    with translation.override("ar"):
        assert escape(str(Priority.URGENT.label)) in chips[: chips.index("</ul>")]
    assert 'href="?tab=desk"' in chips


def test_the_header_offers_tokens_to_desks_and_the_administration_to_staff_only(client, people):
    tokens = f'href="{reverse("api-tokens")}"'
    administration = f'href="{reverse("admin:index")}"'
    for username, sees_tokens, sees_administration in (
        ("teacher", False, False),
        ("head", True, False),
        ("admin", True, True),
    ):
        client.force_login(people[username])
        page = client.get(reverse("home")).content.decode()
        assert (tokens in page, administration in page) == (sees_tokens, sees_administration), username


def test_every_field_of_the_products_forms_renders_as_djangos_templates_would(people):
    # The renderer writes fields, labels and error lists in Python: the markup must stay Django's, for every
    # field of the pages' forms, bound with errors and unbound. Each form is built twice, once per renderer
    # (a form's fields keep the renderer they were made with).
    from musanada.web.forms import ACTION_FORMS, BulkForm, InboxFilterForm, NewTicketForm

    ticket = file_request(people["teacher"])
    head, teacher = people["head"], people["teacher"]
    makers = [
        lambda renderer: NewTicketForm(user=teacher, renderer=renderer),
        lambda renderer: NewTicketForm({"subject": "", "description": "x"}, user=teacher, renderer=renderer),
        lambda renderer: InboxFilterForm({"q": "<b>", "age": "x"}, user=head, renderer=renderer),
        lambda renderer: BulkForm({"action": "assign", "assignee": "0"}, user=head, renderer=renderer),
    ]
    for form_class in ACTION_FORMS.values():
        makers.append(lambda renderer, c=form_class: c(ticket=ticket, user=head, renderer=renderer))
        makers.append(
            lambda renderer, c=form_class: c({"version": "x"}, ticket=ticket, user=head, renderer=renderer)
        )
    stock = DjangoTemplates()
    for make in makers:
        ours, theirs = make(None), make(stock)
        assert isinstance(ours.renderer, FormRenderer)
        for form in (ours, theirs):
            if form.is_bound:
                form.is_valid()
        for name in ours.fields:
            assert ours[name].as_field_group() == theirs[name].as_field_group(), (type(ours).__name__, name)
        assert str(ours.non_field_errors()) == str(theirs.non_field_errors())
