"""A real browser for the journey tests: Debian's Chromium driven by Playwright's sync API.

Every browser test waits for the page to be ready before it acts or reads — the document
loaded, htmx loaded and bound to the page, no htmx request in flight or still swapping —
through ``ready(page)``; ``goto`` and ``sign_in`` call it. A click that goes out before
htmx is bound posts the form as a plain page load (the flake this guards against); an
assertion read before a swap settled reads the old page.
"""

from collections.abc import Callable, Iterator
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


TRACK_HTMX = """
window.__kamHtmxInFlight = 0;
document.addEventListener("htmx:beforeRequest", function () { window.__kamHtmxInFlight += 1; });
document.addEventListener("htmx:afterRequest", function () {
  window.__kamHtmxInFlight = Math.max(0, window.__kamHtmxInFlight - 1);
});
"""
"""Counts htmx requests in flight; installed in every page before its own scripts run."""

PAGE_READY = """() => document.readyState === "complete"
  && (!!window.htmx || !document.querySelector('script[src*="htmx"]'))
  && window.__kamHtmxInFlight === 0
  && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")"""
"""True once the page is loaded, htmx is bound to it (when the page asks for htmx: a plan
document for print does not), and no htmx request is under way."""


def ready(page, *, timeout: float | None = None) -> None:
    """Wait until ``page`` is ready to be used: loaded, htmx bound, requests settled."""
    page.wait_for_load_state("load")
    page.wait_for_function(PAGE_READY, timeout=timeout)


def goto(page, url: str) -> None:
    """Open ``url`` and wait until the page is ready."""
    page.goto(url)
    ready(page)


def sign_in(page, live_server, username: str, *, path: str = "/") -> None:
    """Sign in as ``username`` (password 'pw-for-tests') and wait for the page it lands on."""
    goto(page, f"{live_server.url}{path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in").click()
    ready(page)


@pytest.fixture(name="ready")
def ready_fixture() -> Callable[..., None]:
    """``ready(page)``: wait for the page to be loaded, htmx bound and requests settled."""
    return ready


@pytest.fixture(name="goto")
def goto_fixture() -> Callable[[object, str], None]:
    """``goto(page, url)``: open a URL and wait until the page is ready."""
    return goto


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[..., None]:
    """``sign_in(page, live_server, username)``: sign in and wait for the landing page."""
    return sign_in


def new_context(browser, width: int = 1440, **options):
    """A browser context ``width`` px wide, failing on a missing element, whose pages
    count their htmx requests so ``ready`` can wait for them."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", **options
    )
    # Generous on a busy machine: the first request of a live server imports every view.
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(60_000)
    context.add_init_script(TRACK_HTMX)
    return context


@pytest.fixture(name="new_context")
def new_context_fixture() -> Callable[..., object]:
    """``new_context(browser, width, **options)``: a context whose pages ``ready`` can wait for."""
    return new_context


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh browser page at a laptop-sized viewport (see ``new_context``)."""
    context = new_context(browser)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
