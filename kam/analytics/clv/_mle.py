"""Maximum-likelihood machinery shared by the CLV models.

Each model supplies its log-likelihood and analytic gradient in the natural (positive)
parameters, and the purchase and spend models their analytic Hessian too. We optimise
over log-parameters (positivity for free and better conditioning): L-BFGS-B to get near
the optimum, then Newton steps until a step changes no parameter by more than 1e-10 of
itself. Near the optimum the Hessian barely changes, so the steps reuse the one at their
start (it is evaluated again at the end if the parameters moved by more than 1e-4 of
themselves). Where a model has no analytic Hessian (the limits), it is a central difference
of the analytic gradient. The inverse Hessian at the optimum gives the standard errors.

Newton's steps, not the optimiser's tolerances, decide the last digits: near the optimum
the change in the log-likelihood falls below double precision long before the parameters
stop moving (at 1,000,000 customers a relative change of 1e-7 in a parameter moves the
mean log-likelihood by about 1e-16 of itself), so a step is accepted when the likelihood
does not fall by more than its rounding error and the gradient shrinks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from kam.analytics.clv.results import FitResult

Floats = npt.NDArray[np.float64]
LogLikelihood = Callable[[Floats], tuple[float, Floats]]
Hessian = Callable[[Floats], Floats]

# log-parameter box: e^-30..e^30 keeps every term finite without excluding real fits.
_LOG_BOUND = 30.0
_HESSIAN_STEP = 1e-5
# Newton stops when no log-parameter moves by more than this: parameters to ~1e-10.
_STEP_TOLERANCE = 1e-10
_NEWTON_STEPS = 30
FTOL_WITH_HESSIAN = 1e-8
_GRADIENT_TOLERANCE = 1e-6
SAMPLE_ROWS = 8192


def wsum(weights: npt.NDArray[Any], values: npt.NDArray[Any]) -> float:
    """sum(weights * values) as a float.

    Deliberately not ``weights @ values``: a BLAS dot product wakes OpenBLAS's thread pool,
    which costs milliseconds per call on a busy two-core machine, against microseconds here.
    """
    return float(np.sum(weights * values))


class _Objective:
    """Negative mean log-likelihood over log-parameters, its gradient and Hessian.

    Remembers the last point evaluated: L-BFGS-B and Newton ask for the same point again.
    """

    def __init__(self, loglik: LogLikelihood, hessian: Hessian | None, total_weight: float):
        self.loglik = loglik
        self.analytic = hessian
        self.total_weight = total_weight
        self.evaluations = 0
        self._last: tuple[bytes, float, Floats] | None = None

    def __call__(self, phi: Floats) -> tuple[float, Floats]:
        """Per-customer objective at log-parameters ``phi``; inf where it is undefined."""
        key = phi.tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2].copy()
        theta = np.exp(phi)
        self.evaluations += 1
        value, grad = self.loglik(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            result: tuple[float, Floats] = (np.inf, np.zeros_like(phi))
        else:
            result = (-value / self.total_weight, -grad * theta / self.total_weight)
        self._last = (key, result[0], result[1])
        return result[0], result[1].copy()

    def hessian(self, phi: Floats) -> Floats:
        """The Hessian at ``phi``: analytic when the model has one, else central differences."""
        if self.analytic is None:
            return self._numerical_hessian(phi)
        theta = np.exp(phi)
        _, grad = self(phi)  # d objective / d phi = -theta * dll/dtheta / n
        hess_theta = self.analytic(theta)
        hess = -hess_theta * np.outer(theta, theta) / self.total_weight + np.diag(grad)
        return np.asarray(0.5 * (hess + hess.T), dtype=np.float64)

    def _numerical_hessian(self, phi: Floats) -> Floats:
        """Central-difference Hessian of the analytic gradient, symmetrised."""
        k = len(phi)
        hess = np.empty((k, k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = _HESSIAN_STEP
            hess[:, j] = (self(phi + step)[1] - self(phi - step)[1]) / (2 * _HESSIAN_STEP)
        return np.asarray(0.5 * (hess + hess.T), dtype=np.float64)


def _newton(
    objective: _Objective, phi: Floats, fresh: bool, tolerance: float = _STEP_TOLERANCE
) -> tuple[Floats, float, Floats, Floats, int]:
    """Newton steps from ``phi``; returns (phi, value, gradient, Hessian at phi, steps).

    With ``fresh`` the Hessian is evaluated at every point (quadratic convergence, for
    models whose Hessian is cheap); otherwise steps reuse it until one fails, and only then
    is it evaluated again where they stand.
    """
    value, grad = objective(phi)
    hess, hess_at = objective.hessian(phi), phi.copy()
    steps = 0
    for _ in range(_NEWTON_STEPS):
        stale = not np.array_equal(hess_at, phi)
        step = _descent_step(hess, grad)
        if step is not None and np.max(np.abs(step)) <= tolerance:
            break
        trial = None if step is None else _line_search(objective, phi, value, grad, step)
        if trial is None:
            if not stale:
                break  # no descent from here on a Hessian evaluated here
            hess, hess_at = objective.hessian(phi), phi.copy()
            continue
        phi, value, grad = trial
        steps += 1
        if fresh:
            hess, hess_at = objective.hessian(phi), phi.copy()
    if np.max(np.abs(phi - hess_at)) > 1e-4:
        hess = objective.hessian(phi)
    return phi, value, grad, hess, steps


def _descent_step(hess: Floats, grad: Floats) -> Floats | None:
    """The Newton step H^-1 g, or None where it is no descent direction (H not positive
    definite) or not a number."""
    try:
        step = np.linalg.solve(hess, grad)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(step)) or float(np.sum(grad * step)) <= 0:
        return None
    return np.asarray(step, dtype=np.float64)


def _line_search(
    objective: _Objective, phi: Floats, value: float, grad: Floats, step: Floats
) -> tuple[Floats, float, Floats] | None:
    """The first of phi - step, phi - step/2, ... that improves on phi, or None.

    Improves: the objective falls by more than its rounding error, or stays within it while
    the gradient shrinks (near the optimum only the gradient still tells points apart).
    """
    noise = 64 * np.finfo(float).eps * max(1.0, abs(value))
    shrink = 1.0
    while shrink > 1e-4:
        trial = np.clip(phi - shrink * step, -_LOG_BOUND, _LOG_BOUND)
        trial_value, trial_grad = objective(trial)
        if trial_value < value - noise or (
            trial_value <= value + noise and np.max(np.abs(trial_grad)) < np.max(np.abs(grad))
        ):
            return trial, trial_value, trial_grad
        shrink *= 0.5
    return None


def fit_by_maximum_likelihood(
    model: str,
    names: Sequence[str],
    loglik: LogLikelihood,
    start: Sequence[float],
    *,
    total_weight: float,
    n_customers: int,
    time_unit: str | None = None,
    max_iterations: int = 2000,
    hessian: Hessian | None = None,
    fresh_hessian: bool = True,
    start_is_close: bool = False,
    step_tolerance: float = _STEP_TOLERANCE,
) -> FitResult:
    """Maximise ``loglik`` over positive parameters and return a ``FitResult``.

    ``loglik(theta)`` returns the total (weighted) log-likelihood and its gradient with
    respect to ``theta``; ``hessian(theta)``, when given, its matrix of second derivatives
    (called right after ``loglik`` at the same point, so a model may reuse what that
    computed). ``fresh_hessian`` False makes Newton reuse a Hessian while its steps succeed
    (for Hessians that cost several gradients). ``start_is_close`` (with a Hessian): the
    start is near the optimum — say, the optimum of a sample of the same data — so Newton
    starts there; should it not converge, L-BFGS-B runs from the start as usual. Newton
    stops when no log-parameter moves by more than ``step_tolerance``.

    Standard errors are the square roots of the diagonal of the inverse Hessian of the
    negative log-likelihood, mapped from log-parameters with the delta method (exact at
    the optimum, where the gradient is zero).
    """
    objective = _Objective(loglik, hessian, total_weight)
    phi0 = np.log(np.asarray(start, dtype=np.float64))
    fresh = fresh_hessian and hessian is not None
    message, iterations = "Newton from a nearby start", 0
    found = None
    if start_is_close and hessian is not None:
        found = _newton(objective, phi0, fresh, step_tolerance)
        if not np.max(np.abs(found[2])) < _GRADIENT_TOLERANCE:
            found = None
    # With exact Hessians Newton takes over sooner: it converges quadratically from where
    # L-BFGS-B has settled to about 1e-8 of the objective. Where it does not (a ridge the
    # estimates run along, as at the models' edges), L-BFGS-B goes on to 1e-13 as it does
    # without a Hessian, so a fit that runs off gets as far as it would have.
    tolerances = (FTOL_WITH_HESSIAN, 1e-13) if hessian is not None else (1e-13,)
    for ftol in tolerances if found is None else ():
        result = minimize(
            objective,
            phi0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(phi0),
            options={"maxiter": max_iterations, "ftol": ftol, "gtol": 1e-9, "maxcor": 20},
        )
        message, iterations = str(result.message), iterations + int(result.nit)
        found = _newton(objective, np.asarray(result.x, dtype=np.float64), fresh, step_tolerance)
        if np.max(np.abs(found[2])) < _GRADIENT_TOLERANCE:
            break
        phi0 = found[0]
    assert found is not None
    phi, value, grad, hess, steps = found
    iterations += steps

    theta = np.exp(phi)
    covariance = _covariance(hess * total_weight, theta)
    std = np.sqrt(np.diag(covariance)) if covariance.size else np.full(len(theta), np.nan)
    at_bound = bool(np.any(np.abs(phi) >= _LOG_BOUND - 1e-6))
    gradient_ok = bool(np.max(np.abs(grad)) < _GRADIENT_TOLERANCE)
    converged = gradient_ok and np.all(np.isfinite(std)) and not at_bound
    if at_bound:
        message = "a parameter ran to the edge of the search box (exp(+-30)); " + message
    elif not gradient_ok:
        message = "the gradient did not vanish at the reported optimum; " + message
    return FitResult(
        model=model,
        params={name: float(v) for name, v in zip(names, theta, strict=True)},
        std_errors={name: float(v) for name, v in zip(names, std, strict=True)},
        log_likelihood=float(-value * total_weight),
        n_customers=n_customers,
        converged=bool(converged),
        iterations=iterations,
        message=message,
        time_unit=time_unit,
        covariance=tuple(tuple(float(v) for v in row) for row in covariance),
    )


def sample_rows(rows: int, target: int = SAMPLE_ROWS) -> slice | None:
    """Every k-th row, about ``target`` of them, when there are at least four times as many.

    Fitting those first gives a start for Newton on all rows: the rows of collapsed
    statistics are sorted by (x, t_x, T), so every k-th is a stratified sample of the
    histories, and its optimum is within a few standard errors of the full one.
    """
    if rows < 4 * target:
        return None
    return slice(0, None, rows // target)


def _covariance(hess_total: Floats, theta: Floats) -> Floats:
    """Covariance of the natural parameters from the log-parameter Hessian (delta method)."""
    k = len(theta)
    try:
        eigenvalues = np.linalg.eigvalsh(hess_total)
        if not np.all(eigenvalues > 0):
            return np.full((k, k), np.nan)
        cov_log = np.linalg.inv(hess_total)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    return cov_log * np.outer(theta, theta)
