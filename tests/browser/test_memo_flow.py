"""The memo's path in a real browser: a teacher's request climbs school → province → region → central and
comes back resolved; at each step every party sees what the policy gives them and nothing more."""

import base64
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from musanada.org.models import localized_name
from musanada.tickets.workflow import Status
from tests.browser.helpers import (
    PHONE,
    action_form,
    action_forms,
    expect,
    reference_in,
    submit,
    switch_language,
)

# A 1×1 PNG: enough for the type check, which reads the content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Words:
    """What the people type, in the language of the run."""

    subject: str
    description: str
    escalate_note: str
    internal_note: str
    question: str
    answer: str
    province_note: str
    region_note: str
    resolution: str
    comment: str


WORDS = {
    "ar": Words(
        subject="تعذر إدخال نقط المراقبة المستمرة",
        description="لا يقبل النظام إدخال نقط القسم الثالث منذ صباح اليوم.",
        escalate_note="أعدت تشغيل المتصفح وتحققت من حساب الأستاذة دون جدوى",
        internal_note="اتصلت بالمؤسسة هاتفيا، الحساب مفعل",
        question="ما هو رمز القسم والمادة المعنية؟",
        answer="القسم 3 إعدادي، مادة الرياضيات.",
        province_note="الخلل لا يخص المؤسسة وحدها، راجعنا إعدادات القسم",
        region_note="المشكل يتكرر في عدة مؤسسات بالجهة",
        resolution="تم تصحيح الخلل في الخادم، يمكنكم إدخال النقط الآن.",
        comment="شكرا على سرعة المعالجة",
    ),
    "fr": Words(
        subject="Saisie des notes de contrôle continu impossible",
        description="Le système refuse la saisie des notes de la classe 3 depuis ce matin.",
        escalate_note="Navigateur redémarré et compte de l'enseignante vérifié, sans effet",
        internal_note="Appel téléphonique à l'établissement : le compte est actif",
        question="Quel est le code de la classe et la matière concernée ?",
        answer="Classe 3e année collège, mathématiques.",
        province_note="L'anomalie ne touche pas que cet établissement; paramètres de la classe vérifiés",
        region_note="Le problème se répète dans plusieurs établissements de la région",
        resolution="L'anomalie du serveur est corrigée, vous pouvez saisir les notes.",
        comment="Merci pour la rapidité",
    ),
}


def in_language(language, value) -> str:
    with translation.override(language):
        return localized_name(value) if hasattr(value, "name_ar") else str(value)


def status_badge(page):
    return page.locator("#ticket-status")


def holding_desk(page):
    return page.locator("#ticket-desk")


def history(page):
    return page.locator("#history")


def open_ticket(page, reference):
    response = page.goto(f"/t/{reference}/")
    assert response.status == 200, f"{reference}: {response.status}"
    return page


def expect_read_only(page, reference):
    """A desk that held the ticket, or an observer: the page opens, no action is offered."""
    open_ticket(page, reference)
    expect(action_forms(page)).to_have_count(0)


def expect_no_access(page, reference, file_url):
    """Another academy: the ticket and its file answer 404, and no list shows it."""
    assert page.goto(f"/t/{reference}/").status == 404
    assert page.goto(file_url).status == 404
    page.goto("/?tab=all")
    expect(page.locator("main")).not_to_contain_text(reference)


def csrf_token(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == settings.CSRF_COOKIE_NAME)


def expect_language(page, language):
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_teacher_request_climbs_to_central_and_comes_back_with_each_party_seeing_only_its_share(
    site, people, units, categories, tmp_path, language
):
    words = WORDS[language]
    # Arabic is the default: only the French run uses the switcher.
    switch_to = None if language == "ar" else language
    school, province, region, service = (units[c] for c in ("01001A", "MA-01-01", "MA-01", "MEN-MASSAR"))

    # The sign-in page, in the chosen language before anyone signs in.
    visitor = site.new_page()
    visitor.goto("/login/")
    if switch_to:
        switch_language(visitor, switch_to)
    expect_language(visitor, language)
    site.shoot(visitor, "login")

    # The teacher files a request with a screenshot attached.
    teacher = site.sign_in("teacher", language=switch_to, page=visitor)
    expect_language(teacher, language)
    teacher.goto("/t/new/")
    form = teacher.locator("form#new-request")
    form.locator("[name=category]").select_option(str(categories["massar"].pk))
    form.locator("[name=subject]").fill(words.subject)
    form.locator("[name=description]").fill(words.description)
    form.locator("[name=priority]").select_option("normal")
    picture = tmp_path / "capture-massar.png"
    picture.write_bytes(PNG)
    form.locator("[name=attachments]").set_input_files(picture)
    site.shoot(teacher, "new-request")
    submit(teacher, form)
    expect(teacher).to_have_url(re.compile(r"/t/MSN-[0-9]{4}-[0-9]+/$"))
    reference = reference_in(teacher.url)
    expect(status_badge(teacher)).to_have_text(in_language(language, Status.NEW.label))
    expect(holding_desk(teacher)).to_contain_text(in_language(language, school))
    attachment = history(teacher).locator("a[href*='/files/']", has_text="capture-massar.png")
    expect(attachment).to_have_count(1)
    file_url = attachment.get_attribute("href")
    download = teacher.request.get(file_url)
    assert download.status == 200 and download.body() == PNG
    site.shoot(teacher, "ticket-requester")

    outsider = site.session_for("outsider", language=switch_to)
    expect_no_access(outsider, reference, file_url)

    # The school head finds it in the desk's inbox, requalifies it and refers it to the province.
    head = site.session_for("head", language=switch_to)
    expect(head.locator("main")).to_contain_text(reference)
    site.shoot(head, "inbox-agent")
    with head.expect_navigation():
        head.locator(f"main a[href$='/t/{reference}/']").first.click()
    expect(history(head)).to_contain_text("capture-massar.png")
    form = action_form(head, "escalate")
    expect(form).to_contain_text(in_language(language, province))
    form.locator("[name=category]").select_option(str(categories["massar-grades"].pk))
    form.locator("[name=priority]").select_option("high")
    form.locator("[name=note]").fill(words.escalate_note)
    site.shoot(head, "ticket-desk-agent")
    submit(head, form)
    expect(holding_desk(head)).to_contain_text(in_language(language, province))
    # The school's desk keeps reading it, note included, but may no longer act, even with a forged form.
    expect(action_forms(head)).to_have_count(0)
    expect(history(head)).to_contain_text(words.escalate_note)
    forged = head.request.post(
        f"/t/{reference}/do/resolve/",
        form={"version": "1", "resolution": "حل مزور"},
        headers={"X-CSRFToken": csrf_token(head)},
    )
    # Refused by the access policy (the ticket page with its message), not by the CSRF check.
    assert forged.status == 403 and reference in forged.text() and 'role="alert"' in forged.text()

    teacher.reload()
    expect(holding_desk(teacher)).to_contain_text(in_language(language, province))
    expect(teacher.locator("main")).to_contain_text(in_language(language, categories["massar-grades"]))
    expect(teacher.locator("main")).not_to_contain_text(words.escalate_note)
    expect(teacher.locator(".internal")).to_have_count(0)

    # The provincial agent reads the requalification note and asks the teacher for details.
    agent = site.session_for("province", language=switch_to)
    open_ticket(agent, reference)
    expect(history(agent)).to_contain_text(words.escalate_note)
    form = action_form(agent, "note")
    form.locator("[name=body]").fill(words.internal_note)
    submit(agent, form)
    expect(history(agent)).to_contain_text(words.internal_note)
    form = action_form(agent, "request_info")
    form.locator("[name=body]").fill(words.question)
    submit(agent, form)
    expect(status_badge(agent)).to_have_text(in_language(language, Status.WAITING.label))

    expect_read_only(head, reference)
    for other_desk in ("head2", "province2"):
        stranger = site.session_for(other_desk, language=switch_to)
        assert stranger.goto(f"/t/{reference}/").status == 404

    # The teacher answers.
    teacher.reload()
    expect(status_badge(teacher)).to_have_text(in_language(language, Status.WAITING.label))
    expect(history(teacher)).to_contain_text(words.question)
    expect(teacher.locator("main")).not_to_contain_text(words.internal_note)
    form = action_form(teacher, "provide_info")
    form.locator("[name=body]").fill(words.answer)
    submit(teacher, form)
    expect(status_badge(teacher)).to_have_text(in_language(language, Status.OPEN.label))
    expect(history(teacher)).to_contain_text(words.answer)

    # With the answer, the province refers it on to the academy.
    open_ticket(agent, reference)
    expect(history(agent)).to_contain_text(words.answer)
    form = action_form(agent, "escalate")
    expect(form).to_contain_text(in_language(language, region))
    form.locator("[name=note]").fill(words.province_note)
    submit(agent, form)
    expect(holding_desk(agent)).to_contain_text(in_language(language, region))

    # The regional agent refers it to the central service that owns the category.
    regional = site.session_for("region", language=switch_to)
    open_ticket(regional, reference)
    expect(history(regional)).to_contain_text(words.answer)
    form = action_form(regional, "escalate")
    expect(form).to_contain_text(in_language(language, service))
    form.locator("[name=note]").fill(words.region_note)
    submit(regional, form)
    expect(holding_desk(regional)).to_contain_text(in_language(language, service))
    expect(action_forms(regional)).to_have_count(0)
    expect_read_only(agent, reference)

    observer = site.session_for("observer", language=switch_to)
    expect_read_only(observer, reference)
    expect(history(observer)).to_contain_text(words.region_note)

    # The central service resolves it.
    central = site.session_for("central", language=switch_to)
    expect(central.locator("main")).to_contain_text(reference)
    open_ticket(central, reference)
    expect(history(central)).to_contain_text(words.escalate_note)
    form = action_form(central, "resolve")
    form.locator("[name=resolution]").fill(words.resolution)
    submit(central, form)
    expect(status_badge(central)).to_have_text(in_language(language, Status.RESOLVED.label))
    expect_no_access(outsider, reference, file_url)

    # The teacher reads the resolution, confirms it and rates the service.
    teacher.reload()
    expect(history(teacher)).to_contain_text(words.resolution)
    main = teacher.locator("main")
    for internal in (words.escalate_note, words.internal_note, words.province_note, words.region_note):
        expect(main).not_to_contain_text(internal)
    # "Is it solved?" comes first on her page: she confirms there.
    submit(teacher, teacher.locator("#next-step form").first)
    expect(status_badge(teacher)).to_have_text(in_language(language, Status.CLOSED.label))
    form = action_form(teacher, "rate")
    form.locator("[name=score][value='5']").check()
    form.locator("[name=comment]").fill(words.comment)
    submit(teacher, form)
    expect(history(teacher)).to_contain_text(words.comment)
    expect(teacher.locator("#ticket-rating")).to_have_attribute("data-score", "5")
    # Rated once: what stays on offer is reopening, within the delay.
    expect(action_forms(teacher)).to_have_count(1)
    expect(action_forms(teacher).first).to_have_attribute("id", "action-reopen")
    expect(teacher.locator(".internal")).to_have_count(0)
    site.shoot(teacher, "ticket-closed-requester")

    phone = site.new_page(viewport=PHONE, storage_state=teacher.context.storage_state())
    open_ticket(phone, reference)
    site.shoot(phone, "ticket-requester-phone")

    # The teacher was told along the way: information asked, resolution.
    response = teacher.goto(reverse("notifications:list"))
    assert response.status == 200
    expect(teacher.locator("main")).to_contain_text(reference)
    site.shoot(teacher, "notifications")

    for page in (teacher, central):
        expect_language(page, language)
