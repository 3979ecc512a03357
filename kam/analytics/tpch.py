"""TPC-H as a customer base: generate it with tpchgen-cli and reshape it into kam's files.

TPC-H is the standard decision-support benchmark: customers in 25 nations and 5 regions
place orders whose lines name a part and a supplier. That is a B2B invoice history, so it
gives kam a plausible, reproducible (though uniform) data set at any size: scale factor 1
is ~6 million transaction lines, 10 is ~60 million. The mapping is in docs/tpch.md.

Both steps stream: tpchgen-cli writes Parquet row group by row group, and DuckDB runs the
joins under a memory limit, spilling to disk past it, so scale 10 fits a small machine.
"""

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kam.analytics.progress import Progress
from kam.analytics.schema import CUSTOMER_COLUMNS, TRANSACTION_COLUMNS, Column, DocumentType

MARKER = "tpch.json"

# Rows per unit of scale factor (TPC-H spec, clause 4.2.5), to weigh progress by work.
TABLE_ROWS_PER_SCALE: dict[str, float] = {
    "region": 0.0,
    "nation": 0.0,
    "customer": 150_000,
    "part": 200_000,
    "partsupp": 800_000,
    "orders": 1_500_000,
    "lineitem": 6_000_000,
}
TABLES: tuple[str, ...] = tuple(TABLE_ROWS_PER_SCALE)

# By default one Parquet file per ~6 million lineitem rows (one per unit of scale), so no
# file passes ~250 MB and files can be copied or inspected one by one.
LINES_PER_PART = 6_000_000

# Every tpchgen-cli run first builds its text pool (~0.7 s of CPU), so tables smaller
# than this many rows together share one run; the big ones get a run, and a report, each.
ROWS_PER_RUN = 1_000_000


class TpchError(Exception):
    """TPC-H data cannot be generated or read: the generator is missing or a table is absent."""


@dataclass(frozen=True)
class TpchFiles:
    """The two Parquet files kam imports, in kam's column layout, and how many rows each holds."""

    customers: Path
    transactions: Path
    customer_rows: int
    transaction_rows: int


def find_tpchgen() -> Path:
    """The tpchgen-cli executable: the one installed beside this Python first, then PATH."""
    beside = Path(sys.executable).parent / "tpchgen-cli"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("tpchgen-cli")
    if found:
        return Path(found)
    raise TpchError(
        "tpchgen-cli not found beside the Python interpreter or on PATH; it is a kam "
        "dependency: run `uv sync` (or `pip install tpchgen-cli`)"
    )


def generate_tpch(
    scale: float,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    parts: int | None = None,
    threads: int | None = None,
) -> Path:
    """Write the TPC-H tables kam needs as Parquet under ``out_dir`` and return ``out_dir``.

    Each table lands in ``out_dir/<table>/<table>.<n>.parquet``. A marker file records the
    scale and the tables finished, so running again at the same scale does nothing, an
    interrupted run resumes at the first unfinished table, and a different scale replaces
    the tables. ``parts`` splits the big tables into that many files (default: one per
    ~6 million lineitem rows); ``threads`` defaults to every CPU.
    """
    if not scale > 0:
        raise TpchError(f"the TPC-H scale factor must be positive, not {scale}")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = _finished_tables(out_dir, scale)
    if len(done) == len(TABLES):
        _report(progress, "TPC-H tables already generated", 1.0)
        return out_dir
    if not done:
        (out_dir / MARKER).unlink(missing_ok=True)
        for table in TABLES:  # left by another scale or an interrupted run
            shutil.rmtree(out_dir / table, ignore_errors=True)
    tool = find_tpchgen()
    if parts is None:
        parts = max(1, math.ceil(scale * TABLE_ROWS_PER_SCALE["lineitem"] / LINES_PER_PART))
    total = sum(TABLE_ROWS_PER_SCALE.values())
    finished = sum(TABLE_ROWS_PER_SCALE[t] for t in done)
    for batch in _batches([t for t in TABLES if t not in done], scale):
        _report(progress, f"generating {', '.join(batch)}", finished / total)
        for table in batch:
            shutil.rmtree(out_dir / table, ignore_errors=True)
        _run_tpchgen(tool, scale, out_dir, batch, parts, threads)
        done.extend(batch)
        _write_marker(out_dir, scale, done)
        finished += sum(TABLE_ROWS_PER_SCALE[t] for t in batch)
    _report(progress, "TPC-H tables generated", 1.0)
    return out_dir


def tpch_to_kam(
    tpch_dir: Path,
    out_dir: Path,
    *,
    memory_limit: str = "4GB",
    threads: int | None = None,
    progress: Progress | None = None,
) -> TpchFiles:
    """Reshape generated TPC-H tables into kam's customers and transactions Parquet files.

    Joins run in DuckDB under ``memory_limit``, spilling to a temporary directory inside
    ``out_dir`` past it. Each file is written under a temporary name and renamed when
    complete, so a failed run never leaves a half-written file where an import would find it.
    """
    missing = [t for t in TABLES if not list((tpch_dir / t).glob("*.parquet"))]
    if missing:
        raise TpchError(
            f"{tpch_dir} lacks the TPC-H tables {', '.join(missing)}; "
            "generate them first (generate_tpch)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    spill = out_dir / ".duckdb-spill"
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
        # Output order carries no meaning here, and keeping it would buffer rows.
        "preserve_insertion_order": False,
    }
    if threads:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    try:
        for table in TABLES:
            source = (tpch_dir / table / "*.parquet").as_posix().replace("'", "''")
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{source}')")
        _report(progress, "writing customers", 0.0)
        customers = out_dir / "customers.parquet"
        customer_rows = _copy(con, customers_sql(), customers)
        _report(progress, "writing transactions", 0.02)
        transactions = out_dir / "transactions.parquet"
        transaction_rows = _copy(con, transactions_sql(), transactions)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    _report(progress, "kam files written", 1.0)
    return TpchFiles(customers, transactions, customer_rows, transaction_rows)


def customers_sql() -> str:
    """The query turning TPC-H customer, nation and region into kam's customer master."""
    return _select(
        CUSTOMER_COLUMNS,
        {
            "customer_id": "c.c_custkey",
            "name": "c.c_name",
            "parent_id": "NULL",  # TPC-H customers have no group structure
            "country": "n.n_name",
            "region": "r.r_name",
            "segment": "c.c_mktsegment",
        },
        """
        FROM customer AS c
        JOIN nation AS n ON n.n_nationkey = c.c_nationkey
        JOIN region AS r ON r.r_regionkey = n.n_regionkey
        """,
    )


def transactions_sql() -> str:
    """The query turning TPC-H lineitem, orders, partsupp and part into kam's invoice lines."""
    return _select(
        TRANSACTION_COLUMNS,
        {
            "invoice_id": "o.o_orderkey",
            "line_id": "l.l_linenumber",
            "customer_id": "o.o_custkey",
            "date": "o.o_orderdate",
            "product": "l.l_partkey",
            # p_type is "<size/promo class> <finish> <material>"; the material (TIN,
            # NICKEL, BRASS, STEEL, COPPER) is the product family a buyer buys.
            "category": "string_split(p.p_type, ' ')[-1]",
            "business_unit": "NULL",  # TPC-H has no customer sites or business units
            "quantity": "l.l_quantity",
            # Computed in DECIMAL, exact, and only then converted to the store's DOUBLE.
            "revenue": "l.l_extendedprice * (1 - l.l_discount)",
            "cost": "ps.ps_supplycost * l.l_quantity",
            "document_type": f"'{DocumentType.INVOICE.value}'",
        },
        """
        FROM lineitem AS l
        JOIN orders AS o ON o.o_orderkey = l.l_orderkey
        JOIN partsupp AS ps ON ps.ps_partkey = l.l_partkey AND ps.ps_suppkey = l.l_suppkey
        JOIN part AS p ON p.p_partkey = l.l_partkey
        """,
    )


def _select(columns: tuple[Column, ...], expressions: dict[str, str], source: str) -> str:
    """A SELECT giving exactly ``columns``, in order, each cast to its store type."""
    if set(expressions) != {c.name for c in columns}:
        raise TpchError(f"TPC-H mapping out of step with the schema: {sorted(expressions)}")
    fields = ",\n    ".join(
        f'CAST({expressions[c.name]} AS {c.type.value}) AS "{c.name}"' for c in columns
    )
    return f"SELECT\n    {fields}\n{source.strip()}"


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> int:
    """COPY a query to a Parquet file, atomically, and return the number of rows written."""
    partial = target.with_name(target.name + ".partial")
    path = partial.as_posix().replace("'", "''")
    try:
        row = con.execute(
            f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return int(row[0]) if row else 0


def _batches(tables: list[str], scale: float) -> list[list[str]]:
    """Group consecutive tables into tpchgen-cli runs of at most ROWS_PER_RUN rows."""
    batches: list[list[str]] = []
    rows = 0.0
    for table in tables:
        size = TABLE_ROWS_PER_SCALE[table] * scale
        if batches and rows + size <= ROWS_PER_RUN:
            batches[-1].append(table)
            rows += size
        else:
            batches.append([table])
            rows = size
    return batches


def _run_tpchgen(
    tool: Path, scale: float, out_dir: Path, tables: list[str], parts: int, threads: int | None
) -> None:
    """Generate tables with one tpchgen-cli run, turning a failure into a TpchError."""
    command = [
        str(tool),
        "parquet",
        f"--scale-factor={scale:g}",
        f"--output-dir={out_dir}",
        f"--tables={','.join(tables)}",
        f"--parts={parts}",
        "--overwrite",
        "--quiet",
        "--no-progress",
    ]
    if threads:
        command.append(f"--num-threads={threads}")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        names = ", ".join(tables)
        raise TpchError(f"tpchgen-cli failed on {names} (exit {result.returncode}): {detail}")


def _finished_tables(out_dir: Path, scale: float) -> list[str]:
    """The tables the marker says were generated at this scale and whose files are still there."""
    try:
        marker = json.loads((out_dir / MARKER).read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(marker, dict) or marker.get("scale") != scale:
        return []
    return [
        t for t in TABLES if t in marker.get("tables", []) and list((out_dir / t).glob("*.parquet"))
    ]


def _write_marker(out_dir: Path, scale: float, tables: list[str]) -> None:
    """Record the scale and finished tables, replacing the marker in one step."""
    partial = out_dir / f"{MARKER}.partial"
    partial.write_text(json.dumps({"scale": float(scale), "tables": tables}, indent=2) + "\n")
    os.replace(partial, out_dir / MARKER)


def _report(progress: Progress | None, message: str, fraction: float) -> None:
    if progress is not None:
        progress(message, fraction)
