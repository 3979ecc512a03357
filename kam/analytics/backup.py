"""The analytical store's half of a backup: every table out as Parquet, and a new store file
built back from them.

Nothing here knows which tables kam keeps: every base table of the store is written (the
import tables of ``kam.analytics.schema``, the score snapshots and their catalogue, the
lifetime-value runs, and whatever later features add), with the DDL of every table and view
in ``schema.json`` so that keys, NOT NULL and the snapshots' explanation views come back as
they were. A restore never touches the store in use: it builds a complete new file, checks
every table's row count, and only then may the caller swap it in (``swap_store``).
"""

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.lake import MONTHLY, TABLE_COLUMNS, LakeWrite, copy_partitioned, copy_whole
from kam.analytics.lake_export import TableCheck, checksum_sql, figures

SCHEMA_FILE = "schema.json"
"""The store's DDL as JSON: ``{"tables": {name: CREATE TABLE …}, "views": {name: CREATE VIEW
…}}``."""

Step = Callable[[str, float], None]
"""Told (table, fraction done) as each table is written or loaded."""


class StoreRestoreError(Exception):
    """A Parquet file does not load into its table, or loads with another row count."""


@dataclass(frozen=True)
class StoreTable:
    """One table of the store as written to a backup: its name, its file, its row count."""

    name: str
    file: str
    rows: int


def store_tables(con: DuckDBBackend) -> list[str]:
    """The base tables of the store's main schema, by name."""
    rows = con.con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE schema_name = 'main' AND NOT temporary ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def store_row_count(con: DuckDBBackend) -> int:
    """How many rows the store's tables hold in all (0 for a fresh install)."""
    total = 0
    for table in store_tables(con):
        row = con.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        total += int(row[0]) if row else 0
    return total


def export_store(
    con: DuckDBBackend,
    directory: Path,
    step: Step | None = None,
    sources: Mapping[str, str] | None = None,
) -> list[StoreTable]:
    """Write every table of the store under ``directory`` as ``<table>.parquet`` and the DDL
    of its tables and views as ``schema.json``; all from one read transaction, so the files
    agree with each other even while a page reads.

    ``sources``: per table, the SQL its rows are read from instead of the store's own table
    (with the spark engine, ``transactions`` is the lake's lines). ``con`` may be read-only:
    a read-only connection also keeps any writer out until the caller closes it.
    """
    sources = sources or {}
    raw = con.con
    directory.mkdir(parents=True, exist_ok=True)
    raw.execute("BEGIN TRANSACTION")
    try:
        tables = store_tables(con)
        schema = {
            kind: dict(raw.execute(query).fetchall())
            for kind, query in (
                (
                    "tables",
                    "SELECT table_name, sql FROM duckdb_tables() "
                    "WHERE schema_name = 'main' AND NOT temporary ORDER BY table_name",
                ),
                (
                    "views",
                    "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main' "
                    "AND NOT internal AND NOT temporary ORDER BY view_name",
                ),
            )
        }
        (directory / SCHEMA_FILE).write_text(
            json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written = []
        for index, table in enumerate(tables):
            if step:
                step(table, index / max(len(tables), 1))
            file = directory / f"{table}.parquet"
            # main."<table>": the store's own table, never a temporary view of the same name.
            select = sources.get(table, f'SELECT * FROM main."{table}"')
            raw.execute(f"COPY ({select}) TO '{_quoted(file)}' (FORMAT parquet, COMPRESSION zstd)")
            counted = raw.execute(f"SELECT count(*) FROM ({select})").fetchone()
            written.append(StoreTable(table, file.name, int(counted[0]) if counted else 0))
    finally:
        raw.execute("ROLLBACK")
    return written


def build_store(
    target: Path, directory: Path, tables: list[StoreTable], step: Step | None = None
) -> None:
    """Build a new store file at ``target`` from a backup's ``schema.json`` and Parquet files.

    ``target`` must not exist. Each table is created with its original DDL and filled from
    its file; a row count other than ``tables`` says raises StoreRestoreError naming the
    file, and the half-built file is removed. The file is checkpointed and closed on return,
    so it can be renamed over the store in use.
    """
    if target.exists():
        raise StoreRestoreError(f"{target} exists already; remove it first")
    schema = json.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8"))
    create_tables, create_views = schema["tables"].values(), schema["views"].values()
    raw = duckdb.connect(str(target))
    try:
        for statement in create_tables:
            raw.execute(statement)
        for index, table in enumerate(tables):
            if step:
                step(table.name, index / max(len(tables), 1))
            file = directory / table.file
            try:
                raw.execute(
                    f"INSERT INTO \"{table.name}\" SELECT * FROM read_parquet('{_quoted(file)}')"
                )
            except duckdb.Error as error:
                raise StoreRestoreError(
                    f"{file} does not load into {table.name}: {error}"
                ) from error
            counted = raw.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()
            rows = int(counted[0]) if counted else 0
            if rows != table.rows:
                raise StoreRestoreError(
                    f"{file} holds {rows:,} rows, the manifest says {table.rows:,}"
                )
        for statement in create_views:
            raw.execute(statement)
        raw.execute("CHECKPOINT")
    except BaseException:
        raw.close()
        remove_store_file(target)
        raise
    raw.close()


def stage_lake(
    write: LakeWrite,
    directory: Path,
    tables: list[StoreTable],
    memory_limit: str,
    step: Step | None = None,
) -> list[TableCheck]:
    """Stage a backup's customers, invoice lines and rollups as the lake's next version in
    ``write`` (the monthly tables partitioned by month), each read back from the staged
    files and compared with its backup file, rows and checksum; the caller commits.

    StoreRestoreError, naming the file, when a table staged differs from its file or from
    the row count ``tables`` gives. A table the backup lacks is staged empty.
    """
    by_name = {table.name: table for table in tables}
    checks = []
    raw = duckdb.connect(
        config={"memory_limit": memory_limit, "temp_directory": str(write.staging / "tmp")}
    )
    try:
        for index, table in enumerate(TABLE_COLUMNS):
            if step:
                step(table, index / len(TABLE_COLUMNS))
            entry = by_name.get(table)
            names = ", ".join(f'"{name}"' for name, _type in TABLE_COLUMNS[table])
            if entry is None:
                typed = ", ".join(f'NULL::{t} AS "{n}"' for n, t in TABLE_COLUMNS[table])
                select = f"SELECT {typed} WHERE false"
                file = directory / f"{table}.parquet"
            else:
                file = directory / entry.file
                select = f"SELECT {names} FROM read_parquet('{_quoted(file)}')"
            folder = write.stage_folder(table)
            try:
                if table in MONTHLY:
                    copy_partitioned(raw, select, table, folder)
                else:
                    copy_whole(raw, select, table, folder)
                backup_rows, backup_sum = figures(raw, checksum_sql(select, table))
            except duckdb.Error as error:
                raise StoreRestoreError(
                    f"{file} does not load into the lake's {table}: {error}"
                ) from error
            written = sorted(str(path) for path in folder.rglob("*.parquet"))
            staged = (
                f"SELECT {names} FROM read_parquet([{', '.join(map(_literal, written))}], "
                "hive_partitioning = false)"
                if written
                else f"{select} WHERE false"
            )
            lake_rows, lake_sum = figures(raw, checksum_sql(staged, table))
            check = TableCheck(table, backup_rows, lake_rows, backup_sum, lake_sum, len(written))
            expected = entry.rows if entry else 0
            if not check.matches or backup_rows != expected:
                raise StoreRestoreError(
                    f"{file} holds {backup_rows:,} rows (the manifest says {expected:,}), the "
                    f"lake's {table} staged from it {lake_rows:,} (checksums {backup_sum}, "
                    f"{lake_sum}): the lake was left as it was"
                )
            checks.append(check)
    finally:
        raw.close()
    return checks


def _literal(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def swap_store(new: Path, path: Path) -> Path | None:
    """Put the store file ``new`` in place of ``path`` in one rename; returns where the old
    file was kept (a hard link, so that ``unswap_store`` can put it back), or None."""
    kept: Path | None = None
    if path.exists():
        kept = path.with_name(f"{path.name}.before-restore")
        remove_store_file(kept)
        try:
            os.link(path, kept)
        except OSError:
            kept = None
    remove_store_file(Path(f"{path}.wal"))
    os.replace(new, path)
    return kept


def unswap_store(kept: Path | None, path: Path) -> None:
    """Undo ``swap_store``: the old file back in place (when it was kept)."""
    if kept is not None and kept.exists():
        os.replace(kept, path)


def remove_store_file(path: Path) -> None:
    for each in (path, Path(f"{path}.wal")):
        if each.exists():
            each.unlink()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
