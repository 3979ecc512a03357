"""A real browser for the journey tests: Debian's Chromium driven by Playwright's sync API.

Every browser test waits for the page to be ready before it acts or reads — the document
loaded, htmx loaded and bound to the page, no htmx request in flight or still swapping —
through ``ready(page)``; ``goto`` and ``sign_in`` call it. A click that goes out before
htmx is bound posts the form as a plain page load (the flake this guards against); an
assertion read before a swap settled reads the old page.
"""

import os
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


class SharedChromium:
    """One headless Chromium for a run of browser tests: launching it takes seconds, a
    fresh context per test (``new_context``, ``page``) keeps the tests apart.

    While Playwright's event loop runs, Django refuses ORM calls from this thread unless
    told it is safe; the test thread only seeds data and waits for the browser, so it is.
    The loop must not outlive the browser tests: the browser is closed, and Django's guard
    restored, as soon as the next test does not drive it (``pytest_runtest_teardown``)."""

    def __init__(self) -> None:
        self._playwright = None
        self._manager = None
        self._browser = None
        self._async_unsafe: str | None = None

    def get(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        self.close()
        if not CHROMIUM.exists():
            pytest.fail("install chromium: apt-get install -y chromium", pytrace=False)
        from playwright.sync_api import expect, sync_playwright

        expect.set_options(timeout=EXPECT_TIMEOUT)
        self._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        self._manager = sync_playwright()
        self._playwright = self._manager.__enter__()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        return self._browser

    def close(self) -> None:
        if self._manager is None:
            return
        try:
            if self._browser is not None and self._browser.is_connected():
                self._browser.close()
        finally:
            self._manager.__exit__(None, None, None)
            self._manager = self._playwright = self._browser = None
            if self._async_unsafe is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._async_unsafe


CHROMIUM_RUN = SharedChromium()

EXPECT_TIMEOUT = 15_000
"""How long (ms) Playwright's ``expect`` waits for a page to show what it asserts. Its own
5 s ran out drawing a Plotly chart while the other process of the run (pytest-xdist) and
other work shared the two cores; a page that never shows it still fails, 10 s later."""


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless Chromium, shared by consecutive browser tests (``SharedChromium``); the
    contexts a test opened (its cookies, storage, pages) are closed when it ends."""
    chromium = CHROMIUM_RUN.get()
    try:
        yield chromium
    finally:
        for context in list(chromium.contexts):
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Close the shared Chromium once the test after this one does not use it (or none
    follows), after this test's own fixtures are torn down."""
    try:
        return (yield)
    finally:
        if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
            CHROMIUM_RUN.close()


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
    """Wait until ``page`` is ready to be used: loaded, htmx bound, requests settled;
    ``timeout`` (ms) bounds each of the waits, the context's default when None."""
    page.wait_for_load_state("load", timeout=timeout)
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
