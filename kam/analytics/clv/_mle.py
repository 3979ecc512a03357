"""Maximum-likelihood machinery shared by the CLV models.

Each model supplies its log-likelihood and analytic gradient in the natural (positive)
parameters, and the purchase and spend models their Hessian too. We optimise over
log-parameters (positivity for free and better conditioning).

With a Hessian, Newton's method runs from the start: where the Hessian is not positive
definite (far from the optimum) its diagonal is lifted until it is, and no step moves a
parameter by more than a factor e; near the optimum the steps are plain Newton steps and
converge quadratically, until no parameter moves by more than 1e-10 of itself. Where that
does not converge (a ridge the estimates run along, at the models' edges), and for the
models without a Hessian (the limits: a central difference of the analytic gradient then
serves), L-BFGS-B runs first and Newton steps finish. The inverse Hessian at the optimum
gives the standard errors.

Two things decide the speed. First, nothing here calls BLAS or LAPACK routines that wake
OpenBLAS's thread pool (a wake-up costs 0.1-10 ms on a busy two-core machine, against
microseconds for these 2-4 parameters): sums are ``np.sum``, the small solves are a
Cholesky in plain Python; only the fallback, L-BFGS-B, pays that cost. Second, the last
digits come from Newton's steps, not from the optimiser's tolerances: near the optimum the
change in the log-likelihood falls below double precision long before the parameters stop
moving (at 1,000,000 customers a relative change of 1e-7 in a parameter moves the mean
log-likelihood by about 1e-16 of itself), so a step is accepted when the likelihood does
not fall by more than its rounding error and the gradient shrinks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit

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
_FAR_STEPS = 60
_MAX_FAR_STEP = 1.0
# A parameter past e^+-12 (1.6e5, 6e-6) from a far start is running off along a ridge to
# an edge of the model (degenerate.py's thresholds are 1e5 and 1e-5).
_RIDGE_EDGE = 12.0
# ... and so is one whose full-size (capped) steps follow each other this many times.
_CAPPED_STEPS = 6
_GRADIENT_TOLERANCE = 1e-6
SAMPLE_ROWS = 8192


def wsum(weights: npt.NDArray[Any], values: npt.NDArray[Any]) -> float:
    """sum(weights * values) as a float.

    Deliberately not ``weights @ values``: a BLAS dot product wakes OpenBLAS's thread pool,
    which costs milliseconds per call on a busy two-core machine, against microseconds here.
    """
    return float(np.sum(weights * values))


class SoftplusRows:
    """The per-row part of the purchase models: sum over rows of w softplus(D) with
    D = Q[q] + sign P[p] (tables over distinct pairs, gathered per row), and per row the
    weights w sigma(D) and w sigma(D) (1 - sigma(D)) of the gradient and Hessian.

    Works in buffers kept from call to call: fresh arrays of a million rows cost page
    faults on every evaluation. The arrays returned are those buffers, valid until the
    next call.
    """

    def __init__(
        self, q: npt.NDArray[np.intp], p: npt.NDArray[np.intp], weight: Floats, sign: float
    ) -> None:
        self.q, self.p, self.weight, self.sign = q, p, weight, sign
        rows = len(weight)
        self._d, self._work, self._ws, self._curvature = (np.empty(rows) for _ in range(4))

    def __call__(self, q_table: Floats, p_table: Floats) -> tuple[float, Floats, Floats]:
        """(sum of w softplus(D), w sigma(D), w sigma(D) (1 - sigma(D)))."""
        d, work, ws = self._d, self._work, self._ws
        np.take(q_table, self.q, out=d, mode="clip")
        np.take(p_table, self.p, out=work, mode="clip")
        if self.sign > 0:
            d += work
        else:
            d -= work
        # softplus(D) = log(1 + e^D), finite for every D
        np.logaddexp(0.0, d, out=work)
        work *= self.weight
        value = float(work.sum())
        expit(d, out=ws)
        np.subtract(1.0, ws, out=work)
        ws *= self.weight
        np.multiply(ws, work, out=self._curvature)
        return value, ws, self._curvature


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
    objective: _Objective,
    phi: Floats,
    fresh: bool,
    tolerance: float = _STEP_TOLERANCE,
    *,
    far: bool = False,
) -> tuple[Floats, float, Floats, Floats, int]:
    """Newton steps from ``phi``; returns (phi, value, gradient, Hessian at phi, steps).

    With ``fresh`` the Hessian is evaluated at every point (quadratic convergence, for
    models whose Hessian is cheap); otherwise steps reuse it until one fails, and only then
    is it evaluated again where they stand. ``far``: the start may be far from the optimum,
    so the Hessian is evaluated at every point, shifted until positive definite where it
    is not (a Levenberg-Marquardt step), and no step moves a parameter by more than a
    factor e; the steps stop where a parameter passes e^+-12 or six full-size steps follow
    each other: the estimates are running off to an edge, and L-BFGS-B takes over.
    """
    fresh = fresh or far
    value, grad = objective(phi)
    hess, hess_at = objective.hessian(phi), phi.copy()
    steps, capped = 0, 0
    for _ in range(_FAR_STEPS if far else _NEWTON_STEPS):
        if far and (np.max(np.abs(phi)) > _RIDGE_EDGE or capped >= _CAPPED_STEPS):
            break  # running off along a ridge: L-BFGS-B's way, which degenerate.py knows
        stale = not np.array_equal(hess_at, phi)
        step = _descent_step(hess, grad, shift=far)
        if step is not None and np.max(np.abs(step)) <= tolerance:
            break
        trial = None if step is None else _line_search(objective, phi, value, grad, step)
        if trial is None:
            if not stale:
                break  # no descent from here on a Hessian evaluated here
            hess, hess_at = objective.hessian(phi), phi.copy()
            continue
        capped = capped + 1 if np.max(np.abs(phi - trial[0])) >= _MAX_FAR_STEP else 0
        phi, value, grad = trial
        steps += 1
        if fresh:
            hess, hess_at = objective.hessian(phi), phi.copy()
    if np.max(np.abs(phi - hess_at)) > 1e-4:
        hess = objective.hessian(phi)
    return phi, value, grad, hess, steps


def _descent_step(hess: Floats, grad: Floats, *, shift: bool = False) -> Floats | None:
    """The Newton step H^-1 g, or None where it is no descent direction or not a number.

    Where H is not positive definite, ``shift`` adds to its diagonal just enough to make
    it so (the step then turns towards steepest descent) and caps the step at one unit of
    log-parameter; without ``shift`` there is no step.
    """
    if not (np.all(np.isfinite(hess)) and np.all(np.isfinite(grad))):
        return None
    step = _solve_positive(hess, grad)
    if step is None and shift:
        eigenvalues = np.linalg.eigvalsh(hess)
        lift = -float(eigenvalues.min()) + 1e-3 * max(float(np.abs(eigenvalues).max()), 1e-12)
        step = _solve_positive(hess + lift * np.eye(len(grad)), grad)
    if step is None or not np.all(np.isfinite(step)) or float(np.sum(grad * step)) <= 0:
        return None
    largest = float(np.max(np.abs(step)))
    if shift and largest > _MAX_FAR_STEP:
        step = step * (_MAX_FAR_STEP / largest)
    return step


def _solve_positive(matrix: Floats, vector: Floats) -> Floats | None:
    """matrix^-1 vector by Cholesky, None when the matrix is not positive definite.

    Plain Python for these 2-4 parameters: LAPACK through OpenBLAS wakes its thread pool
    for each call, which costs a hundred microseconds or more on a busy machine.
    """
    k = len(vector)
    a = matrix.tolist()
    low = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            total = a[i][j] - sum(low[i][m] * low[j][m] for m in range(j))
            if i == j:
                if not total > 0.0:
                    return None
                low[i][i] = math.sqrt(total)
            else:
                low[i][j] = total / low[j][j]
    y = [0.0] * k
    for i in range(k):
        y[i] = (float(vector[i]) - sum(low[i][m] * y[m] for m in range(i))) / low[i][i]
    out = [0.0] * k
    for i in reversed(range(k)):
        out[i] = (y[i] - sum(low[m][i] * out[m] for m in range(i + 1, k))) / low[i][i]
    return np.array(out)


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
    message, iterations = "Newton's steps converged", 0
    found = None
    if hessian is not None:
        found = _newton(objective, phi0, fresh, step_tolerance, far=not start_is_close)
        if not np.max(np.abs(found[2])) < _GRADIENT_TOLERANCE:
            iterations, found = found[4], None
    if found is None:
        # Newton did not converge (a ridge the estimates run along, as at the models'
        # edges), or there is no Hessian: L-BFGS-B from the start to 1e-13 of the
        # objective, then Newton steps, so a fit that runs off gets as far as it always did.
        result = minimize(
            objective,
            phi0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(phi0),
            options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
        )
        message, iterations = str(result.message), iterations + int(result.nit)
        found = _newton(objective, np.asarray(result.x, dtype=np.float64), fresh, step_tolerance)
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
