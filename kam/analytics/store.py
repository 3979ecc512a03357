"""The analytical store: where transaction lines live, behind an Ibis backend.

DuckDB (one file) is the embedded default. Every operation opens its own connection and
closes it, because DuckDB lets one process at a time hold a file for writing: the web
app and the CLI take turns, waiting for each other up to ``lock_wait_seconds`` and then
raising ``StoreBusy``, which the web app answers with a "being updated" page, never a 500.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.schema import STORE_DDL


class StoreError(Exception):
    """The analytical store cannot be opened or is in a state kam does not understand."""


class StoreBusy(StoreError):
    """Another process (an import, a scoring run) holds the store for writing.

    Nothing is wrong with the data: asking again once the writer has finished succeeds.
    ``waited`` is how long this process waited for it, in seconds.
    """

    def __init__(self, path: Path, waited: float, detail: str):
        super().__init__(
            f"the analytical store {path} is being written by another kam process "
            f"(waited {waited:.0f} s); try again when it has finished"
        )
        self.path = path
        self.waited = waited
        self.detail = detail


@dataclass(frozen=True)
class AnalyticsStore:
    """A handle on the analytical store named by a URL such as ``duckdb:///var/analytics.duckdb``.

    ``memory_limit`` caps DuckDB's working memory; past it, DuckDB spills to a temporary
    directory beside the file, so imports and scans do not grow with the data.
    """

    url: str
    memory_limit: str = "4GB"
    threads: int | None = None
    lock_wait_seconds: float = 30.0

    @property
    def path(self) -> Path:
        """The DuckDB database file this store keeps its tables in."""
        parsed = urlparse(self.url)
        if parsed.scheme != "duckdb":
            raise StoreError(
                f"KAM_ANALYTICS_URL {self.url!r}: only duckdb:// stores can be opened here "
                "(see docs/scale.md for running the analytics on Spark)"
            )
        raw = self.url.removeprefix("duckdb://")
        if not raw or raw == ":memory:":
            raise StoreError("the analytical store needs a file, not an in-memory database")
        return Path(raw).expanduser()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[DuckDBBackend]:
        """Open the store as an Ibis DuckDB backend, creating its tables on first use."""
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        # A store that does not exist yet is created, tables and all, even for a reader: a
        # fresh install's first question ("is there any data?") must get "no", not an error.
        writable = not read_only or not path.exists()
        raw = self._open(path, read_only=not writable)
        try:
            if writable:
                for ddl in STORE_DDL:
                    raw.execute(ddl)
            yield ibis.duckdb.from_connection(raw)
        finally:
            raw.close()

    def _open(self, path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self.memory_limit,
            "temp_directory": str(path.parent / f"{path.stem}.tmp"),
        }
        if self.threads:
            config["threads"] = self.threads
        deadline = time.monotonic() + self.lock_wait_seconds
        busy: Exception
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only, config=config)
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise StoreError(f"cannot open the analytical store {path}: {error}") from error
                busy = error
            except duckdb.ConnectionException as error:
                # This process already has the file open the other way (a writer thread while
                # a page reads, or the reverse). A reader joins the writer's database and sees
                # what is committed; a writer waits for the readers to close.
                busy = error
                if read_only:
                    try:
                        return duckdb.connect(str(path), read_only=False, config=config)
                    except (duckdb.IOException, duckdb.ConnectionException) as again:
                        busy = again
            if time.monotonic() >= deadline:
                raise StoreBusy(path, self.lock_wait_seconds, str(busy)) from busy
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def latest_transaction_date(con: DuckDBBackend) -> date | None:
    """The as-of date every window defaults to: the latest transaction in the store."""
    value = con.table("customer_month").last_date.max().to_pyarrow().as_py()
    return value if isinstance(value, date) else None


def resolve_as_of(con: DuckDBBackend, as_of: date | None = None) -> date | None:
    """The date figures are measured at: ``as_of`` if given, else the latest transaction.

    None when the store holds no transactions (or has no tables yet): nothing has happened,
    so there is no date to measure up to. Callers that need one say so (an empty account
    list, "nothing to score yet"); none invents a placeholder date.
    """
    if as_of is not None:
        return as_of
    if "customer_month" not in con.list_tables():
        return None
    return latest_transaction_date(con)
