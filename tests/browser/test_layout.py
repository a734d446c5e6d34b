"""No page is wider than the window, and none has a serious or critical accessibility fault: every role's
pages, at a phone's, a tablet's, a laptop's and a large screen's width, in Arabic (right to left) and in
French. A page that overflows pushes part of itself off screen, to the left in Arabic, where nobody scrolls;
axe-core (tests/browser/axe.py) checks what a browser can of WCAG, contrast included. Screenshots of each
are kept in test-artifacts/."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from musanada.knowledge import services as knowledge
from musanada.tickets import incidents, services
from musanada.tickets.workflow import Priority
from tests.browser.axe import blocking_violations
from tests.browser.helpers import switch_language
from tests.helpers import file_request
from tests.mail.mails import PNG

WIDTHS = (360, 768, 1366, 1920)


@pytest.fixture
def tickets(people, units, categories):
    """A desk with long subjects and names, a resolved request waiting for its requester, an image."""
    long_subject = (
        "تعذر الولوج إلى منظومة مسار لتسجيل نقط المراقبة المستمرة للقسم السادس ابتدائي 6A بعد التحديث الأخير"
    )
    for number in range(6):
        ticket = file_request(
            people["teacher"],
            category=categories["massar-grades"],
            subject=f"{long_subject} {number}",
            priority=Priority.URGENT if number % 2 else Priority.NORMAL,
            files=[SimpleUploadedFile("capture-écran-01-login.png", PNG, content_type="image/png")],
        )
    services.ticket_assign(people["head"], ticket, assignee=people["head"])
    resolved = file_request(
        people["teacher"], subject="Mot de passe oublié pour l’espace Massar de l’établissement"
    )
    services.ticket_resolve(
        people["head"], resolved, resolution="Réinitialisé : voir votre messagerie professionnelle."
    )
    referred = file_request(people["teacher"], subject=long_subject)
    services.ticket_escalate(people["head"], referred, note="Rien n'a marché ici.")
    # A help article with a long Arabic title, in two languages, with a revision waiting for review.
    article = knowledge.article_write(
        people["supervisor"],
        unit=units["MA-01"],
        category=categories["massar-grades"],
        title_ar=long_subject,
        body_ar="تحدد الأكاديمية فترات مسك النقط.\nبعد إغلاق الفترة، يطلب المدير فتحها استثنائيا.",
        title_fr="Saisie des notes fermée après la mise à jour de Massar",
        body_fr="L’académie fixe les périodes de saisie. Après la clôture, le directeur demande à rouvrir.",
    )
    knowledge.article_publish(people["supervisor"], article.slug)
    incident = incidents.incident_declare(
        people["region"],
        desk=units["MA-01"],
        category=categories["massar"],
        scope=units["MA-01"],
        title=long_subject,
        description="Le serveur académique est en maintenance.",
    )
    incidents.incident_post_update(people["region"], incident.pk, "Retour prévu à 14 h.")
    return ticket, resolved, referred, article, incident


def _pages(site, ticket, resolved, referred, article, incident) -> dict:
    """Each role's pages (None: signed out); a (url, status) pair where the page answers other than 200."""
    return {
        None: [site.url("login"), site.url("password-reset")],
        "teacher": [
            site.url("home"),
            site.url("ticket-new"),
            site.url("ticket-detail", resolved.reference),
            site.url("notifications:list"),
            (site.url("ticket-detail", "MSN-2000-999999"), 404),
            site.url("articles"),
            site.url("article-detail", article.slug),
            site.url("incident-detail", incident.pk),
        ],
        "head": [
            site.url("home") + "?tab=desk",
            site.url("ticket-detail", ticket.reference),
            site.url("notifications:settings"),
            site.url("api-tokens"),
        ],
        "province": [site.url("home"), site.url("ticket-detail", referred.reference)],
        "region": [
            site.url("incidents"),
            site.url("incident-detail", incident.pk),
            site.url("incident-declare"),
        ],
        "supervisor": [
            site.url("home") + "?tab=all&priority=urgent",
            site.url("dashboard"),
            site.url("quarantine"),
            site.url("canned-replies"),
            site.url("articles"),
            site.url("article-detail", article.slug),
            site.url("article-write"),
        ],
        "observer": [site.url("home") + "?tab=subtree"],
        "admin": [site.url("home"), site.url("password-change"), site.url("service-status")],
    }


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_no_page_is_wider_than_the_window_nor_fails_an_accessibility_check(site, tickets, language):
    too_wide, faults = {}, {}
    for username, urls in _pages(site, *tickets).items():
        if username is None:
            page = site.new_page()
            page.goto(site.url("login"))
            switch_language(page, language)
        else:
            page = site.session_for(username, language=language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for number, entry in enumerate(urls):
                url, status = entry if isinstance(entry, tuple) else (entry, 200)
                response = page.goto(url)
                assert response.status == status, url
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    too_wide[f"{username} {url} at {width}"] = scroll_width
                violations = blocking_violations(page)
                if violations:
                    faults[f"{username} {url} at {width}"] = violations
                site.shoot(page, f"layout-{username or 'anonymous'}-{number}-{width}")
    assert too_wide == {}
    assert faults == {}, "\n".join(f"{page}: {faults[page]}" for page in faults)
