"""The lake: the analytical tables as Parquet files in a folder, for Spark (and DuckDB) to read.

With ``KAM_ANALYTICS_ENGINE=spark`` the invoice lines and their rollups live here instead of
the embedded DuckDB file, in Spark's built-in format (plain Parquet: nothing to fetch at run
time), partitioned by the month of the lines::

    <lake>/transactions/line_month=2024-01-01/part-<version>-<n>.parquet
    <lake>/customer_month/line_month=2024-01-01/part-<version>-<n>.parquet
    <lake>/customer_day/line_month=2024-01-01/part-<version>-<n>.parquet
    <lake>/customers/part-<version>-<n>.parquet
    <lake>/_kam/current.json            which files make up each table, and the version

A table is the files ``current.json`` names, nothing else. A writer (one at a time: a
``flock`` on ``_kam/writer.lock``) writes every new file under ``_kam/staging/<version>/``
(a folder Spark's and DuckDB's readers skip: its name starts with ``_``), moves them into
place, and then commits by replacing ``current.json`` with one atomic rename. A write that
fails or is killed before that rename leaves the previous version whole; its files are never
named by it and the next writer deletes them. Files the two newest versions no longer name
are deleted after a commit (a reader still planning on the version before keeps its files).

Why not Delta Lake or Iceberg: both need jars Spark fetches from Maven at run time; a
manifest rename gives the one guarantee kam needs (readers see whole imports) with Spark's
own Parquet reader. docs/scale.md.
"""

import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow.parquet as pq

from kam.analytics.locking import acquire_exclusive
from kam.analytics.schema import (
    CUSTOMER_COLUMNS,
    CUSTOMER_DAY_COLUMNS,
    CUSTOMER_MONTH_COLUMNS,
    TRANSACTION_COLUMNS,
)

PARTITION = "line_month"
"""The partition key of the monthly tables: the first day of the lines' month."""

TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": tuple((c.name, c.type.value) for c in CUSTOMER_COLUMNS),
    "transactions": tuple((c.name, c.type.value) for c in TRANSACTION_COLUMNS),
    "customer_month": CUSTOMER_MONTH_COLUMNS,
    "customer_day": CUSTOMER_DAY_COLUMNS,
}
"""The lake's tables and their columns, the same as the embedded store's."""

MONTHLY = ("transactions", "customer_month", "customer_day")
"""Tables partitioned by month; ``customers`` is one unpartitioned set of files."""

MONTH_OF = {"transactions": "date", "customer_month": "month", "customer_day": "date"}
"""The column whose month names a monthly table's partition."""

META = "_kam"
POINTER = "current.json"
KEPT_VERSIONS = 2


class LakeError(Exception):
    """The lake cannot be opened or written (a bad KAM_LAKE_URL, an unreadable manifest)."""


@dataclass(frozen=True)
class LakeVersion:
    """One committed state of the lake: per table, per partition ("" for none), its files
    (paths relative to the lake's folder)."""

    version: int = 0
    tables: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    kept: frozenset[str] = frozenset()
    """Files of the version before, no longer named: a reader may still be reading them."""

    def files(self, table: str) -> list[str]:
        """Every file of ``table``, partition by partition."""
        parts = self.tables.get(table, {})
        return [name for key in sorted(parts) for name in parts[key]]

    def named(self) -> set[str]:
        return {name for table in self.tables for name in self.files(table)}

    @property
    def empty(self) -> bool:
        return not any(self.files(table) for table in TABLE_COLUMNS)


@dataclass(frozen=True)
class TableSize:
    """What the lake holds of one table."""

    name: str
    rows: int
    files: int
    bytes: int
    partitions: int


def lake_path(url: str) -> Path:
    """The folder a KAM_LAKE_URL names: a path, or a ``file://`` URL."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        raw = parsed.path if parsed.scheme == "file" else url
        if not raw:
            raise LakeError("KAM_LAKE_URL is empty; name a folder, e.g. /srv/kam/lake")
        return Path(raw).expanduser()
    raise LakeError(
        f"KAM_LAKE_URL {url!r}: kam writes the lake in a folder (a local disk, or a network "
        "file system every Spark worker mounts at the same path); object stores "
        f"({parsed.scheme}://) are not supported yet"
    )


class Lake:
    """The lake in ``root``: its committed version, its readers and its one writer."""

    def __init__(self, root: Path, lock_wait_seconds: float = 30.0):
        self.root = root
        self.lock_wait_seconds = lock_wait_seconds

    @classmethod
    def from_url(cls, url: str, lock_wait_seconds: float = 30.0) -> "Lake":
        return cls(lake_path(url), lock_wait_seconds)

    @property
    def meta(self) -> Path:
        return self.root / META

    def current(self) -> LakeVersion:
        """The committed version (version 0, no files, before the first commit)."""
        try:
            raw = json.loads((self.meta / POINTER).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return LakeVersion()
        except ValueError as error:
            raise LakeError(f"the lake's manifest {self.meta / POINTER} is unreadable") from error
        tables = {
            table: {key: tuple(files) for key, files in parts.items()}
            for table, parts in raw["tables"].items()
        }
        return LakeVersion(int(raw["version"]), tables, frozenset(raw.get("kept", ())))

    def paths(self, table: str, version: LakeVersion | None = None) -> list[str]:
        """The absolute paths of ``table``'s files in ``version`` (default: the current one)."""
        return [str(self.root / name) for name in (version or self.current()).files(table)]

    def select(self, table: str, version: LakeVersion | None = None) -> str:
        """SQL reading ``table`` of ``version`` with its columns in the store's order."""
        files = self.paths(table, version)
        names = ", ".join(f'"{name}"' for name, _type in TABLE_COLUMNS[table])
        if not files:
            typed = ", ".join(f'NULL::{type_} AS "{name}"' for name, type_ in TABLE_COLUMNS[table])
            return f"SELECT {typed} WHERE false"
        listed = ", ".join("'" + path.replace("'", "''") + "'" for path in files)
        return f"SELECT {names} FROM read_parquet([{listed}], hive_partitioning = false)"

    def sizes(self, version: LakeVersion | None = None) -> list[TableSize]:
        """Rows, files, bytes and partitions of every table (from the Parquet footers)."""
        version = version or self.current()
        sizes = []
        for table in TABLE_COLUMNS:
            names = version.files(table)
            rows = sum(pq.read_metadata(self.root / name).num_rows for name in names)
            size = sum((self.root / name).stat().st_size for name in names)
            partitions = len([key for key, files in version.tables.get(table, {}).items() if files])
            sizes.append(TableSize(table, rows, len(names), size, partitions))
        return sizes

    @contextmanager
    def writing(self) -> Iterator["LakeWrite"]:
        """Hold the lake's writer lock and stage one new version; commit it with
        ``LakeWrite.commit``. Leaving the block without a commit changes nothing readers see;
        a write left behind by a killed process is cleared first."""
        self.meta.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.meta / "writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            acquire_exclusive(
                descriptor, self.root, self.lock_wait_seconds, "another kam process writes the lake"
            )
            staging_root = self.meta / "staging"
            shutil.rmtree(staging_root, ignore_errors=True)
            base = self.current()
            self._delete_unnamed(base.named() | base.kept)
            write = LakeWrite(self, base, staging_root / str(base.version + 1))
            write.staging.mkdir(parents=True)
            try:
                yield write
            finally:
                shutil.rmtree(staging_root, ignore_errors=True)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def _delete_unnamed(self, named: set[str] | frozenset[str]) -> None:
        """Delete the table files not ``named``: those of versions before the previous one,
        and those a write killed between moving its files into place and its commit left
        (no reader knows them)."""
        for table in TABLE_COLUMNS:
            folder = self.root / table
            if not folder.is_dir():
                continue
            for path in folder.rglob("*.parquet"):
                if str(path.relative_to(self.root)) not in named:
                    path.unlink(missing_ok=True)


class LakeWrite:
    """One version being written: files staged under ``staging``, then ``commit``."""

    def __init__(self, lake: Lake, base: LakeVersion, staging: Path):
        self.lake = lake
        self.base = base
        self.staging = staging
        self.version = base.version + 1
        self.committed: LakeVersion | None = None

    def stage_folder(self, table: str) -> Path:
        """Where this write stages ``table``'s new files (as ``<PARTITION>=<month>/*.parquet``
        for a monthly table)."""
        return self.staging / table

    def commit(self, replaced: Mapping[str, set[str] | None]) -> LakeVersion:
        """Move the staged files into place and make them current in one rename.

        ``replaced``: per table, the partitions whose files the staged ones replace (None:
        every partition, the whole table). A partition of a table this write stages files
        for is replaced by them; the tables and partitions not named keep their files.
        """
        tables: dict[str, dict[str, tuple[str, ...]]] = {
            table: dict(parts) for table, parts in self.base.tables.items()
        }
        moves: list[tuple[Path, Path]] = []
        for table, partitions in replaced.items():
            parts = tables.setdefault(table, {})
            if partitions is None:
                parts.clear()
            else:
                for key in partitions:
                    parts.pop(key, None)
            staged = self.stage_folder(table)
            for number, path in enumerate(
                sorted(staged.rglob("*.parquet")) if staged.exists() else []
            ):
                key = path.parent.name if path.parent != staged else ""
                relative = (
                    Path(table, key, f"part-{self.version}-{number}.parquet")
                    if key
                    else Path(table, f"part-{self.version}-{number}.parquet")
                )
                moves.append((path, self.lake.root / relative))
                parts[key] = (*parts.get(key, ()), str(relative))
        for source, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        return self._point(LakeVersion(self.version, tables, frozenset(self.base.named())))

    def revert(self) -> LakeVersion:
        """After ``commit``, make the tables of the version this write started from current
        again, as a newer version (so readers point again): for a caller whose other half of
        the change failed after the lake's commit. The base version's files are still there
        (the commit kept them for its readers)."""
        if self.committed is None:
            raise LakeError("nothing to revert: this write did not commit")
        reverted = LakeVersion(
            self.committed.version + 1, self.base.tables, frozenset(self.committed.named())
        )
        return self._point(reverted)

    def _point(self, committed: LakeVersion) -> LakeVersion:
        """Make ``committed`` current: write the manifest beside it, one atomic rename."""
        pointer = {
            "version": committed.version,
            "tables": {t: dict(p) for t, p in committed.tables.items()},
            "kept": sorted(committed.kept - committed.named()),
        }
        partial = self.lake.meta / f".{POINTER}.partial"
        partial.write_text(json.dumps(pointer, indent=1, sort_keys=True), encoding="utf-8")
        with open(partial, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(partial, self.lake.meta / POINTER)
        self.committed = committed
        # Files only versions older than the previous one named: no reader plans on them.
        self.lake._delete_unnamed(committed.named() | committed.kept)
        return committed


def copy_partitioned(con: duckdb.DuckDBPyConnection, select: str, table: str, folder: Path) -> None:
    """Write ``select``'s rows (``table``'s columns) as Parquet under ``folder``, one
    subfolder per month (``line_month=YYYY-MM-01``); nothing for no rows."""
    names = _typed(table)
    month = f"date_trunc('month', \"{MONTH_OF[table]}\")::DATE AS {PARTITION}"
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {names}, {month} FROM ({select})) TO '{folder}' "
        f"(FORMAT parquet, PARTITION_BY ({PARTITION}), OVERWRITE_OR_IGNORE true)"
    )


def copy_whole(con: duckdb.DuckDBPyConnection, select: str, table: str, folder: Path) -> None:
    """Write ``select``'s rows (``table``'s columns) as one Parquet file in ``folder``."""
    names = _typed(table)
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {names} FROM ({select})) TO '{folder / 'data.parquet'}' (FORMAT parquet)"
    )


def partition_key(month: object) -> str:
    """The partition folder name of a month (a date, the first of the month)."""
    return f"{PARTITION}={month}"


def _typed(table: str) -> str:
    """SQL: ``table``'s columns cast to their declared types (a sum may come out wider), so
    every file of a table has the one schema Spark is told."""
    return ", ".join(
        f'CAST("{name}" AS {type_}) AS "{name}"' for name, type_ in TABLE_COLUMNS[table]
    )
