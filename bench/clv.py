"""Benchmark kam's CLV fits against the ``lifetimes`` package, measured in the same run.

    .venv/bin/python bench/clv.py                      # 1,000,000 customers per model
    .venv/bin/python bench/clv.py --customers 200000
    .venv/bin/python bench/clv.py --quick              # 100,000 customers, short baseline cap
    .venv/bin/python bench/clv.py --json               # the figures as JSON

For each model we simulate customers with known parameters (kam.analytics.clv.simulate:
one year of weekly calibration, a 13-week acquisition window, day-granular dates, as real
transaction data are), then fit the same data with

* kam, the path ``kam clv fit`` runs: the per-customer histories collapsed to weighted
  sufficient statistics, the maximum-likelihood fit with analytic gradients, its standard
  errors, and the convergence and degeneracy checks (``degenerate.resolve``: did it
  converge, did a parameter run off, are the predictions finite for every history); for the
  Gamma-Gamma, ``fit_arrays`` with its check for the one-spend-rate limit. All of it is
  timed. One untimed run comes first (the first call of Arrow's compute kernels in a
  process costs a second or more, as lifetimes' imports would, which its timing leaves out);
* lifetimes 0.11.3 (BetaGeoFitter / ParetoNBDFitter / GammaGammaFitter), one row per
  customer as its documentation fits them, in a child process with a time cap (``--cap``).
  A capped run is reported as such, and the ratio as a lower bound.

Runs alternate (kam, lifetimes, kam, lifetimes, ...) so both see the same load; a lifetimes
run over two minutes is not repeated. Ratios are median lifetimes / median kam, against the
targets (at 1,000,000 customers: BG/NBD >= 100x, Pareto/NBD >= 1000x, Gamma-Gamma >= 50x).

Parameters must equal lifetimes' to 1e-6 (relative) where lifetimes converged to that
precision. To know, a reference is computed (untimed): kam's likelihood maximised by
Newton steps from lifetimes' own answer until no parameter moves by 1e-15 of itself, and
lifetimes' own objective is evaluated at its answer and at the reference. Where lifetimes'
answer is itself further than 1e-6 from the reference (its Pareto/NBD stops Nelder-Mead at
tol = 1e-4), kam is compared with the reference instead, and the output says so.

kam runs as ``kam clv fit`` does, in this process's environment (nothing set for it); its
fits call no routine that wakes OpenBLAS's thread pool. lifetimes runs with single-threaded
BLAS (OPENBLAS_NUM_THREADS=1 in its child process): on this two-core machine its
optimiser is faster so, and the baseline should be at its best. Times are wall-clock
(what a user waits); CPU seconds of the same runs are printed beside them, being less
disturbed by other work on a shared machine. With --json the report goes to stderr and
the figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kam.analytics.clv import bgnbd, gamma_gamma, pareto_nbd, simulate
from kam.analytics.clv._mle import fit_by_maximum_likelihood
from kam.analytics.clv.degenerate import resolve
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import collapse_arrays

TRUTH = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "pareto_nbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}
TARGET_RATIO = {"bgnbd": 100.0, "pareto_nbd": 1000.0, "gamma_gamma": 50.0}
TARGET_CUSTOMERS = 1_000_000
PARAMETER_TOLERANCE = 1e-6
REFERENCE_STEP = 1e-15
LIFETIMES_NAMES = {"gamma": "v"}  # lifetimes calls the Gamma-Gamma scale "v"
REPEAT_LIMIT_SECONDS = 120.0

REPORT = sys.stdout


def log(message: str) -> None:
    """Print a line of the report at once (the baseline takes minutes)."""
    print(message, file=REPORT, flush=True)


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
    """The user's path: collapse, fit, checks. Returns the fit used and the rows fitted."""
    if model == "gamma_gamma":
        assert data.spend is not None
        fit = gamma_gamma.fit_arrays(data.x, data.spend)
        if not fit.converged:
            raise RuntimeError(f"kam's Gamma-Gamma did not converge: {fit.message}")
        return fit, fit.n_customers
    stats = collapse_arrays(data.x, data.t_x, data.T, time_unit="weeks")
    module = bgnbd if model == "bgnbd" else pareto_nbd
    resolution = resolve(module.fit(stats), stats)
    if resolution.fit is None or resolution.fit.model != model:
        raise RuntimeError(f"kam's {model} fit was not usable as asked: {resolution.note}")
    return resolution.fit, len(stats)


def reference_fit(model: str, data: Data, start: dict[str, float]) -> FitResult:
    """kam's likelihood maximised by Newton from ``start`` until no parameter moves by
    REFERENCE_STEP of itself: the yardstick for both libraries' parameters."""
    names = tuple(TRUTH[model])
    origin = [start[LIFETIMES_NAMES.get(name, name)] for name in names]
    if model == "gamma_gamma":
        assert data.spend is not None
        x, m, usable = gamma_gamma._usable(data.x, data.spend)
        design: Any = gamma_gamma._Design(x[usable].astype(np.float64), m[usable])
    else:
        module = bgnbd if model == "bgnbd" else pareto_nbd
        design = module._Design(collapse_arrays(data.x, data.t_x, data.T))
    return fit_by_maximum_likelihood(
        model,
        names,
        design.loglik,
        origin,
        total_weight=design.total_weight,
        n_customers=int(design.total_weight),
        hessian=design.hessian,
        start_is_close=True,
        step_tolerance=REFERENCE_STEP,
    )


# --- the baseline, in a child process so a time cap can stop it -------------------------


def _lifetimes_optimiser() -> dict[str, Any]:
    """Record what scipy's minimize told lifetimes (it does not always say)."""
    import lifetimes.fitters as base
    import lifetimes.fitters.pareto_nbd_fitter as pareto

    seen: dict[str, Any] = {}

    def wrap(minimize: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            result = minimize(*args, **kwargs)
            seen.update(
                success=bool(result.success),
                message=str(result.message),
                evaluations=int(getattr(result, "nfev", 0)),
                method=str(kwargs.get("method") or "BFGS"),
                tol=kwargs.get("tol"),
            )
            return result

        return recorded

    base.minimize = wrap(base.minimize)
    pareto.minimize = wrap(pareto.minimize)
    return seen


def baseline_worker(model: str, path: str) -> None:
    """Child process: fit lifetimes to the arrays in ``path`` and print JSON."""
    import pandas as pd  # noqa: F401  (lifetimes needs it; imported before timing)
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    optimiser = _lifetimes_optimiser()
    np.random.seed(0)  # lifetimes draws its Pareto/NBD starting point at random
    arrays = np.load(path)
    x, t_x, T = arrays["x"], arrays["t_x"], arrays["T"]
    start, cpu = time.perf_counter(), time.process_time()
    fitter: Any
    if model == "bgnbd":
        fitter = BetaGeoFitter().fit(x, t_x, T)
    elif model == "pareto_nbd":
        fitter = ParetoNBDFitter().fit(x, t_x, T)
    else:
        spend = arrays["spend"]
        repeat = x > 0
        fitter = GammaGammaFitter().fit(x[repeat], spend[repeat])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    answer = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "params": {k: float(v) for k, v in fitter.params_.to_dict().items()},
        "optimiser": optimiser,
    }
    print(json.dumps(answer))


def objective_worker(model: str, path: str, points: str) -> None:
    """Child process: lifetimes' own negative log-likelihood at each of ``points``."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    arrays = np.load(path)
    x, t_x, T = arrays["x"], arrays["t_x"], arrays["T"]
    ones = np.ones(len(x))
    values = []
    for point in json.loads(points):
        if model == "bgnbd":
            theta = np.log([point["r"], point["alpha"], point["a"], point["b"]])
            value = BetaGeoFitter._negative_log_likelihood(theta, x, t_x, T, ones, 0.0)
        elif model == "pareto_nbd":
            theta = np.array([point["r"], point["alpha"], point["s"], point["beta"]])
            value = ParetoNBDFitter._negative_log_likelihood(theta, x, t_x, T, ones, 0.0)
        else:
            repeat = x > 0
            theta = np.log([point["p"], point["q"], point["v"]])
            spend = arrays["spend"][repeat]
            value = GammaGammaFitter._negative_log_likelihood(
                theta, x[repeat], spend, np.ones(len(spend)), 0.0
            )
        values.append(float(value))
    print(json.dumps(values))


@dataclass
class Baseline:
    """What the lifetimes runs gave: their times and parameters, or why there are none."""

    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    params: dict[str, float] = field(default_factory=dict)
    optimiser: dict[str, Any] = field(default_factory=dict)
    capped: bool = False
    failure: str = ""


def _save(data: Data, directory: str) -> str:
    path = str(Path(directory) / "data.npz")
    arrays = {"x": data.x, "t_x": data.t_x, "T": data.T}
    if data.spend is not None:
        arrays["spend"] = data.spend
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def _child_environment() -> dict[str, str]:
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def baseline_run(model: str, path: str, cap: float, base: Baseline) -> None:
    """One lifetimes run in a child process, added to ``base``."""
    command = [sys.executable, __file__, "--baseline-worker", model, path]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=cap,
            check=True,
            env=_child_environment(),
        )
    except subprocess.TimeoutExpired:
        base.capped = True
        base.times.append(cap)
        return
    except subprocess.CalledProcessError as error:
        lines = error.stderr.strip().splitlines() or ["no output"]
        base.failure = lines[-1]
        return
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    base.times.append(float(answer["seconds"]))
    base.cpu.append(float(answer["cpu_seconds"]))
    base.params = {k: float(v) for k, v in answer["params"].items()}
    base.optimiser = answer["optimiser"]


def lifetimes_objective(model: str, path: str, points: list[dict[str, float]]) -> list[float]:
    """lifetimes' negative log-likelihood at ``points`` (in a child process)."""
    command = [sys.executable, __file__, "--objective-worker", model, path, json.dumps(points)]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, env=_child_environment()
    )
    return [float(v) for v in json.loads(done.stdout.strip().splitlines()[-1])]


# --- the run --------------------------------------------------------------------------------


def _relative(ours: Mapping[str, float], theirs: Mapping[str, float], names: list[str]) -> float:
    return max(abs(ours[n] - theirs[n]) / abs(theirs[n]) for n in names)


def run_model(model: str, customers: int, repeats: int, cap: float, seed: int) -> dict[str, Any]:
    """Simulate, time kam and lifetimes in turn, compare parameters; report the model."""
    log(f"\n== {model}: {customers:,} simulated customers ==")
    data = simulate_data(model, customers, seed)
    kam_fit(model, data)  # untimed: first calls of Arrow's compute kernels
    kam_times: list[float] = []
    kam_cpu: list[float] = []
    base = Baseline()
    with tempfile.TemporaryDirectory() as tmp:
        path = _save(data, tmp)
        for _ in range(repeats):
            start, cpu = time.perf_counter(), time.process_time()
            fit, rows = kam_fit(model, data)
            kam_times.append(time.perf_counter() - start)
            kam_cpu.append(time.process_time() - cpu)
            stop_baseline = (
                base.capped
                or bool(base.failure)
                or (base.times and base.times[-1] > REPEAT_LIMIT_SECONDS)
            )
            if not stop_baseline:
                baseline_run(model, path, cap, base)
        kam_seconds = statistics.median(kam_times)
        log(
            f"kam: median {kam_seconds:.3f} s over {repeats} runs "
            f"({', '.join(f'{t:.3f}' for t in kam_times)}; CPU median "
            f"{statistics.median(kam_cpu):.3f} s; {rows:,} rows fitted, "
            f"{fit.iterations} iterations, converged={fit.converged})"
        )
        result: dict[str, Any] = {
            "model": model,
            "customers": customers,
            "rows_fitted": rows,
            "kam_seconds": kam_seconds,
            "kam_runs": kam_times,
            "kam_cpu_runs": kam_cpu,
            "lifetimes_seconds": None,
            "lifetimes_runs": base.times,
            "lifetimes_cpu_runs": base.cpu,
            "capped": base.capped,
            "ratio": None,
            "ratio_is_lower_bound": base.capped,
            "target": TARGET_RATIO[model],
            "target_customers": TARGET_CUSTOMERS,
        }
        if base.failure:
            log(f"lifetimes failed: {base.failure}")
            result["lifetimes_failure"] = base.failure
            return result
        lt_seconds = statistics.median(base.times)
        ratio = lt_seconds / kam_seconds
        cpu_ratio = statistics.median(base.cpu) / statistics.median(kam_cpu) if base.cpu else None
        result |= {"lifetimes_seconds": lt_seconds, "ratio": ratio, "cpu_ratio": cpu_ratio}
        if base.capped:
            log(
                f"lifetimes: CAPPED at {cap:.0f} s (not finished) -> ratio >= {ratio:,.0f}x "
                "(a lower bound)"
            )
        else:
            runs = ", ".join(f"{t:.2f}" for t in base.times)
            log(
                f"lifetimes: median {lt_seconds:.2f} s over {len(base.times)} run(s) ({runs};"
                f" CPU median {statistics.median(base.cpu):.2f} s) -> lifetimes/kam = "
                f"{ratio:,.1f}x wall-clock, {cpu_ratio or float('nan'):,.1f}x CPU"
            )
        target = TARGET_RATIO[model]
        met = ratio >= target
        cpu_met = cpu_ratio is not None and cpu_ratio >= target
        scale_note = (
            "" if customers == TARGET_CUSTOMERS else f" (target set at {TARGET_CUSTOMERS:,})"
        )
        bound = ">= " if base.capped else ""
        cpu_text = f"{cpu_ratio:,.1f}x" if cpu_ratio is not None else "no"
        log(
            f"speed against the target >= {target:,.0f}x{scale_note}: wall-clock "
            f"{bound}{ratio:,.1f}x {'met' if met else 'NOT met'}; CPU {cpu_text} "
            f"{'met' if cpu_met else 'NOT met'}"
        )
        result["speed_met"] = met
        result["speed_met_cpu"] = cpu_met
        if base.params:
            result |= compare_parameters(model, data, fit, base, path)
    return result


def compare_parameters(
    model: str, data: Data, fit: FitResult, base: Baseline, path: str
) -> dict[str, Any]:
    """kam against lifetimes and against the reference; print the table and the verdict."""
    names = list(TRUTH[model])
    reference = reference_fit(model, data, base.params)
    ours = fit.params
    theirs = {n: base.params[LIFETIMES_NAMES.get(n, n)] for n in names}
    best = reference.params
    lt_points = [base.params, {LIFETIMES_NAMES.get(n, n): best[n] for n in names}]
    at_own, at_reference = lifetimes_objective(model, path, lt_points)
    optimiser = base.optimiser
    log(
        f"lifetimes' optimiser: {optimiser.get('method')} (tol={optimiser.get('tol')}), "
        f"success={optimiser.get('success')}, {optimiser.get('evaluations')} evaluations: "
        f"{optimiser.get('message')}"
    )
    log(
        f"lifetimes' own objective (negative log-likelihood): {at_own:.12g} at its answer, "
        f"{at_reference:.12g} at the reference (difference {at_own - at_reference:+.2e})"
    )
    log(
        f"{'param':>6} {'truth':>9} {'kam':>14} {'kam SE':>9} {'(kam-truth)/SE':>15} "
        f"{'lifetimes':>14} {'reference':>14} {'kam/lt-1':>9} {'kam/ref-1':>9} {'lt/ref-1':>9}"
    )
    for name in names:
        truth, se = TRUTH[model][name], fit.std_errors[name]
        log(
            f"{name:>6} {truth:9.4f} {ours[name]:14.9f} {se:9.5f} "
            f"{(ours[name] - truth) / se:15.2f} {theirs[name]:14.9f} {best[name]:14.9f} "
            f"{ours[name] / theirs[name] - 1:9.1e} {ours[name] / best[name] - 1:9.1e} "
            f"{theirs[name] / best[name] - 1:9.1e}"
        )
    vs_lifetimes = _relative(ours, theirs, names)
    vs_reference = _relative(ours, best, names)
    lifetimes_precision = _relative(theirs, best, names)
    lifetimes_converged = bool(optimiser.get("success"))
    if lifetimes_converged and lifetimes_precision <= PARAMETER_TOLERANCE:
        compared, worst = "lifetimes", vs_lifetimes
        log(
            f"parameters: kam equals lifetimes to {vs_lifetimes:.1e} (relative, worst "
            f"parameter): {'within' if worst <= PARAMETER_TOLERANCE else 'OUTSIDE'} "
            f"{PARAMETER_TOLERANCE:.0e}"
        )
    else:
        compared, worst = "reference", vs_reference
        why = (
            "its optimiser did not report success"
            if not lifetimes_converged
            else f"its answer is {lifetimes_precision:.1e} from the optimum"
        )
        lower = "lower" if at_reference < at_own else "not lower"
        log(
            f"parameters: lifetimes is less precise than {PARAMETER_TOLERANCE:.0e} ({why}; "
            f"its own objective is {lower} at the reference), so kam is compared with the "
            f"reference: {vs_reference:.1e}, "
            f"{'within' if worst <= PARAMETER_TOLERANCE else 'OUTSIDE'} "
            f"{PARAMETER_TOLERANCE:.0e}; kam against lifetimes: {vs_lifetimes:.1e}"
        )
    return {
        "params": {
            n: {
                "truth": TRUTH[model][n],
                "kam": ours[n],
                "kam_se": fit.std_errors[n],
                "lifetimes": theirs[n],
                "reference": best[n],
            }
            for n in names
        },
        "lifetimes_optimiser": optimiser,
        "lifetimes_objective": {"at_its_answer": at_own, "at_reference": at_reference},
        "reference_iterations": reference.iterations,
        "max_relative_kam_vs_lifetimes": vs_lifetimes,
        "max_relative_kam_vs_reference": vs_reference,
        "max_relative_lifetimes_vs_reference": lifetimes_precision,
        "parameters_compared_with": compared,
        "parameters_met": worst <= PARAMETER_TOLERANCE,
    }


def main() -> None:
    """Parse options and benchmark the three models."""
    global REPORT
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--customers", type=int, default=None, help="customers per model")
    parser.add_argument("--quick", action="store_true", help="100k customers, 120 s cap")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cap", type=float, default=None, help="seconds per baseline run")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--models",
        nargs="+",
        default=["bgnbd", "pareto_nbd", "gamma_gamma"],
        choices=["bgnbd", "pareto_nbd", "gamma_gamma"],
    )
    parser.add_argument("--baseline-worker", nargs=2, metavar=("MODEL", "NPZ"), help="internal")
    parser.add_argument("--objective-worker", nargs=3, help="internal")
    args = parser.parse_args()
    if args.baseline_worker:
        baseline_worker(*args.baseline_worker)
        return
    if args.objective_worker:
        objective_worker(*args.objective_worker)
        return
    REPORT = sys.stderr if args.json else sys.stdout
    customers = args.customers or (100_000 if args.quick else TARGET_CUSTOMERS)
    cap = args.cap or (120.0 if args.quick else 1800.0)
    load_start = os.getloadavg()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "not set")
    log(
        f"kam CLV benchmark: {customers:,} customers per model, {args.repeats} repeats, "
        f"baseline cap {cap:.0f} s; OPENBLAS_NUM_THREADS for kam: {threads}, for lifetimes: 1; "
        f"load average {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}"
    )
    results = [run_model(m, customers, args.repeats, cap, args.seed) for m in args.models]
    load_end = os.getloadavg()
    log("\n== summary ==")
    for item in results:
        ratio = item["ratio"]
        if ratio is None:
            log(f"{item['model']:>12}: no ratio ({item.get('lifetimes_failure', '')})")
            continue
        bound = ">=" if item["capped"] else "="
        params = (
            f"parameters {item['max_relative_kam_vs_' + item['parameters_compared_with']]:.1e}"
            f" from {item['parameters_compared_with']}"
            if "parameters_compared_with" in item
            else "parameters not compared"
        )
        cpu = f"{item['cpu_ratio']:,.1f}x" if item.get("cpu_ratio") else "-"
        log(
            f"{item['model']:>12}: kam {item['kam_seconds']:.3f} s, lifetimes/kam {bound} "
            f"{ratio:,.1f}x wall-clock ({'met' if item['speed_met'] else 'NOT met'}), "
            f"{cpu} CPU ({'met' if item.get('speed_met_cpu') else 'NOT met'}), "
            f"target >= {item['target']:,.0f}x; {params}"
        )
    log(f"load average at the end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
    if args.json:
        payload = {
            "customers": customers,
            "repeats": args.repeats,
            "cap_seconds": cap,
            "load_average_start": list(load_start),
            "load_average_end": list(load_end),
            "models": results,
        }
        print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
