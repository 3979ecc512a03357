"""Benchmark: transaction-line import speed and memory, against a bare DuckDB COPY.

Generates a transactions CSV of each size (and the customers it references) on the fly,
imports it through kam's real import — ``import_transactions``, the function the web page,
``kam import`` and the demo all reach through ``do_import_transactions``, with every rule
on and the rollups included — and prints lines/second, peak resident memory, the CPU
seconds used (steadier than the wall clock when other jobs share the machine) and every
run's wall-clock seconds. The baseline, measured in the same run on the same file, is a bare
``COPY transactions FROM 'file.csv'`` into a typed table with no validation: the floor.
Every measurement runs in a fresh child process so its peak memory (VmHWM) is its own.

Modes: ``kam`` is the first import into an empty store (one pass, rules checked as the rows
stream); ``later`` imports the same file into a store that already holds other lines (the
staged path: every value read as text, every rule in one statement, then the upsert);
``reimport`` (with --reimport) times importing the file a second time (all unchanged).

    .venv/bin/python bench/import.py                      # 1M, 4M and 10M lines, 3 runs each
    .venv/bin/python bench/import.py --sizes 1000000 --repeats 1
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CUSTOMERS = 100_000


def generate(directory: Path, lines: int) -> tuple[Path, Path]:
    """Write customers.csv and transactions-<lines>.csv (4 lines per invoice, 2% credit notes)."""
    customers = directory / "customers.csv"
    transactions = directory / f"transactions-{lines}.csv"
    con = duckdb.connect()
    if not customers.exists():
        con.execute(
            f"""COPY (SELECT 'C' || lpad(i::VARCHAR, 6, '0') AS customer_id,
                         'Customer ' || i AS name,
                         CASE WHEN i % 10 = 0 OR i < 10 THEN NULL
                              ELSE 'C' || lpad((i - i % 10)::VARCHAR, 6, '0') END AS parent_id,
                         'Country ' || (i % 30) AS country, 'Region ' || (i % 5) AS region,
                         'Segment ' || (i % 12) AS segment
                  FROM range({CUSTOMERS}) t(i)) TO '{customers}' (HEADER)"""
        )
    if not transactions.exists():
        con.execute(
            f"""COPY (SELECT 'INV' || (i // 4) AS invoice_id, (i % 4 + 1)::VARCHAR AS line_id,
                         'C' || lpad((hash(i // 4) % {CUSTOMERS})::VARCHAR, 6, '0') AS customer_id,
                         DATE '2022-01-01' + ((i // 4) % 1000)::INT AS date,
                         'P' || (hash(i) % 5000) AS product, 'Cat' || (hash(i) % 40) AS category,
                         'BU' || (i % 7) AS business_unit,
                         CASE WHEN i % 50 = 0 THEN -1 ELSE i % 9 + 1 END AS quantity,
                         round(CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END
                               * (hash(i) % 100000) / 100.0, 2) AS revenue,
                         round((hash(i) % 70000) / 100.0, 2) AS cost,
                         CASE WHEN i % 50 = 0 THEN 'credit_note' ELSE 'invoice' END
                           AS document_type
                  FROM range({lines}) t(i)) TO '{transactions}' (HEADER)"""
        )
    con.close()
    return customers, transactions


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(mode: str, work: Path, customers: Path, transactions: Path, memory_limit: str) -> None:
    """Child process: one measurement, printed as JSON."""
    store_dir = work / f"store-{mode}"
    shutil.rmtree(store_dir, ignore_errors=True)
    result: dict[str, float | str] = {}
    if mode == "baseline":
        store_dir.mkdir(parents=True)
        con = duckdb.connect(str(store_dir / "floor.duckdb"))
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(
            "CREATE TABLE transactions (invoice_id VARCHAR, line_id VARCHAR, customer_id VARCHAR, "
            "date DATE, product VARCHAR, category VARCHAR, business_unit VARCHAR, "
            "quantity DOUBLE, revenue DOUBLE, cost DOUBLE, document_type VARCHAR)"
        )
        started, cpu = time.perf_counter(), time.process_time()
        con.execute(f"COPY transactions FROM '{transactions}' (HEADER)")
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = time.process_time() - cpu
        con.close()
    else:
        from kam.analytics.ingest import import_customers, import_transactions
        from kam.analytics.store import AnalyticsStore

        store = AnalyticsStore(f"duckdb://{store_dir / 'analytics.duckdb'}", memory_limit)
        import_customers(store, customers)
        if mode == "later":
            earlier = work / "earlier.csv"
            con = duckdb.connect()
            con.execute(
                "COPY (SELECT 'EARLIER' || row_number() OVER () AS invoice_id, '1' AS line_id, "
                "customer_id, date, quantity, revenue, document_type "
                f"FROM read_csv('{transactions}') LIMIT 1000) "
                f"TO '{earlier}' (HEADER)"
            )
            con.close()
            import_transactions(store, earlier)
        started, cpu = time.perf_counter(), time.process_time()
        report = import_transactions(store, transactions)
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = time.process_time() - cpu
        assert not report.refused, report
        assert report.inserted == report.rows, report
        if mode == "reimport":
            started, cpu = time.perf_counter(), time.process_time()
            again = import_transactions(store, transactions)
            result["seconds"] = time.perf_counter() - started
            result["cpu"] = time.process_time() - cpu
            assert again.unchanged == again.rows, again
    result["peak_mb"] = peak_rss_mb()
    shutil.rmtree(store_dir, ignore_errors=True)
    print(json.dumps(result))


def measure(mode: str, args: argparse.Namespace, work: Path, files: tuple[Path, Path]) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--workdir", str(work)]
    command += ["--memory-limit", args.memory_limit, str(files[0]), str(files[1])]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 4_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GB", help="the store's DuckDB memory_limit")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reimport", action="store_true", help="also time re-importing the file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.child, args.workdir, args.files[0], args.files[1], args.memory_limit)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kam-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}, memory_limit {args.memory_limit}, {args.repeats} runs per size")
    header = (
        f"{'lines':>11} {'mode':>9} {'median s':>9} {'lines/s':>11} {'peak MB':>8} {'x floor':>8}"
        f" {'cpu s':>7} {'runs s':>18}"
    )
    print(header)
    modes = ["baseline", "kam", "later"] + (["reimport"] if args.reimport else [])
    try:
        for size in args.sizes:
            files = generate(work, size)
            floor = None
            for mode in modes:
                runs = [measure(mode, args, work, files) for _ in range(args.repeats)]
                seconds = statistics.median(r["seconds"] for r in runs)
                cpu = statistics.median(r["cpu"] for r in runs)
                each = "/".join(f"{r['seconds']:.1f}" for r in runs)
                peak = max(r["peak_mb"] for r in runs)
                floor = floor or seconds
                print(
                    f"{size:>11,} {mode:>9} {seconds:>9.2f} {size / seconds:>11,.0f} "
                    f"{peak:>8.0f} {seconds / floor:>8.2f} {cpu:>7.1f} {each:>18}",
                    flush=True,
                )
            files[1].unlink()
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
