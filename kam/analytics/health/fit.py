"""Learning the health policy's weights from what happened, with a time-split validation.

The model is the score itself: a weighted mean of component points. So the fit is a
logistic regression of the bad outcome on each component's shortfall, (100 − points)/100,
with the coefficients held at zero or above (a component can only make an account look
less healthy when it is worse, as the score assumes) and an L2 penalty (``penalty``)
that keeps weights small where the evidence is thin. A missing component is filled with
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
MIN_PRESENT = 30
"""A component present for fewer training accounts than this is not learned."""


@dataclass(frozen=True)
class WeightFit:
    """The fitted weights (component key → weight, scaled like the policy's), which
    components were learned, the intercept, and the training log-loss."""

    weights: dict[str, float]
    learned: tuple[str, ...]
    intercept: float
    log_loss: float
    accounts: int


def fit_weights(
    points: Floats,
    bad: npt.NDArray[np.bool_],
    current: HealthPolicy,
    penalty: float = DEFAULT_PENALTY,
) -> WeightFit:
    """Fit non-negative, L2-penalised logistic weights on ``points`` (accounts ×
    ``COMPONENT_KEYS``, NaN missing) for the outcome ``bad``."""
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
    y = bad.astype(np.float64)
    n = len(y)

    def objective(theta: Floats) -> tuple[float, Floats]:
        z = theta[0] + features @ theta[1:]
        loss = float(np.sum(np.logaddexp(0, z) - y * z)) / n
        residual = 1 / (1 + np.exp(-z)) - y
        grad = np.concatenate([[residual.sum()], features.T @ residual]) / n
        loss += penalty / n * float(theta[1:] @ theta[1:])
        grad[1:] += 2 * penalty / n * theta[1:]
        return loss, grad

    start = np.zeros(len(learned) + 1)
    bounds = [(None, None)] + [(0.0, None)] * len(learned)
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    coefficients = np.maximum(result.x[1:], 0.0)
    learned_keys = [COMPONENT_KEYS[j] for j in learned]
    scale_to = sum(current.weight(k) for k in learned_keys) or 100.0
    total = coefficients.sum()
    weights = {key: current.weight(key) for key in COMPONENT_KEYS}
    for key, coefficient in zip(learned_keys, coefficients, strict=True):
        weights[key] = round(float(coefficient / total * scale_to), 2) if total > 0 else 0.0
    if not any(weights.values()):
        raise ValueError("the fit gave every component a weight of 0")
    loss = float(result.fun)
    return WeightFit(
        weights,
        tuple(learned_keys),
        float(result.x[0]),
        loss if math.isfinite(loss) else math.nan,
        n,
    )
