"""DuckDB embedded against Spark over the lake: import, score, clv fit and health on TPC-H.

    .venv/bin/python bench/scale.py                 # SF1, Spark local[2]
    .venv/bin/python bench/scale.py --scale 1 10    # SF1, then SF10
    .venv/bin/python bench/scale.py --master 'spark://host:7077' --json
    .venv/bin/python bench/scale.py --scale 10 --engines spark duckdb   # Spark first

For each scale the TPC-H files are generated with tpchgen-cli and mapped to kam's columns
once (cached under /tmp/kam-bench/scale-sf<N>/), then each engine runs what the commands
run, on a fresh store (and, for Spark, a fresh lake):

- **import**: the customer master (into the store, both engines), then every line item —
  ``import_transactions`` into the DuckDB file, or ``import_transactions_to_lake`` (the
  same checks on a scratch file, the months rewritten as Parquet, one commit);
- **score**: what ``kam score`` computes — the lifetime-value step (purchase days read on
  the engine, the models fitted in SciPy), the features, the scores and the snapshot
  written into the store; on Spark the features are materialised first, as the service does;
- **clv fit**: what ``kam clv fit`` computes — both purchase models and the spend model
  with a 26-week holdout;
- **health score**: what ``kam health score`` reads on the engine — every active account's
  purchase signals (one grouped pass over the purchase days) and P(alive) (NumPy).

Each stage is timed (wall clock; the machine is shared, so the load average is printed
too), and the Spark run's stages are split further (session start, purchase summaries,
SciPy fits, features, scores and snapshot). ``--json`` prints every figure as one document.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from kam.analytics.clv.future_value import (
    FutureValueSettings,
    calibration_end_for,
    fit_future_value,
    stored_purchase_days,
    summaries_from_days,
    with_predicted_clv,
    write_future_value,
)
from kam.analytics.clv.purchases import ASKABLE
from kam.analytics.health.signals import purchase_signals
from kam.analytics.ingest import import_customers, import_transactions
from kam.analytics.ingest.lake import import_transactions_to_lake
from kam.analytics.lake import Lake
from kam.analytics.selection.features import account_features
from kam.analytics.selection.policy import default_policy
from kam.analytics.selection.scoring import score_accounts
from kam.analytics.selection.snapshot import write_snapshot
from kam.analytics.spark import arrow_view, lake_backend, materialised, spark_session
from kam.analytics.store import AnalyticsStore, latest_transaction_date
from kam.analytics.tpch import generate_tpch, tpch_to_kam

ROOT = Path("/tmp/kam-bench")
RATINGS = pa.table(
    {"customer_id": pa.array([], pa.string()), "criterion_key": pa.array([], pa.string()),
     "value": pa.array([], pa.float64())}
)  # fmt: skip

_OUT = {"stream": sys.stdout}


def log(message: str) -> None:
    print(message, file=_OUT["stream"], flush=True)


class Clock:
    """Named stage times of one run, in order."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - started
            log(f"    {name}: {self.stages[name]:.1f} s")


def kam_files(scale: float, memory_limit: str) -> tuple[Path, Path]:
    folder = ROOT / f"scale-sf{scale:g}"
    raw = generate_tpch(scale, folder / "tpch")
    files = tpch_to_kam(raw, folder / "kam", memory_limit=memory_limit)
    return Path(files.customers), Path(files.transactions)


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def score_and_fit(
    clock: Clock, store: AnalyticsStore, connect: Callable[[Any], Any], spark: bool, run: str
) -> dict[str, Any]:
    """The scoring run and the clv fit on the backend ``connect`` gives; their figures."""
    with store.connect() as con:
        as_of = latest_transaction_date(con)
        assert as_of is not None
        with connect(con) as calc:
            settings = FutureValueSettings()
            with clock.stage("score: purchase summaries"):
                cal_end = calibration_end_for(as_of, settings)
                summaries = calc.to_pyarrow(
                    summaries_from_days(stored_purchase_days(calc), as_of, cal_end)
                )
            with clock.stage("score: lifetime-value fit (SciPy)"):
                result = fit_future_value(summaries, as_of, settings, cal_end)
                table = write_future_value(con, result, run)
                predicted = (
                    arrow_view(calc, table, result.predictions) if spark else con.table(table)
                )
            with clock.stage("score: features"):
                features = account_features(calc, as_of)
                if spark:
                    features = materialised(calc, f"features_{run}", features)
            with clock.stage("score: scores and snapshot"):
                scored = score_accounts(
                    calc, default_policy(), RATINGS, as_of,
                    features=with_predicted_clv(features, predicted),
                )  # fmt: skip
                info = write_snapshot(con, scored, run)
            checking = FutureValueSettings(models=ASKABLE)
            with clock.stage("clv fit: purchase summaries"):
                cal_end = calibration_end_for(as_of, checking)
                summaries = calc.to_pyarrow(
                    summaries_from_days(stored_purchase_days(calc), as_of, cal_end)
                )
            with clock.stage("clv fit: models (SciPy)"):
                checked = fit_future_value(summaries, as_of, checking, cal_end)
            with clock.stage("health score: purchase signals"):
                signals = purchase_signals(calc, as_of)
    return {"accounts": info.accounts, "key_accounts": info.key_accounts,
            "clv_model": checked.chosen,
            "health_accounts": len(signals.customer_ids) if signals else 0}  # fmt: skip


def run_duckdb(scale: float, customers: Path, lines: Path, memory_limit: str) -> dict[str, Any]:
    folder = fresh(ROOT / f"scale-sf{scale:g}" / "duckdb")
    store = AnalyticsStore(f"duckdb://{folder / 'analytics.duckdb'}", memory_limit=memory_limit)
    clock = Clock()
    log("  DuckDB embedded")
    with clock.stage("import: customers"):
        import_customers(store, customers)
    with clock.stage("import: lines"):
        report = import_transactions(store, lines)

    @contextmanager
    def same(con: Any) -> Iterator[Any]:
        yield con

    figures = score_and_fit(clock, store, same, False, "bench_duckdb")
    return {"lines": report.rows, **figures, "stages": clock.stages}


def run_spark(
    scale: float, customers: Path, lines: Path, memory_limit: str, master: str
) -> dict[str, Any]:
    folder = fresh(ROOT / f"scale-sf{scale:g}" / "spark")
    store = AnalyticsStore(f"duckdb://{folder / 'analytics.duckdb'}", memory_limit=memory_limit)
    lake = Lake(folder / "lake")
    clock = Clock()
    log(f"  Spark {master} over the lake")
    with clock.stage("import: customers"):
        import_customers(store, customers)
    with clock.stage("import: lines"):
        report = import_transactions_to_lake(store, lake, lines)
    with clock.stage("spark session start"):
        spark_session(master)

    @contextmanager
    def on_spark(con: Any) -> Iterator[Any]:
        master_customers = con.con.execute("SELECT * FROM customers").to_arrow_table()
        with lake_backend(lake, master, master_customers) as calc:
            yield calc

    figures = score_and_fit(clock, store, on_spark, True, "bench_spark")
    sizes = {size.name: {"rows": size.rows, "files": size.files, "bytes": size.bytes}
             for size in lake.sizes()}  # fmt: skip
    return {"lines": report.rows, **figures, "stages": clock.stages, "lake": sizes}


def totals(stages: dict[str, float]) -> dict[str, float]:
    """import / score / clv fit: the sums of their stages."""
    out: dict[str, float] = {}
    for name, seconds in stages.items():
        step = name.split(":")[0]
        out[step] = out.get(step, 0.0) + seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--engines", nargs="+", choices=("duckdb", "spark"), default=["duckdb", "spark"],
        help="which engines to run, in this order (default: duckdb spark)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.json:
        _OUT["stream"] = sys.stderr
    results = []
    for scale in args.scale:
        log(f"TPC-H SF{scale:g}: generating and mapping (cached)")
        customers, lines = kam_files(scale, args.memory_limit)
        load_before = os.getloadavg()[0]
        runs: dict[str, dict[str, Any]] = {}
        for engine in args.engines:
            runs[engine] = (
                run_duckdb(scale, customers, lines, args.memory_limit)
                if engine == "duckdb"
                else run_spark(scale, customers, lines, args.memory_limit, args.master)
            )
        results.append({
            "scale": scale, "master": args.master, **runs,
            "load_average": [load_before, os.getloadavg()[0]],
        })  # fmt: skip
        first = next(iter(runs.values()))
        log(f"\nSF{scale:g}: {first['lines']:,} lines, {first['accounts']:,} accounts "
            f"(load average {load_before:.1f} → {os.getloadavg()[0]:.1f})")  # fmt: skip
        if "spark" in runs:
            stages = runs["spark"]["stages"]
            log("  Spark stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
        if len(runs) < 2:
            continue
        duck, spark = runs["duckdb"], runs["spark"]
        log(f"  {'step':<12}{'DuckDB':>10}{'Spark ' + args.master:>22}{'ratio':>8}")
        duck_totals, spark_totals = totals(duck["stages"]), totals(spark["stages"])
        for step in ("import", "score", "clv fit", "health score"):
            d, s = duck_totals[step], spark_totals[step]
            log(f"  {step:<12}{d:>9.1f}s{s:>21.1f}s{s / d:>7.1f}×")
        assert duck["accounts"] == spark["accounts"], "the engines scored different accounts"
        assert duck["key_accounts"] == spark["key_accounts"], "different key accounts"
        assert duck["health_accounts"] == spark["health_accounts"], "different health scoring"
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
