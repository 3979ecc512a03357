"""The purchase models' limits: what the BG/NBD and the Pareto/NBD become at their edges.

Both models mix two stories over customers: a purchase rate lambda ~ Gamma(r, alpha) and a
way of stopping (BG/NBD: after each purchase with probability p ~ Beta(a, b); Pareto/NBD:
at a rate mu ~ Gamma(s, beta)). Real data can sit at an edge of that parameter space, where
the optimiser runs off and the textbook formulas overflow:

* **one purchase rate** — customers who all buy at about the same rate (replenishment
  buyers ordering every month) drive r and alpha to infinity together: the gamma spread
  collapses to the point lambda = r / alpha;
* **one dropout probability / rate** — a and b (or s and beta) run off together: everyone
  has the same p = a / (a + b) (or mu = s / beta);
* **nobody stops** — p -> 0 or mu -> 0 (a -> 0, b -> inf; s -> 0, beta -> inf): the model
  becomes the NBD (gamma rates) or, with one rate too, the Poisson.

Each limit here is a purchase model of its own, with fewer parameters, exact formulas and a
proper optimum (so standard errors), fitted in place of the model that ran off (see
``degenerate.py``). The BG/NBD family is written as a rate part times a dropout part:

    log L = log S0(x) + A(T) + [x > 0] softplus(log K + A(t_x) - A(T))

with A(y) = log E[lambda^x e^(-lambda y)] (gamma: log Gamma(r+x)/Gamma(r) + r log alpha -
(r+x) log(alpha+y); one rate: x log lambda - lambda y), S0 the chance of surviving x
purchases and K the odds of having stopped right after the last one (beta: B(a, b+x)/B(a, b)
and a/(b+x-1); one p: (1-p)^x and p/(1-p); nobody stops: 1 and 0). The Pareto/NBD with one
rate and one dropout rate is the exponential/Poisson model:

    L = lambda^x e^(-(lambda+mu) T) (lambda + mu e^((lambda+mu)(T-t_x))) / (lambda + mu).

The Pareto/NBD's mixed limits (gamma rates with one dropout rate, or the reverse) need
incomplete-gamma integrals per customer that would cost far more than the model itself;
a Pareto/NBD that runs off that way is reported as not converged and not used.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.special import digamma, expit, gammaln, hyp1f1

from kam.analytics.clv._mle import fit_by_maximum_likelihood, wsum
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import SufficientStatistics, collapse, summary_arrays

SHAPE_EDGE = 1e5
"""A gamma or beta shape this large has a coefficient of variation below 0.3%: the spread it
models has collapsed to a point, whatever the optimiser says."""
SMALL = 1e-5
"""A dropout parameter this small (a, s, or the mean dropout a/(a+b), s/beta) means nobody
stops buying within any plan horizon."""

Floats = npt.NDArray[np.float64]

_FITTED: weakref.WeakKeyDictionary[
    SufficientStatistics, dict[tuple[str, tuple[float, ...] | None], FitResult]
] = weakref.WeakKeyDictionary()
"""Limit fits made on statistics still in use, by model and start (see ``LimitModel.fit``)."""

_A_NEAR_ONE = 1e-4


@dataclass(frozen=True)
class _Rows:
    """The collapsed statistics as float arrays, with the repeat buyers marked."""

    x: Floats
    t_x: Floats
    T: Floats
    w: Floats

    @property
    def repeat(self) -> npt.NDArray[np.bool_]:
        return self.x > 0


def _rows(data: SufficientStatistics | pa.Table) -> tuple[_Rows, SufficientStatistics]:
    stats = data if isinstance(data, SufficientStatistics) else collapse(data)
    rows = _Rows(stats.x.astype(np.float64), stats.t_x, stats.T, stats.weight)
    return rows, stats


def _arrays(*values: npt.ArrayLike) -> list[Floats]:
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values)))


class _GammaRate:
    """lambda ~ Gamma(r, alpha) across customers."""

    names = ("r", "alpha")

    @staticmethod
    def log_term(theta: Floats, x: Floats, y: Floats) -> tuple[Floats, list[Floats]]:
        """A(y) = log E[lambda^x e^(-lambda y)] and its derivatives in (r, alpha)."""
        r, alpha = theta
        value = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + y)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + y)
        d_alpha = r / alpha - (r + x) / (alpha + y)
        return value, [d_r, d_alpha]

    @staticmethod
    def posterior_mean(params: Mapping[str, float], x: Floats, T: Floats) -> Floats:
        return np.asarray((params["r"] + x) / (params["alpha"] + T), dtype=np.float64)

    @staticmethod
    def draw(
        params: Mapping[str, float], x: Floats, T: Floats, shape: tuple[int, int], rng: Rng
    ) -> Floats:
        """lambda | alive at T ~ Gamma(r + x, alpha + T), ``shape`` = (customers, draws)."""
        return gamma_posterior_draws(params["r"], params["alpha"], x, T, shape, rng)

    @staticmethod
    def start(data: _Rows) -> list[float]:
        return [1.0, max(wsum(data.w, data.T) / float(data.w.sum()), 1e-3)]


class _OneRate:
    """Every customer buys at the same rate lambda (the gamma spread collapsed)."""

    names = ("lambda",)

    @staticmethod
    def log_term(theta: Floats, x: Floats, y: Floats) -> tuple[Floats, list[Floats]]:
        (lam,) = theta
        return x * np.log(lam) - lam * y, [x / lam - y]

    @staticmethod
    def posterior_mean(params: Mapping[str, float], x: Floats, T: Floats) -> Floats:
        return np.full(np.shape(x), params["lambda"])

    @staticmethod
    def draw(
        params: Mapping[str, float], x: Floats, T: Floats, shape: tuple[int, int], rng: Rng
    ) -> Floats:
        return np.full(shape, params["lambda"])

    @staticmethod
    def start(data: _Rows) -> list[float]:
        exposure = wsum(data.w, data.T)
        return [max(wsum(data.w, data.x) / max(exposure, 1e-9), 1e-6)]


Rng = np.random.Generator
_Rate = type[_GammaRate] | type[_OneRate]


class _BetaDropout:
    """p ~ Beta(a, b) across customers: the BG/NBD's own dropout."""

    names = ("a", "b")

    @staticmethod
    def log_survive(theta: Floats, x: Floats) -> tuple[Floats, list[Floats]]:
        """log S0 = log B(a, b+x) / B(a, b) and its derivatives in (a, b)."""
        a, b = theta
        value = gammaln(b + x) - gammaln(a + b + x) + gammaln(a + b) - gammaln(b)
        d_a = digamma(a + b) - digamma(a + b + x)
        d_b = digamma(b + x) - digamma(a + b + x) + digamma(a + b) - digamma(b)
        return value, [d_a, d_b]

    @staticmethod
    def log_odds(theta: Floats, x: Floats) -> tuple[Floats, list[Floats]]:
        """log K = log a - log(b + x - 1), for x >= 1."""
        a, b = theta
        return np.log(a) - np.log(b + x - 1.0), [
            np.full(np.shape(x), 1.0 / a),
            -1.0 / (b + x - 1.0),
        ]

    @staticmethod
    def start(data: _Rows) -> list[float]:
        return [1.0, 1.0]


class _OneDropout:
    """Every customer stops after a purchase with the same probability p.

    Optimised over the odds p / (1 - p), which keeps p inside (0, 1) on the positive scale
    the maximum-likelihood machinery works on; reported as p.
    """

    names = ("p_odds",)

    @staticmethod
    def log_survive(theta: Floats, x: Floats) -> tuple[Floats, list[Floats]]:
        (odds,) = theta
        return -x * np.log1p(odds), [-x / (1.0 + odds)]

    @staticmethod
    def log_odds(theta: Floats, x: Floats) -> tuple[Floats, list[Floats]]:
        (odds,) = theta
        return np.full(np.shape(x), np.log(odds)), [np.full(np.shape(x), 1.0 / odds)]

    @staticmethod
    def start(data: _Rows) -> list[float]:
        return [0.05]


class _NoDropout:
    """Nobody stops buying (p = 0 or mu = 0)."""

    names: tuple[str, ...] = ()


_Dropout = type[_BetaDropout] | type[_OneDropout] | type[_NoDropout]


class LimitModel:
    """A purchase model of the BG/NBD family at one of its edges (see the module docstring).

    Has the interface of the ``bgnbd`` and ``pareto_nbd`` modules (``fit``,
    ``log_likelihood``, ``probability_alive``, ``expected_purchases``, ...), so
    ``purchases.py`` dispatches to it the same way.
    """

    def __init__(self, model: str, label: str, rate: _Rate, dropout: _Dropout) -> None:
        self.MODEL = model
        self.LABEL = label
        self.rate = rate
        self.dropout = dropout
        names = tuple(rate.names) + tuple(dropout.names)
        self._internal = names
        self.PARAMETERS = tuple("p" if n == "p_odds" else n for n in names)

    # ---- likelihood -----------------------------------------------------------------------

    def _split(self, theta: Floats) -> tuple[Floats, Floats]:
        k = len(self.rate.names)
        return theta[:k], theta[k:]

    def _loglik(self, data: _Rows, theta: Floats) -> tuple[float, Floats]:
        rate_theta, drop_theta = self._split(theta)
        a_T, g_T = self.rate.log_term(rate_theta, data.x, data.T)
        total = wsum(data.w, a_T)
        grads = [wsum(data.w, g) for g in g_T]
        if self.dropout is _NoDropout:
            return total, np.array(grads)
        survive, g_survive = self.dropout.log_survive(drop_theta, data.x)  # type: ignore[union-attr]
        total += wsum(data.w, survive)
        drop_grads = [wsum(data.w, g) for g in g_survive]
        rep = data.repeat
        x, w = data.x[rep], data.w[rep]
        a_tx, g_tx = self.rate.log_term(rate_theta, x, data.t_x[rep])
        odds, g_odds = self.dropout.log_odds(drop_theta, x)  # type: ignore[union-attr]
        d = odds + a_tx - a_T[rep]
        total += wsum(w, np.logaddexp(0.0, d))
        share = w * expit(d)
        for i, g in enumerate(g_tx):
            grads[i] += wsum(share, g - g_T[i][rep])
        for i, g in enumerate(g_odds):
            drop_grads[i] += wsum(share, g)
        return total, np.array(grads + drop_grads)

    def _theta(self, params: Mapping[str, float]) -> Floats:
        values = []
        for name in self._internal:
            if name == "p_odds":
                p = float(params["p"])
                values.append(p / (1.0 - p))
            else:
                values.append(float(params[name]))
        return np.array(values)

    def log_likelihood(
        self, params: Mapping[str, float], data: SufficientStatistics | pa.Table
    ) -> float:
        """Total log-likelihood of ``data`` at ``params``."""
        rows, _ = _rows(data)
        return self._loglik(rows, self._theta(params))[0]

    def gradient(
        self, params: Mapping[str, float], data: SufficientStatistics | pa.Table
    ) -> Floats:
        """Analytic gradient of the total log-likelihood in the model's internal parameters
        (the odds p / (1 - p) in place of p)."""
        rows, _ = _rows(data)
        return self._loglik(rows, self._theta(params))[1]

    def fit(
        self, data: SufficientStatistics | pa.Table, *, start: Sequence[float] | None = None
    ) -> FitResult:
        """Fit by maximum likelihood; ``start`` in the reported parameters (p, not odds).

        A fit to the same statistics (the same object) from the same start is the one made
        before: the BG/NBD's check at its edge and ``degenerate.resolve`` both fit the NBD
        from where the BG/NBD stopped, and the fit depends on nothing else.
        """
        key = (self.MODEL, None if start is None else tuple(float(v) for v in start))
        if isinstance(data, SufficientStatistics):
            known = _FITTED.get(data, {}).get(key)
            if known is not None:
                return known
        rows, stats = _rows(data)
        if stats.n_customers == 0:
            raise ValueError(f"cannot fit the {self.LABEL} to no customers")
        if start is None:
            internal = self._default_start(rows)
        else:
            internal = list(self._theta(dict(zip(self.PARAMETERS, start, strict=True))))
        fitted = fit_by_maximum_likelihood(
            self.MODEL,
            self._internal,
            lambda theta: self._loglik(rows, theta),
            internal,
            total_weight=float(rows.w.sum()),
            n_customers=stats.n_customers,
            time_unit=stats.time_unit,
        )
        reported = self._reported(fitted)
        if isinstance(data, SufficientStatistics):
            _FITTED.setdefault(data, {})[key] = reported
        return reported

    def _default_start(self, rows: _Rows) -> list[float]:
        first = self.rate.start(rows)
        rest = [] if self.dropout is _NoDropout else self.dropout.start(rows)  # type: ignore[union-attr]
        return first + rest

    def _reported(self, fitted: FitResult) -> FitResult:
        """The fit with the odds turned back into p (delta method for its error)."""
        if "p_odds" not in self._internal:
            return fitted
        index = self._internal.index("p_odds")
        odds = fitted.params["p_odds"]
        slope = 1.0 / (1.0 + odds) ** 2  # dp / d odds
        jacobian = np.ones(len(self._internal))
        jacobian[index] = slope
        cov = np.asarray(fitted.covariance, dtype=np.float64)
        if cov.size:
            cov = cov * np.outer(jacobian, jacobian)
        params = {("p" if k == "p_odds" else k): v for k, v in fitted.params.items()}
        params["p"] = odds / (1.0 + odds)
        errors = {("p" if k == "p_odds" else k): v for k, v in fitted.std_errors.items()}
        errors["p"] = fitted.std_errors["p_odds"] * slope
        return FitResult(
            model=fitted.model,
            params={name: params[name] for name in self.PARAMETERS},
            std_errors={name: errors[name] for name in self.PARAMETERS},
            log_likelihood=fitted.log_likelihood,
            n_customers=fitted.n_customers,
            converged=fitted.converged,
            iterations=fitted.iterations,
            message=fitted.message,
            time_unit=fitted.time_unit,
            covariance=tuple(tuple(float(v) for v in row) for row in cov),
        )

    # ---- predictions ----------------------------------------------------------------------

    def probability_alive(
        self, params: Mapping[str, float], x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> Floats:
        """P(alive at T | x, t_x, T); exactly 1 without a repeat purchase or without dropout."""
        xs, txs, ts = _arrays(x, t_x, T)
        if self.dropout is _NoDropout:
            return np.ones(xs.shape)
        rate_theta, drop_theta = self._split(self._theta(params))
        a_T = self.rate.log_term(rate_theta, xs, ts)[0]
        a_tx = self.rate.log_term(rate_theta, xs, txs)[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = self.dropout.log_odds(drop_theta, xs)[0]  # type: ignore[union-attr]
        d = np.where(xs > 0, odds + a_tx - a_T, -np.inf)
        return np.asarray(expit(-d), dtype=np.float64)

    def expected_if_alive(
        self, params: Mapping[str, float], x: npt.ArrayLike, T: npt.ArrayLike, t: npt.ArrayLike
    ) -> Floats:
        """E[purchases in (T, T+t] | alive at T, x purchases so far]."""
        xs, ts, horizon = _arrays(x, T, t)
        if self.dropout is _NoDropout:
            return self.rate.posterior_mean(params, xs, ts) * horizon
        if self.dropout is _OneDropout:
            p = params["p"]
            if self.rate is _OneRate:
                return np.asarray(-np.expm1(-params["lambda"] * p * horizon) / p)
            r, alpha = params["r"], params["alpha"]
            return np.asarray(-np.expm1(-(r + xs) * np.log1p(p * horizon / (alpha + ts))) / p)
        return _one_rate_beta_expectation(params["lambda"], params["a"], params["b"], xs, horizon)

    def expected_purchases(
        self,
        params: Mapping[str, float],
        x: npt.ArrayLike,
        t_x: npt.ArrayLike,
        T: npt.ArrayLike,
        t: npt.ArrayLike,
    ) -> Floats:
        """Expected purchases in (T, T+t] given each customer's history."""
        xs, txs, ts, horizon = _arrays(x, t_x, T, t)
        alive = self.probability_alive(params, xs, txs, ts)
        return np.asarray(alive * self.expected_if_alive(params, xs, ts, horizon))

    def expected_purchases_new_customer(
        self, params: Mapping[str, float], t: npt.ArrayLike
    ) -> Floats:
        """E[X(t)]: expected repeat purchases of a new customer in their first t."""
        horizon = np.asarray(t, dtype=np.float64)
        zeros = np.zeros_like(horizon)
        return self.expected_if_alive(params, zeros, zeros, horizon)

    def simulate_purchases(
        self,
        params: Mapping[str, float],
        x: Floats,
        T: Floats,
        alive: npt.NDArray[np.bool_],
        months: int,
        month_length: float,
        rng: Rng,
    ) -> list[npt.NDArray[np.int64]]:
        """Month-by-month purchase counts (customers x draws) from each posterior."""
        shape = alive.shape
        lam = self.rate.draw(params, x, T, shape, rng)
        if self.dropout is _NoDropout:
            return [np.where(alive, rng.poisson(lam * month_length), 0) for _ in range(months)]
        if self.dropout is _OneDropout:
            p = np.full(shape, params["p"])
        else:
            p = rng.beta(params["a"], np.broadcast_to((params["b"] + x)[:, None], shape))
        return bg_counts(lam, p, alive, months, month_length, rng)

    def steady_purchases(
        self,
        params: Mapping[str, float],
        x: Floats,
        T: Floats,
        shape: tuple[int, int],
        horizon: float,
        rng: Rng,
    ) -> npt.NDArray[np.int64] | None:
        """Where nobody stops (NBD, Poisson): each cell's purchases over ``horizon``,
        Poisson(lambda horizon) with lambda from the posterior; None for a model with
        dropout. Given their number, a Poisson process's purchases fall independently and
        uniformly over the horizon: with a uniform month drawn per purchase this is the
        distribution of ``simulate_purchases``'s month-by-month counts, from one draw per
        cell and one per purchase instead of one per cell and month (``forecast.py``)."""
        if self.dropout is not _NoDropout:
            return None
        lam = self.rate.draw(params, x, T, shape, rng)
        return np.asarray(rng.poisson(lam * horizon), dtype=np.int64)

    def age_offset(self, params: Mapping[str, float]) -> float:
        """What the interval's age grid is relative to: alpha + T (or 1 + T for one rate)."""
        return float(params.get("alpha", 1.0))

    def predict(self, fit_result: FitResult, summary: pa.Table, horizon: float) -> pa.Table:
        """Per-customer P(alive) and expected purchases over ``horizon`` as an Arrow table."""
        x, t_x, age = summary_arrays(summary)
        return pa.table(
            {
                "customer_id": summary.column("customer_id"),
                "p_alive": self.probability_alive(fit_result.params, x, t_x, age),
                "expected_purchases": self.expected_purchases(
                    fit_result.params, x, t_x, age, horizon
                ),
            }
        )


def gamma_posterior_draws(
    shape_param: float, rate: float, x: Floats, T: Floats, shape: tuple[int, int], rng: Rng
) -> Floats:
    """Draws of a gamma-mixed rate given x events in T: Gamma(shape + x, rate + T), one row
    per customer (``shape`` = (customers, draws)). The purchase rate's posterior under every
    model with gamma rates."""
    scale = 1.0 / (rate + T)[:, None]
    return rng.gamma(np.broadcast_to((shape_param + x)[:, None], shape), scale)


def bg_counts(
    lam: Floats,
    p: Floats,
    alive: npt.NDArray[np.bool_],
    months: int,
    month_length: float,
    rng: Rng,
) -> list[npt.NDArray[np.int64]]:
    """Monthly purchases of BG customers: Poisson(lambda) while the dropout has not struck.

    The customer stops after K ~ Geometric(p) more purchases. With p near 0 (nearly nobody
    stops) a beta draw can underflow to 0, which geometric() refuses; 1e-12 means "never
    within any horizon" just as well.
    """
    remaining = rng.geometric(np.maximum(p, 1e-12))
    potential = np.zeros(alive.shape, dtype=np.int64)
    counts: list[npt.NDArray[np.int64]] = []
    for _ in range(months):
        before = np.minimum(potential, remaining)
        potential += rng.poisson(lam * month_length)
        counts.append(np.where(alive, np.minimum(potential, remaining) - before, 0))
    return counts


def _one_rate_beta_expectation(lam: float, a: float, b: float, x: Floats, t: Floats) -> Floats:
    """E_p[(1 - e^(-lambda p t)) / p] for p ~ Beta(a, b + x): purchases in t if alive.

    = (a+b+x-1)/(a-1) [1 - 1F1(a-1; a+b+x-1; -lambda t)] (the Beta moment of e^(-c p)/p);
    at a = 1 the quotient is 0/0, so within 1e-4 of it we interpolate between 1 -/+ 1e-4.
    """

    def exact(a_: float) -> Floats:
        c = a_ + b + x - 1.0
        bracket = 1.0 - hyp1f1(a_ - 1.0, c, -lam * t)
        return np.asarray(c / (a_ - 1.0) * bracket, dtype=np.float64)

    if abs(a - 1.0) < _A_NEAR_ONE:
        weight = (a - (1.0 - _A_NEAR_ONE)) / (2 * _A_NEAR_ONE)
        return (1.0 - weight) * exact(1.0 - _A_NEAR_ONE) + weight * exact(1.0 + _A_NEAR_ONE)
    return exact(a)


class ExponentialPoisson(LimitModel):
    """The Pareto/NBD with one purchase rate lambda and one dropout rate mu for everyone."""

    def __init__(self) -> None:
        super().__init__(
            "pareto_nbd_one_rate_one_mu",
            "Pareto/NBD with one purchase rate and one dropout rate",
            _OneRate,
            _NoDropout,
        )
        self._internal = ("lambda", "mu")
        self.PARAMETERS = ("lambda", "mu")

    def _loglik(self, data: _Rows, theta: Floats) -> tuple[float, Floats]:
        lam, mu = (float(v) for v in theta)
        c = lam + mu
        gap = data.T - data.t_x
        first = np.full(gap.shape, np.log(lam))
        second = np.log(mu) + c * gap
        mix = np.logaddexp(first, second)
        w2 = expit(second - first)
        w1 = 1.0 - w2
        w = data.w
        total = wsum(w, data.x) * np.log(lam) - c * wsum(w, data.T) + wsum(w, mix)
        total -= float(w.sum()) * np.log(c)
        d_lam = wsum(w, data.x) / lam - wsum(w, data.T) + wsum(w, w1) / lam + wsum(w, w2 * gap)
        d_mu = -wsum(w, data.T) + wsum(w, w2 * (1.0 / mu + gap))
        d_lam -= float(w.sum()) / c
        d_mu -= float(w.sum()) / c
        return total, np.array([d_lam, d_mu])

    def _theta(self, params: Mapping[str, float]) -> Floats:
        return np.array([float(params["lambda"]), float(params["mu"])])

    def _default_start(self, rows: _Rows) -> list[float]:
        return [*_OneRate.start(rows), 0.01]

    def probability_alive(
        self, params: Mapping[str, float], x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> Floats:
        """(lambda + mu) / (lambda + mu e^((lambda+mu)(T - t_x))): 1 when t_x = T."""
        _, txs, ts = _arrays(x, t_x, T)
        lam, mu = params["lambda"], params["mu"]
        c = lam + mu
        log_total = np.logaddexp(np.log(lam), np.log(mu) + c * (ts - txs))
        return np.asarray(np.minimum(np.exp(np.log(c) - log_total), 1.0), dtype=np.float64)

    def expected_if_alive(
        self, params: Mapping[str, float], x: npt.ArrayLike, T: npt.ArrayLike, t: npt.ArrayLike
    ) -> Floats:
        """lambda (1 - e^(-mu t)) / mu."""
        _, _, horizon = _arrays(x, T, t)
        lam, mu = params["lambda"], params["mu"]
        return np.asarray(lam * -np.expm1(-mu * horizon) / mu, dtype=np.float64)

    def simulate_purchases(
        self,
        params: Mapping[str, float],
        x: Floats,
        T: Floats,
        alive: npt.NDArray[np.bool_],
        months: int,
        month_length: float,
        rng: Rng,
    ) -> list[npt.NDArray[np.int64]]:
        """Poisson(lambda) purchases over an Exponential(mu) remaining lifetime."""
        life = rng.exponential(1.0 / params["mu"], alive.shape)
        return pareto_counts(
            np.full(alive.shape, params["lambda"]), life, alive, months, month_length, rng
        )


def pareto_counts(
    lam: Floats,
    life: Floats,
    alive: npt.NDArray[np.bool_],
    months: int,
    month_length: float,
    rng: Rng,
) -> list[npt.NDArray[np.int64]]:
    """Monthly purchases of Pareto customers: Poisson(lambda) over what is left of ``life``."""
    counts: list[npt.NDArray[np.int64]] = []
    for month in range(months):
        exposure = np.clip(life - month * month_length, 0.0, month_length)
        counts.append(np.where(alive, rng.poisson(lam * exposure), 0))
    return counts


BGNBD_ONE_P = LimitModel(
    "bgnbd_one_p", "BG/NBD with one dropout probability", _GammaRate, _OneDropout
)
BGNBD_ONE_RATE = LimitModel(
    "bgnbd_one_rate", "BG/NBD with one purchase rate", _OneRate, _BetaDropout
)
BGNBD_ONE_RATE_ONE_P = LimitModel(
    "bgnbd_one_rate_one_p",
    "BG/NBD with one purchase rate and one dropout probability",
    _OneRate,
    _OneDropout,
)
NBD = LimitModel("nbd", "NBD (nobody stops buying)", _GammaRate, _NoDropout)
POISSON = LimitModel(
    "poisson", "Poisson (one purchase rate, nobody stops buying)", _OneRate, _NoDropout
)
PARETO_ONE_RATE_ONE_MU = ExponentialPoisson()

LIMIT_MODELS: tuple[LimitModel, ...] = (
    BGNBD_ONE_P,
    BGNBD_ONE_RATE,
    BGNBD_ONE_RATE_ONE_P,
    NBD,
    POISSON,
    PARETO_ONE_RATE_ONE_MU,
)

LIMITS: dict[str, tuple[str, ...]] = {
    "bgnbd": (
        BGNBD_ONE_P.MODEL, BGNBD_ONE_RATE.MODEL, BGNBD_ONE_RATE_ONE_P.MODEL, NBD.MODEL,
        POISSON.MODEL,
    ),
    BGNBD_ONE_P.MODEL: (BGNBD_ONE_RATE_ONE_P.MODEL, NBD.MODEL, POISSON.MODEL),
    BGNBD_ONE_RATE.MODEL: (BGNBD_ONE_RATE_ONE_P.MODEL, POISSON.MODEL),
    BGNBD_ONE_RATE_ONE_P.MODEL: (POISSON.MODEL,),
    NBD.MODEL: (POISSON.MODEL,),
    POISSON.MODEL: (),
    "pareto_nbd": (PARETO_ONE_RATE_ONE_MU.MODEL, NBD.MODEL, POISSON.MODEL),
    PARETO_ONE_RATE_ONE_MU.MODEL: (POISSON.MODEL,),
}  # fmt: skip
"""For each purchase model, the limits it can collapse to (nested: fewer parameters)."""

# Each model as (family, purchase rates, dropout): rates "gamma" or "one"; dropout "beta"
# (BG/NBD), "gamma" (Pareto/NBD), "one" (one p or one mu) or "none". The no-dropout
# models are the same in both families.
_COMPONENTS: dict[str, tuple[str, str, str]] = {
    "bgnbd": ("bg", "gamma", "beta"),
    BGNBD_ONE_P.MODEL: ("bg", "gamma", "one"),
    BGNBD_ONE_RATE.MODEL: ("bg", "one", "beta"),
    BGNBD_ONE_RATE_ONE_P.MODEL: ("bg", "one", "one"),
    "pareto_nbd": ("pareto", "gamma", "gamma"),
    PARETO_ONE_RATE_ONE_MU.MODEL: ("pareto", "one", "one"),
    NBD.MODEL: ("any", "gamma", "none"),
    POISSON.MODEL: ("any", "one", "none"),
}


def limit_for(model: str, *, one_rate: bool, dropout: str | None) -> str | None:
    """The model ``model`` becomes when its rates collapse (``one_rate``) and/or its dropout
    goes to ``dropout`` ("one": one p or mu for everyone; "none": nobody stops; None: as
    is); None when kam has no such model (the Pareto/NBD's mixed limits) or nothing moves.
    """
    family, rate, drop = _COMPONENTS[model]
    rate = "one" if one_rate else rate
    drop = dropout or drop
    if (rate, drop) == _COMPONENTS[model][1:]:
        return None
    for name, (other_family, other_rate, other_drop) in _COMPONENTS.items():
        same_family = family == other_family or "any" in (family, other_family)
        if same_family and (other_rate, other_drop) == (rate, drop):
            return name
    return None
