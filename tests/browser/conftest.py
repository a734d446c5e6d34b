"""The browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Each persona signs in through the sign-in page in a browser context of their own (own cookies, own empty
cache), so that a test can switch between the teacher and the desks the way several people would.
"""

import os
from pathlib import Path

import pytest

from tests.browser.helpers import Site

# Playwright's sync API runs an event loop in this thread; Django then refuses database access from it
# ("you cannot call this from an async context"), although the calls are plain synchronous ones.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("MUSANADA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Playwright cannot be imported ({error}); pip install -e '.[test]'"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        # CI must run them: a skipped browser test there would hide a missing install step.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder the tests write their screenshots to (MUSANADA_SCREENSHOTS, relative to the checkout)."""
    folder = REPO / os.environ.get("MUSANADA_SCREENSHOTS", "test-artifacts/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def site(browser, live_server, settings, screenshots):
    # The live server speaks plain HTTP; cookies marked Secure would never come back to it.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    site = Site(browser, live_server.url, screenshots)
    yield site
    site.close()
