"""Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).

While alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha) and dies at an
exponential time with rate mu ~ Gamma(s, beta). Following Fader & Hardie (2005, "A Note
on Deriving the Pareto/NBD Model and Related Expressions") the likelihood is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s
            + s Int_{t_x}^T (alpha+y)^-(r+x) (beta+y)^-(s+1) dy ].

Writing both parts with the bounded function G of ``_hypergeometric`` gives the stable form
we evaluate:

    log L = log Gamma(r+x) - log Gamma(r) + r log alpha + s log beta
            - (r+x) log(alpha+T) - s log(beta+T) - log(r+s+x)
            + logaddexp( log(r+x) + log G(r+x, s, alpha, beta, T),
                         log s + log G(s, r+x, beta, alpha, t_x) + Delta )

with Delta = (r+x) log((alpha+T)/(alpha+t_x)) + s log((beta+T)/(beta+t_x)) >= 0. Every
term is O(log) in its inputs, so x = 500 or alpha/beta far apart stay finite, and the
formula is continuous at alpha = beta (where the textbook form needs a special case).
G(., ., ., ., T) depends on a customer only through (x, T) and G(., ., ., ., t_x) through
(x, t_x), so each is computed once per distinct pair.

Published check (CDNOW 1/10 sample, 39 weeks; Fader, Hardie & Lee 2005, "Counting Your
Customers the Easy Way", section 7): r = 0.553, alpha = 10.578, s = 0.606,
beta = 11.669, LL = -9595.0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.special import digamma, gammaln, polygamma

from kam.analytics.clv._hypergeometric import log_survival_integral
from kam.analytics.clv._mle import SoftplusRows, fit_by_maximum_likelihood, wsum
from kam.analytics.clv.limits import gamma_posterior_draws, pareto_counts
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import (
    GroupSums,
    SufficientStatistics,
    codes_of,
    collapse,
    group_pairs,
    on_distinct_pairs,
    summary_arrays,
)

MODEL = "pareto_nbd"
LABEL = "Pareto/NBD"
PARAMETERS = ("r", "alpha", "s", "beta")

Floats = npt.NDArray[np.float64]


# Relative step of the forward differences that give log G's second derivatives.
_SECOND_STEP = 1e-5
# Orders of (r, alpha, s, beta) among G's arguments (p, q, a, b) on each side.
_ALIVE_ARGS = [0, 2, 1, 3]  # G(r+x, s, alpha, beta, T)
_DIED_ARGS = [1, 3, 0, 2]  # G(s, r+x, beta, alpha, t_x)


class _Design:
    """Index structure of the sufficient statistics, built once per fit.

    Per row, log L = [terms in x alone and T alone] + first(x, T) + softplus(D) with
    D = Q(x, t_x) - P(x, T) (see ``loglik``): the hypergeometric pieces and everything else
    that is not a softplus live on the distinct (x, T) and (x, t_x) pairs, a few thousand,
    and the per-row work is gathering Q and P, one softplus, and counting its weights back
    onto the pairs.
    """

    def __init__(self, stats: SufficientStatistics) -> None:
        codes = codes_of(stats)
        w = stats.weight
        self.total_weight = float(w.sum())
        self.w = w
        self.ux = codes.x_values.astype(np.float64)
        self.w_x = np.bincount(codes.x_index, weights=w, minlength=len(self.ux))
        self.uT = codes.T_values
        self.w_T = np.bincount(codes.T_index, weights=w, minlength=len(self.uT))
        self.wx_T = np.bincount(codes.T_index, weights=w * stats.x, minlength=len(self.uT))
        n_x = len(self.ux)
        p_x, p_T, self.row_p = group_pairs(codes.x_index, n_x, codes.T_index, len(self.uT))
        q_x, q_tx, self.row_q = group_pairs(
            codes.x_index, n_x, codes.t_x_index, len(codes.t_x_values)
        )
        self.p_x, self.p_T = self.ux[p_x], self.uT[p_T]
        self.q_x, self.q_tx = self.ux[q_x], codes.t_x_values[q_tx]
        self.by_q = GroupSums(self.row_q, len(self.q_x))
        self.rows = SoftplusRows(self.row_q, self.row_p, w, -1.0)
        self.w_p = np.bincount(self.row_p, weights=w, minlength=len(self.p_x))
        self._cache: tuple[bytes, Floats, Floats, Floats] | None = None

    def _alive(self, theta: Floats, gradient: bool = True) -> tuple[Floats, ...]:
        r, alpha, s, beta = theta
        return log_survival_integral(r + self.p_x, s, alpha, beta, self.p_T, gradient=gradient)

    def _died(self, theta: Floats, gradient: bool = True) -> tuple[Floats, ...]:
        r, alpha, s, beta = theta
        return log_survival_integral(s, r + self.q_x, beta, alpha, self.q_tx, gradient=gradient)

    def loglik(self, theta: Floats) -> tuple[float, Floats]:
        """Total log-likelihood and its gradient in (r, alpha, s, beta).

        log L = log Gamma(r+x) - log Gamma(r) - log(r+s+x) + r log alpha + s log beta
                - (r+x) log(alpha+T) - s log(beta+T) + first + softplus(second - first)
        with first = log(r+x) + log G_alive(x, T) and second = log s + log G_died(x, t_x)
        + (r+x) log((alpha+T)/(alpha+t_x)) + s log((beta+T)/(beta+t_x)), so that
        second - first = Q(x, t_x) - P(x, T).
        """
        r, alpha, s, beta = (float(v) for v in theta)
        n = self.total_weight
        x, w_x = self.ux, self.w_x
        ll = wsum(w_x, (gammaln(r + x) - gammaln(r) - np.log(r + s + x)))
        g_r = wsum(w_x, (digamma(r + x) - digamma(r) - 1.0 / (r + s + x)))
        g_s = -wsum(w_x, (1.0 / (r + s + x)))
        log_aT, log_bT = np.log(alpha + self.uT), np.log(beta + self.uT)
        coef_T = r * self.w_T + self.wx_T
        ll += n * (r * np.log(alpha) + s * np.log(beta))
        ll -= wsum(coef_T, log_aT) + s * wsum(self.w_T, log_bT)
        g_r += n * np.log(alpha) - wsum(self.w_T, log_aT)
        g_s += n * np.log(beta) - wsum(self.w_T, log_bT)
        g_alpha = n * r / alpha - wsum(coef_T, (1.0 / (alpha + self.uT)))
        g_beta = n * s / beta - s * wsum(self.w_T, (1.0 / (beta + self.uT)))

        ka = self._alive(theta)
        kb = self._died(theta)
        rx_p, rx_q = r + self.p_x, r + self.q_x
        la_p, lb_p = np.log(alpha + self.p_T), np.log(beta + self.p_T)
        la_q, lb_q = np.log(alpha + self.q_tx), np.log(beta + self.q_tx)
        first = np.log(rx_p) + ka[0]
        p_table = first - rx_p * la_p - s * lb_p
        q_table = np.log(s) + kb[0] - rx_q * la_q - s * lb_q
        value, ws, curvature = self.rows(q_table, p_table)
        ll += wsum(self.w_p, first) + value
        s_q = self.by_q(ws)
        s_p = np.asarray(
            np.bincount(self.row_p, weights=ws, minlength=len(self.p_x)), dtype=np.float64
        )
        self._cache = (theta.tobytes(), curvature, s_q, s_p)

        d_first = self._d_first(theta, ka)
        d_p = self._d_p(theta, ka)
        d_q = self._d_q(theta, kb)
        grad = np.array([g_r, g_alpha, g_s, g_beta])
        grad += np.einsum("in,n->i", d_first, self.w_p)
        grad += np.einsum("in,n->i", d_q, s_q) - np.einsum("in,n->i", d_p, s_p)
        return ll, grad

    def _d_first(self, theta: Floats, ka: tuple[Floats, ...]) -> Floats:
        """d first / d (r, alpha, s, beta) per (x, T) pair."""
        r = float(theta[0])
        return np.stack([1.0 / (r + self.p_x) + ka[1], ka[3], ka[2], ka[4]])

    def _d_p(self, theta: Floats, ka: tuple[Floats, ...]) -> Floats:
        """dP per (x, T) pair: P = first - (r+x) log(alpha+T) - s log(beta+T)."""
        r, alpha, s, beta = (float(v) for v in theta)
        d_p = self._d_first(theta, ka)
        d_p[0] -= np.log(alpha + self.p_T)
        d_p[1] -= (r + self.p_x) / (alpha + self.p_T)
        d_p[2] -= np.log(beta + self.p_T)
        d_p[3] -= s / (beta + self.p_T)
        return d_p

    def _d_q(self, theta: Floats, kb: tuple[Floats, ...]) -> Floats:
        """dQ per (x, t_x) pair: Q = log s + log G_died - (r+x) log(alpha+t_x) - s log(beta+t_x)."""
        r, alpha, s, beta = (float(v) for v in theta)
        return np.stack(
            [
                kb[2] - np.log(alpha + self.q_tx),
                kb[4] - (r + self.q_x) / (alpha + self.q_tx),
                1.0 / s + kb[1] - np.log(beta + self.q_tx),
                kb[3] - s / (beta + self.q_tx),
            ]
        )

    @staticmethod
    def _second(
        side: Callable[[Floats], tuple[Floats, ...]], theta: Floats, args: list[int]
    ) -> Floats:
        """Second derivatives of log G in (r, alpha, s, beta) per pair: forward differences
        of its analytic gradient (4 x 4 x pairs, symmetrised)."""
        base = np.stack(side(theta)[1:])[args]
        columns = []
        for j in range(4):
            step = _SECOND_STEP * theta[j]
            moved = theta.copy()
            moved[j] += step
            columns.append((np.stack(side(moved)[1:])[args] - base) / step)
        second = np.stack(columns, axis=1)
        return np.asarray(0.5 * (second + second.transpose(1, 0, 2)), dtype=np.float64)

    def hessian(self, theta: Floats) -> Floats:
        """Hessian of the total log-likelihood in (r, alpha, s, beta): analytic, but for the
        second derivatives of the hypergeometric pieces (forward differences of their
        analytic gradients, on the distinct pairs)."""
        if self._cache is None or self._cache[0] != theta.tobytes():
            self.loglik(theta)
        assert self._cache is not None
        _, curvature, s_q, s_p = self._cache
        r, alpha, s, beta = (float(v) for v in theta)
        n, x, w_x = self.total_weight, self.ux, self.w_x
        hess = np.zeros((4, 4))
        hess[0, 0] = wsum(w_x, polygamma(1, r + x) - polygamma(1, r) + 1.0 / (r + s + x) ** 2)
        hess[0, 2] = hess[2, 0] = hess[2, 2] = wsum(w_x, 1.0 / (r + s + x) ** 2)
        hess[0, 1] = hess[1, 0] = n / alpha - wsum(self.w_T, 1.0 / (alpha + self.uT))
        hess[1, 1] = -n * r / alpha**2 + wsum(r * self.w_T + self.wx_T, (alpha + self.uT) ** -2.0)
        hess[2, 3] = hess[3, 2] = n / beta - wsum(self.w_T, 1.0 / (beta + self.uT))
        hess[3, 3] = -n * s / beta**2 + s * wsum(self.w_T, (beta + self.uT) ** -2.0)

        ka, kb = self._alive(theta), self._died(theta)
        ka2 = self._second(self._alive, theta, _ALIVE_ARGS)
        kb2 = self._second(self._died, theta, _DIED_ARGS)
        # Second derivatives of first (= log(r+x) + log G_alive), P and Q per pair.
        first2 = ka2.copy()
        first2[0, 0] -= 1.0 / (r + self.p_x) ** 2
        p2 = first2.copy()
        inv_aT, inv_bT = 1.0 / (alpha + self.p_T), 1.0 / (beta + self.p_T)
        p2[0, 1] -= inv_aT
        p2[1, 0] -= inv_aT
        p2[1, 1] += (r + self.p_x) * inv_aT**2
        p2[2, 3] -= inv_bT
        p2[3, 2] -= inv_bT
        p2[3, 3] += s * inv_bT**2
        q2 = kb2.copy()
        inv_atx, inv_btx = 1.0 / (alpha + self.q_tx), 1.0 / (beta + self.q_tx)
        q2[0, 1] -= inv_atx
        q2[1, 0] -= inv_atx
        q2[1, 1] += (r + self.q_x) * inv_atx**2
        q2[2, 2] -= 1.0 / s**2
        q2[2, 3] -= inv_btx
        q2[3, 2] -= inv_btx
        q2[3, 3] += s * inv_btx**2
        hess += np.einsum("ijn,n->ij", first2, self.w_p)
        hess += np.einsum("ijn,n->ij", q2, s_q) - np.einsum("ijn,n->ij", p2, s_p)

        # softplus(D): sum of w sigma (1 - sigma) dD dD' with dD = dQ[q] - dP[p].
        d_p, d_q = self._d_p(theta, ka), self._d_q(theta, kb)
        v_q = self.by_q(curvature)
        v_p = np.bincount(self.row_p, weights=curvature, minlength=len(self.p_x))
        cross = np.stack([self.by_q(curvature * d_p[k][self.row_p]) for k in range(4)])
        mixed = np.einsum("in,jn->ij", d_q, cross)
        hess += np.einsum("in,jn->ij", d_q * v_q, d_q) + np.einsum("in,jn->ij", d_p * v_p, d_p)
        hess -= mixed + mixed.T
        return hess


def _as_stats(data: SufficientStatistics | pa.Table) -> SufficientStatistics:
    return data if isinstance(data, SufficientStatistics) else collapse(data)


def _theta(params: Mapping[str, float]) -> Floats:
    return np.array([float(params[name]) for name in PARAMETERS])


def log_likelihood(params: Mapping[str, float], data: SufficientStatistics | pa.Table) -> float:
    """Total Pareto/NBD log-likelihood of ``data`` at ``params`` (keys r, alpha, s, beta)."""
    return _Design(_as_stats(data)).loglik(_theta(params))[0]


def gradient(params: Mapping[str, float], data: SufficientStatistics | pa.Table) -> Floats:
    """Gradient of the total log-likelihood in (r, alpha, s, beta)."""
    return _Design(_as_stats(data)).loglik(_theta(params))[1]


def fit(
    data: SufficientStatistics | pa.Table,
    *,
    start: Sequence[float] | None = None,
    start_is_close: bool = False,
) -> FitResult:
    """Fit the Pareto/NBD by maximum likelihood to a summary table or sufficient statistics.

    The default start is r = s = 1 and alpha = beta = the mean age (the data's time scale).
    (No start from a sample of the rows, as the BG/NBD has: most of this likelihood's cost
    is its hypergeometric pieces, which a sample of the rows barely reduces.)
    ``start_is_close``: ``start`` is near the optimum (e.g. the fit to the same customers a
    month earlier), so Newton's steps start there (see ``fit_by_maximum_likelihood``).
    """
    stats = _as_stats(data)
    if stats.n_customers == 0:
        raise ValueError("cannot fit the Pareto/NBD to no customers")
    design = _Design(stats)
    if start is None:
        mean_age = max(wsum(stats.weight, stats.T) / design.total_weight, 1e-3)
        start = (1.0, mean_age, 1.0, mean_age)
    return fit_by_maximum_likelihood(
        MODEL,
        PARAMETERS,
        design.loglik,
        start,
        total_weight=design.total_weight,
        n_customers=stats.n_customers,
        time_unit=stats.time_unit,
        hessian=design.hessian,
        fresh_hessian=False,  # its hypergeometric part costs several gradients
        start_is_close=start_is_close,
    )


def probability_alive(
    params: Mapping[str, float], x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(alive at T | x, t_x, T): the "alive at T" share of the likelihood.

    Equals (r+s+x) / [(r+x) G_alpha(T) + s G_beta(t_x) e^Delta] in the notation of the
    module docstring; exactly 1 when the last purchase is at T.
    """
    r, alpha, s, beta = _theta(params)
    xs, txs, ts = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
    ka = on_distinct_pairs(
        lambda x_, y_: log_survival_integral(r + x_, s, alpha, beta, y_, gradient=False)[0],
        xs,
        ts,
    )
    kb = on_distinct_pairs(
        lambda x_, y_: log_survival_integral(s, r + x_, beta, alpha, y_, gradient=False)[0],
        xs,
        txs,
    )
    delta = (r + xs) * (np.log(alpha + ts) - np.log(alpha + txs)) + s * (
        np.log(beta + ts) - np.log(beta + txs)
    )
    log_total = np.logaddexp(np.log(r + xs) + ka, np.log(s) + kb + delta)
    return np.asarray(np.minimum(np.exp(np.log(r + s + xs) - log_total), 1.0), dtype=np.float64)


def _expected_if_alive(
    r: float, alpha: float, s: float, beta: float, x: Floats, T: Floats, t: Floats
) -> Floats:
    """E[purchases in (T, T+t] | alive at T] = (r+x)(beta+T)/((alpha+T)(s-1)) [1 - (...)^(s-1)]."""
    log_ratio = np.log(beta + T + t) - np.log(beta + T)
    # At s = 1 the bracket over (s - 1) is 0/0; its limit is the log ratio itself.
    near_one = abs(s - 1.0) < 1e-10
    growth = log_ratio if near_one else -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
    return np.asarray((r + x) * (beta + T) / (alpha + T) * growth, dtype=np.float64)


def expected_purchases(
    params: Mapping[str, float],
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    t: npt.ArrayLike,
) -> Floats:
    """Expected purchases in (T, T+t] given each customer's history (SMC 1987; FH 2005 eq. 26)."""
    r, alpha, s, beta = _theta(params)
    xs, txs, ts, horizon = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (x, t_x, T, t))
    )
    alive = probability_alive(params, xs, txs, ts)
    return np.asarray(alive * _expected_if_alive(r, alpha, s, beta, xs, ts, horizon))


def expected_if_alive(
    params: Mapping[str, float], x: npt.ArrayLike, T: npt.ArrayLike, t: npt.ArrayLike
) -> Floats:
    """E[purchases in (T, T+t] | alive at T]."""
    r, alpha, s, beta = _theta(params)
    xs, ts, horizon = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, T, t)))
    return _expected_if_alive(r, alpha, s, beta, xs, ts, horizon)


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

    Given alive at T, lambda ~ Gamma(r + x, alpha + T), mu ~ Gamma(s, beta + T), and the
    remaining lifetime is Exponential(mu).
    """
    shape = alive.shape
    lam = gamma_posterior_draws(params["r"], params["alpha"], x, T, shape, rng)
    mu = rng.gamma(params["s"], np.broadcast_to(1.0 / (params["beta"] + T)[:, None], shape))
    life = rng.exponential(1.0, shape) / np.maximum(mu, 1e-300)
    return pareto_counts(lam, life, alive, months, month_length, rng)


def age_offset(params: Mapping[str, float]) -> float:
    """The interval groups customers on a grid of alpha + T (see forecast.py)."""
    return float(params["alpha"])


def expected_purchases_new_customer(params: Mapping[str, float], t: npt.ArrayLike) -> Floats:
    """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] for a new customer."""
    r, alpha, s, beta = _theta(params)
    horizon = np.asarray(t, dtype=np.float64)
    zeros = np.zeros_like(horizon)
    return _expected_if_alive(r, alpha, s, beta, zeros, zeros, horizon)


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
