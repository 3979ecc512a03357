"""Maximum-likelihood machinery shared by the CLV models.

Each model supplies its log-likelihood and analytic gradient in the natural (positive)
parameters. Here we optimise over log-parameters with L-BFGS-B (positivity for free and
better conditioning), polish with a few Newton steps on a numerical Hessian of the
analytic gradient (so the optimum is good to near machine precision and matches the
published digits regardless of the starting point), and invert that Hessian for
standard errors.
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

# log-parameter box: e^-30..e^30 keeps every term finite without excluding real fits.
_LOG_BOUND = 30.0
_HESSIAN_STEP = 1e-5


def wsum(weights: npt.NDArray[Any], values: npt.NDArray[Any]) -> float:
    """sum(weights * values) as a float.

    Deliberately not ``weights @ values``: a BLAS dot product wakes OpenBLAS's thread pool,
    which costs milliseconds per call on a busy two-core machine, against microseconds here.
    """
    return float(np.sum(weights * values))


def _mean_objective(
    loglik: LogLikelihood, total_weight: float
) -> Callable[[Floats], tuple[float, Floats]]:
    """Negative mean log-likelihood and its gradient over log-parameters."""

    def objective(phi: Floats) -> tuple[float, Floats]:
        """Per-customer objective at log-parameters ``phi``; inf where it is undefined."""
        theta = np.exp(phi)
        value, grad = loglik(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros_like(phi)
        return -value / total_weight, -grad * theta / total_weight

    return objective


def _hessian(objective: Callable[[Floats], tuple[float, Floats]], phi: Floats) -> Floats:
    """Central-difference Hessian of the analytic gradient, symmetrised."""
    k = len(phi)
    hess = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = _HESSIAN_STEP
        hess[:, j] = (objective(phi + step)[1] - objective(phi - step)[1]) / (2 * _HESSIAN_STEP)
    return 0.5 * (hess + hess.T)


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
) -> FitResult:
    """Maximise ``loglik`` over positive parameters and return a ``FitResult``.

    ``loglik(theta)`` returns the total (weighted) log-likelihood and its gradient with
    respect to ``theta``. Standard errors are the square roots of the diagonal of the
    inverse Hessian of the negative log-likelihood, mapped from log-parameters with the
    delta method (exact at the optimum, where the gradient is zero).
    """
    objective = _mean_objective(loglik, total_weight)
    phi0 = np.log(np.asarray(start, dtype=np.float64))
    result = minimize(
        objective,
        phi0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(phi0),
        options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
    )
    phi = np.asarray(result.x, dtype=np.float64)
    iterations = int(result.nit)
    value, grad = objective(phi)
    hess = _hessian(objective, phi)
    hess_at = phi.copy()
    # L-BFGS-B stops on a relative decrease; Newton steps on the Hessian we need for the
    # standard errors anyway take the last digits (near the optimum the Hessian barely
    # changes, so one evaluation serves every step).
    for _ in range(10):
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        decrement = float(np.sum(grad * step))
        if not np.all(np.isfinite(step)) or decrement <= 0:
            break  # not a descent direction: the Hessian is not positive definite here
        if decrement < 1e-16 * max(1.0, abs(value)):
            break  # the predicted gain is below double precision: converged
        shrink = 1.0
        while shrink > 1e-4:
            trial = np.clip(phi - shrink * step, -_LOG_BOUND, _LOG_BOUND)
            trial_value, trial_grad = objective(trial)
            if trial_value <= value:
                break
            shrink *= 0.5
        else:
            break
        phi, value, grad = trial, trial_value, trial_grad
        iterations += 1
    if np.max(np.abs(phi - hess_at)) > 1e-4:
        hess = _hessian(objective, phi)

    theta = np.exp(phi)
    covariance = _covariance(hess * total_weight, theta)
    std = np.sqrt(np.diag(covariance)) if covariance.size else np.full(len(theta), np.nan)
    at_bound = bool(np.any(np.abs(phi) >= _LOG_BOUND - 1e-6))
    gradient_ok = bool(np.max(np.abs(grad)) < 1e-6)
    converged = gradient_ok and np.all(np.isfinite(std)) and not at_bound
    message = str(result.message)
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
