"""Move an embedded install's tables to the lake, verified by row counts and checksums.

Each table is written from the store's reader copy into the lake's staging folder (the
monthly ones partitioned by month), read back from the written files and compared with
the store — rows, and a checksum of every row (the sum of DuckDB's hash of each row's
values, so it does not depend on the order rows are stored in) — and only when every table
matches is the lake committed, in one rename (``kam.analytics.lake``).
"""

from dataclasses import asdict, dataclass

import duckdb

from kam.analytics.lake import MONTHLY, TABLE_COLUMNS, Lake, copy_partitioned, copy_whole
from kam.analytics.progress import Progress
from kam.analytics.store import AnalyticsStore


class LakeExportMismatch(Exception):
    """A table read back from the lake differs from the store's: nothing was committed."""


@dataclass(frozen=True)
class TableCheck:
    """One table as the store holds it and as the lake's files hold it."""

    table: str
    store_rows: int
    lake_rows: int
    store_checksum: str
    lake_checksum: str
    files: int

    @property
    def matches(self) -> bool:
        return (self.store_rows, self.store_checksum) == (self.lake_rows, self.lake_checksum)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "matches": self.matches}


@dataclass(frozen=True)
class LakeExport:
    """The lake version the export committed and each table's check."""

    lake: str
    version: int
    tables: tuple[TableCheck, ...]


def checksum_sql(table_sql: str, table: str) -> str:
    """SQL: (rows, checksum) of ``table_sql``, whose columns are ``table``'s."""
    names = ", ".join(f'"{name}"' for name, _type in TABLE_COLUMNS[table])
    # The sum of the rows' 64-bit hashes, kept to 64 bits: independent of the rows' order.
    return (
        f"SELECT count(*), coalesce(sum(hash({names})::HUGEINT) % 18446744073709551616, 0) "
        f"FROM ({table_sql})"
    )


def figures(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, str]:
    """(rows, checksum as 16 hex digits) from ``checksum_sql``."""
    row = con.execute(sql).fetchone()
    rows, total = row or (0, 0)
    return int(rows), f"{int(total):016x}"


def export_to_lake(
    store: AnalyticsStore, lake: Lake, progress: Progress | None = None
) -> LakeExport:
    """Write the store's four tables into ``lake`` as its new version, verified first.

    LakeExportMismatch (nothing committed) if a table read back differs from the store.
    """
    tell = progress or (lambda _label, _fraction: None)
    checks = []
    with lake.writing() as write, store.connect(read_only=True) as backend:
        con = backend.con
        for index, table in enumerate(TABLE_COLUMNS):
            tell(table, index / len(TABLE_COLUMNS))
            folder = write.stage_folder(table)
            select = f"SELECT * FROM {table}"
            if table in MONTHLY:
                copy_partitioned(con, select, table, folder)
            else:
                copy_whole(con, select, table, folder)
            written = sorted(str(path) for path in folder.rglob("*.parquet"))
            store_rows, store_sum = figures(con, checksum_sql(select, table))
            if written:
                listed = ", ".join("'" + path.replace("'", "''") + "'" for path in written)
                names = ", ".join(f'"{name}"' for name, _type in TABLE_COLUMNS[table])
                read_back = (
                    f"SELECT {names} FROM read_parquet([{listed}], hive_partitioning = false)"
                )
                lake_rows, lake_sum = figures(con, checksum_sql(read_back, table))
            else:
                lake_rows, lake_sum = figures(con, checksum_sql(f"{select} WHERE false", table))
            checks.append(
                TableCheck(table, store_rows, lake_rows, store_sum, lake_sum, len(written))
            )
        wrong = [check.table for check in checks if not check.matches]
        if wrong:
            raise LakeExportMismatch(
                f"{', '.join(wrong)} read back from the lake differ from the store; "
                "the lake was left as it was"
            )
        tell("committing", 0.95)
        committed = write.commit(dict.fromkeys(TABLE_COLUMNS))
    tell("done", 1.0)
    return LakeExport(str(lake.root), committed.version, tuple(checks))
