"""Reading raw mails: identifiers, senders, every common charset and encoding, HTML, attachments, robots."""

import base64
import email
import email.policy
import quopri

import pytest

from musanada.mail import parsing
from tests.mail.mails import PNG, fixture_bytes, make_mail, outlook_inline_image, with_from


def test_identifiers_and_sender_are_read_and_the_address_is_lower_cased():
    raw = make_mail(
        sender='"Souad El Alaoui" <Teacher@Demo.Musanada.MA>',
        message_id="<abc.123@example.ma>",
        headers=[
            ("In-Reply-To", "<MSN-2026-000042.3@musanada.men.gov.ma>"),
            ("References", "<first@example.ma> <MSN-2026-000042.3@musanada.men.gov.ma>"),
        ],
    )
    mail = parsing.parse(raw)
    assert mail.message_id == "<abc.123@example.ma>"
    assert mail.sender == "teacher@demo.musanada.ma"
    assert mail.sender_name == "Souad El Alaoui"
    assert mail.in_reply_to == ("<MSN-2026-000042.3@musanada.men.gov.ma>",)
    assert mail.references == ("<first@example.ma>", "<MSN-2026-000042.3@musanada.men.gov.ma>")
    assert mail.thread_ids[0] == "<MSN-2026-000042.3@musanada.men.gov.ma>"
    assert not mail.is_robot


def test_a_mail_without_message_id_gets_a_stable_identifier_from_its_content():
    raw = make_mail().replace(b"Message-ID:", b"X-Old-Id:")
    assert parsing.parse(raw).message_id == parsing.parse(raw).message_id
    assert parsing.parse(raw).message_id.endswith("@musanada.invalid>")
    assert parsing.parse(raw).message_id != parsing.parse(raw + b"more").message_id


def test_the_outbound_message_id_names_its_ticket_and_the_products_domain():
    message_id = parsing.ticket_message_id("MSN-2026-000777", 4, "musanada.men.gov.ma")
    assert message_id == "<MSN-2026-000777.4@musanada.men.gov.ma>"


def test_a_reference_in_the_subject_is_found_whatever_surrounds_it():
    assert parsing.reference_in_subject("RE: [Musanada msn-2026-000123] mot de passe") == "MSN-2026-000123"
    assert parsing.reference_in_subject("رد: MSN-2026-000123 مشكل") == "MSN-2026-000123"
    assert parsing.reference_in_subject("MSN-2026-12 is not one") is None


def test_arabic_subject_in_base64_and_french_body_in_quoted_printable_are_decoded():
    subject = "تعذر الولوج إلى منظومة مسار"
    body = "Bonjour,\r\nle secrétariat n'arrive plus à se connecter à Massar depuis lundi.\r\nMerci.\r\n"
    raw = (
        "From: Souad <teacher@demo.musanada.ma>\r\n"
        f"Subject: =?UTF-8?B?{base64.b64encode(subject.encode()).decode()}?=\r\n"
        "Message-ID: <b64-qp@example.ma>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + quopri.encodestring(body.encode())
    mail = parsing.parse(raw)
    assert mail.subject == subject
    assert mail.text == (
        "Bonjour,\nle secrétariat n'arrive plus à se connecter à Massar depuis lundi.\nMerci."
    )


def test_windows_1256_arabic_from_outlook_is_decoded_with_its_attachment():
    mail = parsing.parse(fixture_bytes("outlook-arabic-windows-1256.eml"))
    assert mail.subject == "مشكل في منظومة مسار"
    assert mail.sender == "region@demo.musanada.ma"
    assert mail.sender_name == "عبد الله الشرقاوي"
    assert "لا يمكن للأساتذة إدخال النقط منذ صباح اليوم." in mail.text
    assert [(a.name, a.content_type, a.content) for a in mail.attachments] == [
        ("لقطة شاشة.png", "image/png", PNG)
    ]


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-6", "الرجاء إعادة تعيين كلمة المرور"),
        ("windows-1256", "الرجاء إعادة تعيين كلمة المرور، وشكرا"),
        ("iso-8859-1", "Réinitialisation du mot de passe, s'il vous plaît"),
        ("windows-1252", "Problème d’accès à l’espace « Moudaris »"),
        ("utf-8", "مرحبا, ça marche"),
    ],
)
def test_common_charsets_decode_in_subject_and_body(charset, text):
    encoded_subject = base64.b64encode(text.encode(charset)).decode()
    raw = (
        f"From: a@example.ma\r\nSubject: =?{charset}?B?{encoded_subject}?=\r\nMessage-ID: <c@example.ma>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + text.encode(charset)
    mail = parsing.parse(raw)
    assert mail.subject == text
    assert mail.text == text


def test_latin_1_declared_but_windows_1252_sent_keeps_the_curly_quotes():
    text = "l’élève « absent »"
    raw = (
        b"From: a@example.ma\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
    ) + text.encode("cp1252")
    assert parsing.parse(raw).text == text


def test_raw_utf8_in_headers_and_an_unknown_charset_still_read():
    raw = (
        "From: a@example.ma\r\nSubject: طلب مساعدة\r\n"
        "Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nنص الرسالة"
    ).encode()
    mail = parsing.parse(raw)
    assert mail.subject == "طلب مساعدة"
    assert mail.text == "نص الرسالة"


def test_html_only_mail_becomes_sanitised_text_without_script_content():
    mail = parsing.parse(fixture_bytes("html-only.eml"))
    assert mail.text == (
        "Bonjour,\n\nLe portail Massar affiche une erreur 500 depuis ce matin.\n\n"
        "Navigateur : Firefox\nPoste : secrétariat"
    )
    for leaked in ("alert", "pirate", "cookie", "steal", "color", "Titre secret", "<", "tracker"):
        assert leaked not in mail.text


def test_plain_text_is_preferred_to_the_html_alternative():
    mail = parsing.parse(make_mail(body="the plain version", html="<p>the <b>HTML</b> version</p>"))
    assert mail.text == "the plain version"


def test_attachments_keep_their_name_bytes_and_claimed_type():
    raw = make_mail(
        attachments=[("capture écran.png", PNG, "image/png"), ("notes.txt", b"ligne 1\n", "text/plain")]
    )
    mail = parsing.parse(raw)
    assert mail.text == "Massar refuses the grades of class 3 since this morning."
    assert [(a.name, a.content, a.content_type) for a in mail.attachments] == [
        ("capture écran.png", PNG, "image/png"),
        ("notes.txt", b"ligne 1\n", "text/plain"),
    ]


def test_a_forwarded_message_is_one_attachment_not_a_second_body():
    inner = make_mail(subject="inner", body="the forwarded text")
    raw = (
        b"From: a@example.ma\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n"
    )
    mail = parsing.parse(raw)
    assert mail.text == "see below"
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]
    assert b"the forwarded text" in mail.attachments[0].content


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("Auto-Submitted", "auto-replied")], "auto-submitted"),
        ([("Auto-Submitted", "auto-generated; owner-email=x@example.ma")], "auto-submitted"),
        ([("X-Autoreply", "yes")], "autoreply"),
        ([("X-Autorespond", "Out of office")], "autoreply"),
        ([("Precedence", "bulk")], "precedence"),
        ([("Precedence", "junk")], "precedence"),
        ([("Precedence", "list")], "precedence"),
        ([("Return-Path", "<>")], "bounce"),
        ([("List-Id", "Annonces <annonces.men.gov.ma>")], "list"),
        ([("List-Unsubscribe", "<mailto:unsubscribe@news.example.ma>")], "list"),
    ],
)
def test_robot_mail_is_recognised(headers, reason):
    assert parsing.parse(make_mail(headers=headers)).robot == reason


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.men.gov.ma", "postmaster@example.ma"])
def test_mail_from_the_mail_system_is_a_robot(sender):
    assert parsing.parse(make_mail(sender=sender)).robot == "bounce"


def test_a_person_saying_auto_submitted_no_is_not_a_robot():
    raw = make_mail(headers=[("Auto-Submitted", "no"), ("Return-Path", "<teacher@demo.musanada.ma>")])
    assert not parsing.parse(raw).is_robot


def test_fixtures_of_a_bounce_and_an_out_of_office_are_robots():
    bounce = parsing.parse(fixture_bytes("bounce.eml"))
    assert bounce.robot == "bounce"
    assert bounce.attachments == ()
    assert parsing.parse(fixture_bytes("out-of-office.eml")).robot == "auto-submitted"


def test_a_delivery_report_without_other_signals_is_a_robot():
    raw = (
        fixture_bytes("bounce.eml")
        .replace(b"Return-Path: <>\r\n", b"")
        .replace(b"MAILER-DAEMON@mx.men.gov.ma", b"notifications@mx.men.gov.ma")
    )
    assert parsing.parse(raw).robot == "report"


@pytest.mark.parametrize(
    ("text", "new_part"),
    [
        (
            "Merci, c'est réglé.\n\nLe lun. 23 nov. 2026, Musanada a écrit :\n> Votre demande…",
            "Merci, c'est réglé.",
        ),
        ("Thanks.\n\nOn Mon, Nov 23, 2026 at 9:00 AM Musanada wrote:\n> quoted", "Thanks."),
        ("شكرا\n\n-----Original Message-----\nFrom: Musanada\nold text", "شكرا"),
        ("On Mon, Musanada wrote:\n> question?\n\nMy answer below.", "My answer below."),
        ("> quoted only", ""),
    ],
)
def test_the_new_part_of_a_reply_is_kept_and_the_quote_dropped(text, new_part):
    assert parsing.strip_quoted(text) == new_part


@pytest.mark.parametrize(
    "header, sender, name",
    [
        # An encoded display name that holds an address stays a name: the address is the one outside it.
        (
            "From: =?utf-8?b?"
            + base64.b64encode("مدير <region@demo.musanada.ma>".encode()).decode()
            + "?= <outsider@evil.example>",
            "outsider@evil.example",
            "مدير <region@demo.musanada.ma>",
        ),
        (
            'From: "region@demo.musanada.ma" <Outsider@Evil.Example>',
            "outsider@evil.example",
            "region@demo.musanada.ma",
        ),
        (
            "From: =?iso-8859-1?q?=3Cregion=40demo.musanada.ma=3E?= <x@evil.example>",
            "x@evil.example",
            "<region@demo.musanada.ma>",
        ),
        # Two authors, or none that parses: no sender the intake could trust.
        ("From: a@demo.musanada.ma, b@demo.musanada.ma", "", ""),
        ("From: <not an address>", "", ""),
    ],
)
def test_the_sender_is_read_from_the_headers_structure_never_from_decoded_text(header, sender, name):
    mail = parsing.parse(with_from(make_mail(sender="before-forging@example.ma"), header))
    assert (mail.sender, mail.sender_name) == (sender, name)


def test_reply_to_and_sender_headers_never_replace_the_author():
    raw = make_mail(
        sender="teacher@demo.musanada.ma",
        headers=[("Reply-To", "region@demo.musanada.ma"), ("Sender", "region@demo.musanada.ma")],
    )
    assert parsing.parse(raw).sender == "teacher@demo.musanada.ma"


def test_bidi_controls_and_control_characters_never_reach_a_subject_a_name_or_a_file_name():
    raw = make_mail(
        sender="Souad\u202e El Alaoui <teacher@demo.musanada.ma>",
        subject="Facture\u202egpj.exe\u0007 urgente",
        attachments=[("photo\u202egnp.exe", PNG, "image/png")],
    )
    mail = parsing.parse(raw)
    assert mail.subject == "Facturegpj.exe urgente"
    assert mail.sender_name == "Souad El Alaoui"
    assert [a.name for a in mail.attachments] == ["photognp.exe"]


def test_one_invalid_byte_replaces_that_character_only_not_the_whole_utf8_text():
    text = "لا يمكن إدخال النقط في منظومة مسار منذ صباح اليوم."
    broken = text.encode()[:20] + b"\xff" + text.encode()[20:]
    decoded = parsing.decode_bytes(broken, "utf-8")
    assert decoded.replace("\ufffd", "") == text and decoded.count("\ufffd") == 1
    # Undeclared, too.
    assert parsing.decode_bytes(broken).replace("\ufffd", "") == text


@pytest.mark.parametrize(
    "attribution",
    [
        "في 5 دجنبر 2026، كتب محمد العلوي <head@demo.musanada.ma>:",
        "بتاريخ الإثنين 5 دجنبر 2026 على الساعة 10:00، كتب محمد العلوي :",
        "Le lun. 5 déc. 2026 à 10:00, Mohamed Alaoui <head@demo.musanada.ma> a écrit :",
    ],
)
def test_arabic_and_french_attribution_lines_go_with_the_quote(attribution):
    text = f"شكرا، المشكل ما زال قائما.\n\n{attribution}\n> المرجو إعادة المحاولة."
    assert parsing.strip_quoted(text) == "شكرا، المشكل ما زال قائما."


TRUSTED = "mx.men.gov.ma"


def _authenticated(*results: str, domain="men.gov.ma") -> bool:
    raw = make_mail(authenticated=False, headers=[("Authentication-Results", value) for value in results])
    found = parsing.authentication(parsing.parse(raw).authentication_results, TRUSTED)
    return found.vouches_for(domain)


@pytest.mark.parametrize(
    "results, expected",
    [
        ([f"{TRUSTED}; dmarc=pass (p=reject) header.from=men.gov.ma"], True),
        ([f"{TRUSTED}; spf=pass smtp.mailfrom=cri@men.gov.ma; dkim=none"], True),  # aligned SPF
        ([f"{TRUSTED}; dkim=pass header.d=men.gov.ma header.i=@men.gov.ma"], True),  # aligned DKIM
        ([f"{TRUSTED} 1; spf=pass smtp.mailfrom=cri.men.gov.ma"], True),  # a version, a subdomain
        (
            [f"{TRUSTED}; spf=pass smtp.mailfrom=bounce@mailer.example; dkim=pass header.d=mailer.example"],
            False,
        ),
        (
            [f"{TRUSTED}; dmarc=fail header.from=men.gov.ma; spf=softfail; dkim=fail header.d=men.gov.ma"],
            False,
        ),
        ([f"{TRUSTED}; dmarc=none"], False),
        # Another server's results, however many and however good, count for nothing.
        (
            [
                "mx.evil.example; dmarc=pass header.from=men.gov.ma",
                "relay.example; spf=pass smtp.mailfrom=men.gov.ma",
            ],
            False,
        ),
        # Only the trusted server's topmost header counts: one a sender wrote below it is ignored.
        (
            [
                f"{TRUSTED}; dmarc=fail header.from=men.gov.ma",
                f"{TRUSTED}; dmarc=pass header.from=men.gov.ma",
            ],
            False,
        ),
        ([], False),
    ],
)
def test_only_the_trusted_servers_topmost_authentication_results_vouch_for_a_sender(results, expected):
    assert _authenticated(*results) is expected


def test_inline_images_are_attachments_named_in_the_text_where_they_were():
    mail = parsing.parse(outlook_inline_image())
    assert [(a.name, a.content, a.content_type) for a in mail.attachments] == [
        ("image001.png", PNG, "image/png")
    ]
    assert mail.text == "Voici l'erreur :\n[image: image001.png]\nMerci."


def test_an_html_only_mail_names_its_inline_image_and_drops_a_dead_cid():
    raw = make_mail(
        body=None,
        html='<p>Capture :<img src="cid:shot@x"> et <img src="cid:missing@x"></p>',
        attachments=[("ecran.png", PNG, "image/png")],
    )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    [image] = [part for part in message.iter_attachments()]
    image["Content-ID"] = "<shot@x>"
    mail = parsing.parse(message.as_bytes())
    assert mail.text == "Capture : [image: ecran.png] et"
    assert "cid:" not in mail.text
