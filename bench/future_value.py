"""Benchmark the whole future-value step on TPC-H against one bare pass, in the same run.

    .venv/bin/python bench/future_value.py                # SF1
    .venv/bin/python bench/future_value.py --scale 1 10   # SF1, then SF10

Uses the TPC-H stores bench/selection.py loads through kam's import and caches under
/tmp/kam-bench/sf<N>/ (run that first). Each a few times, (a) and (b) in turn, medians
reported:

(a) the floor: ``SELECT customer_id, sum(revenue) FROM transactions GROUP BY customer_id``;
(b) the future-value step as a scoring run does it: one-pass purchase summaries over the
    ``customer_day`` rollup the import keeps (as of the latest transaction and as of 26
    weeks before, with the holdout between), BG/NBD fits on
    both (holdout check), Gamma-Gamma, per-customer predictions with a 90% interval over 24
    months, written to the store as ``clv_<id>`` (dropped again after each run).

A store loaded before ``customer_day`` existed has it empty: it is rebuilt once, before any
timing, and the rebuild's time printed. ``--from-lines`` times (b) with the summaries
grouped from the lines instead (the step before the rollup), for comparison.

Targets: (b) ≤ 4× (a) at SF1 and ≤ 2× at SF10 (the median of paired runs). BLAS is
single-threaded, as in bench/clv.py.
Beside wall-clock time it prints the process's CPU time (user + system, DuckDB's threads
included): on a machine shared with other work the CPU ratio is the steadier of the two.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: see bench/clv.py

import argparse
import itertools
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kam.analytics.clv.future_value import (
    FutureValue,
    FutureValueSettings,
    calibration_end_for,
    drop_future_value,
    fit_future_value,
    stored_purchase_days,
    write_future_value,
)
from kam.analytics.clv.summary import purchase_summaries, summaries_from_days
from kam.analytics.ingest import refresh_customer_day
from kam.analytics.store import AnalyticsStore, latest_transaction_date

ROOT = Path(os.environ.get("KAM_BENCH_DIR", "/tmp/kam-bench"))
"""Where the loaded TPC-H stores are cached (``KAM_BENCH_DIR`` to keep a run's own)."""
TARGETS = {1: 4.0, 10: 2.0}
"""The most (b) may take, in multiples of (a), at each scale with a target."""
_PROGRESS = {"stream": sys.stdout}


def log(message: str) -> None:
    """Print a progress line at once (on stderr under --json)."""
    print(message, file=_PROGRESS["stream"], flush=True)


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads, DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of ``action``."""
    started, cpu = time.perf_counter(), cpu_seconds()
    action()
    return time.perf_counter() - started, cpu_seconds() - cpu


def report(label: str, runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Print and return the median wall-clock and CPU seconds of ``runs``."""
    median = statistics.median(t for t, _ in runs)
    cpu_median = statistics.median(c for _, c in runs)
    times = ", ".join(f"{t:.2f}" for t, _ in runs)
    log(f"  {label:<28} median {median:7.2f} s, CPU {cpu_median:6.2f} s   (runs: {times})")
    return median, cpu_median


def run_scale(scale: int, repeats: int, memory_limit: str, from_lines: bool = False) -> dict | None:
    """Time (a) and (b) on one TPC-H scale and print the ratio."""
    path = ROOT / f"sf{scale}" / "store.duckdb"
    if not (ROOT / f"sf{scale}" / "loaded").exists():
        log(f"SF{scale}: no loaded store at {path}; run bench/selection.py --scale {scale}")
        return None
    store = AnalyticsStore(f"duckdb://{path}", memory_limit=memory_limit)
    settings = FutureValueSettings()
    stages: dict[str, list[tuple[float, float]]] = {
        "summaries": [],
        "fits + predictions": [],
        "write": [],
    }
    results: list[FutureValue] = []
    with store.connect() as con:
        as_of = latest_transaction_date(con)
        assert as_of is not None
        cal = calibration_end_for(as_of, settings)
        log(f"SF{scale}: as of {as_of}, calibration to {cal}")
        if not con.con.execute("SELECT 1 FROM customer_day LIMIT 1").fetchall():

            def rebuild() -> None:
                con.con.execute("BEGIN TRANSACTION")
                refresh_customer_day(con.con)
                con.con.execute("COMMIT")

            wall, _ = timed(rebuild)
            log(f"  customer_day was empty (store loaded before it): rebuilt in {wall:.2f} s")
        rows = con.con.execute("SELECT count(*) FROM customer_day").fetchone()
        log(f"  customer_day: {rows[0] if rows else 0:,} purchase days")

        def bare() -> None:
            con.con.execute(
                "SELECT customer_id, sum(revenue) FROM transactions GROUP BY customer_id"
            ).to_arrow_table()

        def step() -> None:
            marks = [(time.perf_counter(), cpu_seconds())]
            if from_lines:
                expr = purchase_summaries(con.table("transactions"), as_of, cal)
            else:
                expr = summaries_from_days(stored_purchase_days(con), as_of, cal)
            summaries = con.to_pyarrow(expr)
            marks.append((time.perf_counter(), cpu_seconds()))
            result = fit_future_value(summaries, as_of, settings, cal)
            marks.append((time.perf_counter(), cpu_seconds()))
            drop_future_value(con, "bench")
            write_future_value(con, result, "bench")
            marks.append((time.perf_counter(), cpu_seconds()))
            for name, (start, end) in zip(stages, itertools.pairwise(marks), strict=True):
                stages[name].append((end[0] - start[0], end[1] - start[1]))
            results.append(result)

        # (a) and (b) alternate, so a burst of other work on the machine hits both alike.
        floors, wholes = [], []
        for _ in range(repeats):
            floors.append(timed(bare))
            wholes.append(timed(step))
        drop_future_value(con, "bench")
    floor, floor_cpu = report("(a) bare group-by pass", floors)
    whole, whole_cpu = report("(b) future-value step", wholes)
    paired = statistics.median(w / f for (w, _), (f, _) in zip(wholes, floors, strict=True))
    for name, times in stages.items():
        wall = statistics.median(t for t, _ in times)
        cpu = statistics.median(c for _, c in times)
        log(f"      {name:<24} median {wall:7.2f} s, CPU {cpu:6.2f} s")
    result = results[-1]
    log(f"  customers {result.customers:,} ({result.repeat_customers:,} repeat); {result.reason}")
    fitted_on = result.purchase_fit.n_customers
    log(f"  fits on {fitted_on:,} customers (fit_sample {settings.fit_sample:,})")
    purchase = {k: float(f"{v:.4g}") for k, v in result.purchase_fit.params.items()}
    spend = {k: float(f"{v:.4g}") for k, v in result.spend.params.items()}
    log(f"  {result.label}: {purchase}; {spend}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    target = TARGETS.get(scale)
    verdict = (
        "no target at this scale"
        if target is None
        else (f"target <= {target:g}x: {'met' if paired <= target else 'MISSED'}")
    )
    log(
        f"  (b) / (a) = {paired:.1f}x wall-clock (median of paired runs; {verdict}), "
        f"{whole_cpu / floor_cpu:.1f}x CPU; peak RSS {peak:.2f} GB"
    )
    return {
        "scale": scale,
        "customers": result.customers,
        "bare_s": round(floor, 4),
        "step_s": round(whole, 4),
        "bare_cpu_s": round(floor_cpu, 4),
        "step_cpu_s": round(whole_cpu, 4),
        "stages_s": {
            name: round(statistics.median(t for t, _ in times), 4) for name, times in stages.items()
        },
        "ratio": round(paired, 3),
        "cpu_ratio": round(whole_cpu / floor_cpu, 3),
        "target": target,
        "met": None if target is None else paired <= target,
        "model": result.label,
        "peak_rss_gb": round(peak, 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark at each scale asked for."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument(
        "--from-lines", action="store_true", help="group the summaries from the lines"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args(argv)
    if args.json:
        _PROGRESS["stream"] = sys.stderr
    load_before = os.getloadavg()
    results = [
        run_scale(scale, args.repeats, args.memory_limit, args.from_lines) for scale in args.scale
    ]
    load_after = os.getloadavg()
    log(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    if args.json:
        doc = {
            "runs": [r for r in results if r is not None],
            "load_average": {"before": load_before, "after": load_after},
        }
        print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
