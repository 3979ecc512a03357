"""Benchmark: validated transaction-line import against a bare DuckDB COPY of the same file.

Generates a transactions file of each size (CSV and Parquet, 11 columns, 4 lines per
invoice, 2% credit notes, 100,000 customers) and imports it through kam's real import —
``import_transactions``, which the web page, ``kam import`` and the demo all reach, with
every rule on and the rollups included. The floor is a bare ``COPY transactions FROM
'file'`` of the same file into a typed table of a store in the same state, with no check:
the least any import of that file can cost.

Runs are paired: each repeat times the floor and kam back to back (in alternating order),
each in a fresh child process from opening the store to closing it, and the ratio is taken
within the pair; the figures are medians over the pairs, so a machine shared with other
jobs moves both sides of a ratio together. Printed per size, format and mode: kam's median
lines/s (wall clock), the wall-clock and CPU ratios to the floor, peak resident memory, and
the load average before and after, each against the target (>= 1M lines/s, <= 1.5x COPY).

Modes: ``first`` imports into a store holding the customers and no lines; ``later`` into a
store that already holds as many lines again (the previous period's invoices, the same
customers); ``reimport`` (with --reimport) imports the same file a second time (every line
unchanged; its floor is still the COPY).

    .venv/bin/python bench/import.py                        # 1M lines, CSV and Parquet, 5 pairs
    .venv/bin/python bench/import.py --sizes 1000000 4000000 --formats csv --json
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CUSTOMERS = 100_000
TARGET_LINES_PER_SECOND = 1_000_000
TARGET_RATIO = 1.5
TABLE = (
    "CREATE TABLE transactions (invoice_id VARCHAR, line_id VARCHAR, customer_id VARCHAR, "
    "date DATE, product VARCHAR, category VARCHAR, business_unit VARCHAR, "
    "quantity DOUBLE, revenue DOUBLE, cost DOUBLE, document_type VARCHAR)"
)


def lines_select(lines: int, period: int) -> str:
    """``lines`` lines of period ``period`` (0: the earlier one): invoices numbered on from
    the period before, dates 1,000 days later, the same customers."""
    first_invoice = period * lines // 4
    start = f"DATE '2019-04-08' + {period * 1000}"
    return f"""
        SELECT 'INV' || lpad((first + i // 4)::VARCHAR, 10, '0') AS invoice_id,
               (i % 4 + 1)::VARCHAR AS line_id,
               'C' || lpad((hash(first + i // 4) % {CUSTOMERS})::VARCHAR, 6, '0') AS customer_id,
               ({start} + ((i // 4) % 1000)::INT)::DATE AS date,
               'P' || (hash(i) % 5000) AS product, 'Cat' || (hash(i) % 40) AS category,
               'BU' || (i % 7) AS business_unit,
               CASE WHEN i % 50 = 0 THEN -1 ELSE i % 9 + 1 END::DOUBLE AS quantity,
               round(CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END
                     * (hash(i) % 100000) / 100.0, 2) AS revenue,
               round((hash(i) % 70000) / 100.0, 2) AS cost,
               CASE WHEN i % 50 = 0 THEN 'credit_note' ELSE 'invoice' END AS document_type
        FROM range({lines}) t(i), (SELECT {first_invoice} AS first)"""


def generate(work: Path, lines: int, fmt: str, period: int) -> Path:
    """The file of ``lines`` lines of ``period`` in ``fmt``, written once per work dir."""
    path = work / f"transactions-{lines}-{period}.{fmt}"
    if not path.exists():
        options = "(HEADER)" if fmt == "csv" else "(FORMAT parquet)"
        duckdb.execute(f"COPY ({lines_select(lines, period)}) TO '{path}' {options}")
    return path


def customers_file(work: Path) -> Path:
    path = work / "customers.csv"
    if not path.exists():
        duckdb.execute(
            f"""COPY (SELECT 'C' || lpad(i::VARCHAR, 6, '0') AS customer_id,
                         'Customer ' || i AS name,
                         CASE WHEN i % 10 = 0 OR i < 10 THEN NULL
                              ELSE 'C' || lpad((i - i % 10)::VARCHAR, 6, '0') END AS parent_id,
                         'Country ' || (i % 30) AS country, 'Region ' || (i % 5) AS region,
                         'Segment ' || (i % 12) AS segment
                  FROM range({CUSTOMERS}) t(i)) TO '{path}' (HEADER)"""
        )
    return path


def templates(work: Path, lines: int, mode: str) -> tuple[Path, Path]:
    """Closed store files to start each run from: kam's store and the floor's, in ``mode``'s
    state (the customers; for ``later`` also the earlier period's lines; for ``reimport`` the
    file's own lines). Made once per work dir through kam's own import."""
    from kam.analytics.ingest import import_customers, import_transactions
    from kam.analytics.store import AnalyticsStore

    folder = work / f"template-{lines}-{mode}"
    kam, floor = folder / "kam.duckdb", folder / "floor.duckdb"
    if kam.exists() and floor.exists():
        return kam, floor
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    store = AnalyticsStore(f"duckdb://{folder / 'build' / 'kam.duckdb'}")
    import_customers(store, customers_file(work))
    con = duckdb.connect(str(floor))
    con.execute(TABLE)
    if mode != "first":
        earlier = generate(work, lines, "csv", 1 if mode == "reimport" else 0)
        import_transactions(store, earlier)
        con.execute(f"COPY transactions FROM '{earlier}' (HEADER)")
    con.close()
    with store.connect(read_only=True):
        pass  # publishes the reader copy a store in use has
    # Closed, so the file is the whole store; its reader copy goes along (without one the
    # import's first step would be to publish one).
    shutil.move(store.path, kam)
    shutil.move(store.readers_dir, folder / f"{kam.name}.readers")
    shutil.rmtree(folder / "build")
    return kam, floor


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(side: str, template: Path, data: Path, run_dir: Path, memory_limit: str) -> None:
    """Child process: one timed run (``floor`` or ``kam``), printed as JSON."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    target = run_dir / template.name
    shutil.copyfile(template, target)
    readers = template.with_name(f"{template.name}.readers")
    if readers.exists():
        shutil.copytree(readers, run_dir / readers.name)
    from kam.analytics.ingest import import_transactions  # before the clock starts
    from kam.analytics.store import AnalyticsStore

    started, cpu = time.perf_counter(), time.process_time()
    if side == "floor":
        con = duckdb.connect(str(target), config={"memory_limit": memory_limit})
        options = "(HEADER)" if data.suffix == ".csv" else "(FORMAT parquet)"
        con.execute(f"COPY transactions FROM '{data}' {options}")
        con.close()
        unchanged = 0
    else:
        report = import_transactions(AnalyticsStore(f"duckdb://{target}", memory_limit), data)
        assert not report.refused, report
        unchanged = report.unchanged
    result = {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "peak_mb": peak_rss_mb(),
        "unchanged": unchanged,
    }
    shutil.rmtree(run_dir, ignore_errors=True)
    print(json.dumps(result))


def measure(side: str, template: Path, data: Path, args: argparse.Namespace, work: Path) -> dict:
    command = [sys.executable, __file__, "--child", side, "--memory-limit", args.memory_limit]
    command += [str(template), str(data), str(work / f"run-{side}")]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def load_average() -> float:
    return os.getloadavg()[0]


def bench(lines: int, fmt: str, mode: str, args: argparse.Namespace, work: Path) -> dict:
    """Paired runs of the floor and kam on one file; medians and every run."""
    kam_template, floor_template = templates(work, lines, mode)
    data = generate(work, lines, fmt, 1)
    load_before = load_average()
    pairs = []
    for repeat in range(args.repeats):
        sides = ("floor", "kam") if repeat % 2 == 0 else ("kam", "floor")
        run = {
            side: measure(side, kam_template if side == "kam" else floor_template, data, args, work)
            for side in sides
        }
        if mode == "reimport":
            assert run["kam"]["unchanged"] == lines, run["kam"]
        pairs.append(run)
    kam_seconds = statistics.median(p["kam"]["seconds"] for p in pairs)
    wall = statistics.median(p["kam"]["seconds"] / p["floor"]["seconds"] for p in pairs)
    cpu = statistics.median(p["kam"]["cpu"] / p["floor"]["cpu"] for p in pairs)
    return {
        "lines": lines,
        "format": fmt,
        "mode": mode,
        "floor_seconds": statistics.median(p["floor"]["seconds"] for p in pairs),
        "kam_seconds": kam_seconds,
        "lines_per_second": lines / kam_seconds,
        "floor_lines_per_second": lines / statistics.median(p["floor"]["seconds"] for p in pairs),
        "wall_ratio": wall,
        "cpu_ratio": cpu,
        "kam_cpu_seconds": statistics.median(p["kam"]["cpu"] for p in pairs),
        "floor_cpu_seconds": statistics.median(p["floor"]["cpu"] for p in pairs),
        "peak_mb": max(p["kam"]["peak_mb"] for p in pairs),
        "load_average": [load_before, load_average()],
        "meets_target": lines / kam_seconds >= TARGET_LINES_PER_SECOND
        and wall <= TARGET_RATIO
        and cpu <= TARGET_RATIO,
        "runs": pairs,
    }


def print_row(row: dict) -> None:
    verdict = "yes" if row["meets_target"] else "no"
    runs = "/".join(f"{p['kam']['seconds'] / p['floor']['seconds']:.2f}" for p in row["runs"])
    print(
        f"{row['lines']:>11,} {row['format']:>7} {row['mode']:>8} {row['floor_seconds']:>7.2f} "
        f"{row['kam_seconds']:>7.2f} {row['lines_per_second']:>10,.0f} {row['wall_ratio']:>6.2f} "
        f"{row['cpu_ratio']:>6.2f} {row['peak_mb']:>7.0f} "
        f"{row['load_average'][0]:>5.1f}-{row['load_average'][1]:<5.1f} {verdict:>6}  {runs}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs per case")
    parser.add_argument("--memory-limit", default="4GB", help="the store's DuckDB memory_limit")
    parser.add_argument("--workdir", type=Path, default=None, help="kept between runs if given")
    parser.add_argument("--reimport", action="store_true", help="also time re-importing the file")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.child, args.paths[0], args.paths[1], args.paths[2], args.memory_limit)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kam-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    modes = ["first", "later"] + (["reimport"] if args.reimport else [])
    if not args.json:
        print(
            f"work dir {work}, memory_limit {args.memory_limit}, {args.repeats} paired runs "
            f"per case; target >= {TARGET_LINES_PER_SECOND:,} lines/s and <= {TARGET_RATIO}x "
            "the COPY floor (wall and CPU)"
        )
        print(
            f"{'lines':>11} {'format':>7} {'mode':>8} {'floor s':>7} {'kam s':>7} "
            f"{'lines/s':>10} {'x wall':>6} {'x cpu':>6} {'peak MB':>7} {'load avg':>11} "
            f"{'target':>6}  x wall of each pair"
        )
    rows = []
    try:
        for lines in args.sizes:
            for fmt in args.formats:
                for mode in modes:
                    rows.append(bench(lines, fmt, mode, args, work))
                    if not args.json:
                        print_row(rows[-1])
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        target = {"lines_per_second": TARGET_LINES_PER_SECOND, "ratio": TARGET_RATIO}
        print(json.dumps({"target": target, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
