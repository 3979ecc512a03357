"""The analytical store: where transaction lines live, behind an Ibis backend.

DuckDB (one file) is the embedded default. DuckDB lets one process at a time hold a file
for writing, and no other process read it meanwhile, so readers never open the file the
writers write (the *live* file). They open a **reader copy**: a copy of the live file
taken while no writer was at work, published by an atomic rename of a small pointer
(``<store>.readers/current.json``). So with several web workers, pages keep answering
from the last committed data while an import or a scoring run writes, and no page waits on
a lock:

- a writer takes the store's writer lock (``flock`` on ``<store>.writer.lock``; several
  threads of one process share it), waiting up to ``lock_wait_seconds`` and then raising
  ``StoreBusy``; if no reader copy exists yet it publishes one first, so a reader always
  has one while a writer works;
- a reader whose copy is current (the live file is as it was when the copy was taken)
  opens it read-only; when it is out of date and no writer is at work, the reader
  publishes a new one (one file copy) and opens that; while a writer is at work, the
  reader opens the copy it has — the data as committed before that write began;
- a reader in the process that is writing joins the writer's database (DuckDB refuses a
  second, read-only, handle in one process) and sees what is committed;
- copies older than the two newest are deleted; one still open by a reader stays readable
  (POSIX unlink), and a reader that meets a just-deleted copy reads the pointer again.

Why this and not DuckLake or a server: docs/architecture.md, "Many readers, one writer".
"""

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.locking import acquire_exclusive
from kam.analytics.schema import STORE_DDL
from kam.analytics.store_errors import StoreBusy, StoreError

if TYPE_CHECKING:
    from kam.analytics.lake import Lake

T = TypeVar("T")


@dataclass(frozen=True)
class AnalyticsStore:
    """A handle on the analytical store named by a URL such as ``duckdb:///var/analytics.duckdb``.

    ``memory_limit`` caps DuckDB's working memory; past it, DuckDB spills to a temporary
    directory beside the file, so imports and scans do not grow with the data.

    ``lake``: where the invoice lines live instead (``KAM_ANALYTICS_ENGINE=spark``); every
    connection then reads ``transactions`` from the lake (``lines_from_lake``), so the
    pages and commands that read lines see what Spark reads. Without it, the store's own.
    """

    url: str
    memory_limit: str = "4GB"
    threads: int | None = None
    lock_wait_seconds: float = 30.0
    lake: "Lake | None" = None

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

    @property
    def readers_dir(self) -> Path:
        """Where the reader copies and their pointer live, beside the live file."""
        path = self.path
        return path.with_name(f"{path.name}.readers")

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[DuckDBBackend]:
        """Open the store as an Ibis DuckDB backend, creating its tables on first use.

        ``read_only``: the reader copy (module docstring); otherwise the live file, under
        the writer lock.
        """
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and path.exists() and not _writing_here(path):
            with self._reader(path) as backend:
                lines_from_lake(backend, self.lake)
                yield backend
            return
        # A store that does not exist yet is created, tables and all, even for a reader: a
        # fresh install's first question ("is there any data?") must get "no", not an error.
        with _writer_lock(path, self.lock_wait_seconds) as first:
            if first and path.exists() and _current_copy(self.readers_dir) is None:
                _publish(path, self.readers_dir)  # readers need one while this writes
            raw = self._open(path, read_only=False)
            try:
                for ddl in STORE_DDL:
                    raw.execute(ddl)
                backend = ibis.duckdb.from_connection(raw)
                lines_from_lake(backend, self.lake)
                yield backend
            finally:
                raw.close()

    def _config(self, path: Path) -> dict[str, str | bool | int | float | list[str]]:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self.memory_limit,
            "temp_directory": str(path.parent / f"{path.stem}.tmp"),
        }
        if self.threads:
            config["threads"] = self.threads
        return config

    @contextmanager
    def _reader(self, path: Path) -> Iterator[DuckDBBackend]:
        """An Ibis backend on the current reader copy, kept open for the next request.

        Opening a copy and wrapping it in Ibis cost more CPU than most pages' queries (the
        catalogue is read again, every column segment starts cold, Ibis sets its session
        options), so each process keeps its copy's database open and each thread its own
        connection to it (a DuckDB connection is used by one thread at a time), until the
        pointer names a newer copy. A read nested in another read of the same thread gets
        a connection of its own: the outer one may still be streaming a result.
        """
        copy = self._current_reader_copy(path)
        if copy is None:
            # No copy at all and a writer from outside kam holds the file: take turns.
            raw = self._open(path, read_only=True)
            try:
                yield ibis.duckdb.from_connection(raw)
            finally:
                raw.close()
            return
        kept: dict[Path, _ThreadReader] = _thread_readers.__dict__.setdefault("by_live", {})
        reader = kept.get(path)
        if reader is None or reader.copy != copy.file or reader.busy:
            opened, database, memo = self._reader_database(path, copy)
            backend = _ReaderBackend.from_connection(database.cursor())
            setattr(backend, _MEMO, memo)
            fresh = _ThreadReader(opened, backend)
            if reader is None or not reader.busy:
                if reader is not None:
                    reader.backend.con.close()
                kept.pop(path, None)
                kept[path] = fresh
                for other in [p for p, r in kept.items() if not r.busy][:-KEPT_STORES]:
                    kept.pop(other).backend.con.close()
            else:  # nested: used for this read only
                try:
                    yield fresh.backend
                finally:
                    fresh.backend.con.close()
                return
            reader = fresh
        reader.busy = True
        try:
            yield reader.backend
        finally:
            reader.busy = False

    def _current_reader_copy(self, path: Path) -> "ReaderCopy | None":
        """The copy readers should open now, publishing one if it is out of date and free."""
        readers = self.readers_dir
        copy = _current_copy(readers)
        if copy is None or not copy.matches(path):
            copy = _publish_if_free(path, readers) or copy
        return copy

    def _reader_database(
        self, path: Path, copy: "ReaderCopy"
    ) -> tuple[Path, duckdb.DuckDBPyConnection, dict[str, Any]]:
        """This process's read-only connection to ``copy`` (or, if a newer publication
        deleted it meanwhile, to the newer one), opened on first use; its file and its
        memo (``reader_memo``)."""
        with _reader_databases_lock:
            kept = _reader_databases.get(path)
            if kept is not None and kept[0] == copy.file:
                return kept
        for _attempt in range(5):
            try:
                database = duckdb.connect(str(copy.file), read_only=True, config=self._config(path))
                break
            except duckdb.IOException as error:
                if copy.file.exists():
                    raise StoreError(f"cannot open the analytical store {path}: {error}") from error
                # Deleted by a newer publication between the pointer and the open: again.
                copy = self._current_reader_copy(path) or copy
        else:
            raise StoreError(f"cannot open a reader copy of the analytical store {path}")
        with _reader_databases_lock:
            # The older copy's database is not closed here: threads still reading it hold
            # connections of their own, and DuckDB frees it when the last one closes.
            _reader_databases[path] = (copy.file, database, {})
            while len(_reader_databases) > KEPT_STORES:
                _reader_databases.pop(next(iter(_reader_databases)))
        return _reader_databases[path]

    def _open(self, path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        config = self._config(path)
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


LAKE_LINES = "_kam_lake_lines"
"""The attribute of a connection naming the lake version its ``transactions`` reads."""


def lines_from_lake(backend: DuckDBBackend, lake: "Lake | None") -> None:
    """Make ``transactions`` on ``backend``'s connection the lake's current invoice lines:
    a temporary view over exactly the Parquet files the lake's manifest names (DuckDB reads
    them natively), which hides the store's own table. The manifest is read at every
    connect; a connection kept open is pointed again only when the lake has a new version.
    With ``lake`` None, the store's own table (a kept connection pointed at a lake before
    is pointed back)."""
    version = lake.current() if lake is not None else None
    named = (str(lake.root), version.version) if lake is not None and version else None
    if getattr(backend, LAKE_LINES, None) == named:
        return
    if lake is None:
        backend.con.execute("DROP VIEW IF EXISTS temp.main.transactions")
    else:
        backend.con.execute(
            f"CREATE OR REPLACE TEMP VIEW transactions AS {lake.select('transactions', version)}"
        )
    setattr(backend, LAKE_LINES, named)
    # What ``reader_table`` registered was derived from the lines before: again on next use.
    backend.__dict__.pop(REGISTERED, None)


# ---- the readers' connections kept open ------------------------------------------------

KEPT_STORES = 4
"""Stores (live files) whose reader database a process keeps open; tests open many."""

_reader_databases_lock = threading.Lock()
_reader_databases: dict[Path, tuple[Path, duckdb.DuckDBPyConnection, dict[str, Any]]] = {}
"""Per live file, the reader copy this process has open, its database connection and memo."""

_MEMO = "_kam_reader_memo"

_thread_readers = threading.local()
"""Per thread, ``by_live``: per live file, the thread's connection to the copy."""


class _ReaderBackend(DuckDBBackend):
    """Ibis on a reader copy: what the catalogue says (the tables, their schemas) is asked
    once per copy and process, not once per expression: a copy never changes, and Ibis
    asks DuckDB for a table's schema every time a page names the table."""

    def list_tables(self, *, like: str | None = None, database: Any = None) -> list[str]:
        if like is not None or database is not None:
            return list(super().list_tables(like=like, database=database))
        return sorted(store_tables(self))

    def get_schema(
        self, table_name: str, *, catalog: str | None = None, database: str | None = None
    ) -> Any:
        key = f"schema:{catalog}.{database}.{table_name}"
        return reader_memoised(
            self, key, lambda: super(_ReaderBackend, self).get_schema(
                table_name, catalog=catalog, database=database
            )
        )  # fmt: skip


@dataclass
class _ThreadReader:
    copy: Path
    backend: DuckDBBackend
    busy: bool = False


# ---- the writer lock and the reader copies ---------------------------------------------

POINTER = "current.json"
KEPT_COPIES = 2

_held_lock = threading.Lock()
_held: dict[Path, list] = {}
"""Per live file, the writer lock this process holds: [file descriptor, holders]."""


def _writing_here(path: Path) -> bool:
    with _held_lock:
        return path in _held


@contextmanager
def _writer_lock(path: Path, wait_seconds: float) -> Iterator[bool]:
    """Hold the store's writer lock (shared by the threads of this process); yields True
    for the first holder in this process. StoreBusy after ``wait_seconds``."""
    with _held_lock:
        if path in _held:
            _held[path][1] += 1
            descriptor = None
        else:
            descriptor = os.open(
                path.with_name(f"{path.name}.writer.lock"), os.O_RDWR | os.O_CREAT, 0o644
            )
    first = descriptor is not None
    if descriptor is not None:
        acquire_exclusive(descriptor, path, wait_seconds, "another kam process is writing")
        with _held_lock:
            if path in _held:  # another thread of this process got there meanwhile
                _held[path][1] += 1
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                os.close(descriptor)
                first = False
            else:
                _held[path] = [descriptor, 1]
    try:
        yield first
    finally:
        with _held_lock:
            entry = _held[path]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[path]
                fcntl.flock(entry[0], fcntl.LOCK_UN)
                os.close(entry[0])


@dataclass(frozen=True)
class ReaderCopy:
    file: Path
    mtime_ns: int
    size: int

    def matches(self, path: Path) -> bool:
        """Whether the live file is as it was when this copy was taken."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        return (stat.st_mtime_ns, stat.st_size) == (self.mtime_ns, self.size)


def _current_copy(readers: Path) -> ReaderCopy | None:
    try:
        pointer = json.loads((readers / POINTER).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    copy = ReaderCopy(readers / pointer["file"], int(pointer["mtime_ns"]), int(pointer["size"]))
    return copy if copy.file.exists() else None


def _publish_if_free(path: Path, readers: Path) -> ReaderCopy | None:
    """Publish a new reader copy unless a writer is at work (then None: use the old one)."""
    descriptor = os.open(path.with_name(f"{path.name}.writer.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        try:
            copy = _current_copy(readers)
            if copy is not None and copy.matches(path):
                return copy  # another reader published it meanwhile
            return _publish(path, readers)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _publish(path: Path, readers: Path) -> ReaderCopy:
    """Copy the live file (the writer lock held, nobody writing it) and point readers at
    the copy with one atomic rename; delete all but the newest copies."""
    readers.mkdir(exist_ok=True)
    stat = path.stat()
    name = f"{time.time_ns()}.duckdb"
    partial = readers / f".{name}.partial"
    shutil.copyfile(path, partial)
    wal = path.with_name(f"{path.name}.wal")
    if wal.exists():  # a writer that did not close cleanly: its log belongs to the copy
        shutil.copyfile(wal, readers / f"{name}.wal")
    os.replace(partial, readers / name)
    pointer = {"file": name, "mtime_ns": stat.st_mtime_ns, "size": stat.st_size}
    staged = readers / f".{POINTER}.partial"
    staged.write_text(json.dumps(pointer), encoding="utf-8")
    os.replace(staged, readers / POINTER)
    for old in sorted(readers.glob("*.duckdb"))[:-KEPT_COPIES]:
        old.unlink(missing_ok=True)
        old.with_name(f"{old.name}.wal").unlink(missing_ok=True)
    return ReaderCopy(readers / name, stat.st_mtime_ns, stat.st_size)


def reader_memo(con: DuckDBBackend) -> dict[str, Any] | None:
    """A dict kept with the reader copy ``con`` reads, shared by the process's threads, for
    what depends on the copy's data alone (the as-of date, the tables, filter values): a
    copy never changes, and the next copy comes with an empty memo. None for a writer's
    connection, whose data changes as it writes.

    With the lines in the lake (``lines_from_lake``), one dict per lake version within the
    copy's: a new version of the lake (``kam lake export`` into a lake the store's readers
    already read) changes the lines without changing the copy.
    """
    memo: dict[str, Any] | None = getattr(con, _MEMO, None)
    lake = getattr(con, LAKE_LINES, None)
    if memo is None or lake is None:
        return memo
    found: dict[str, Any] = memo.setdefault(f"lake:{lake[0]}:{lake[1]}", {})
    return found


def reader_memoised(con: DuckDBBackend, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept under ``key`` in the reader copy's memo (see ``reader_memo``):
    computed once per copy and process; every time on a writer's connection."""
    memo = reader_memo(con)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


_building = threading.Lock()

REGISTERED = "_kam_registered"
"""The attribute of a connection naming the ``reader_table`` tables registered on it."""

DERIVED = "_derived_"
"""How the tables ``reader_table`` registers are named: not the store's own."""


def reader_table(con: DuckDBBackend, name: str, build: Callable[[], pa.Table]) -> str | None:
    """The name under which ``con`` reads ``build()``'s table, computed once per reader copy
    and process and registered on the connection (an Arrow table: no copy); None on a
    writer's connection, whose data changes as it writes.

    For what many pages derive from the whole store the same way (every account's figures
    at the latest date, each account's categories): a copy never changes, so deriving it
    once and answering each page from it costs a lookup instead of a scan of the store.
    """
    memo = reader_memo(con)
    if memo is None:
        return None
    key = f"table:{name}"
    if key not in memo:
        with _building:  # one thread builds it; the others wait for it, not build it again
            if key not in memo:
                memo[key] = build()
    registered: set[str] = con.__dict__.setdefault(REGISTERED, set())
    view = f"{DERIVED}{name}"
    if view not in registered:
        con.con.register(view, memo[key])
        registered.add(view)
    return view


RowsOf = Callable[[str], pa.Table]
"""One key's rows of a table ``reader_rows`` keeps (none: an empty table)."""


def reader_rows(
    con: DuckDBBackend,
    name: str,
    sql: str,
    key: str = "customer_id",
    params: dict[str, Any] | None = None,
) -> RowsOf | None:
    """Look up one key's rows of ``sql`` (which must sort them by ``key``), kept in memory
    once per reader copy and process; None on a writer's connection, or when ``sql`` has
    no rows at all (then the caller asks the store as it would without this).

    A page about one account needs a few rows of tables that are not ordered by account
    (``customer_day``, ``customer_month``): DuckDB scans the whole table for them each time.
    Sorted once and indexed by key, each page reads a slice (no copy).
    """
    memo = reader_memo(con)
    if memo is None:
        return None
    memo_key = f"rows:{name}"
    if memo_key not in memo:
        with _building:
            if memo_key not in memo:
                table = con.con.execute(sql, params or {}).to_arrow_table()
                index: dict[str, tuple[int, int]] = {}
                if table.num_rows:
                    runs = pc.run_end_encode(table.column(key).combine_chunks())
                    ends = runs.run_ends.to_pylist()
                    spans = zip([0, *ends[:-1]], ends, strict=True)
                    index = dict(zip(runs.values.to_pylist(), spans, strict=True))
                memo[memo_key] = (table, index)
    table, index = memo[memo_key]
    if not table.num_rows:
        return None

    def rows_of(value: str) -> pa.Table:
        start, stop = index.get(value, (0, 0))
        return table.slice(start, stop - start)

    return rows_of


def store_tables(con: DuckDBBackend) -> frozenset[str]:
    """The names of the store's tables and views (a fresh read-only file has none)."""

    def tables() -> frozenset[str]:
        found = DuckDBBackend.list_tables(con)
        return frozenset(t for t in found if not t.startswith(DERIVED))

    return reader_memoised(con, "tables", tables)


def latest_transaction_date(con: DuckDBBackend) -> date | None:
    """The as-of date every window defaults to: the latest transaction in the store."""

    def latest() -> date | None:
        found = con.con.execute("SELECT max(last_date) FROM customer_month").fetchone()
        value = found[0] if found else None
        return value if isinstance(value, date) else None

    return reader_memoised(con, "latest_transaction_date", latest)


def resolve_as_of(con: DuckDBBackend, as_of: date | None = None) -> date | None:
    """The date figures are measured at: ``as_of`` if given, else the latest transaction.

    None when the store holds no transactions (or has no tables yet): nothing has happened,
    so there is no date to measure up to. Callers that need one say so (an empty account
    list, "nothing to score yet"); none invents a placeholder date.
    """
    if as_of is not None:
        return as_of
    if "customer_month" not in store_tables(con):
        return None
    return latest_transaction_date(con)
