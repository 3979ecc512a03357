"""BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

While alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). For a customer with x repeat
purchases, the last at t_x, observed for T (FHL 2005, eq. 6):

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

We take the first term out of the sum, so log L = log(first) + softplus(D) with
D = log a - log(b+x-1) + (r+x) log((alpha+T)/(alpha+t_x)): no exponential of a large
number is ever formed. Terms that depend on x, T or t_x alone are computed once per
distinct value and summed with weights, so the per-row work is one softplus.

Published check (CDNOW 1/10 sample, 39 weekly calibration periods): r = 0.243,
alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.special import digamma, expit, gammaln, polygamma

from kam.analytics.clv._hypergeometric import bgnbd_expectation_numerator
from kam.analytics.clv._mle import SoftplusRows, fit_by_maximum_likelihood, sample_rows, wsum
from kam.analytics.clv.limits import NBD, SHAPE_EDGE, SMALL, bg_counts, gamma_posterior_draws
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import (
    GroupSums,
    SufficientStatistics,
    codes_of,
    collapse,
    group_pairs,
    rows_of,
    summary_arrays,
)

MODEL = "bgnbd"
LABEL = "BG/NBD"
PARAMETERS = ("r", "alpha", "a", "b")

Floats = npt.NDArray[np.float64]


class _Design:
    """Index structure of the sufficient statistics, built once per fit.

    Every term of the log-likelihood depends on a collapsed row through x alone, T alone,
    or the dropout odds D = Q(x, t_x) + P(x, T) (see ``loglik``). The per-row work is
    therefore gathering Q and P, one softplus, and counting its weights back onto the
    distinct (x, t_x) and (x, T) pairs: the gradient and Hessian are then sums over those
    few thousand pairs.
    """

    def __init__(self, stats: SufficientStatistics) -> None:
        codes = codes_of(stats)
        w = stats.weight
        self.total_weight = float(w.sum())
        self.ux = codes.x_values.astype(np.float64)
        self.w_x = np.bincount(codes.x_index, weights=w, minlength=len(self.ux))
        self.uT = codes.T_values
        self.w_T = np.bincount(codes.T_index, weights=w, minlength=len(self.uT))
        self.wx_T = np.bincount(codes.T_index, weights=w * stats.x, minlength=len(self.uT))
        repeat = stats.x > 0
        ix, itx, iT = codes.x_index[repeat], codes.t_x_index[repeat], codes.T_index[repeat]
        self.r_w = w[repeat]
        n_x = len(self.ux)
        # (x, t_x) pairs and (x, T) pairs of the repeat buyers, and each row's pair.
        q_x, q_tx, self.r_q = group_pairs(ix, n_x, itx, len(codes.t_x_values))
        p_x, p_T, self.r_p = group_pairs(ix, n_x, iT, len(self.uT))
        self.q_x, self.q_tx = self.ux[q_x], codes.t_x_values[q_tx]
        self.by_q = GroupSums(self.r_q, len(self.q_x))
        self.rows = SoftplusRows(self.r_q, self.r_p, self.r_w, 1.0)
        self.p_x, self.p_T = self.ux[p_x], self.uT[p_T]
        self._cache: tuple[bytes, Floats, Floats, Floats, Floats] | None = None

    def _softplus_part(self, theta: Floats) -> tuple[float, Floats, Floats]:
        """sum of w softplus(D) over the repeat buyers' rows, and per row w sigma(D) and
        w sigma(D) (1 - sigma(D)), the weights of the gradient and Hessian."""
        r, alpha, a, b = (float(v) for v in theta)
        # D = log a - log(b+x-1) + (r+x) (log(alpha+T) - log(alpha+t_x)) = Q[q] + P[p]
        q_table = (
            np.log(a) - np.log(b + self.q_x - 1.0) - (r + self.q_x) * np.log(alpha + self.q_tx)
        )
        p_table = (r + self.p_x) * np.log(alpha + self.p_T)
        value, ws, curvature = self.rows(q_table, p_table)
        return value, ws, curvature

    def loglik(self, theta: Floats) -> tuple[float, Floats]:
        """Total log-likelihood and its analytic gradient in (r, alpha, a, b)."""
        r, alpha, a, b = (float(v) for v in theta)
        x, w_x = self.ux, self.w_x
        ll = wsum(
            w_x,
            (
                gammaln(r + x)
                - gammaln(r)
                + gammaln(b + x)
                - gammaln(a + b + x)
                + gammaln(a + b)
                - gammaln(b)
            ),
        )
        g_r = wsum(w_x, (digamma(r + x) - digamma(r)))
        g_a = wsum(w_x, (digamma(a + b) - digamma(a + b + x)))
        g_b = wsum(w_x, (digamma(b + x) - digamma(a + b + x) + digamma(a + b) - digamma(b)))
        n = self.total_weight
        log_aT = np.log(alpha + self.uT)
        coef_T = r * self.w_T + self.wx_T  # sum over customers of (r + x) at each T
        ll += n * r * np.log(alpha) - wsum(coef_T, log_aT)
        g_r += n * np.log(alpha) - wsum(self.w_T, log_aT)
        g_alpha = n * r / alpha - wsum(coef_T, (1.0 / (alpha + self.uT)))

        # The dropout term, only for customers with repeat purchases.
        value, ws, curvature = self._softplus_part(theta)
        ll += value
        s_q = self.by_q(ws)
        s_p = np.asarray(
            np.bincount(self.r_p, weights=ws, minlength=len(self.p_x)), dtype=np.float64
        )
        self._cache = (theta.tobytes(), ws, curvature, s_q, s_p)
        # dQ: (-log(alpha+t_x), -(r+x)/(alpha+t_x), 1/a, -1/(b+x-1)); dP: (log(alpha+T),
        # (r+x)/(alpha+T), 0, 0)
        g_r += wsum(s_p, np.log(alpha + self.p_T)) - wsum(s_q, np.log(alpha + self.q_tx))
        g_alpha += wsum(s_p, (r + self.p_x) / (alpha + self.p_T))
        g_alpha -= wsum(s_q, (r + self.q_x) / (alpha + self.q_tx))
        g_a += float(s_q.sum()) / a
        g_b -= wsum(s_q, 1.0 / (b + self.q_x - 1.0))
        return ll, np.array([g_r, g_alpha, g_a, g_b])

    def hessian(self, theta: Floats) -> Floats:
        """Analytic Hessian of the total log-likelihood in (r, alpha, a, b)."""
        if self._cache is None or self._cache[0] != theta.tobytes():
            self.loglik(theta)
        assert self._cache is not None
        _, _, curvature, s_q, s_p = self._cache
        r, alpha, a, b = (float(v) for v in theta)
        x, w_x, n = self.ux, self.w_x, self.total_weight
        hess = np.zeros((4, 4))
        hess[0, 0] = wsum(w_x, polygamma(1, r + x) - polygamma(1, r))
        ab = wsum(w_x, polygamma(1, a + b) - polygamma(1, a + b + x))
        hess[2, 2] = hess[2, 3] = hess[3, 2] = ab
        hess[3, 3] = ab + wsum(w_x, polygamma(1, b + x) - polygamma(1, b))
        inv_T = 1.0 / (alpha + self.uT)
        hess[0, 1] = hess[1, 0] = n / alpha - wsum(self.w_T, inv_T)
        hess[1, 1] = -n * r / alpha**2 + wsum(r * self.w_T + self.wx_T, inv_T**2)

        # softplus(D): sum of w sigma (1 - sigma) dD dD' + sum of w sigma d2D, with
        # dD = dQ[q] + dP[p]; only the (r, alpha) entries of dP are non-zero.
        inv_tx = 1.0 / (alpha + self.q_tx)
        inv_pT = 1.0 / (alpha + self.p_T)
        dq = np.stack(
            [
                -np.log(alpha + self.q_tx),
                -(r + self.q_x) * inv_tx,
                np.full(len(self.q_x), 1.0 / a),
                -1.0 / (b + self.q_x - 1.0),
            ]
        )
        dp = np.stack([np.log(alpha + self.p_T), (r + self.p_x) * inv_pT])
        v_q = self.by_q(curvature)
        v_p = np.bincount(self.r_p, weights=curvature, minlength=len(self.p_x))
        # einsum, not @: a BLAS call would wake OpenBLAS's thread pool (see _mle.wsum)
        outer = np.einsum("in,jn->ij", dq * v_q, dq)
        outer[:2, :2] += np.einsum("in,jn->ij", dp * v_p, dp)
        # cross terms: per (x, t_x) pair, the curvature-weighted dP of its rows
        cross = np.stack([self.by_q(curvature * dp[k][self.r_p]) for k in range(2)])
        mixed = np.einsum("in,jn->ij", dq, cross)  # 4 x 2
        outer[:, :2] += mixed
        outer[:2, :] += mixed.T
        hess += outer
        hess[0, 1] += wsum(s_p, inv_pT) - wsum(s_q, inv_tx)
        hess[1, 0] = hess[0, 1]
        hess[1, 1] += wsum(s_q, (r + self.q_x) * inv_tx**2) - wsum(s_p, (r + self.p_x) * inv_pT**2)
        hess[2, 2] -= float(s_q.sum()) / a**2
        hess[3, 3] += wsum(s_q, 1.0 / (b + self.q_x - 1.0) ** 2)
        return hess


def _as_stats(data: SufficientStatistics | pa.Table) -> SufficientStatistics:
    return data if isinstance(data, SufficientStatistics) else collapse(data)


def log_likelihood(params: Mapping[str, float], data: SufficientStatistics | pa.Table) -> float:
    """Total BG/NBD log-likelihood of ``data`` at ``params`` (keys r, alpha, a, b)."""
    return _Design(_as_stats(data)).loglik(_theta(params))[0]


def gradient(params: Mapping[str, float], data: SufficientStatistics | pa.Table) -> Floats:
    """Analytic gradient of the total log-likelihood in (r, alpha, a, b)."""
    return _Design(_as_stats(data)).loglik(_theta(params))[1]


def fit(
    data: SufficientStatistics | pa.Table, *, start: Sequence[float] | None = None
) -> FitResult:
    """Fit the BG/NBD by maximum likelihood to a summary table or sufficient statistics.

    The default start is r = a = b = 1 and alpha = the mean age, which puts the starting
    purchase rate on the data's own time scale whatever the unit. With many distinct
    histories, the fit to every k-th of them (about 8,000) is the start instead, and Newton
    steps on all of them finish the fit.
    """
    stats = _as_stats(data)
    if stats.n_customers == 0:
        raise ValueError("cannot fit the BG/NBD to no customers")
    design = _Design(stats)
    close = False
    if start is None and (rows := sample_rows(len(stats))) is not None:
        rough = fit(rows_of(stats, rows))
        if rough.converged:
            start, close = tuple(rough.params.values()), True
        elif (at_edge := _nobody_stops(rough, stats, design)) is not None:
            return at_edge
    if start is None:
        mean_age = wsum(stats.weight, stats.T) / design.total_weight
        start = (1.0, max(mean_age, 1e-3), 1.0, 1.0)
    return fit_by_maximum_likelihood(
        MODEL,
        PARAMETERS,
        design.loglik,
        start,
        total_weight=design.total_weight,
        n_customers=stats.n_customers,
        time_unit=stats.time_unit,
        hessian=design.hessian,
        start_is_close=close,
    )


EDGE_B = np.geomspace(1e-3, 1e8, 67)
"""The b at which ``_nobody_stops`` checks the score at the edge a = 0 (and b = infinity)."""


def _nobody_stops(
    rough: FitResult, stats: SufficientStatistics, design: _Design
) -> FitResult | None:
    """The BG/NBD as its search on a sample of the histories left it, when that search ran
    off to where nobody stops buying and that edge is a maximum on all of them; else None.

    On a base where nobody stops (TPC-H) the search from the default start runs along a
    ridge towards a = 0 or a/(a+b) = 0, where the BG/NBD becomes the NBD, and ends wherever
    L-BFGS-B gives up; ``degenerate.resolve`` then fits the NBD and uses it. Run on every
    history that search costs more than the rest of the fits together, and its end point
    changes nothing that is used. It is skipped when the same search on the sample (every
    k-th history) ran off to that edge *and*, on all histories, the edge is a maximum of
    the BG/NBD's likelihood: at the NBD's estimates, the derivative of the log-likelihood
    in a at a = 0 is negative for every b (checked from 1e-3 to 1e8, and in p = a/(a+b)
    as a and b run off together), so any step from the NBD into the BG/NBD lowers the
    likelihood. The fit returned is the sample's estimates with the log-likelihood on all
    histories, not converged (no standard errors), and says so in its message.
    """
    p = rough.params
    a, b = p["a"], p["b"]
    if p["r"] > SHAPE_EDGE or not (a < SMALL or a / (a + b) < SMALL):
        return None
    try:
        nbd = NBD.fit(stats, start=(p["r"], p["alpha"]))
    except (ValueError, FloatingPointError):
        return None
    if not nbd.converged:
        return None
    r, alpha = nbd.params["r"], nbd.params["alpha"]
    # d log L / da at a = 0: sum_x w (digamma(b) - digamma(b+x)) from the beta functions,
    # plus, per repeat buyer, R / (b+x-1) from the softplus, R = ((alpha+T)/(alpha+t_x))^(r+x)
    # the ratio of the two NBD likelihoods; R is summed per x (the sum is all b needs).
    with np.errstate(over="ignore", invalid="ignore"):
        log_ratio = (r + design.q_x) * np.log(alpha + design.q_tx)
        ratio = np.exp(
            (r + design.p_x[design.r_p]) * np.log(alpha + design.p_T[design.r_p])
            - log_ratio[design.r_q]
        )
    x_index = np.searchsorted(design.ux, design.q_x[design.r_q])
    weighted = np.bincount(x_index, weights=design.r_w * ratio, minlength=len(design.ux))
    x, w_x = design.ux, design.w_x
    repeat = x > 0
    scores = [
        wsum(w_x, digamma(edge_b) - digamma(edge_b + x))
        + wsum(weighted[repeat], 1.0 / (edge_b + x[repeat] - 1.0))
        for edge_b in EDGE_B
    ]
    # a, b -> infinity with p = a/(a+b): d log L / dp at p = 0 is sum of w (R - x)
    scores.append(float(weighted.sum()) - wsum(w_x, x))
    if not all(np.isfinite(score) and score < 0.0 for score in scores):
        return None
    value = design.loglik(_theta(p))[0]
    if not np.isfinite(value):
        return None
    sampled = rough.n_customers
    return FitResult(
        model=MODEL,
        params=dict(p),
        std_errors={name: float("nan") for name in PARAMETERS},
        log_likelihood=float(value),
        n_customers=stats.n_customers,
        converged=False,
        iterations=rough.iterations,
        message=(
            f"the search on a sample of the histories ({sampled:,} customers) ran to the "
            "edge where nobody stops buying, and on all of them that edge is a maximum of "
            "the likelihood (any step from the NBD into the BG/NBD lowers it): the search "
            "along the ridge was not repeated on all of them"
        ),
        time_unit=stats.time_unit,
        covariance=tuple(tuple(float("nan") for _ in PARAMETERS) for _ in PARAMETERS),
    )


def _theta(params: Mapping[str, float]) -> Floats:
    return np.array([float(params[name]) for name in PARAMETERS])


def _log_dropout_odds(params: Mapping[str, float], x: Floats, t_x: Floats, T: Floats) -> Floats:
    """log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): the odds of having dropped out."""
    r, alpha, a, b = _theta(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.log(a) - np.log(b + x - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, odds, -np.inf)


def probability_alive(
    params: Mapping[str, float], x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(alive at T | x, t_x, T): 1 / (1 + odds of dropout); exactly 1 when x = 0."""
    xs, txs, ts = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    return np.asarray(expit(-_log_dropout_odds(params, xs, txs, ts)), dtype=np.float64)


def expected_purchases(
    params: Mapping[str, float],
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    t: npt.ArrayLike,
) -> Floats:
    """Expected purchases in (T, T+t] given each customer's history (FHL 2005, eq. 10)."""
    r, alpha, a, b = _theta(params)
    xs, txs, ts, horizon = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (x, t_x, T, t))
    )
    numerator = bgnbd_expectation_numerator(r, alpha, a, b, xs, ts, horizon)
    return np.asarray(numerator * probability_alive(params, xs, txs, ts), dtype=np.float64)


def expected_if_alive(
    params: Mapping[str, float], x: npt.ArrayLike, T: npt.ArrayLike, t: npt.ArrayLike
) -> Floats:
    """E[purchases in (T, T+t] | alive at T]: the numerator of FHL (2005) eq. 10."""
    r, alpha, a, b = _theta(params)
    xs, ts, horizon = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, T, t)))
    return bgnbd_expectation_numerator(r, alpha, a, b, xs, ts, horizon)


def simulate_purchases(
    params: Mapping[str, float],
    x: Floats,
    T: Floats,
    alive: npt.NDArray[np.bool_],
    months: int,
    month_length: float,
    rng: np.random.Generator,
) -> list[npt.NDArray[np.int64]]:
    """Month-by-month purchases (customers x draws) drawn from each customer's posterior.

    Given alive at T, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x).
    """
    shape = alive.shape
    lam = gamma_posterior_draws(params["r"], params["alpha"], x, T, shape, rng)
    p = rng.beta(params["a"], np.broadcast_to((params["b"] + x)[:, None], shape))
    return bg_counts(lam, p, alive, months, month_length, rng)


def age_offset(params: Mapping[str, float]) -> float:
    """The interval groups customers on a grid of alpha + T (see forecast.py)."""
    return float(params["alpha"])


def expected_purchases_new_customer(params: Mapping[str, float], t: npt.ArrayLike) -> Floats:
    """E[X(t)]: expected repeat purchases of a new customer in their first t (FHL eq. 9)."""
    r, alpha, a, b = _theta(params)
    horizon = np.asarray(t, dtype=np.float64)
    zeros = np.zeros_like(horizon)
    return bgnbd_expectation_numerator(r, alpha, a, b, zeros, zeros, horizon)


def predict(fit_result: FitResult, summary: pa.Table, horizon: float) -> pa.Table:
    """Per-customer P(alive) and expected purchases over ``horizon`` as an Arrow table."""
    x, t_x, age = summary_arrays(summary)
    return pa.table(
        {
            "customer_id": summary.column("customer_id"),
            "p_alive": probability_alive(fit_result.params, x, t_x, age),
            "expected_purchases": expected_purchases(fit_result.params, x, t_x, age, horizon),
        }
    )
