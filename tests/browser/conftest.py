"""A real browser for the journey tests: Debian's Chromium driven by Playwright's sync API."""

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch) -> Iterator[object]:
    """A headless Chromium, one per test: Playwright's event loop must not outlive the test.

    While the loop runs, Django refuses ORM calls from this thread unless told it is safe;
    the test thread only seeds data and waits for the browser, so it is.
    """
    if not CHROMIUM.exists():
        pytest.fail("install chromium: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh browser page at a laptop-sized viewport, failing fast on a missing element."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
