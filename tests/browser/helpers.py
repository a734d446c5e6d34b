"""What the browser tests do through the pages: sign in, switch language, find an action's form, shoot."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips the tests (fails them in CI) and says why
    expect = None

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class Site:
    """The live server seen through the browser, one context per signed-in persona."""

    def __init__(self, browser, base_url: str, screenshots: Path):
        self.browser = browser
        self.base_url = base_url
        self.screenshots = screenshots
        self.contexts = []

    def url(self, name: str, *args) -> str:
        return self.base_url + reverse(name, args=args)

    def new_page(self, *, viewport=DESKTOP, storage_state=None):
        # A browser set up in Arabic, as in a Moroccan school; the French runs use the page's switcher.
        context = self.browser.new_context(
            viewport=viewport, base_url=self.base_url, storage_state=storage_state, locale="ar-MA"
        )
        # Generous for a loaded CI machine, short enough that a missing element fails the test quickly.
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        return context.new_page()

    def sign_in(self, username: str, *, language: str | None = None, page=None):
        """Sign in through the sign-in page (on `page`, or in a new browser session), then switch to
        `language` with the page's switcher if given."""
        page = page or self.new_page()
        page.goto(self.url("login"))
        page.fill("[name=username]", username)
        page.fill("[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("form:has([name=password]) [type=submit]").click()
        assert page.locator("[name=password]").count() == 0, f"{username} could not sign in"
        if language:
            switch_language(page, language)
        return page

    def session_for(self, username: str, *, language: str | None = None):
        """A new browser session already signed in as `username` (the sign-in page itself is exercised by
        `sign_in`; the other personas skip it to keep the suite fast), on the home page."""
        page = self.signed_in_page(username)
        page.goto(self.url("home"))
        if language:
            switch_language(page, language)
        return page

    def signed_in_page(self, username: str, **options):
        """A blank page of a new browser session (empty cache) that carries `username`'s session cookie."""
        client = Client()
        client.force_login(get_user_model().objects.get(username=username), backend=MODEL_BACKEND)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page = self.new_page(**options)
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.base_url}])
        return page

    def shoot(self, page, name: str) -> Path:
        """A full-page PNG named after the page's language: ar-ticket-requester.png."""
        language = page.locator("html").get_attribute("lang") or "xx"
        path = self.screenshots / f"{language}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        for context in self.contexts:
            context.close()


def switch_language(page, language: str) -> None:
    """Use the language switcher in the page header."""
    with page.expect_navigation():
        page.locator(f"button[name=language][value={language}]").first.click()
    assert page.locator("html").get_attribute("lang") == language


COMPOSER_ACTIONS = ("reply", "provide_info", "note")


def action_form(page, action: str):
    """The form of one ticket action: the composer in that action's mode (reply, internal note…), else the
    action's own form (escalate…), unfolded when it sits in a closed <details>."""
    if action in COMPOSER_ACTIONS:
        composer = page.locator("#composer form.composer-form")
        mode = composer.locator(f"input[name=mode][value={action}]")
        if mode.count():
            mode.check()
        expect(composer.locator(f"button[data-mode={action}]")).to_be_visible()
        return composer
    form = page.locator(f"form#action-{action}")
    if not form.is_visible():
        page.locator("details", has=form).locator("summary").first.click()
    return form


def submit(page, form):
    """Send a form with its visible send button and wait for the server's answer (a page load, or an htmx
    swap)."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        form.locator("[type=submit]:visible").last.click()
    page.wait_for_load_state()


def action_forms(page):
    return page.locator("form[id^='action-']")


def reference_in(url: str) -> str:
    match = re.search(r"/t/([A-Z]{2,8}-[0-9]{4}-[0-9]+)/", url)
    assert match, url
    return match.group(1)
