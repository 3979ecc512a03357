"""Score snapshots: each run written once, immutable, and made current in one transaction.

A run becomes the table ``score_snapshot_<id>`` (one row per account: the score columns and
raw / points columns per criterion), the view ``score_explanation_<id>`` (the same criteria
in long form with their weighted points — a view, so 14 criteria do not cost 14× the rows on
disk), and a row in the catalogue ``score_snapshots``. All of it, and the flip of
``is_current`` from the previous snapshot to the new one, happens in one DuckDB transaction:
a crash at any point leaves the previous snapshot current and readable, and no trace of the
new one.

Browsing (``snapshot_page``) filters, sorts, counts and pages in DuckDB; only one page of
rows comes back to Python, whatever the size of the snapshot.
"""

import math
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.selection.policy_toml import policy_from_toml, policy_to_toml
from kam.analytics.selection.scoring import ScoredAccounts, explanation_rows, explanations_of
from kam.analytics.store import AnalyticsStore, reader_memoised

CATALOGUE = "score_snapshots"
CATALOGUE_DDL = f"""
CREATE TABLE IF NOT EXISTS {CATALOGUE} (
    snapshot_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    as_of DATE NOT NULL,
    policy_name VARCHAR NOT NULL,
    policy_version INTEGER NOT NULL,
    policy_toml VARCHAR NOT NULL,
    accounts BIGINT NOT NULL,
    key_accounts BIGINT NOT NULL,
    is_current BOOLEAN NOT NULL
)"""
_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")
WRITE_SETTINGS = {
    # Row order means nothing in a snapshot (pages sort explicitly); not keeping it lets
    # DuckDB write the table from every thread at once (SF1: 7.5 s → 3.4 s).
    "preserve_insertion_order": "false",
    # Choosing codecs for ~50 columns took most of the rest of the write (TPC-H SF10,
    # 1.5 M accounts: 5.4 s and 140 MB compressed; 3.2 s and 350 MB stored plain). A
    # snapshot is written once and read a page at a time, so speed wins over disk here.
    "force_compression": "uncompressed",
}
"""DuckDB settings while a snapshot is written; each is put back afterwards."""
Stage = Callable[[str], None]
"""Told each stage of a write as it starts ("scores", "explanations", "catalogue", "swap")."""


class SnapshotError(Exception):
    """A snapshot id is malformed or taken, or the snapshot asked for does not exist."""


@dataclass(frozen=True)
class SnapshotInfo:
    """One row of the catalogue: which run, when, under which policy, how many accounts."""

    snapshot_id: str
    created_at: datetime
    as_of: date
    policy_name: str
    policy_version: int
    policy_toml: str
    accounts: int
    key_accounts: int
    is_current: bool

    @property
    def table(self) -> str:
        """The table holding this snapshot's scores."""
        return snapshot_table_name(self.snapshot_id)


def snapshot_table_name(snapshot_id: str) -> str:
    """The score table of a snapshot id."""
    return f"score_snapshot_{_checked(snapshot_id)}"


def explanation_view_name(snapshot_id: str) -> str:
    """The explanation view of a snapshot id."""
    return f"score_explanation_{_checked(snapshot_id)}"


def _checked(snapshot_id: str) -> str:
    if not _ID.match(snapshot_id):
        raise SnapshotError(f"snapshot id {snapshot_id!r}: use 1-64 letters, digits or _")
    return snapshot_id


def _exists(con: DuckDBBackend, name: str) -> bool:
    """Whether the store has a table or view ``name`` where ``con.list_tables()`` looks.

    One query: Ibis's ``list_tables`` asks three (the catalogue, the schema, then every
    name), ~8 ms of CPU, and the catalogue is looked for on every page of the score table.
    """
    row = con.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_catalog IN (current_database(), 'temp') AND table_schema = current_schema()",
        [name],
    ).fetchone()
    return bool(row and row[0])


def _database_path(backend: DuckDBBackend) -> Path | None:
    row = backend.con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return Path(row[0]).resolve() if row and row[0] else None


def write_snapshot(
    target: AnalyticsStore | DuckDBBackend,
    run: ScoredAccounts,
    run_id: str,
    *,
    stage: Stage | None = None,
) -> SnapshotInfo:
    """Write ``run`` as snapshot ``run_id`` and make it current, all in one transaction.

    ``target`` is the store, or an open connection to it. When the run was computed on
    that same DuckDB database, the engine writes the scores straight from the query; a run
    from another engine (Spark) streams in as Arrow batches. SnapshotError if the id is
    malformed or already used — snapshots are never overwritten.
    """
    _checked(run_id)
    source = ibis.get_backend(run.scores)
    if isinstance(target, AnalyticsStore):
        if isinstance(source, DuckDBBackend) and _database_path(source) == target.path.resolve():
            return _write(source, source, run, run_id, stage)
        with target.connect() as con:
            return _write(con, source, run, run_id, stage)
    return _write(target, source, run, run_id, stage)


def _write(
    con: DuckDBBackend, source: Any, run: ScoredAccounts, run_id: str, stage: Stage | None
) -> SnapshotInfo:
    raw = con.con
    table, view = snapshot_table_name(run_id), explanation_view_name(run_id)
    tell = stage or (lambda _: None)
    raw.execute(CATALOGUE_DDL)
    kept = {
        name: raw.execute("SELECT current_setting(?)", [name]).fetchone() for name in WRITE_SETTINGS
    }
    for name, value in WRITE_SETTINGS.items():
        raw.execute(f"SET {name} = '{value}'")
    raw.execute("BEGIN TRANSACTION")
    try:
        taken = raw.execute(
            f"SELECT count(*) FROM {CATALOGUE} WHERE snapshot_id = ?", [run_id]
        ).fetchone()
        if (taken and taken[0]) or _exists(con, table):
            raise SnapshotError(f"snapshot {run_id} exists already; snapshots are immutable")
        tell("scores")
        if source is con:
            # The query is compiled and planned once, by the statement that writes it (a
            # staging view in between had DuckDB bind the ~50-column plan twice).
            # Ibis registers the run's in-memory tables (ratings, incumbents) as it would
            # before executing any query of it.
            con._run_pre_execute_hooks(run.scores)
            sql = con.compile(run.scores)
            prepared = _prepare_beside(run, table)
            raw.execute(f"CREATE TABLE {table} AS {sql}")
        else:
            batches = run.scores.to_pyarrow_batches()
            prepared = _prepare_beside(run, table)
            raw.register("_kam_incoming", batches)
            raw.execute(f"CREATE TABLE {table} AS SELECT * FROM _kam_incoming")
            raw.unregister("_kam_incoming")
        accounts, key_accounts = _count_and_check(con, table)
        tell("explanations")
        explanation_sql, policy_toml = prepared.result()
        raw.execute(f"CREATE VIEW {view} AS {explanation_sql}")
        tell("catalogue")
        raw.execute(
            f"INSERT INTO {CATALOGUE} VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, false)",
            [
                run_id,
                run.as_of,
                run.policy.name,
                run.policy.version,
                policy_toml,
                accounts,
                key_accounts,
            ],
        )
        tell("swap")
        raw.execute(f"UPDATE {CATALOGUE} SET is_current = (snapshot_id = ?)", [run_id])
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    finally:
        for name, row in kept.items():
            raw.execute(f"SET {name} = '{row[0] if row else ''}'")
    info = snapshot_info(con, run_id)
    assert info is not None
    return info


def _prepare_beside(run: ScoredAccounts, table: str) -> "Future[tuple[str, str]]":
    """``_prepared`` started on another thread, to run while DuckDB writes the scores.

    Neither the explanation view's SQL nor the policy's TOML needs the written rows, and
    DuckDB releases the GIL while it runs the scoring query (mostly on one core at TPC-H
    SF1): compiled there, they cost no wall-clock time after it (~0.05 s at SF1).
    """
    beside = ThreadPoolExecutor(max_workers=1)
    try:
        return beside.submit(_prepared, run, table)
    finally:
        beside.shutdown(wait=False)


def _prepared(run: ScoredAccounts, table: str) -> tuple[str, str]:
    """(the explanation view's SQL over ``table``, the policy as TOML). The view reads the
    table by the columns of the run's schema, which are the table's (written from it)."""
    written = ibis.table(run.scores.schema(), name=table)
    explanation = explanations_of(written, run.policy)
    return ibis.to_sql(explanation, dialect="duckdb"), policy_to_toml(run.policy)


def _count_and_check(con: DuckDBBackend, table: str) -> tuple[int, int]:
    """(accounts, key accounts) of a snapshot table, in the same scan that refuses it when a
    column holds NaN or an infinity (SnapshotError naming the columns): a value that is not
    a number is missing, NULL. Scoring makes them NULL; this holds the line for every way a
    run can be built."""
    columns = con.con.execute(f"DESCRIBE {table}").fetchall()
    floats = [str(row[0]) for row in columns if str(row[1]) in ("DOUBLE", "FLOAT")]
    # Plain SQL, one scan: through Ibis the same query cost twice as much to build.
    checks = "".join(f', count(*) FILTER (WHERE NOT isfinite("{name}"))' for name in floats)
    row = con.con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE is_key){checks} FROM {table}"
    ).fetchone()
    assert row is not None
    found = dict(zip(floats, row[2:], strict=True))
    bad = [name for name in floats if found[name]]
    if bad:
        raise SnapshotError(
            f"the scores hold values that are not numbers (NaN or infinity) in "
            f"{', '.join(bad)} ({found[bad[0]]:,} in {bad[0]}); not written"
        )
    return int(row[0]), int(row[1])


_COLUMNS = (
    "snapshot_id, created_at, as_of, policy_name, policy_version, policy_toml, accounts, "
    "key_accounts, is_current"
)


def _infos(con: DuckDBBackend, where: str, params: list[Any]) -> list[SnapshotInfo]:
    if not _exists(con, CATALOGUE):
        return []
    rows = con.con.execute(
        f"SELECT {_COLUMNS} FROM {CATALOGUE} {where} ORDER BY created_at DESC, snapshot_id",
        params,
    ).fetchall()
    return [SnapshotInfo(*row) for row in rows]


def current_snapshot(con: DuckDBBackend) -> SnapshotInfo | None:
    """The snapshot currently in force, or None before the first run."""
    found = _infos(con, "WHERE is_current", [])
    return found[0] if found else None


def snapshot_info(con: DuckDBBackend, snapshot_id: str) -> SnapshotInfo | None:
    """One snapshot's catalogue row, or None."""
    found = _infos(con, "WHERE snapshot_id = ?", [snapshot_id])
    return found[0] if found else None


def list_snapshots(con: DuckDBBackend) -> tuple[SnapshotInfo, ...]:
    """Every snapshot, newest first."""
    return tuple(_infos(con, "", []))


def snapshot_scores(con: DuckDBBackend, snapshot_id: str) -> ir.Table:
    """A snapshot's score table as an Ibis expression (e.g. to diff two cycles in the engine)."""
    if snapshot_info(con, snapshot_id) is None:
        raise SnapshotError(f"no snapshot {snapshot_id}")
    return con.table(snapshot_table_name(snapshot_id))


def snapshot_explanation(con: DuckDBBackend, snapshot_id: str, customer_id: str) -> list[dict]:
    """One account's explanation in a snapshot: a row per criterion, in policy order."""
    return snapshot_account(con, snapshot_id, customer_id)[1]


def snapshot_account(
    con: DuckDBBackend, snapshot_id: str, customer_id: str
) -> tuple[dict[str, Any] | None, list[dict]]:
    """One account's row of a snapshot (every column; None if the snapshot lacks it) and its
    explanation (a row per criterion, in policy order), from one read of the row."""
    info = snapshot_info(con, snapshot_id)
    if info is None:
        raise SnapshotError(f"no snapshot {snapshot_id}")
    rows = (
        con.con.execute(
            f"SELECT * FROM {snapshot_table_name(snapshot_id)} WHERE customer_id = ?",
            [customer_id],
        )
        .to_arrow_table()
        .to_pylist()
    )
    policy = _policy_of(con, snapshot_id, info.policy_toml)
    explanation = [line for row in rows for line in explanation_rows(row, policy)]
    return (rows[0] if rows else None), explanation


def _policy_of(con: DuckDBBackend, snapshot_id: str, policy_toml: str) -> Any:
    """The snapshot's policy, parsed once per reader copy (a snapshot never changes)."""
    return reader_memoised(con, f"policy:{snapshot_id}", lambda: policy_from_toml(policy_toml))


FILTERABLE = ("region", "segment")
"""The snapshot columns whose values the score table offers as filters."""


def snapshot_filter_values(con: DuckDBBackend, snapshot_id: str, column: str) -> list[str]:
    """The distinct non-empty values of ``column`` ("region" or "segment") in a snapshot,
    sorted; kept with the reader copy (a snapshot never changes), one SQL pass otherwise."""
    if column not in FILTERABLE:
        raise ValueError(f"{column!r} is not a filter of the score table")
    if snapshot_info(con, snapshot_id) is None:
        raise SnapshotError(f"no snapshot {snapshot_id}")
    table = snapshot_table_name(snapshot_id)

    def distinct() -> list[str]:
        found = con.con.execute(f'SELECT DISTINCT "{column}" FROM {table}').fetchall()
        return sorted(value for (value,) in found if value)

    return list(reader_memoised(con, f"filter_values:{snapshot_id}:{column}", distinct))


class SnapshotSort(StrEnum):
    """The columns a snapshot can be browsed by."""

    TOTAL = "total"
    ATTRACTIVENESS = "attractiveness"
    RELATIONSHIP = "relationship"
    REVENUE = "revenue_12m"
    GROWTH = "growth_slope"
    NAME = "name"
    KEY_RANK = "key_rank"


@dataclass(frozen=True)
class SnapshotQuery:
    """What the user asked the snapshot browser for; empty strings and None mean "any"."""

    search: str = ""
    tier: str = ""
    quadrant: str = ""
    region: str = ""
    segment: str = ""
    key_only: bool = False
    sort: SnapshotSort = SnapshotSort.TOTAL
    descending: bool = True
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class SnapshotPage:
    """One page of a snapshot's accounts (ACCOUNT_COLUMNS as dicts) and the total matching."""

    snapshot_id: str
    rows: tuple[dict[str, Any], ...]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        """How many pages the matching accounts fill (at least one)."""
        return max(1, math.ceil(self.total / self.page_size))


def snapshot_page(con: DuckDBBackend, snapshot_id: str, query: SnapshotQuery) -> SnapshotPage:
    """One page of a snapshot, searched, filtered and sorted in DuckDB (see SnapshotQuery).

    Search matches the name or customer_id, case-insensitively. NULLs sort last either way;
    customer_id breaks ties so pages never overlap. A page past the end is clamped.

    Parameterised SQL, not Ibis: building and compiling the count and the page cost more
    CPU than DuckDB's answers (a page of the score table asks this on every request).
    """
    from kam.analytics.selection.scoring import ACCOUNT_COLUMNS

    if snapshot_info(con, snapshot_id) is None:
        raise SnapshotError(f"no snapshot {snapshot_id}")
    table = snapshot_table_name(snapshot_id)
    conditions: list[str] = []
    params: list[Any] = []
    if needle := query.search.strip().lower():
        conditions.append("(contains(lower(name), ?) OR contains(lower(customer_id), ?))")
        params += [needle, needle]
    for column in ("tier", "quadrant", "region", "segment"):
        if value := getattr(query, column):
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.key_only:
        conditions.append("is_key")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    counted = con.con.execute(f"SELECT count(*) FROM {table} {where}", params).fetchone()
    total = int(counted[0]) if counted else 0
    page_size = max(1, query.page_size)
    page = min(max(1, query.page), max(1, math.ceil(total / page_size)))
    column = f'"{query.sort.value}"'
    if query.sort is SnapshotSort.NAME:
        column = f"lower({column})"
    direction = "DESC" if query.descending else "ASC"
    columns = ", ".join(f'"{name}"' for name in ACCOUNT_COLUMNS)
    rows = (
        con.con.execute(
            f"SELECT {columns} FROM {table} {where} "
            f"ORDER BY {column} {direction} NULLS LAST, customer_id ASC LIMIT ? OFFSET ?",
            [*params, page_size, (page - 1) * page_size],
        )
        .to_arrow_table()
        .to_pylist()
    )
    return SnapshotPage(snapshot_id, tuple(rows), total, page, page_size)


def drop_snapshot(con: DuckDBBackend, snapshot_id: str) -> None:
    """Delete a snapshot that is not current (retention); the current one cannot be dropped."""
    info = snapshot_info(con, snapshot_id)
    if info is None:
        raise SnapshotError(f"no snapshot {snapshot_id}")
    if info.is_current:
        raise SnapshotError(f"snapshot {snapshot_id} is current; make another current first")
    raw = con.con
    raw.execute("BEGIN TRANSACTION")
    try:
        raw.execute(f"DROP VIEW IF EXISTS {explanation_view_name(snapshot_id)}")
        raw.execute(f"DROP TABLE IF EXISTS {snapshot_table_name(snapshot_id)}")
        raw.execute(f"DELETE FROM {CATALOGUE} WHERE snapshot_id = ?", [snapshot_id])
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
