"""Gamma-Gamma model of spend per purchase.

Fader, Hardie & Lee (2005, "RFM and CLV: Using Iso-value Curves for Customer Base
Analysis") and Fader & Hardie (2013, "The Gamma-Gamma Model of Monetary Value"): each
purchase of a customer is worth z ~ Gamma(p, nu), and nu ~ Gamma(q, gamma) across
customers. The mean m_x of a customer's x repeat purchases then has the density

    f(m_x | p, q, gamma; x) = Gamma(px+q) / (Gamma(px) Gamma(q))
                              * gamma^q m_x^(px-1) x^(px) / (gamma + x m_x)^(px+q)

and the best guess of the customer's future spend per purchase is the weighted average

    E[M | x, m_x] = (gamma + x m_x) p / (p x + q - 1)

of the population mean p gamma / (q - 1) and the customer's own m_x. Only customers with
at least one repeat purchase (and positive spend) inform the fit. The model assumes spend
is independent of purchase frequency; ``fit`` reports their correlation so the user can
see when that does not hold.

Published check (CDNOW, the 946 customers with repeat purchases in weeks 1-39):
p = 6.25, q = 3.74, gamma = 15.44, LL = -4055.9 (Fader & Hardie 2013).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.special import digamma, gammaln, polygamma

from kam.analytics.clv._mle import fit_by_maximum_likelihood, sample_rows, wsum
from kam.analytics.clv.results import FitResult, SpendFitResult
from kam.analytics.clv.summary import (
    GroupSums,
    factorise_counts,
    factorise_floats,
    summary_unit,
)

MODEL = "gamma_gamma"
PARAMETERS = ("p", "q", "gamma")
ONE_RATE_MODEL = "gamma_gamma_one_rate"
ONE_RATE_PARAMETERS = ("p", "nu")
_LR_CRITICAL = 6.634896601021214  # chi-square, 1 degree of freedom, 99%
SHAPE_EDGE = 1e5
"""A q this large leaves the customers' spend rates nu ~ Gamma(q, gamma) within 0.3% of
one another: the spread has collapsed to one rate, nu = q / gamma, for everyone."""

Floats = npt.NDArray[np.float64]


def _factorise_frequency(x: Floats) -> tuple[Floats, npt.NDArray[np.intp]]:
    """Distinct repeat frequencies and each customer's index into them (a count, no sort,
    when they are whole numbers, as purchase counts are)."""
    whole = x.astype(np.int64)
    if np.array_equal(whole, x):
        values, index = factorise_counts(whole)
        return values.astype(np.float64), index
    return factorise_floats(x)


def _by_frequency(x: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """The order that sorts customers by frequency (a radix sort of small whole numbers):
    each frequency's customers are then one run, summed by ``np.add.reduceat``."""
    whole = x.dtype.kind in "iu" or np.array_equal(np.floor(x), x)
    if len(x) and whole and x.min() >= 0 and x.max() < 65536:
        keys = x.astype(np.uint8 if x.max() < 256 else np.uint16)
        return np.argsort(keys, kind="stable")
    return np.argsort(x, kind="stable")


class _Design:
    """Constant sums of the log-likelihood, computed once per fit; one row per customer.

    Per customer the only term that moves with the parameters is (p x + q) log(gamma +
    x m_x); its sums are counted per distinct x, so the gradient and Hessian are sums over
    a few dozen frequencies.
    """

    def __init__(self, x: Floats, m: Floats) -> None:
        self.xm = x * m
        self.total_weight = float(len(x))
        # Customers sorted by frequency (as fit_arrays passes them) are one run per x.
        runs = GroupSums.of_runs(x)
        if runs is not None:
            self.ux, self.by_x = runs
        else:
            self.ux, ix = _factorise_frequency(x)
            self.by_x = GroupSums(ix, len(self.ux))
        self.w_x = self.by_x.counts(len(x))
        log_m = np.log(m)
        # sum of [(px - 1) log m + px log x] = p * A - B
        sum_log_m = self.by_x(log_m)
        self.a_term = wsum(self.ux, sum_log_m) + wsum(self.w_x, self.ux * np.log(self.ux))
        self.b_term = float(sum_log_m.sum())
        self._cache: tuple[bytes, Floats, Floats] | None = None
        self._scale, self._inverse = np.empty(len(x)), np.empty(len(x))

    def loglik(self, theta: Floats) -> tuple[float, Floats]:
        """Total log-likelihood and its analytic gradient in (p, q, gamma)."""
        p, q, gamma = (float(v) for v in theta)
        ux, w_x, n = self.ux, self.w_x, self.total_weight
        # Into buffers kept from call to call: fresh arrays of this size would cost page
        # faults on every evaluation.
        scale, inverse = self._scale, self._inverse
        np.add(self.xm, gamma, out=scale)
        np.divide(1.0, scale, out=inverse)
        inv_x = self.by_x(inverse)
        # per distinct x: sum of log(gamma + x m) and of 1 / (gamma + x m)
        log_x = self.by_x(np.log(scale, out=scale))
        self._cache = (theta.tobytes(), inverse, inv_x)
        shape = p * ux + q
        ll = wsum(w_x, (gammaln(shape) - gammaln(p * ux))) - n * gammaln(q)
        ll += n * q * np.log(gamma) + p * self.a_term - self.b_term - wsum(shape, log_x)
        g_p = wsum(w_x, (ux * (digamma(shape) - digamma(p * ux)))) + self.a_term
        g_p -= wsum(ux, log_x)
        g_q = wsum(w_x, digamma(shape)) - n * digamma(q) + n * np.log(gamma) - float(log_x.sum())
        g_gamma = n * q / gamma - wsum(shape, inv_x)
        return ll, np.array([g_p, g_q, g_gamma])

    def hessian(self, theta: Floats) -> Floats:
        """Analytic Hessian of the total log-likelihood in (p, q, gamma)."""
        if self._cache is None or self._cache[0] != theta.tobytes():
            self.loglik(theta)
        assert self._cache is not None
        _, inverse, inv_x = self._cache
        p, q, gamma = (float(v) for v in theta)
        ux, w_x, n = self.ux, self.w_x, self.total_weight
        inv2_x = self.by_x(np.square(inverse, out=self._scale))
        shape = p * ux + q
        tri, tri_px = polygamma(1, shape), polygamma(1, p * ux)
        hess = np.empty((3, 3))
        hess[0, 0] = wsum(w_x, ux * ux * (tri - tri_px))
        hess[0, 1] = hess[1, 0] = wsum(w_x, ux * tri)
        hess[1, 1] = wsum(w_x, tri) - n * polygamma(1, q)
        hess[0, 2] = hess[2, 0] = -wsum(ux, inv_x)
        hess[1, 2] = hess[2, 1] = n / gamma - float(inv_x.sum())
        hess[2, 2] = -n * q / gamma**2 + wsum(shape, inv2_x)
        return hess


class _OneRateDesign:
    """The limit q, gamma -> inf with q/gamma = nu: m_x ~ Gamma(p x, nu x) for everyone."""

    def __init__(self, x: Floats, m: Floats, w: Floats) -> None:
        self.x, self.w = x, w
        self.total_weight = float(w.sum())
        self.xm = wsum(w, x * m)
        self.sum_x = wsum(w, x)
        self.ux, ix = np.unique(x, return_inverse=True)
        self.w_x = np.bincount(ix, weights=w, minlength=len(self.ux))
        # sum of w * [p x log x + (p x - 1) log m] = p * A - B, as in _Design
        self.a_term = wsum(w, x * (np.log(m) + np.log(x)))
        self.b_term = wsum(w, np.log(m))

    def loglik(self, theta: Floats) -> tuple[float, Floats]:
        """Total log-likelihood and its analytic gradient in (p, nu)."""
        p, nu = (float(v) for v in theta)
        ux, w_x = self.ux, self.w_x
        ll = p * self.sum_x * np.log(nu) + p * self.a_term - self.b_term - nu * self.xm
        ll -= wsum(w_x, gammaln(p * ux))
        g_p = self.sum_x * np.log(nu) + self.a_term - wsum(w_x, ux * digamma(p * ux))
        g_nu = p * self.sum_x / nu - self.xm
        return ll, np.array([g_p, g_nu])


def _usable(
    frequency: npt.ArrayLike, mean_spend: npt.ArrayLike
) -> tuple[npt.NDArray[Any], Floats, npt.NDArray[np.bool_]]:
    """Frequency and mean spend as arrays, and which customers the model can use: a repeat
    purchase and a positive, finite mean spend (NaN compares false, so it is left out)."""
    x = np.asarray(frequency)
    if x.dtype.kind not in "iu":
        x = np.asarray(x, dtype=np.float64)
    m = np.asarray(mean_spend, dtype=np.float64)
    usable = (x > 0) & (m > 0) & (m < np.inf)
    if x.dtype.kind == "f":
        usable &= x < np.inf
    return x, m, usable


def log_likelihood(
    params: Mapping[str, float], frequency: npt.ArrayLike, mean_spend: npt.ArrayLike
) -> float:
    """Total Gamma-Gamma log-likelihood over customers with x > 0 and positive spend."""
    x, m, usable = _usable(frequency, mean_spend)
    design = _Design(x[usable].astype(np.float64), m[usable])
    return design.loglik(_theta(params))[0]


def gradient(
    params: Mapping[str, float], frequency: npt.ArrayLike, mean_spend: npt.ArrayLike
) -> Floats:
    """Analytic gradient of the total log-likelihood in (p, q, gamma)."""
    x, m, usable = _usable(frequency, mean_spend)
    design = _Design(x[usable].astype(np.float64), m[usable])
    return design.loglik(_theta(params))[1]


def _theta(params: Mapping[str, float]) -> Floats:
    return np.array([float(params[name]) for name in PARAMETERS])


def fit_arrays(
    frequency: npt.ArrayLike,
    mean_spend: npt.ArrayLike,
    *,
    start: Sequence[float] | None = None,
    time_unit: str | None = None,
) -> SpendFitResult:
    """Fit p, q, gamma by maximum likelihood to repeat frequency and mean repeat spend.

    Customers without a repeat purchase, or with zero, negative or missing mean spend,
    are left out (counted in ``n_excluded``): the model is for positive amounts. With many
    customers, the fit to every k-th of them (about 8,000) is the start, and Newton steps
    on all of them finish the fit.
    """
    x, m, usable = _usable(frequency, mean_spend)
    kept = np.flatnonzero(usable)
    kept = kept.take(_by_frequency(x.take(kept)))
    xs, ms = x.take(kept).astype(np.float64), m.take(kept)
    if len(xs) < 3:
        raise ValueError("the Gamma-Gamma model needs at least 3 customers with repeat purchases")
    design = _Design(xs, ms)
    close = False
    if start is None and (rows := sample_rows(len(xs))) is not None:
        rough = fit_arrays(xs[rows], ms[rows])
        if rough.converged and rough.model == MODEL:
            start, close = tuple(rough.params.values()), True
    if start is None:
        # Method-of-moments-ish start: q = 2 and gamma so the population mean matches.
        mean = float(np.mean(ms))
        start = (1.0, 2.0, max(mean, 1e-6))
    base = fit_by_maximum_likelihood(
        MODEL,
        PARAMETERS,
        design.loglik,
        start,
        total_weight=design.total_weight,
        n_customers=len(xs),
        time_unit=time_unit,
        hessian=design.hessian,
        start_is_close=close,
    )
    correlation = _correlation(design, ms)
    q, q_error = base.params["q"], base.std_errors["q"]
    # q ran off, or the likelihood is so flat in it that the data cannot tell it from
    # infinity (its standard error is as large as itself): try the limit.
    if q > SHAPE_EDGE or not np.isfinite(q_error) or q_error >= q:
        limit = _one_rate_fit(base, xs, ms, time_unit)
        if limit is not None:
            return replace(
                limit, frequency_spend_correlation=correlation, n_excluded=int(len(x) - len(xs))
            )
    return SpendFitResult(
        model=base.model,
        params=base.params,
        std_errors=base.std_errors,
        log_likelihood=base.log_likelihood,
        n_customers=base.n_customers,
        converged=base.converged,
        iterations=base.iterations,
        message=base.message,
        time_unit=base.time_unit,
        covariance=base.covariance,
        frequency_spend_correlation=correlation,
        n_excluded=int(len(x) - len(xs)),
    )


def _correlation(design: _Design, m: Floats) -> float:
    """Pearson correlation of frequency and mean spend (0 when either does not vary).

    Sums per distinct frequency: centred in x exactly, in m through each group's sum.
    """
    if len(design.ux) < 2 or np.ptp(m) == 0:
        return 0.0
    n = design.total_weight
    mean_x = wsum(design.w_x, design.ux) / n
    mean_m = float(m.mean())
    sum_m = design.by_x(m)
    covariance = wsum(design.ux - mean_x, sum_m - design.w_x * mean_m)
    var_x = wsum(design.w_x, (design.ux - mean_x) ** 2)
    centred = m - mean_m
    var_m = wsum(centred, centred)
    return float(covariance / np.sqrt(var_x * var_m))


def _one_rate_fit(
    base: FitResult, xs: Floats, ms: Floats, time_unit: str | None
) -> SpendFitResult | None:
    """The limit every customer shares one spend rate, fitted when q ran off; None when that
    fit does not converge either (the caller keeps the fit that ran off)."""
    q, gamma = base.params["q"], base.params["gamma"]
    design = _OneRateDesign(xs, ms, np.ones(len(xs)))
    fitted = fit_by_maximum_likelihood(
        ONE_RATE_MODEL,
        ONE_RATE_PARAMETERS,
        design.loglik,
        (base.params["p"], q / gamma),
        total_weight=design.total_weight,
        n_customers=len(xs),
        time_unit=time_unit,
    )
    errors = list(fitted.std_errors.values())
    if not fitted.converged or not all(np.isfinite(v) for v in errors):
        return None
    # Where the full fit has a proper optimum, the limit must fit as well: a likelihood-
    # ratio test at 1% (one parameter fewer) cannot tell them apart.
    if base.converged and 2.0 * (base.log_likelihood - fitted.log_likelihood) > _LR_CRITICAL:
        return None
    nu = fitted.params["nu"]
    how = "ran off together" if q > SHAPE_EDGE else "are not pinned down by the data"
    note = (
        f"The Gamma-Gamma ran to the edge of its parameter space: q and gamma {how} "
        f"(q = {q:.3g}, gamma = {gamma:.3g}): the customers' spend rates do not "
        f"differ, nu = q/gamma = {q / gamma:.3g} for everyone, so a customer's own history "
        f"says nothing about their next purchase. kam uses that limit: every purchase is "
        f"worth Gamma(p, nu) (p = {fitted.params['p']:.4g}, nu = {nu:.4g}), "
        f"{fitted.params['p'] / nu:,.2f} on average."
    )
    return SpendFitResult(
        model=fitted.model,
        params=fitted.params,
        std_errors=fitted.std_errors,
        log_likelihood=fitted.log_likelihood,
        n_customers=fitted.n_customers,
        converged=True,
        iterations=fitted.iterations,
        message=fitted.message,
        time_unit=fitted.time_unit,
        covariance=fitted.covariance,
        note=note,
    )


def fit(summary: pa.Table, *, start: Sequence[float] | None = None) -> SpendFitResult:
    """Fit the Gamma-Gamma model to a summary table (frequency, mean_repeat_spend)."""
    x = summary.column("frequency").to_numpy(zero_copy_only=False)
    m = summary.column("mean_repeat_spend").fill_null(0.0).to_numpy(zero_copy_only=False)
    return fit_arrays(x, m, start=start, time_unit=summary_unit(summary, default="weeks"))


def expected_spend(
    params: Mapping[str, float], frequency: npt.ArrayLike, mean_spend: npt.ArrayLike
) -> Floats:
    """E[spend per purchase | x, m_x]; the population mean p gamma/(q-1) when x = 0.

    The population mean is infinite when q <= 1 (a heavy-tailed spend distribution);
    we return inf rather than a misleading finite number. With one spend rate for everyone
    (the limit, parameters p and nu) it is p / nu whatever the history.
    """
    x = np.asarray(frequency, dtype=np.float64)
    if "nu" in params:
        return np.full(x.shape, params["p"] / params["nu"])
    p, q, gamma = _theta(params)
    m = np.nan_to_num(np.asarray(mean_spend, dtype=np.float64), nan=0.0)
    m = np.where(x > 0, m, 0.0)
    denominator = p * x + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (gamma + x * m) * p / denominator
    return np.asarray(np.where(denominator > 0, value, np.inf), dtype=np.float64)


def population_mean_spend(params: Mapping[str, float]) -> float:
    """Mean spend per purchase across customers, p gamma / (q - 1) (inf when q <= 1)."""
    if "nu" in params:
        return float(params["p"] / params["nu"])
    p, q, gamma = _theta(params)
    return float(p * gamma / (q - 1.0)) if q > 1.0 else float("inf")


def value_scale(params: Mapping[str, float], frequency: Floats, mean_spend: Floats) -> Floats:
    """The scale of a customer's future spend: gamma + x m_x, the rate of nu's posterior
    Gamma(p x + q, gamma + x m_x) (1 with one spend rate: nu is then known)."""
    if "nu" in params:
        return np.ones(len(frequency))
    return np.asarray(params["gamma"] + frequency * mean_spend, dtype=np.float64)


def rate_draws(
    params: Mapping[str, float], frequency: Floats, shape: tuple[int, int], rng: np.random.Generator
) -> Floats:
    """Draws of nu times its scale (``value_scale``) per customer: Gamma(p x + q, 1); with
    one spend rate, nu itself for everyone."""
    if "nu" in params:
        return np.full(shape, params["nu"])
    shapes = params["p"] * frequency + params["q"]
    return np.asarray(rng.gamma(np.broadcast_to(shapes[:, None], shape), 1.0), dtype=np.float64)
