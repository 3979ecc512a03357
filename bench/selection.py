"""Benchmark key-account selection on TPC-H against baselines measured in the same run.

    .venv/bin/python bench/selection.py                # SF1
    .venv/bin/python bench/selection.py --scale 1 10   # SF1, then SF10
    .venv/bin/python bench/selection.py --scale 1 --load-only

For each scale the TPC-H tables are generated with tpchgen-cli and loaded through kam's own
import (``import_customers`` / ``import_transactions``, which keep ``customer_month`` up to
date); the loaded store is cached under /tmp/kam-bench/sf<N>/ so reruns skip loading. Then,
each a few times with the median reported:

(a) the floor: one bare DuckDB pass ``SELECT customer_id, sum(revenue) FROM transactions
    GROUP BY customer_id`` over the same store — no feature set can beat it;
(b) the whole selection pipeline: features → scores → tiers → quadrants → snapshot written;
(c) at SF1 only, a pandas implementation of the feature step (the same features, from the
    transaction lines a pandas user would start from).

(a) and (b) alternate, so a burst of other work on the shared machine hits both alike, and
the ratio quoted is the median of each pair's (b) / (a). (a) times the query alone, on a
connection opened before the clock starts (opening a read connection after a write may
publish a reader copy of the store, which is no part of the floor); (b) includes opening
the writer's connection, as ``kam score`` does. Beside wall-clock time each prints the
process's CPU time (DuckDB's threads included), steadier on a shared machine, and (b) is
split into its stages (connect, build the expressions, write the snapshot — compiling,
running and committing the scoring query —, read a page back, close), so the fixed costs
that weigh at SF1 show beside the data's.

Targets: (b) ≤ 4× (a) at SF1 (fixed costs matter to every user below SF10) and ≤ 2× at
SF10; peak memory < 6 GB; (b)-features ≥ 20× faster than (c) at SF1. Peak memory is the
process's maximum resident set size (ru_maxrss), which includes DuckDB's buffers.
``--json`` prints the figures (and the load average) as one JSON document at the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa

from kam.analytics.ingest import import_customers, import_transactions
from kam.analytics.selection.features import account_features
from kam.analytics.selection.policy import default_policy
from kam.analytics.selection.scoring import score_accounts
from kam.analytics.selection.snapshot import (
    SnapshotQuery,
    SnapshotSort,
    current_snapshot,
    drop_snapshot,
    list_snapshots,
    snapshot_page,
    write_snapshot,
)
from kam.analytics.store import AnalyticsStore, latest_transaction_date
from kam.analytics.tpch import generate_tpch, tpch_to_kam

ROOT = Path(os.environ.get("KAM_BENCH_DIR", "/tmp/kam-bench"))
"""Where the loaded TPC-H stores are cached (``KAM_BENCH_DIR`` to keep a run's own)."""
TARGETS = {1: 4.0, 10: 2.0}
"""The most (b) may take, in multiples of (a), at each scale with a target."""


_PROGRESS = {"stream": sys.stdout}


def log(message: str) -> None:
    """Print a progress line at once (the run takes minutes); on stderr under --json."""
    print(message, file=_PROGRESS["stream"], flush=True)


def peak_rss_gb() -> float:
    """The largest resident set this process has had so far, in GB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def loaded_store(scale: int, memory_limit: str) -> AnalyticsStore:
    """The store holding TPC-H at ``scale`` imported through kam, loading it on first use."""
    folder = ROOT / f"sf{scale}"
    done = folder / "loaded"
    store = AnalyticsStore(f"duckdb://{folder / 'store.duckdb'}", memory_limit=memory_limit)
    if done.exists():
        return store
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "store.duckdb").unlink(missing_ok=True)
    started = time.perf_counter()
    tpch_dir = generate_tpch(scale, folder / "tpch")
    log(f"  generated TPC-H SF{scale} in {time.perf_counter() - started:.0f} s")
    files = tpch_to_kam(tpch_dir, folder / "kam", memory_limit=memory_limit)
    log(f"  reshaped into kam files in {time.perf_counter() - started:.0f} s")
    import_customers(store, files.customers)
    import_transactions(store, files.transactions)
    log(f"  imported {files.transaction_rows:,} lines in {time.perf_counter() - started:.0f} s")
    shutil.rmtree(folder / "tpch", ignore_errors=True)  # the store holds everything now
    done.write_text(f"{files.customer_rows} customers, {files.transaction_rows} lines\n")
    return store


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads, DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


STAGES = ("connect", "build the expressions", "write the snapshot", "read a page back", "close")
"""The pipeline's stages, timed each run so the fixed costs show beside the data's."""


def timed(label: str, action: Callable[[], object], repeats: int) -> float:
    """The median wall-clock seconds of ``repeats`` runs of ``action``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    log(f"  {label:<34} median {median:7.2f} s   (runs: {runs})")
    return median


BARE_PASS = "SELECT customer_id, sum(revenue) FROM transactions GROUP BY customer_id"


def bare_pass(store: AnalyticsStore) -> float:
    """The floor: one aggregate over every transaction line, fetched into Arrow; its seconds
    (the query alone: the connection is open before the clock starts)."""
    with store.connect(read_only=True) as con:
        started = time.perf_counter()
        con.con.execute(BARE_PASS).to_arrow_table()
        return time.perf_counter() - started


def features_only(store: AnalyticsStore) -> pa.Table:
    """The feature step alone, materialised as Arrow (what (c) is compared with)."""
    with store.connect(read_only=True) as con:
        return account_features(con).to_pyarrow()


def pipeline(store: AnalyticsStore, counter: list[int], stages: dict[str, list]) -> None:
    """Features → scores → tiers → quadrants → snapshot written, then one page browsed;
    each stage's wall-clock and CPU seconds appended to ``stages``."""
    counter[0] += 1
    marks = [(time.perf_counter(), cpu_seconds())]

    def mark() -> None:
        marks.append((time.perf_counter(), cpu_seconds()))

    with store.connect() as con:
        mark()
        run = score_accounts(con, default_policy(), None)
        mark()
        write_snapshot(con, run, f"bench_{counter[0]}_{int(time.time())}")
        mark()
        info = current_snapshot(con)
        assert info is not None
        snapshot_page(con, info.snapshot_id, SnapshotQuery(page_size=25))
        mark()
    mark()
    for name, (start, end) in zip(STAGES, itertools.pairwise(marks), strict=True):
        stages.setdefault(name, []).append((end[0] - start[0], end[1] - start[1]))


def browse(store: AnalyticsStore) -> None:
    """Search, filter and sort the current snapshot, one page back (the web app's list)."""
    with store.connect(read_only=True) as con:
        info = current_snapshot(con)
        assert info is not None
        query = SnapshotQuery(search="9", region="EUROPE", sort=SnapshotSort.REVENUE, page=3)
        snapshot_page(con, info.snapshot_id, query)


def prune(store: AnalyticsStore) -> None:
    """Drop the bench's earlier snapshots so reruns do not grow the store."""
    with store.connect() as con:
        for info in list_snapshots(con):
            if not info.is_current:
                drop_snapshot(con, info.snapshot_id)


def pandas_features(store: AnalyticsStore) -> None:
    """The feature step in pandas, from the transaction lines, as a pandas user would write it."""
    import numpy as np
    import pandas as pd

    with store.connect(read_only=True) as con:
        as_of = latest_transaction_date(con)
        lines = con.con.execute(
            "SELECT customer_id, date, invoice_id, revenue, cost FROM transactions"
        ).to_arrow_table()
        customers = con.con.execute(
            "SELECT customer_id, name, region, segment FROM customers"
        ).to_arrow_table()
    assert as_of is not None
    frame = lines.to_pandas()
    frame["month"] = frame["date"].astype("datetime64[ns]").dt.to_period("M")
    end = pd.Period(as_of, "M")
    frame = frame[frame["month"] <= end]
    age = (end - frame["month"]).apply(lambda offset: offset.n)
    frame["age"] = age
    in_12 = frame["age"] < 12
    in_prev = (frame["age"] >= 12) & (frame["age"] < 24)
    frame["rev_12"] = frame["revenue"].where(in_12, 0.0)
    frame["rev_prev"] = frame["revenue"].where(in_prev, 0.0)
    frame["cost_12"] = frame["cost"].where(in_12, 0.0)
    frame["quarter"] = np.where(frame["age"] < 24, 7 - frame["age"] // 3, -1)
    grouped = frame.groupby("customer_id")
    out = pd.DataFrame(
        {
            "revenue_12m": grouped["rev_12"].sum(),
            "revenue_prev_12m": grouped["rev_prev"].sum(),
            "revenue_lifetime": grouped["revenue"].sum(),
            "cost_12m": grouped["cost_12"].sum(),
            "first_date": grouped["date"].min(),
            "last_date": grouped["date"].max(),
        }
    )
    out["orders_12m"] = frame[in_12].groupby("customer_id")["invoice_id"].nunique()
    out["orders"] = grouped["invoice_id"].nunique()
    quarters = (
        frame[frame["quarter"] >= 0]
        .pivot_table(index="customer_id", columns="quarter", values="revenue", aggfunc="sum")
        .reindex(columns=range(8))
        .fillna(0.0)
    )
    values = quarters.to_numpy()
    pairs = [(i, j) for i in range(8) for j in range(i + 1, 8)]
    slopes = np.stack([(values[:, j] - values[:, i]) / (j - i) for i, j in pairs], axis=1)
    mean = values.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(mean > 0, 4 * np.median(slopes, axis=1) / mean, np.nan)
    out["growth_slope"] = pd.Series(growth, index=quarters.index)
    out["gross_margin"] = out["revenue_12m"] - out["cost_12m"]
    out["margin_pct"] = out["gross_margin"] / out["revenue_12m"].where(out["revenue_12m"] > 0) * 100
    as_of_ts = pd.Timestamp(as_of)
    out["recency_days"] = (as_of_ts - pd.to_datetime(out["last_date"])).dt.days
    out["tenure_days"] = (as_of_ts - pd.to_datetime(out["first_date"])).dt.days
    out["order_frequency"] = out["orders"] * 365.25 / out["tenure_days"].clip(lower=365.25)
    out = out.sort_values(["revenue_12m"], ascending=False, kind="stable")
    positive = out["revenue_12m"].where(out["revenue_12m"] > 0, 0.0)
    out["revenue_share"] = positive / positive.sum()
    out["cumulative_share"] = out["revenue_share"].cumsum()
    out["pareto_rank"] = np.arange(1, len(out) + 1)
    previous = out["cumulative_share"] - out["revenue_share"]
    out["abc_class"] = np.select([previous < 0.8, previous < 0.95], ["A", "B"], "C")
    customers.to_pandas().merge(out, left_on="customer_id", right_index=True, how="left")


def run_scale(scale: int, repeats: int, memory_limit: str, with_pandas: bool) -> dict:
    """Load (or reuse) one scale, print the timings and ratios, and return them."""
    log(f"TPC-H SF{scale}")
    store = loaded_store(scale, memory_limit)
    with store.connect(read_only=True) as con:
        lines = con.con.execute("SELECT count(*) FROM transactions").fetchone()
        customers = con.con.execute("SELECT count(*) FROM customers").fetchone()
        as_of: date | None = latest_transaction_date(con)
    log(
        f"  {customers[0] if customers else 0:,} customers, {lines[0] if lines else 0:,} lines, "
        f"as of {as_of}"
    )
    counter = [0]
    floors, wholes, floor_cpus, whole_cpus = [], [], [], []
    stages: dict[str, list] = {}
    for _ in range(repeats):  # (a) and (b) in turn: noise on the machine hits both alike
        cpu = cpu_seconds()
        floors.append(bare_pass(store))
        floor_cpus.append(cpu_seconds() - cpu)
        started, cpu = time.perf_counter(), cpu_seconds()
        pipeline(store, counter, stages)
        wholes.append(time.perf_counter() - started)
        whole_cpus.append(cpu_seconds() - cpu)
    bare, whole = statistics.median(floors), statistics.median(wholes)
    bare_cpu, whole_cpu = statistics.median(floor_cpus), statistics.median(whole_cpus)
    log(
        f"  {'(a) bare group-by pass':<34} median {bare:7.2f} s, CPU {bare_cpu:6.2f} s   "
        f"(runs: {_runs(floors)})"
    )
    log(
        f"  {'(b) selection pipeline':<34} median {whole:7.2f} s, CPU {whole_cpu:6.2f} s   "
        f"(runs: {_runs(wholes)})"
    )
    for name, times in stages.items():
        wall = statistics.median(t for t, _ in times)
        used = statistics.median(c for _, c in times)
        log(f"      {name:<30} median {wall:7.2f} s, CPU {used:6.2f} s")
    features = timed("    of which features -> Arrow", lambda: features_only(store), repeats)
    browsed = timed("browse one page of the snapshot", lambda: browse(store), repeats)
    prune(store)
    paired = statistics.median(w / f for w, f in zip(wholes, floors, strict=True))
    target = TARGETS.get(scale)
    verdict = (
        "no target at this scale"
        if target is None
        else (f"target <= {target:g}x: {'met' if paired <= target else 'MISSED'}")
    )
    cpu_ratio = statistics.median(w / f for w, f in zip(whole_cpus, floor_cpus, strict=True))
    log(
        f"  pipeline / bare pass:        {paired:6.1f}x wall-clock (median of pairs; {verdict}), "
        f"{cpu_ratio:.1f}x CPU"
    )
    result = {
        "scale": scale,
        "customers": customers[0] if customers else 0,
        "lines": lines[0] if lines else 0,
        "bare_s": round(bare, 4),
        "pipeline_s": round(whole, 4),
        "features_s": round(features, 4),
        "browse_s": round(browsed, 4),
        "bare_cpu_s": round(bare_cpu, 4),
        "pipeline_cpu_s": round(whole_cpu, 4),
        "stages_s": {
            name: round(statistics.median(t for t, _ in times), 4) for name, times in stages.items()
        },
        "ratio": round(paired, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "target": target,
        "met": None if target is None else paired <= target,
    }
    if with_pandas:
        slow = timed("(c) pandas feature step", lambda: pandas_features(store), 1)
        log(f"  pandas / ibis feature step:  {slow / features:6.1f}x   (target >= 20x at SF1)")
        result["pandas_over_features"] = round(slow / features, 2)
    result["peak_rss_gb"] = round(peak_rss_gb(), 2)
    log(f"  peak resident memory so far: {peak_rss_gb():.2f} GB (target < 6 GB)")
    return result


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main(argv: list[str] | None = None) -> None:
    """Parse the scales and run each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args(argv)
    if args.json:
        _PROGRESS["stream"] = sys.stderr
    results = []
    load_before = os.getloadavg()
    for scale in args.scale:
        if args.load_only:
            log(f"TPC-H SF{scale}")
            loaded_store(scale, args.memory_limit)
            continue
        with_pandas = not args.no_pandas and scale == 1
        results.append(run_scale(scale, args.repeats, args.memory_limit, with_pandas))
    load_after = os.getloadavg()
    log(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    if args.json:
        doc = {"runs": results, "load_average": {"before": load_before, "after": load_after}}
        print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
