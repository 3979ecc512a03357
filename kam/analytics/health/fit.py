"""Learning the health policy's weights from what happened, with a time-split validation.

The model is the score itself: a weighted mean of component points. So the fit is a
linear model of the bad outcome on each component's shortfall, (100 − points)/100, with
the coefficients held at zero or above (a component can only make an account look less
healthy when it is worse, as the score assumes) and an L2 penalty (``penalty``) that keeps
weights small where the evidence is thin. Two objectives:

- ``likelihood`` (the default): logistic regression (the log-loss, with an intercept).
- ``ranking``: the pairwise logistic loss over (bad, good) pairs of accounts,
  log(1 + e^−(w·(x_bad − x_good))) — a smooth surrogate of the ROC AUC, which is what the
  backtest measures. Up to ``MAX_PAIRS`` pairs, drawn with a fixed seed, so the same
  history gives the same weights. It ranked better on CDNOW's training split but worse on
  its backtest and on the demo's (docs/health.md), so it is not the default.
 A missing component is filled with
the mean shortfall of the accounts that have it — what renormalising over the present
components amounts to for an account near the average. The coefficients, scaled, are the
new weights; a component the history has no data for keeps its weight from the current
policy.

Time split: the weights are fitted on the accounts scored one horizon before the
validation date (their outcomes known by then), and judged on the accounts scored at the
validation date against the following horizon — data the fit never saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from kam.analytics.health.policy import COMPONENT_KEYS, HealthPolicy

Floats = npt.NDArray[np.float64]

DEFAULT_PENALTY = 1.0
OBJECTIVES = ("ranking", "likelihood")
DEFAULT_OBJECTIVE = "likelihood"
MAX_PAIRS = 400_000
"""The ranking fit's (bad, good) pairs: all of them when fewer, else this many drawn."""
PAIR_SEED = 20_250_101
MIN_PRESENT = 30
"""A component present for fewer training accounts than this is not learned."""


@dataclass(frozen=True)
class WeightFit:
    """The fitted weights (component key → weight, scaled like the policy's), which
    components were learned, the intercept (``likelihood`` only; NaN, missing, for
    ``ranking``), and the training loss at the optimum (the objective's own)."""

    weights: dict[str, float]
    learned: tuple[str, ...]
    intercept: float
    log_loss: float
    accounts: int
    objective: str = DEFAULT_OBJECTIVE


def fit_weights(
    points: Floats,
    bad: npt.NDArray[np.bool_],
    current: HealthPolicy,
    penalty: float = DEFAULT_PENALTY,
    objective: str = DEFAULT_OBJECTIVE,
) -> WeightFit:
    """Fit non-negative, L2-penalised weights on ``points`` (accounts × ``COMPONENT_KEYS``,
    NaN missing) for the outcome ``bad``, by ``objective`` (``OBJECTIVES``)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}: one of {', '.join(OBJECTIVES)}")
    if points.shape != (len(bad), len(COMPONENT_KEYS)):
        raise ValueError("points must have one row per outcome and one column per component")
    present = np.isfinite(points)
    learned = [
        j
        for j in range(points.shape[1])
        if present[:, j].sum() >= MIN_PRESENT and np.nanstd(points[:, j]) > 0
    ]
    if not learned or bad.all() or not bad.any():
        raise ValueError("the history has no component to learn from, or only one outcome")
    shortfall = (100 - points[:, learned]) / 100
    means = np.nanmean(shortfall, axis=0)
    features = np.where(np.isfinite(shortfall), shortfall, means)
    centre = features.mean(axis=0)
    features = features - centre
    n = len(bad)
    if objective == "ranking":
        coefficients, intercept, loss = _fit_ranking(features, bad, penalty)
    else:
        coefficients, intercept, loss = _fit_likelihood(features, bad, penalty)
    learned_keys = [COMPONENT_KEYS[j] for j in learned]
    scale_to = sum(current.weight(k) for k in learned_keys) or 100.0
    total = coefficients.sum()
    weights = {key: current.weight(key) for key in COMPONENT_KEYS}
    for key, coefficient in zip(learned_keys, coefficients, strict=True):
        weights[key] = round(float(coefficient / total * scale_to), 2) if total > 0 else 0.0
    if not any(weights.values()):
        raise ValueError("the fit gave every component a weight of 0")
    return WeightFit(
        weights,
        tuple(learned_keys),
        intercept,
        loss if math.isfinite(loss) else math.nan,
        n,
        objective,
    )


def _fit_likelihood(
    features: Floats, bad: npt.NDArray[np.bool_], penalty: float
) -> tuple[Floats, float, float]:
    """Logistic regression: (coefficients ≥ 0, intercept, mean log-loss)."""
    y = bad.astype(np.float64)
    n = len(y)

    def loss_and_gradient(theta: Floats) -> tuple[float, Floats]:
        z = theta[0] + features @ theta[1:]
        loss = float(np.sum(np.logaddexp(0, z) - y * z)) / n
        residual = 1 / (1 + np.exp(-z)) - y
        grad = np.concatenate([[residual.sum()], features.T @ residual]) / n
        loss += penalty / n * float(theta[1:] @ theta[1:])
        grad[1:] += 2 * penalty / n * theta[1:]
        return loss, grad

    start = np.zeros(features.shape[1] + 1)
    bounds = [(None, None)] + [(0.0, None)] * features.shape[1]
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return np.maximum(result.x[1:], 0.0), float(result.x[0]), float(result.fun)


def _fit_ranking(
    features: Floats, bad: npt.NDArray[np.bool_], penalty: float
) -> tuple[Floats, float, float]:
    """Pairwise logistic loss over (bad, good) pairs: (coefficients ≥ 0, NaN — a ranking
    has no intercept —, mean pairwise loss)."""
    worse, better = np.flatnonzero(bad), np.flatnonzero(~bad)
    if len(worse) * len(better) <= MAX_PAIRS:
        first, second = (grid.ravel() for grid in np.meshgrid(worse, better, indexing="ij"))
    else:
        draw = np.random.default_rng(PAIR_SEED)
        first, second = draw.choice(worse, MAX_PAIRS), draw.choice(better, MAX_PAIRS)
    differences = features[first] - features[second]
    n = len(bad)
    pairs = len(first)

    def loss_and_gradient(w: Floats) -> tuple[float, Floats]:
        z = differences @ w
        loss = float(np.mean(np.logaddexp(0, -z)))
        grad = differences.T @ (-1 / (1 + np.exp(z))) / pairs
        loss += penalty / n * float(w @ w)
        grad += 2 * penalty / n * w
        return loss, grad

    start = np.zeros(features.shape[1])
    bounds = [(0.0, None)] * features.shape[1]
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return np.maximum(result.x, 0.0), math.nan, float(result.fun)
