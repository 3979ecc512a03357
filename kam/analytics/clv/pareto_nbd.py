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

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.special import digamma, expit, gammaln

from kam.analytics.clv._hypergeometric import log_survival_integral
from kam.analytics.clv._mle import fit_by_maximum_likelihood, wsum
from kam.analytics.clv.limits import gamma_posterior_draws, pareto_counts
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import SufficientStatistics, collapse, summary_arrays

MODEL = "pareto_nbd"
LABEL = "Pareto/NBD"
PARAMETERS = ("r", "alpha", "s", "beta")

Floats = npt.NDArray[np.float64]


def _pairs(x: npt.NDArray[np.int64], y: Floats) -> tuple[Floats, Floats, npt.NDArray[np.intp]]:
    """Distinct (x, y) pairs and each row's index into them."""
    uy, iy = np.unique(y, return_inverse=True)
    key = x.astype(np.int64) * len(uy) + iy
    ukey, inverse = np.unique(key, return_inverse=True)
    return (ukey // len(uy)).astype(np.float64), uy[ukey % len(uy)], inverse


class _Design:
    """Index structure of the sufficient statistics, built once per fit."""

    def __init__(self, stats: SufficientStatistics) -> None:
        w = stats.weight
        self.total_weight = float(w.sum())
        self.w = w
        self.x = stats.x.astype(np.float64)
        self.ux, ix = np.unique(stats.x, return_inverse=True)
        self.ux = self.ux.astype(np.float64)
        self.w_x = np.bincount(ix, weights=w, minlength=len(self.ux))
        self.uT, self.iT = np.unique(stats.T, return_inverse=True)
        self.utx, self.itx = np.unique(stats.t_x, return_inverse=True)
        self.w_T = np.bincount(self.iT, weights=w, minlength=len(self.uT))
        self.wx_T = np.bincount(self.iT, weights=w * stats.x, minlength=len(self.uT))
        self.xT_x, self.xT_T, self.i_xT = _pairs(stats.x, stats.T)
        self.xtx_x, self.xtx_tx, self.i_xtx = _pairs(stats.x, stats.t_x)

    def loglik(self, theta: Floats) -> tuple[float, Floats]:
        """Total log-likelihood and its gradient in (r, alpha, s, beta)."""
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

        # "Alive at T" side: G(r+x, s, alpha, beta, T) per distinct (x, T).
        ka, ka_p, ka_q, ka_a, ka_b = log_survival_integral(r + self.xT_x, s, alpha, beta, self.xT_T)
        # "Died in (t_x, T]" side: G(s, r+x, beta, alpha, t_x) per distinct (x, t_x).
        kb, kb_p, kb_q, kb_a, kb_b = log_survival_integral(
            s, r + self.xtx_x, beta, alpha, self.xtx_tx
        )
        rx = r + self.x
        d_alpha_T = 1.0 / (alpha + self.uT[self.iT]) - 1.0 / (alpha + self.utx[self.itx])
        d_beta_T = 1.0 / (beta + self.uT[self.iT]) - 1.0 / (beta + self.utx[self.itx])
        log_ratio_a = log_aT[self.iT] - np.log(alpha + self.utx)[self.itx]
        log_ratio_b = log_bT[self.iT] - np.log(beta + self.utx)[self.itx]
        first = np.log(rx) + ka[self.i_xT]
        second = np.log(s) + kb[self.i_xtx] + rx * log_ratio_a + s * log_ratio_b
        ll += wsum(self.w, np.logaddexp(first, second))

        w2 = self.w * expit(second - first)  # weight of the second branch
        w1 = self.w - w2
        g_r += wsum(w1, (1.0 / rx + ka_p[self.i_xT]))
        g_r += wsum(w2, (kb_q[self.i_xtx] + log_ratio_a))
        g_s += wsum(w1, ka_q[self.i_xT])
        g_s += wsum(w2, (1.0 / s + kb_p[self.i_xtx] + log_ratio_b))
        g_alpha += wsum(w1, ka_a[self.i_xT])
        g_alpha += wsum(w2, (kb_b[self.i_xtx] + rx * d_alpha_T))
        g_beta += wsum(w1, ka_b[self.i_xT])
        g_beta += wsum(w2, (kb_a[self.i_xtx] + s * d_beta_T))
        return ll, np.array([g_r, g_alpha, g_s, g_beta])


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
    data: SufficientStatistics | pa.Table, *, start: Sequence[float] | None = None
) -> FitResult:
    """Fit the Pareto/NBD by maximum likelihood to a summary table or sufficient statistics.

    The default start is r = s = 1 and alpha = beta = the mean age (the data's time scale).
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
    ka = log_survival_integral(r + xs, s, alpha, beta, ts, gradient=False)[0]
    kb = log_survival_integral(s, r + xs, beta, alpha, txs, gradient=False)[0]
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
