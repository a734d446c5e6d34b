"""The pages as people and browsers meet them: the new-request form, the ticket page with and without htmx,
accessibility hooks, static files and page weight.

Expected texts go through gettext in the page's language, so that these tests hold before and after the
translations are filled in.
"""

import gzip
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from musanada.tickets import services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Priority, Status
from tests.helpers import file_request

SUBJECT = "تعذر إدخال النقط"
DESCRIPTION = "لا يقبل النظام إدخال نقط المراقبة المستمرة للقسم 3."
NOTE = "راجعت حساب الأستاذ في مسار: الحساب سليم"
HTMX = {"HTTP_HX_REQUEST": "true"}


def png() -> bytes:
    """A real one-pixel PNG: the server reads the content, not the name."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def shown(message, language="ar", **params) -> str:
    with translation.override(language):
        text = str(message)
        return escape(text % params if params else text)


def page_of(client, ticket, **headers) -> str:
    response = client.get(reverse("ticket-detail", args=[ticket.reference]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def tag(page: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert match, f"no element with id {element_id}"
    return match.group(0)


def form_of(page: str, form_id: str) -> str:
    start = page.index(f'id="{form_id}"')
    return page[start : page.index("</form>", start)]


def new_request_data(units, categories, **changes) -> dict:
    data = {
        "unit": units["01001A"].pk,
        "category": categories["massar-grades"].pk,
        "subject": SUBJECT,
        "description": DESCRIPTION,
        "priority": Priority.HIGH,
    }
    data.update(changes)
    return data


# The new-request form --------------------------------------------------------------------------------


def test_new_request_form_states_the_allowed_types_and_size_limit_for_people_and_for_the_script(
    client, people
):
    client.force_login(people["teacher"])

    page = client.get(reverse("ticket-new")).content.decode()

    limits = settings.MUSANADA
    with translation.override("ar"):
        size = filesizeformat(limits["ATTACHMENT_MAX_BYTES"])
    help_text = re.search(r'<div class="helptext" id="id_attachments_helptext">(.*?)</div>', page, re.S)
    assert help_text, "the attachments field has no help text"
    for ext in limits["ATTACHMENT_TYPES"]:
        assert ext in help_text.group(1)
    assert escape(size) in help_text.group(1)
    assert str(limits["ATTACHMENT_MAX_FILES"]) in help_text.group(1)

    file_input = tag(page, "id_attachments")
    assert f'data-max-bytes="{limits["ATTACHMENT_MAX_BYTES"]}"' in file_input
    assert f'data-max-files="{limits["ATTACHMENT_MAX_FILES"]}"' in file_input
    assert ".pdf" in file_input and ".jpeg" in file_input and "multiple" in file_input
    assert "id_attachments_helptext" in file_input  # aria-describedby: the rules are read with the field
    # The drop zone and the list the script fills are there; the hint waits for the script.
    assert 'id="id_attachments_dropzone"' in page and 'id="id_attachments_list"' in page
    assert tag(page, "new-request").startswith("<form")


def test_new_request_offers_the_category_as_information_system_then_topic(client, people, categories):
    client.force_login(people["teacher"])

    page = client.get(reverse("ticket-new")).content.decode()

    select = page[page.index('id="id_category"') : page.index("</select>", page.index('id="id_category"'))]
    with translation.override("ar"):
        system = categories["massar"].name
        topic = categories["massar-grades"].name
    group = re.search(rf'<optgroup label="{re.escape(escape(system))}">(.*?)</optgroup>', select, re.S)
    assert group, "the topics of Massar are not grouped under it"
    assert f'value="{categories["massar-grades"].pk}"' in group.group(1)
    assert escape(topic) in group.group(1)
    assert '<label for="id_category"' in page


def test_bad_data_keeps_what_was_typed_and_marks_each_wrong_field_beside_it(
    client, people, units, categories
):
    client.force_login(people["teacher"])

    response = client.post(
        reverse("ticket-new"), new_request_data(units, categories, subject="", priority="whenever")
    )

    assert response.status_code == 400
    page = response.content.decode()
    for field in ("id_subject", "id_priority"):
        widget = tag(page, field)
        assert 'aria-invalid="true"' in widget
        assert f"{field}_error" in widget
        assert f'<ul class="errorlist" id="{field}_error">' in page
    assert 'aria-invalid="true"' not in tag(page, "id_description")
    assert DESCRIPTION in page
    category_select = page[page.index('id="id_category"') :]
    assert re.search(rf'<option value="{categories["massar-grades"].pk}" selected>', category_select)
    assert 'role="alert" id="new-request-errors"' in page
    assert not Ticket.objects.exists()


def test_files_sent_with_a_form_that_comes_back_are_asked_for_again_beside_the_file_field(
    client, people, units, categories
):
    client.force_login(people["teacher"])
    data = new_request_data(units, categories, subject="  ")
    data["attachments"] = [SimpleUploadedFile("capture.png", png(), content_type="image/png")]

    response = client.post(reverse("ticket-new"), data)

    assert response.status_code == 400
    errors = re.search(
        r'<ul class="errorlist" id="id_attachments_error">(.*?)</ul>', response.content.decode()
    )
    assert errors, "nothing tells the user that the file must be chosen again"
    assert shown(
        _(
            "The page came back because of an error: your browser does not keep chosen files, "
            "so choose them again."
        )
    ) in errors.group(1)


def test_a_good_request_with_a_file_is_filed_and_opens_its_page(client, people, units, categories):
    client.force_login(people["teacher"])
    data = new_request_data(units, categories)
    data["attachments"] = [SimpleUploadedFile("capture.png", png(), content_type="image/png")]

    response = client.post(reverse("ticket-new"), data)

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == reverse("ticket-detail", args=[ticket.reference])
    page = client.get(response.url).content.decode()
    assert shown(_("Your request %(reference)s was filed."), reference=ticket.reference) in page
    assert "capture.png" in page


# The ticket page -------------------------------------------------------------------------------------


def test_internal_notes_show_to_desk_staff_marked_internal_and_never_to_the_requester(client, people):
    ticket = file_request(people["teacher"])
    services.ticket_note(people["head"], ticket, body=NOTE)
    services.ticket_reply(people["head"], ticket, body="سنتصل بك قريبا")

    client.force_login(people["teacher"])
    requester_page = page_of(client, ticket)
    assert NOTE not in requester_page and "سنتصل بك قريبا" in requester_page
    assert 'data-public="false"' not in requester_page
    assert 'value="note"' not in requester_page and "/act/note/" not in requester_page

    client.force_login(people["head"])
    desk_page = page_of(client, ticket)
    history = desk_page[desk_page.index('id="history"') :]
    note = re.search(
        r'<li class="event kind-note internal"[^>]*data-public="false">(.*?)</li>', history, re.S
    )
    assert note and NOTE in note.group(1)
    assert shown(_("Internal")) in note.group(1)
    # The composer's internal-note mode, posting to the note action.
    composer = form_of(desk_page, "action-reply")
    assert 'name="mode" value="note"' in composer
    assert f'formaction="{reverse("ticket-act", args=[ticket.reference, "note"])}"' in composer

    client.force_login(people["supervisor"])
    assert NOTE in page_of(client, ticket)


def test_ticket_page_gives_stable_hooks_for_status_desk_history_and_each_offered_action(
    client, people, units
):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    page = page_of(client, ticket)

    assert f'data-status="{Status.NEW}"' in tag(page, "ticket-status")
    assert f'data-code="{units["01001A"].code}"' in tag(page, "ticket-desk")
    assert tag(page, "history").startswith("<ol")
    for action in ("take", "assign", "request_info", "escalate", "resolve", "attach"):
        form = tag(page, f"action-{action}")
        url = reverse("ticket-act", args=[ticket.reference, action])
        # Without JavaScript a plain POST; with htmx the same URL, answered into <main>.
        assert f'action="{url}"' in form and f'hx-post="{url}"' in form and 'hx-target="#main"' in form
    # Reply and internal note: one composer, a send button per mode, each with its own address.
    composer = form_of(page, "action-reply")
    reply_url = reverse("ticket-act", args=[ticket.reference, "reply"])
    assert f'action="{reply_url}"' in composer and f'hx-post="{reply_url}"' in composer
    for action in ("reply", "note"):
        assert f'formaction="{reverse("ticket-act", args=[ticket.reference, action])}"' in composer
    assert 'id="action-close"' not in page and 'id="action-rate"' not in page


def test_requester_rates_with_five_radio_buttons_each_with_its_label(client, people):
    ticket = file_request(people["teacher"])
    services.ticket_resolve(people["head"], ticket, resolution="أعيد تعيين كلمة المرور.")
    client.force_login(people["teacher"])

    rate = form_of(page_of(client, ticket), "action-rate")

    radios = re.findall(r'<input type="radio" name="score" value="(\d)"[^>]*id="(rate-score_\d)"', rate)
    assert [value for value, _id in radios] == ["1", "2", "3", "4", "5"]
    for _value, radio_id in radios:
        assert f'for="{radio_id}"' in rate
    assert "<fieldset" in rate and "<legend" in rate


def test_escalation_form_says_where_the_ticket_goes_and_requires_the_note(client, people, units):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    escalate = form_of(page_of(client, ticket), "action-escalate")

    with translation.override("ar"):
        province = units["MA-01-01"].name
    assert escape(province) in escalate[escalate.index('id="escalate-destination"') :]
    assert "required" in tag(escalate, "escalate-note")


def test_escalation_from_an_academy_names_the_central_service_of_each_category(client, people, categories):
    ticket = file_request(people["teacher"])
    services.ticket_escalate(people["head"], ticket, note="جربت متصفحا آخر")
    services.ticket_escalate(people["province"], ticket, note="المشكل عام في الإقليم")
    client.force_login(people["region"])

    page = page_of(client, ticket)

    match = re.search(r'<script id="escalate-destinations" type="application/json">(.*?)</script>', page)
    assert match, "the escalation form has no category → service map"
    destinations = json.loads(match.group(1))
    with translation.override("ar"):
        assert destinations[str(categories["massar-grades"].pk)] == categories["massar-grades"].owner.name
        assert destinations[str(categories["taalim"].pk)] == categories["taalim"].owner.name


# htmx ------------------------------------------------------------------------------------------------


def test_an_htmx_request_gets_the_main_content_without_the_layout(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    partial = page_of(client, ticket, **HTMX)

    assert "<html" not in partial and "<header" not in partial.split('<article class="ticket"')[0]
    assert 'id="ticket"' in partial and 'id="history"' in partial and 'id="action-escalate"' in partial
    # A history restore asks for the whole page.
    full = page_of(client, ticket, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert full.lstrip().startswith("<!doctype html>")


def test_a_successful_htmx_action_answers_the_refreshed_content_with_its_confirmation(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    response = client.post(
        reverse("ticket-act", args=[ticket.reference, "reply"]),
        {"version": ticket.version, "body": "نعمل على طلبك"},
        **HTMX,
    )

    assert response.status_code == 200
    partial = response.content.decode()
    assert "<html" not in partial
    assert shown(_("Your reply was sent.")) in partial
    assert f'data-status="{Status.OPEN}"' in tag(partial, "ticket-status")
    assert "نعمل على طلبك" in partial[partial.index('id="history"') :]
    # The confirmation was shown once: the next full page does not repeat it.
    assert shown(_("Your reply was sent.")) not in page_of(client, ticket)


def test_the_same_action_without_htmx_redirects_to_the_ticket_page(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    response = client.post(
        reverse("ticket-act", args=[ticket.reference, "take"]), {"version": ticket.version}
    )

    assert response.status_code == 302 and response.url == reverse("ticket-detail", args=[ticket.reference])


def test_an_htmx_action_with_bad_data_answers_the_content_with_the_error_beside_the_field(
    client, people, units, categories
):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    response = client.post(
        reverse("ticket-act", args=[ticket.reference, "escalate"]),
        {
            "version": ticket.version,
            "category": categories["massar"].pk,
            "priority": Priority.HIGH,
            "subject": "عنوان جديد",
            "note": "",
        },
        **HTMX,
    )

    # 400 is among the answers base.html tells htmx to swap in.
    assert response.status_code == 400
    partial = response.content.decode()
    assert "<html" not in partial
    assert 'aria-invalid="true"' in tag(partial, "escalate-note")
    assert '<ul class="errorlist" id="escalate-note_error">' in partial
    assert 'value="عنوان جديد"' in tag(partial, "escalate-subject")
    assert re.search(r'<details class="action" id="panel-escalate" open>', partial)
    assert Ticket.objects.get(pk=ticket.pk).desk == units["01001A"]


def test_htmx_is_configured_to_swap_form_errors_and_never_to_restore_history_from_a_partial(client, people):
    client.force_login(people["teacher"])

    page = client.get(reverse("home")).content.decode()

    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='(.*?)'>", page).group(1))
    swapped = [rule["code"] for rule in config["responseHandling"] if rule["swap"]]
    for status in ("200", "400", "403", "409", "422"):
        assert any(re.search(code, status) for code in swapped), status
    assert not any(re.search(code, "404") or re.search(code, "500") for code in swapped)
    assert config["historyRestoreAsHxRequest"] is False


# Layout, accessibility, assets ------------------------------------------------------------------------


def test_every_page_loads_its_scripts_deferred_from_the_product_itself_and_links_no_external_host(
    client, people
):
    ticket = file_request(people["teacher"])
    services.ticket_note(people["head"], ticket, body=NOTE)
    pages = {"login": client.get(reverse("login")).content.decode()}
    client.force_login(people["head"])
    pages["home"] = client.get(reverse("home")).content.decode()
    pages["new"] = client.get(reverse("ticket-new")).content.decode()
    pages["ticket"] = page_of(client, ticket)

    for name, page in pages.items():
        assert re.findall(r'(?:src|href|action)="(?:https?:)?//', page) == [], name
        assert '<script src="/static/musanada/vendor/htmx.min.js" defer></script>' in page, name
        assert '<script src="/static/musanada/musanada.js" defer></script>' in page, name
        assert '<a class="skip" href="#main">' in page and '<main id="main" tabindex="-1">' in page, name
        assert '<html lang="ar" dir="rtl">' in page, name


def test_headings_on_the_ticket_page_go_down_one_level_at_a_time(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    levels = [int(level) for level in re.findall(r"<h([1-6])\b", page_of(client, ticket))]

    assert levels[0] == 1 and levels.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False))


def test_htmx_is_vendored_with_its_licence_and_version(client):
    folder = Path(finders.find("musanada/vendor/htmx.min.js")).parent
    readme = (folder / "README.md").read_text()

    assert (folder / "LICENSE").read_text().startswith("Zero-Clause BSD")
    assert re.search(r"\| 2\.0\.\d+ \|", readme) and "htmx.org" in readme
    served = client.get("/static/musanada/vendor/htmx.min.js")
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith((folder / "htmx.min.js").read_bytes()[:200])


def _declarations(css: str) -> str:
    # Media queries speak of the screen's width; only declarations must be logical.
    return re.sub(r"@media[^{]*\{", "{", re.sub(r"/\*.*?\*/", "", css, flags=re.S))


def test_the_stylesheet_uses_logical_properties_and_system_fonts_only():
    css = Path(finders.find("musanada/musanada.css")).read_text()

    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right|top|bottom)\b|(?<![-\w])(?:left|right|top|bottom)\s*:|"
        r"(?<![-\w])(?:width|height|min-width|max-width|min-height|max-height)\s*:|"
        r"(?:text-align|float|clear)\s*:\s*(?:left|right)",
        _declarations(css),
    )
    assert physical == []
    assert "@import" not in css and "@font-face" not in css and "url(" not in css
    assert '"Noto Naskh Arabic"' in css and "Tahoma" in css


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    ("text", "ground", "minimum"),
    [
        ("--ink", "--paper", 4.5),
        ("--ink", "--ground", 4.5),
        ("--muted", "--paper", 4.5),
        ("--muted", "--ground", 4.5),
        ("--brand", "--paper", 4.5),
        ("--brand", "--ground", 4.5),
        ("--brand-ink", "--brand", 4.5),
        ("--danger", "--danger-ground", 4.5),
        ("--danger", "--paper", 4.5),
        ("--ok", "--ok-ground", 4.5),
        ("--internal", "--internal-ground", 4.5),
        ("--internal", "--paper", 4.5),
        # Borders of fields and the focus rings: 3:1 is what WCAG asks of non-text contrast.
        ("--control", "--paper", 3),
        ("--focus-ring", "--paper", 3),
        ("--focus", "--brand", 3),
    ],
)
def test_the_colours_of_the_stylesheet_meet_wcag_aa_contrast(text, ground, minimum):
    css = Path(finders.find("musanada/musanada.css")).read_text()
    colours = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\b", css))

    assert _contrast(colours[text], colours[ground]) >= minimum


def test_the_ticket_page_and_inbox_with_their_css_and_js_weigh_under_150_kb(client, people):
    ticket = file_request(people["teacher"], subject=SUBJECT, description=DESCRIPTION)
    for number in range(30):
        services.ticket_reply(people["teacher"], ticket, body=f"{DESCRIPTION} ({number})")
    client.force_login(people["head"])

    for url in (reverse("ticket-detail", args=[ticket.reference]), reverse("home")):
        page = client.get(url).content
        assets = re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:css|js))"', page)
        assert len(assets) >= 3
        total = len(page) + sum(
            len(b"".join(client.get(asset.decode()).streaming_content)) for asset in assets
        )
        assert total < 150 * 1024, (url, total)


def test_in_production_static_files_have_hashed_names_a_ten_year_cache_and_gzip(settings, tmp_path, people):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    # A new client builds its middleware now, and WhiteNoise reads STATIC_ROOT when it starts.
    browser = Client()

    page = browser.get(reverse("login")).content.decode()

    for asset in (r"musanada/musanada\.[0-9a-f]{12}\.css", r"musanada/vendor/htmx\.min\.[0-9a-f]{12}\.js"):
        url = re.search(rf'"(/static/{asset})"', page)
        assert url, asset
        response = browser.get(url.group(1), HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        assert response["Cache-Control"] == "max-age=315360000, public, immutable"
        assert response["Content-Encoding"] == "gzip"
        assert gzip.decompress(b"".join(response.streaming_content))
