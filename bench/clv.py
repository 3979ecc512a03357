"""Benchmark kam's CLV fits against the ``lifetimes`` package, measured in the same run.

    .venv/bin/python bench/clv.py                      # 1,000,000 customers per model
    .venv/bin/python bench/clv.py --customers 200000
    .venv/bin/python bench/clv.py --quick              # 100,000 customers, short baseline cap

For each model we simulate customers with known parameters (kam.analytics.clv.simulate:
one year of weekly calibration, a 13-week acquisition window, day-granular dates, as real
transaction data are), then fit the same data with

* kam: ``collapse`` to weighted sufficient statistics, then the log-space likelihood with
  its analytic gradient (BG/NBD, Pareto/NBD, Gamma-Gamma), standard errors included;
* lifetimes 0.11.3 (BetaGeoFitter / ParetoNBDFitter / GammaGammaFitter), one row per
  customer as its documentation fits them. Each baseline run happens in a child process
  with a time cap (``--cap``); a capped run is reported as such, with the ratio as a
  lower bound.

Timings are medians of ``--repeats`` runs (a baseline run longer than two minutes is not
repeated). Ratios are lifetimes / kam. Parameters are compared with the truth (in kam's
standard errors) and with lifetimes (relative difference, where both converged). Peak
memory of the kam part is the tracemalloc peak of one extra collapse-and-fit per model.
Targets: BG/NBD >= 10x, Pareto/NBD >= 100x, parameters within 1e-3 of lifetimes', kam
peak memory < 1 GB.

Both libraries run with single-threaded BLAS (OPENBLAS_NUM_THREADS=1, set before numpy
loads, unless already set): the machines have two cores, and OpenBLAS's thread pool only
adds wake-up latency to the small vector operations these fits are made of.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kam.analytics.clv import bgnbd, gamma_gamma, pareto_nbd, simulate
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import collapse_arrays

TRUTH = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "pareto_nbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}
TARGET_RATIO = {"bgnbd": 10.0, "pareto_nbd": 100.0, "gamma_gamma": None}
LIFETIMES_NAMES = {"gamma": "v"}  # lifetimes calls the Gamma-Gamma scale "v"
REPEAT_LIMIT_SECONDS = 120.0


def log(message: str) -> None:
    """Print a line at once (the baseline takes minutes)."""
    print(message, flush=True)


@dataclass
class Data:
    """One simulated data set: purchase summaries and, for Gamma-Gamma, mean spend."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    spend: np.ndarray | None = None


def simulate_data(model: str, customers: int, seed: int) -> Data:
    """Day-granular customers drawn from ``model`` with the TRUTH parameters."""
    ages = simulate.cohort_ages(
        customers, calibration_length=52, acquisition_length=13, steps_per_unit=7, seed=seed
    )
    if model == "pareto_nbd":
        sim = simulate.simulate_pareto_nbd(TRUTH[model], ages, steps_per_unit=7, seed=seed + 1)
        return Data(sim.x, sim.t_x, sim.T)
    sim = simulate.simulate_bgnbd(TRUTH["bgnbd"], ages, steps_per_unit=7, seed=seed + 1)
    if model == "bgnbd":
        return Data(sim.x, sim.t_x, sim.T)
    spend = simulate.simulate_mean_spend(TRUTH["gamma_gamma"], sim.x, seed=seed + 2)
    return Data(sim.x, sim.t_x, sim.T, spend)


def kam_fit(model: str, data: Data) -> tuple[FitResult, int]:
    """Fit with kam from per-customer arrays; returns the fit and the rows it worked on."""
    if model == "gamma_gamma":
        assert data.spend is not None
        fit = gamma_gamma.fit_arrays(data.x, data.spend)
        return fit, fit.n_customers
    stats = collapse_arrays(data.x, data.t_x, data.T, time_unit="weeks")
    module = bgnbd if model == "bgnbd" else pareto_nbd
    return module.fit(stats), len(stats)


def kam_peak_memory_mb(model: str, data: Data) -> float:
    """tracemalloc peak of one collapse-and-fit, in MB (numpy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        kam_fit(model, data)
        return tracemalloc.get_traced_memory()[1] / 1024**2
    finally:
        tracemalloc.stop()


# --- the baseline, in a child process so a time cap can stop it -------------------------


def baseline_worker(model: str, path: str) -> None:
    """Child process: fit lifetimes to the arrays in ``path`` and print JSON."""
    import pandas as pd  # noqa: F401  (lifetimes needs it; imported before timing)
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    np.random.seed(0)  # lifetimes draws its Pareto/NBD starting point at random
    arrays = np.load(path)
    x, t_x, T = arrays["x"], arrays["t_x"], arrays["T"]
    start = time.perf_counter()
    if model == "bgnbd":
        fitter = BetaGeoFitter().fit(x, t_x, T)
    elif model == "pareto_nbd":
        fitter = ParetoNBDFitter().fit(x, t_x, T)
    else:
        spend = arrays["spend"]
        repeat = x > 0
        fitter = GammaGammaFitter().fit(x[repeat], spend[repeat])
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "params": fitter.params_.to_dict()}))


@dataclass
class Baseline:
    """What the lifetimes runs gave: median time and parameters, or why there are none."""

    seconds: float
    params: dict[str, float]
    runs: int
    capped: bool = False
    failure: str = ""


def baseline(model: str, data: Data, repeats: int, cap: float) -> Baseline:
    """Median lifetimes time and its parameters, or the cap if it was hit."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "data.npz")
        arrays = {"x": data.x, "t_x": data.t_x, "T": data.T}
        if data.spend is not None:
            arrays["spend"] = data.spend
        np.savez(path, **arrays)  # type: ignore[arg-type]
        times: list[float] = []
        params: dict[str, float] = {}
        for _ in range(repeats):
            command = [sys.executable, __file__, "--baseline-worker", model, path]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=cap, check=True
                )
            except subprocess.TimeoutExpired:
                return Baseline(cap, {}, len(times) + 1, capped=True)
            except subprocess.CalledProcessError as error:
                lines = error.stderr.strip().splitlines() or ["no output"]
                return Baseline(float("nan"), {}, len(times) + 1, failure=lines[-1])
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            times.append(float(answer["seconds"]))
            params = {k: float(v) for k, v in answer["params"].items()}
            if answer["seconds"] > REPEAT_LIMIT_SECONDS:
                break
        return Baseline(statistics.median(times), params, len(times))


# --- the run --------------------------------------------------------------------------------


def run_model(model: str, customers: int, repeats: int, cap: float, seed: int) -> dict:
    """Simulate, time kam and lifetimes, compare parameters; print the model's report."""
    log(f"\n== {model}: {customers:,} simulated customers ==")
    data = simulate_data(model, customers, seed)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit, rows = kam_fit(model, data)
        times.append(time.perf_counter() - start)
    kam_seconds = statistics.median(times)
    memory = kam_peak_memory_mb(model, data)
    log(
        f"kam: median {kam_seconds:.3f} s over {repeats} runs ({rows:,} rows fitted), "
        f"peak {memory:.0f} MB, converged={fit.converged}"
    )
    base = baseline(model, data, repeats, cap)
    if base.failure:
        log(f"lifetimes failed: {base.failure}")
        ratio = float("nan")
    elif base.capped:
        ratio = cap / kam_seconds
        log(f"lifetimes: CAPPED at {cap:.0f} s (not finished) -> ratio >= {ratio:,.0f}x")
    else:
        ratio = base.seconds / kam_seconds
        log(
            f"lifetimes: median {base.seconds:.2f} s over {base.runs} run(s) "
            f"-> lifetimes/kam = {ratio:,.1f}x"
        )
    target = TARGET_RATIO[model]
    if target is not None:
        verdict = "met" if ratio >= target else "NOT met"
        log(f"speed target >= {target:.0f}x: {verdict}")
    log(
        f"{'param':>6} {'truth':>9} {'kam':>10} {'kam SE':>9} {'(kam-truth)/SE':>15} "
        f"{'lifetimes':>10} {'rel diff':>9}"
    )
    diffs = []
    lt_params = base.params
    for name, truth in TRUTH[model].items():
        ours, se = fit.params[name], fit.std_errors[name]
        theirs = lt_params.get(LIFETIMES_NAMES.get(name, name)) if lt_params else None
        rel = abs(ours - theirs) / abs(theirs) if theirs is not None else float("nan")
        diffs.append(rel)
        theirs_text = f"{theirs:10.5f}" if theirs is not None else f"{'-':>10}"
        log(
            f"{name:>6} {truth:9.4f} {ours:10.5f} {se:9.5f} {(ours - truth) / se:15.2f} "
            f"{theirs_text} {rel:9.1e}"
        )
    if lt_params:
        worst = max(diffs)
        log(
            f"parameters vs lifetimes: max relative difference {worst:.1e} "
            f"({'within' if worst <= 1e-3 else 'OUTSIDE'} 1e-3)"
        )
    return {
        "model": model,
        "kam_s": kam_seconds,
        "ratio": ratio,
        "memory_mb": memory,
        "capped": base.capped,
    }


def main() -> None:
    """Parse options and benchmark the three models."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=None, help="customers per model")
    parser.add_argument("--quick", action="store_true", help="100k customers, 120 s cap")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cap", type=float, default=None, help="seconds per baseline run")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--models",
        nargs="+",
        default=["bgnbd", "pareto_nbd", "gamma_gamma"],
        choices=["bgnbd", "pareto_nbd", "gamma_gamma"],
    )
    parser.add_argument("--baseline-worker", nargs=2, metavar=("MODEL", "NPZ"), help="internal")
    args = parser.parse_args()
    if args.baseline_worker:
        baseline_worker(*args.baseline_worker)
        return
    customers = args.customers or (100_000 if args.quick else 1_000_000)
    cap = args.cap or (120.0 if args.quick else 1800.0)
    log(
        f"kam CLV benchmark: {customers:,} customers per model, {args.repeats} repeats, "
        f"baseline cap {cap:.0f} s, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
    )
    results = [run_model(m, customers, args.repeats, cap, args.seed) for m in args.models]
    log("\n== summary ==")
    for item in results:
        bound = ">=" if item["capped"] else "="
        log(
            f"{item['model']:>12}: kam {item['kam_s']:.3f} s, lifetimes/kam {bound} "
            f"{item['ratio']:,.1f}x, kam peak {item['memory_mb']:.0f} MB"
        )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"process max RSS (simulation included): {peak_rss:.0f} MB")


if __name__ == "__main__":
    main()
