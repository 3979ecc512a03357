"""Benchmark the whole future-value step on TPC-H against one bare pass, in the same run.

    .venv/bin/python bench/future_value.py                # SF1
    .venv/bin/python bench/future_value.py --scale 1 10   # SF1, then SF10

Uses the TPC-H stores bench/selection.py loads through kam's import and caches under
/tmp/kam-bench/sf<N>/ (run that first). Each a few times, median reported:

(a) the floor: ``SELECT customer_id, sum(revenue) FROM transactions GROUP BY customer_id``;
(b) the future-value step as a scoring run does it: one-pass purchase summaries (as of the
    latest transaction and as of 26 weeks before, with the holdout between), BG/NBD fits on
    both (holdout check), Gamma-Gamma, per-customer predictions with a 90% interval over 24
    months, written to the store as ``clv_<id>`` (dropped again after each run).

Target (issue 4): (b) ≤ 3× (a) at SF10. BLAS is single-threaded, as in bench/clv.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: see bench/clv.py

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from kam.analytics.clv.portfolio import (
    FutureValue,
    FutureValueSettings,
    calibration_end_for,
    drop_future_value,
    fit_future_value,
    purchase_summaries,
    write_future_value,
)
from kam.analytics.store import AnalyticsStore, latest_transaction_date

ROOT = Path("/tmp/kam-bench")


def log(message: str) -> None:
    """Print a progress line at once."""
    print(message, flush=True)


def timed(label: str, action: Callable[[], object], repeats: int) -> float:
    """The median wall-clock seconds of ``repeats`` runs of ``action``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    log(f"  {label:<28} median {median:7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in times)})")
    return median


def run_scale(scale: int, repeats: int, memory_limit: str) -> None:
    """Time (a) and (b) on one TPC-H scale and print the ratio."""
    path = ROOT / f"sf{scale}" / "store.duckdb"
    if not (ROOT / f"sf{scale}" / "loaded").exists():
        log(f"SF{scale}: no loaded store at {path}; run bench/selection.py --scale {scale}")
        return
    store = AnalyticsStore(f"duckdb://{path}", memory_limit=memory_limit)
    settings = FutureValueSettings()
    stages: dict[str, list[float]] = {"summaries": [], "fits + predictions": [], "write": []}
    results: list[FutureValue] = []
    with store.connect() as con:
        as_of = latest_transaction_date(con)
        assert as_of is not None
        cal = calibration_end_for(as_of, settings)
        log(f"SF{scale}: as of {as_of}, calibration to {cal}")

        def bare() -> None:
            con.con.execute(
                "SELECT customer_id, sum(revenue) FROM transactions GROUP BY customer_id"
            ).to_arrow_table()

        def step() -> None:
            started = time.perf_counter()
            summaries = con.to_pyarrow(purchase_summaries(con.table("transactions"), as_of, cal))
            fitted = time.perf_counter()
            result = fit_future_value(summaries, as_of, settings, cal)
            written = time.perf_counter()
            drop_future_value(con, "bench")
            write_future_value(con, result, "bench")
            done = time.perf_counter()
            stages["summaries"].append(fitted - started)
            stages["fits + predictions"].append(written - fitted)
            stages["write"].append(done - written)
            results.append(result)

        floor = timed("(a) bare group-by pass", bare, repeats)
        whole = timed("(b) future-value step", step, repeats)
        drop_future_value(con, "bench")
    for name, times in stages.items():
        log(f"      {name:<24} median {statistics.median(times):7.2f} s")
    result = results[-1]
    log(f"  customers {result.customers:,} ({result.repeat_customers:,} repeat); {result.reason}")
    purchase = {k: round(v, 4) for k, v in result.purchase_fit.params.items()}
    spend = {k: round(v, 4) for k, v in result.spend.params.items()}
    log(f"  BG/NBD {purchase}; Gamma-Gamma {spend}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    log(f"  (b) / (a) = {whole / floor:.1f}x (target <= 3x); peak RSS {peak:.2f} GB")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark at each scale asked for."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="8GB")
    args = parser.parse_args(argv)
    for scale in args.scale:
        run_scale(scale, args.repeats, args.memory_limit)


if __name__ == "__main__":
    main()
