"""Points per component (0–100, higher is healthier) and the score: their weighted mean
over the components that are present.

Each component's raw value becomes points through a fixed, monotone curve (below), so a
policy only weighs them. A component without data is *missing*: it gets no points, its
weight is left out, and the score is the weighted mean of the others — never a zero
standing in for "unknown". An account with no component present has no score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kam.analytics.health.history import describe
from kam.analytics.health.policy import BY_KEY, COMPONENT_KEYS, HealthPolicy
from kam.analytics.health.signals import PurchaseSignals

RHYTHM_HALF = 2.0
"""An account whose silence is twice its usual gap (or cadence) is at 50 points."""


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def trend_points(recent: float, prior: float) -> float | None:
    """Revenue ratio r = recent / prior as 100·r^1.5 / (1 + r^1.5): flat 50, halved 26,
    doubled 74, nothing since 0. Missing without revenue in the prior window."""
    recent_, prior_ = _finite(recent), _finite(prior)
    if recent_ is None or prior_ is None or prior_ <= 0:
        return None
    ratio = max(recent_, 0.0) / prior_
    power = ratio**1.5
    return 100 * power / (1 + power)


def overdue_points(ratio: float | None) -> float | None:
    """Silence against the usual interval, q = days since / usual days, as
    100 / (1 + (q / 2)^3): on time 89, twice late 50, three times 23."""
    value = _finite(ratio)
    if value is None or value < 0:
        return None
    return 100 / (1 + (value / RHYTHM_HALF) ** 3)


def frequency_points(usual_gap_days: float | None) -> float | None:
    """Orders a year f = 365 / usual gap as 100·f / (f + 4): quarterly 50, monthly 75,
    twice a year 33."""
    gap = _finite(usual_gap_days)
    if gap is None or gap <= 0:
        return None
    per_year = 365 / gap
    return 100 * per_year / (per_year + 4)


def probability_points(p: float | None) -> float | None:
    """A probability (or a 0–1 satisfaction) as 0–100."""
    value = _finite(p)
    return None if value is None else 100 * min(max(value, 0.0), 1.0)


def rating_points(mean_rating: float | None) -> float | None:
    """A mean 1–5 rating as 0–100 (1 → 0, 3 → 50, 5 → 100)."""
    value = _finite(mean_rating)
    return None if value is None else 100 * (min(max(value, 1.0), 5.0) - 1) / 4


def plan_points(age_days: float | None, overdue_actions: float | None) -> float | None:
    """Full marks for a plan touched within 90 days, falling to 0 at a year; 15 points off
    for each overdue action. Missing without a plan."""
    age = _finite(age_days)
    if age is None:
        return None
    freshness = 100 - max(0.0, age - 90) * 100 / 275
    overdue = _finite(overdue_actions) or 0.0
    return max(0.0, min(100.0, freshness) - 15 * overdue)


def count_points(count: float | None) -> float | None:
    """How many bad things (open high risks): 0 → 100, 1 → 50, 3 → 25."""
    value = _finite(count)
    return None if value is None else 100 / (1 + max(value, 0.0))


def coverage_points(flags: float | None) -> float | None:
    """Coverage flags raised, of three (single-threaded, no decision-maker access,
    champion quiet): 0 → 100, each one third off."""
    value = _finite(flags)
    return None if value is None else max(0.0, 100 - 100 * value / 3)


@dataclass(frozen=True)
class ComponentValue:
    """One component of one account: its raw figure, its points (None: missing), and
    what it says in words."""

    key: str
    points: float | None
    raw: float | None
    explanation: str


@dataclass(frozen=True)
class AccountHealth:
    """One account's health: the score (None when no component is present), each
    component, and the share of the policy's weight that was present (1.0 when nothing
    was missing; the score is renormalised over that share)."""

    customer_id: str
    score: float | None
    components: tuple[ComponentValue, ...]
    weight_present: float

    @property
    def missing(self) -> tuple[str, ...]:
        """The keys of the components with no data."""
        return tuple(c.key for c in self.components if c.points is None)

    def points(self, key: str) -> float | None:
        """The points of one component (None when missing)."""
        for component in self.components:
            if component.key == key:
                return component.points
        return None


def _purchase_components(signals: PurchaseSignals, i: int) -> list[ComponentValue]:
    months = signals.trend_months
    recent, prior = float(signals.revenue_recent[i]), float(signals.revenue_prior[i])
    trend = trend_points(recent, prior)
    if trend is None:
        trend_text = f"no revenue in the {months} months before the latest {months}"
        trend_raw = None
    else:
        change = (recent / prior - 1) * 100
        trend_text = (
            f"revenue {change:+.0f}% in the latest {months} months against the {months} before"
        )
        trend_raw = change
    since = float(signals.days_since_last[i])
    gap = float(signals.usual_gap_days[i])
    ratio = since / gap if math.isfinite(gap) and gap > 0 else None
    rhythm_text = (
        f"{since:.0f} days since the last order; it usually orders every {gap:.0f} days"
        if ratio is not None
        else "no account ordered twice: no usual gap to compare with"
    )
    alive = float(signals.p_alive[i])
    alive_ok = math.isfinite(alive)
    alive_text = (
        f"{alive:.0%} likely still buying (lifetime-value model)"
        if alive_ok
        else "no lifetime-value model could be fitted"
    )
    history = _history_component(signals, i)
    return [
        ComponentValue("revenue_trend", trend, trend_raw, trend_text),
        ComponentValue(
            "p_alive", probability_points(alive), alive if alive_ok else None, alive_text
        ),
        ComponentValue("order_rhythm", overdue_points(ratio), ratio, rhythm_text),
        ComponentValue(
            "order_frequency",
            frequency_points(gap),
            365 / gap if ratio is not None else None,
            f"about {365 / gap:.1f} orders a year" if ratio is not None else rhythm_text,
        ),
        history,
    ]


def _history_component(signals: PurchaseSignals, i: int) -> ComponentValue:
    """How often accounts with this account's purchase history ordered again, as points."""
    table, orders = signals.history, signals.orders
    if table is None or orders is None:
        return ComponentValue(
            "purchase_history",
            None,
            None,
            f"no account was buying {signals.trend_months} months before to compare with",
        )
    since = float(signals.days_since_last[i])
    rate = table.rate(float(orders[i]), since)
    if not math.isfinite(rate):
        return ComponentValue("purchase_history", None, None, "no purchase history to compare with")
    return ComponentValue(
        "purchase_history",
        probability_points(rate),
        rate,
        describe(table, float(orders[i]), since),
    )


PURCHASE_KEYS = (
    "revenue_trend",
    "p_alive",
    "order_rhythm",
    "order_frequency",
    "purchase_history",
)

EXTERNAL_POINTS = {
    "engagement": overdue_points,
    "meetings": rating_points,
    "satisfaction": probability_points,
    "risks": count_points,
    "coverage": coverage_points,
}


@dataclass(frozen=True)
class ExternalValue:
    """A component the apps measure (engagement, plans, people): its raw figure(s) and the
    sentence that explains it. ``raw`` follows the component's points function;
    for ``plan`` it is the plan's age in days and ``second`` its overdue actions."""

    raw: float | None
    explanation: str
    second: float | None = None


def external_component(key: str, value: ExternalValue | None) -> ComponentValue:
    """One app-measured component as points (missing when ``value`` is None)."""
    label = BY_KEY[key].label.lower()
    if value is None:
        return ComponentValue(key, None, None, f"no data for {label}")
    if key == "plan":
        points = plan_points(value.raw, value.second)
    else:
        points = EXTERNAL_POINTS[key](value.raw)
    return ComponentValue(key, points, _finite(value.raw), value.explanation)


def combine(
    customer_id: str, components: list[ComponentValue], policy: HealthPolicy
) -> AccountHealth:
    """The weighted mean of the present components' points, renormalised over them."""
    total = sum(policy.weight(key) for key in COMPONENT_KEYS)
    present = [
        (policy.weight(c.key), c.points)
        for c in components
        if c.points is not None and policy.weight(c.key) > 0
    ]
    weight = sum(w for w, _ in present)
    score = sum(w * p for w, p in present) / weight if weight > 0 else None
    ordered = sorted(components, key=lambda c: COMPONENT_KEYS.index(c.key))
    return AccountHealth(customer_id, score, tuple(ordered), weight / total if total else 0.0)


def score_accounts(
    signals: PurchaseSignals | None,
    policy: HealthPolicy,
    external: Mapping[str, Mapping[str, ExternalValue]] | None = None,
    customer_ids: list[str] | None = None,
) -> dict[str, AccountHealth]:
    """{customer id: health} for every account with purchase signals or app-measured
    components (or just ``customer_ids`` when given)."""
    external = external or {}
    index = signals.index() if signals is not None else {}
    ids = customer_ids if customer_ids is not None else sorted(set(index) | set(external))
    results = {}
    for customer_id in ids:
        if signals is not None and customer_id in index:
            components = _purchase_components(signals, index[customer_id])
        else:
            components = [
                ComponentValue(key, None, None, "no purchases in the last 12 months")
                for key in PURCHASE_KEYS
            ]
        measured = external.get(customer_id, {})
        components += [external_component(key, measured.get(key)) for key in EXTERNAL_POINTS]
        components.append(external_component("plan", measured.get("plan")))
        results[customer_id] = combine(customer_id, components, policy)
    return results


def points_matrix(healths: Mapping[str, AccountHealth], customer_ids: list[str]) -> np.ndarray:
    """Points per account (rows, in ``customer_ids`` order) and component (columns, in
    ``COMPONENT_KEYS`` order), NaN where missing: what the fit and the backtest read."""
    matrix = np.full((len(customer_ids), len(COMPONENT_KEYS)), np.nan)
    for row, customer_id in enumerate(customer_ids):
        health = healths.get(customer_id)
        if health is None:
            continue
        for component in health.components:
            if component.points is not None:
                matrix[row, COMPONENT_KEYS.index(component.key)] = component.points
    return matrix
