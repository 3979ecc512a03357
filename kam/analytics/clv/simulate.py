"""Synthetic customers drawn from the BG/NBD, Pareto/NBD and Gamma-Gamma models.

Used by the tests (parameter recovery) and the benchmark. Everything is vectorised numpy
with an explicit seed. Draws follow the models' stories exactly:

* BG/NBD (Fader, Hardie & Lee 2005): lambda ~ Gamma(r, alpha), p ~ Beta(a, b); the
  customer drops out after repeat purchase K ~ Geometric(p), so with N ~ Poisson(lambda T)
  potential purchases x = min(N, K), and the x-th purchase time is the x-th of N uniform
  order statistics on (0, T]: t_x = T * Beta(x, N - x + 1).
* Pareto/NBD (Schmittlein, Morrison & Colombo 1987): lambda ~ Gamma(r, alpha),
  mu ~ Gamma(s, beta), lifetime tau ~ Exponential(mu); x ~ Poisson(lambda min(tau, T)) and
  t_x is the largest of x uniforms on (0, min(tau, T)].
* Gamma-Gamma: nu ~ Gamma(q, gamma), each purchase ~ Gamma(p, nu), so the mean of x
  purchases is Gamma(p x, nu x).

Real transaction data are day-granular; ``steps_per_unit`` (e.g. 7 for days when the unit
is weeks) records recency on that grid, so simulated data collapse like real data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SimulatedCustomers:
    """Summaries of simulated customers: x, t_x, T and purchases in the holdout period."""

    x: Ints
    t_x: Floats
    T: Floats
    holdout_x: Ints

    def __len__(self) -> int:
        return len(self.x)


def cohort_ages(
    n: int,
    *,
    calibration_length: float,
    acquisition_length: float,
    steps_per_unit: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> Floats:
    """Ages T at calibration end for a cohort acquired uniformly over the first weeks.

    A customer acquired at time u ~ Uniform(0, acquisition_length) has
    T = calibration_length - u; with ``steps_per_unit`` T is a whole number of steps.
    """
    rng = np.random.default_rng(seed)
    ages = calibration_length - rng.uniform(0.0, acquisition_length, n)
    if steps_per_unit:
        ages = np.floor(ages * steps_per_unit) / steps_per_unit
    return np.asarray(ages, dtype=np.float64)


def _round_recency(
    t_x: Floats, T: Floats, steps_per_unit: int | None, rng: np.random.Generator
) -> Floats:
    """Recency as a whole number of steps, as day-granular data record it.

    The first purchase happens at a uniform point inside its day, so the recorded gap
    floor(offset + t_x) is unbiased for t_x (plain flooring would shorten every recency by
    half a day and bias the fitted rates). It never exceeds T, a whole number of steps.
    """
    if not steps_per_unit:
        return t_x
    offset = rng.uniform(0.0, 1.0, len(t_x))
    steps = np.minimum(np.floor(t_x * steps_per_unit + offset), np.round(T * steps_per_unit))
    steps = np.where(t_x > 0, steps, 0.0)
    return np.asarray(steps / steps_per_unit, dtype=np.float64)


def simulate_bgnbd(
    params: Mapping[str, float],
    T: npt.ArrayLike,
    *,
    holdout: float = 0.0,
    steps_per_unit: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> SimulatedCustomers:
    """Draw one BG/NBD customer per entry of ``T`` (and their purchases in ``holdout``)."""
    rng = np.random.default_rng(seed)
    ages = np.asarray(T, dtype=np.float64)
    n = len(ages)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    potential = rng.poisson(lam * ages)
    drop_after = rng.geometric(p)
    x = np.minimum(potential, drop_after)
    t_x = np.zeros(n)
    bought = x > 0
    t_x[bought] = ages[bought] * rng.beta(x[bought], potential[bought] - x[bought] + 1)
    alive = potential < drop_after
    holdout_x = np.zeros(n, dtype=np.int64)
    if holdout > 0:
        future = rng.poisson(lam * holdout)
        holdout_x = np.where(alive, np.minimum(future, drop_after - x), 0).astype(np.int64)
    return SimulatedCustomers(
        x.astype(np.int64), _round_recency(t_x, ages, steps_per_unit, rng), ages, holdout_x
    )


def simulate_pareto_nbd(
    params: Mapping[str, float],
    T: npt.ArrayLike,
    *,
    holdout: float = 0.0,
    steps_per_unit: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> SimulatedCustomers:
    """Draw one Pareto/NBD customer per entry of ``T`` (and their purchases in ``holdout``)."""
    rng = np.random.default_rng(seed)
    ages = np.asarray(T, dtype=np.float64)
    n = len(ages)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    lifetime = rng.exponential(1.0, n) / np.maximum(mu, 1e-300)
    active = np.minimum(lifetime, ages)
    x = rng.poisson(lam * active)
    t_x = np.zeros(n)
    bought = x > 0
    t_x[bought] = active[bought] * rng.beta(x[bought], 1.0)
    holdout_x = np.zeros(n, dtype=np.int64)
    if holdout > 0:
        exposure = np.clip(lifetime - ages, 0.0, holdout)
        holdout_x = rng.poisson(lam * exposure).astype(np.int64)
    return SimulatedCustomers(
        x.astype(np.int64), _round_recency(t_x, ages, steps_per_unit, rng), ages, holdout_x
    )


def simulate_mean_spend(
    params: Mapping[str, float],
    frequency: npt.ArrayLike,
    *,
    seed: int | np.random.Generator | None = None,
) -> Floats:
    """Mean spend of each customer's x repeat purchases under the Gamma-Gamma (NaN if x = 0)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], len(x))
    mean = np.full(len(x), np.nan)
    bought = x > 0
    mean[bought] = rng.gamma(params["p"] * x[bought], 1.0 / (nu[bought] * x[bought]))
    return mean
