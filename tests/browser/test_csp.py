"""Every page works under the Content-Security-Policy (no inline script or style, nothing from elsewhere):
Chromium loads each one, as each persona who sees it, in Arabic and in French, with htmx and the page's
script running, and reports no violation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from musanada.tickets import services
from tests.helpers import file_request
from tests.mail.mails import PNG

# Collects what the browser refuses, from before the page's own scripts run (an init script is the
# browser's, not the page's: the policy does not apply to it).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def tickets(people):
    """A ticket with an image and an internal note at the school, one referred up to the province."""
    shown = file_request(
        people["teacher"],
        files=[SimpleUploadedFile("ecran.png", PNG, content_type="image/png")],
    )
    services.ticket_note(people["head"], shown, body="Vérifier le compte.")
    referred = file_request(people["teacher"])
    services.ticket_escalate(people["head"], referred, note="Rien n'a marché ici.")
    return shown, referred


def _pages(site, shown, referred) -> dict:
    return {
        "teacher": [
            site.url("home"),
            site.url("ticket-new"),
            site.url("ticket-detail", shown.reference),
            site.url("notifications:settings"),
            site.url("notifications:list"),
            site.url("api-tokens"),
            site.url("password-change"),
        ],
        "head": [site.url("home"), site.url("ticket-detail", shown.reference)],
        "province": [site.url("home"), site.url("ticket-detail", referred.reference)],
        "supervisor": [site.url("home") + "?tab=all&q=massar", site.url("dashboard"), site.url("quarantine")],
        "admin": [
            site.url("admin:index"),
            site.url("admin:org_user_changelist"),
            site.url("admin:mail_inboundmessage_changelist"),
        ],
    }


def _watched(page):
    """The page, reporting the policy's refusals: the page's own event, and the browser's console."""
    page.context.add_init_script(LISTEN)
    page.refused = []
    page.on(
        "console",
        lambda message: page.refused.append(message.text) if "Content Security" in message.text else None,
    )
    return page


def _violations(page, url) -> list:
    page.refused.clear()
    response = page.goto(url, wait_until="networkidle")
    assert response.status == 200, url
    # Let htmx and the page's script finish what they do on load.
    page.wait_for_timeout(100)
    return page.evaluate("window.__violations") + page.refused


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_page_loads_under_the_policy_without_a_violation(site, tickets, language):
    shown, referred = tickets
    found = {}
    for username, urls in _pages(site, shown, referred).items():
        page = _watched(site.session_for(username, language=language))
        for url in urls:
            violations = _violations(page, url)
            if violations:
                found[f"{username} {url}"] = violations
    anonymous = _watched(site.new_page())
    for url in (site.url("login"), site.url("password-reset")):
        violations = _violations(anonymous, url)
        if violations:
            found[url] = violations
    assert found == {}
