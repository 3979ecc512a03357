"""How well the health score ranks the accounts that later defected or shrank.

Every account active in the year before the as-of date is scored from data up to that
date only (``signals.purchase_signals``: nothing after it is read). Then what happened in
the following ``horizon`` months is read: an account **defected** when it bought nothing
in the horizon, and **shrank** when its revenue in the horizon fell by more than the
policy's shrink share against the same number of months before the as-of date. Either is
a *bad outcome*.

The measures, each computed for the health score and for two baselines in the same run —
**revenue trend alone** (the trend component's points) and **recency alone** (days since
the last order):

- ROC AUC: the chance that a bad-outcome account is ranked worse than a good one (ties
  count half); 0.5 is a coin.
- precision and lift in the worst decile: the bad-outcome share among the 10% ranked
  worst, and that share over the base rate.
- calibration by band (health score only): bad-outcome rate per 20-point band.
- a paired bootstrap of the health score's AUC less each baseline's: the accounts
  resampled with replacement ``BOOTSTRAP_RESAMPLES`` times (a fixed seed, so the same
  backtest gives the same interval), both AUCs measured on each resample, and the 95%
  interval of the difference — whether a lead over a baseline is more than the luck of
  which accounts there were.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from kam.analytics.account_figures import shift_months
from kam.analytics.clv.future_value import stored_purchase_days
from kam.analytics.health.policy import COMPONENT_KEYS, HealthPolicy
from kam.analytics.health.score import AccountHealth, ExternalValue, points_matrix, score_accounts
from kam.analytics.health.signals import PurchaseSignals, purchase_signals

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

SCORERS = ("health", "revenue_trend", "recency")
BANDS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 100))
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 19_970_930
NEUTRAL_POINTS = 50.0
"""Where an account without the baseline's figure (no prior revenue) is ranked: the middle."""


class BacktestUnavailable(ValueError):
    """A backtest that cannot run (no accounts, or no outcomes of one kind), in words."""


def roc_auc(risk: Floats, bad: Bools) -> float:
    """The Mann–Whitney ROC AUC of ``risk`` for ``bad`` (ties count half); NaN when either
    class is empty."""
    positives = int(bad.sum())
    negatives = len(bad) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = rankdata(risk)
    return float((ranks[bad].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def worst_decile(risk: Floats, bad: Bools) -> tuple[float, float]:
    """(precision, lift) among the 10% ranked worst (at least one account). Accounts tied
    at the cut are taken in the order given, so the figure does not depend on luck of sort."""
    if len(bad) == 0:
        return math.nan, math.nan
    count = max(1, math.ceil(len(bad) / 10))
    worst = np.argsort(-risk, kind="stable")[:count]
    precision = float(bad[worst].mean())
    base = float(bad.mean())
    return precision, (precision / base if base > 0 else math.nan)


@dataclass(frozen=True)
class ScorerMetrics:
    """One scorer's measures in a backtest."""

    name: str
    auc: float
    precision_worst_decile: float
    lift_worst_decile: float


@dataclass(frozen=True)
class PairedDifference:
    """The AUC of the health score less a baseline's on the accounts of the backtest, and
    the 95% interval of that difference over bootstrap resamples of the accounts."""

    baseline: str
    difference: float
    low: float
    high: float
    resamples: int


def paired_bootstrap(
    risk: Floats,
    baseline_risk: Floats,
    bad: Bools,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float, float]:
    """(AUC of ``risk`` − AUC of ``baseline_risk``, 2.5th and 97.5th percentiles of that
    difference over ``resamples`` resamples of the accounts with replacement). A resample
    with one outcome only has no AUC and is drawn again; NaN when there is no AUC at all."""
    difference = roc_auc(risk, bad) - roc_auc(baseline_risk, bad)
    if not math.isfinite(difference) or resamples < 1:
        return difference, math.nan, math.nan
    draw = np.random.default_rng(seed)
    differences: list[float] = []
    attempts = 0
    while len(differences) < resamples and attempts < 10 * resamples:
        attempts += 1
        chosen = draw.integers(0, len(bad), len(bad))
        one = roc_auc(risk[chosen], bad[chosen]) - roc_auc(baseline_risk[chosen], bad[chosen])
        if math.isfinite(one):
            differences.append(one)
    if not differences:
        return difference, math.nan, math.nan
    low, high = np.percentile(differences, [2.5, 97.5])
    return difference, float(low), float(high)


@dataclass(frozen=True)
class Band:
    """Accounts whose health fell in [low, high) (the top band includes 100), and how many
    of them had a bad outcome."""

    low: int
    high: int
    accounts: int
    bad: int

    @property
    def bad_rate(self) -> float | None:
        """The bad-outcome share of the band (None when it is empty)."""
        return self.bad / self.accounts if self.accounts else None


@dataclass(frozen=True)
class BacktestResult:
    """A backtest's figures: the accounts scored, the outcomes, each scorer's measures."""

    as_of: dt.date
    horizon_months: int
    policy_version: int
    trend_months: int
    alive_model: str
    accounts: int
    defected: int
    shrank: int
    bad: int
    scorers: tuple[ScorerMetrics, ...]
    bands: tuple[Band, ...]
    missing: Mapping[str, int]
    """Accounts missing each component (a component no account had is missing for all)."""
    bootstrap: tuple[PairedDifference, ...] = ()
    """The health score's AUC less each baseline's, with its paired-bootstrap interval."""

    @property
    def base_rate(self) -> float:
        """The share of accounts with a bad outcome."""
        return self.bad / self.accounts if self.accounts else math.nan

    def metrics(self, name: str) -> ScorerMetrics:
        """One scorer's measures by name (health, revenue_trend, recency)."""
        return next(s for s in self.scorers if s.name == name)

    def as_dict(self) -> dict[str, Any]:
        """The figures as plain data (``--json`` and the page)."""
        return {
            "as_of": self.as_of.isoformat(),
            "horizon_months": self.horizon_months,
            "policy_version": self.policy_version,
            "trend_months": self.trend_months,
            "alive_model": self.alive_model,
            "accounts": self.accounts,
            "defected": self.defected,
            "shrank": self.shrank,
            "bad": self.bad,
            "base_rate": self.base_rate,
            "auc": {s.name: s.auc for s in self.scorers},
            "precision_worst_decile": {s.name: s.precision_worst_decile for s in self.scorers},
            "lift_worst_decile": {s.name: s.lift_worst_decile for s in self.scorers},
            "calibration": [
                {
                    "band": f"{b.low}–{b.high}",
                    "accounts": b.accounts,
                    "bad": b.bad,
                    "bad_rate": b.bad_rate,
                }
                for b in self.bands
            ],
            "missing": dict(self.missing),
            "paired_bootstrap": {
                f"health_minus_{d.baseline}": {
                    "difference": d.difference,
                    "low": d.low,
                    "high": d.high,
                    "resamples": d.resamples,
                }
                for d in self.bootstrap
            },
        }


@dataclass(frozen=True)
class Outcomes:
    """What happened in the horizon to each account (in the order asked)."""

    defected: Bools
    shrank: Bools

    @property
    def bad(self) -> Bools:
        """Defected or shrank."""
        return self.defected | self.shrank


def outcomes(
    con: Any,
    customer_ids: tuple[str, ...],
    as_of: dt.date,
    horizon_months: int,
    shrink_share: float,
) -> Outcomes:
    """Each account's fate in (as_of, as_of + horizon]: defected (no purchase) or shrank
    (revenue down more than ``shrink_share`` against the same months before as_of)."""
    days = stored_purchase_days(con)
    start = shift_months(as_of, -horizon_months)
    end = shift_months(as_of, horizon_months)
    revenue = days.revenue.fill_null(0)
    window = days.filter((days.date > ibis.literal(start)) & (days.date <= ibis.literal(end)))
    after = window.date > ibis.literal(as_of)
    table = (
        window.group_by("customer_id")
        .aggregate(
            before=ibis.ifelse(after, 0, revenue).sum(),
            after=ibis.ifelse(after, revenue, 0).sum(),
            bought=ibis.ifelse(after, 1, 0).sum(),
        )
        .to_pyarrow()
    )
    found = {row["customer_id"]: row for row in table.to_pylist()}
    defected = np.zeros(len(customer_ids), dtype=bool)
    shrank = np.zeros(len(customer_ids), dtype=bool)
    for i, customer_id in enumerate(customer_ids):
        row = found.get(customer_id)
        if row is None or not row["bought"]:
            defected[i] = True
            continue
        before, after_ = float(row["before"] or 0), float(row["after"] or 0)
        shrank[i] = before > 0 and after_ < (1 - shrink_share) * before
    return Outcomes(defected, shrank)


@dataclass(frozen=True)
class BacktestFrame:
    """The scored accounts of a backtest, their points per component, and their outcomes."""

    signals: PurchaseSignals
    customer_ids: tuple[str, ...]
    healths: Mapping[str, AccountHealth]
    points: Floats
    outcomes: Outcomes


def backtest_frame(
    con: Any,
    as_of: dt.date,
    horizon_months: int,
    policy: HealthPolicy,
    external: Mapping[str, Mapping[str, ExternalValue]] | None = None,
) -> BacktestFrame:
    """Score every account active before ``as_of`` from data up to it, then read its fate."""
    if horizon_months < 1:
        raise BacktestUnavailable("the horizon must be at least one month")
    signals = purchase_signals(con, as_of)
    if signals is None or not signals.customer_ids:
        raise BacktestUnavailable(f"no account bought anything in the year up to {as_of}")
    ids = signals.customer_ids
    healths = score_accounts(signals, policy, external, list(ids))
    return BacktestFrame(
        signals,
        ids,
        healths,
        points_matrix(healths, list(ids)),
        outcomes(con, ids, as_of, horizon_months, policy.shrink_share),
    )


def health_values(frame: BacktestFrame, policy: HealthPolicy) -> Floats:
    """The health score of each account of a frame under ``policy`` (NaN: no component)."""
    weights = np.array([policy.weight(key) for key in COMPONENT_KEYS])
    present = np.isfinite(frame.points) & (weights > 0)
    filled = np.where(present, frame.points, 0.0)
    total = (present * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (filled * weights).sum(axis=1) / total, np.nan)


def measure(frame: BacktestFrame, policy: HealthPolicy, horizon_months: int) -> BacktestResult:
    """The backtest's figures for ``policy`` on a frame (the frame's points are the
    policy-free part, so two policies are compared on the very same accounts)."""
    bad = frame.outcomes.bad
    if bad.all() or not bad.any():
        raise BacktestUnavailable(
            "every account had the same outcome; an AUC needs both good and bad outcomes"
        )
    health = health_values(frame, policy)
    trend = frame.points[:, COMPONENT_KEYS.index("revenue_trend")]
    risks = {
        "health": 100 - np.where(np.isfinite(health), health, NEUTRAL_POINTS),
        "revenue_trend": 100 - np.where(np.isfinite(trend), trend, NEUTRAL_POINTS),
        "recency": frame.signals.days_since_last,
    }
    scorers = []
    for name in SCORERS:
        precision, lift = worst_decile(risks[name], bad)
        scorers.append(ScorerMetrics(name, roc_auc(risks[name], bad), precision, lift))
    bootstrap = []
    for baseline in SCORERS[1:]:
        difference, low_, high_ = paired_bootstrap(risks["health"], risks[baseline], bad)
        bootstrap.append(PairedDifference(baseline, difference, low_, high_, BOOTSTRAP_RESAMPLES))
    bands = []
    for low, high in BANDS:
        inside = (health >= low) & ((health < high) | (high == 100))
        bands.append(Band(low, high, int(inside.sum()), int((inside & bad).sum())))
    missing = {
        key: int((~np.isfinite(frame.points[:, i])).sum()) for i, key in enumerate(COMPONENT_KEYS)
    }
    return BacktestResult(
        as_of=frame.signals.as_of,
        horizon_months=horizon_months,
        policy_version=policy.version,
        trend_months=frame.signals.trend_months,
        alive_model=frame.signals.alive_model,
        accounts=len(bad),
        defected=int(frame.outcomes.defected.sum()),
        shrank=int((frame.outcomes.shrank & ~frame.outcomes.defected).sum()),
        bad=int(bad.sum()),
        scorers=tuple(scorers),
        bands=tuple(bands),
        missing=missing,
        bootstrap=tuple(bootstrap),
    )


def run_backtest(
    con: Any,
    as_of: dt.date,
    horizon_months: int,
    policy: HealthPolicy,
    external: Mapping[str, Mapping[str, ExternalValue]] | None = None,
) -> BacktestResult:
    """Score as of ``as_of`` with ``policy`` and measure against the next ``horizon_months``."""
    return measure(
        backtest_frame(con, as_of, horizon_months, policy, external), policy, horizon_months
    )
