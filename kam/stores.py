"""The Django side's handle on the analytical store, configured by KAM_ANALYTICS_URL.

A page waits for the store only briefly: while another process (``kam import``, a scoring
run) holds it for writing, ``StoreBusyMiddleware`` answers "data is being updated, try
again in a moment" (HTTP 503 with Retry-After, inside the site's layout) within a couple of
seconds, instead of holding the request for the CLI's half minute and then failing.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kam.analytics.lake import Lake
from kam.analytics.store import AnalyticsStore, StoreBusy

CLI_LOCK_WAIT_SECONDS = 30.0
"""A command waits this long for a writer to finish: nobody is watching a spinner."""

PAGE_LOCK_WAIT_SECONDS = 1.5
"""A page waits this long, then says the data is being updated."""

RETRY_AFTER_SECONDS = 10
"""What a busy page asks the browser (and the reader) to wait before asking again."""

_lock_wait: ContextVar[float] = ContextVar("kam_store_lock_wait", default=CLI_LOCK_WAIT_SECONDS)


def analytics_store() -> AnalyticsStore:
    """The store the running configuration points at (tests point it at a temporary file).

    With the spark engine its ``transactions`` are the lake's current invoice lines
    (``AnalyticsStore.lake``): the pages and commands that read lines read what Spark reads.
    """
    lake = analytics_lake() if on_spark() else None
    return AnalyticsStore(
        settings.ANALYTICS_URL,
        memory_limit=settings.ANALYTICS_MEMORY,
        lock_wait_seconds=_lock_wait.get(),
        lake=lake,
    )


def embedded_store() -> AnalyticsStore:
    """The store with its own tables only, whatever the engine: what ``kam lake export``
    copies into the lake."""
    return AnalyticsStore(
        settings.ANALYTICS_URL,
        memory_limit=settings.ANALYTICS_MEMORY,
        lock_wait_seconds=_lock_wait.get(),
    )


def on_spark() -> bool:
    """Whether the configuration puts the invoice lines in the lake and the analytics on
    Spark (KAM_ANALYTICS_ENGINE=spark); the results still come back into the store."""
    return bool(settings.ANALYTICS_ENGINE == "spark")


def analytics_lake() -> Lake:
    """The lake KAM_LAKE_URL names (tests point it at a temporary folder)."""
    return Lake.from_url(settings.LAKE_URL, lock_wait_seconds=_lock_wait.get())


@contextmanager
def analytics_engine() -> Iterator[Any]:
    """An Ibis backend the heavy analytics read from: Spark over the lake's current version
    with the spark engine, else the store's reader copy. Results are written to the store."""
    with analytics_store().connect(read_only=True) as store:
        if not on_spark():
            yield store
            return
        customers = store.con.execute("SELECT * FROM customers").to_arrow_table()
    with lake_engine(customers) as backend:
        yield backend


@contextmanager
def lake_engine(customers: Any) -> Iterator[Any]:
    """Spark (KAM_SPARK_MASTER) as an Ibis backend over the lake's current version, with
    ``customers`` (the store's customer master, an Arrow table) as its customer table."""
    from kam.analytics.spark import lake_backend

    with lake_backend(analytics_lake(), settings.SPARK_MASTER, customers) as backend:
        yield backend


@contextmanager
def store_lock_wait(seconds: float) -> Iterator[None]:
    """Within the block, opening the store waits at most ``seconds`` for another writer."""
    token = _lock_wait.set(seconds)
    try:
        yield
    finally:
        _lock_wait.reset(token)


class StoreBusyMiddleware:
    """Pages wait briefly for the analytical store and answer 503 while it is being written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with store_lock_wait(PAGE_LOCK_WAIT_SECONDS):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StoreBusy):
            return None
        return store_busy_response(request)


def store_busy_response(request: HttpRequest) -> HttpResponse:
    """The "being updated" page: the site's navigation, what is happening, when to retry."""
    template = "_busy.html" if getattr(request, "htmx", False) else "503.html"
    response = render(
        request,
        template,
        {"retry_after": RETRY_AFTER_SECONDS, "path": request.get_full_path()},
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    if getattr(request, "htmx", False):
        response["HX-Push-Url"] = "false"  # the address bar keeps the page still shown
    return response
