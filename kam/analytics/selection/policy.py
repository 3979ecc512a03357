"""The selection policy: the scoring matrix that says how key accounts are chosen.

A policy is a list of criteria, each feeding one of the two dimensions of McDonald's matrix
(seed 004): account attractiveness or relationship strength. A criterion is either measured
(a feature computed from the transaction lines) or rated by people on a 1–5 scale (seeds
000–002). Each maps its raw value to points 1.0–5.0 through a scale; a dimension's score is
the weighted mean of the points of the criteria present, and the total is the weighted mean
over all present criteria. Tiers (seed 002) read two summaries of the points — current
revenue and growth potential — and the quadrant reads the two dimension scores.

Policies are plain frozen data so the Django app can version them and the TOML text
(``kam.analytics.selection.policy_toml``) can carry them between installations.
"""

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise


class PolicyError(ValueError):
    """A policy is inconsistent or its TOML text cannot be read; the message names the bad key."""


class Dimension(StrEnum):
    """The axis of McDonald's matrix a criterion feeds."""

    ATTRACTIVENESS = "attractiveness"  # account attractiveness: size, growth, margin, fit
    RELATIONSHIP = "relationship"  # relationship strength / supplier position


class CriterionSource(StrEnum):
    """Whether a criterion is computed from data or rated by people."""

    MEASURED = "measured"
    RATED = "rated"


class ScaleKind(StrEnum):
    """How a raw value becomes points between 1 and 5."""

    LINEAR = "linear"  # bounds (low, high): low → 1, high → 5, clipped outside
    THRESHOLDS = "thresholds"  # bounds: 4 ascending cut points; below the first → 1 … ≥ last → 5
    PERCENTILE = "percentile"  # no bounds: rank within the portfolio, lowest → 1, highest → 5
    # no bounds: the account's place on the Pareto curve — 5 minus 4 × the share of the
    # portfolio's total held by larger accounts; the largest → 5, zero or less → 1.
    PARETO = "pareto"


class Tier(StrEnum):
    """The tiers of seed 002, by current revenue × growth potential, plus the two non-tiers."""

    TIER_1 = "tier_1"  # very high current revenue, very high potential
    TIER_2 = "tier_2"  # high / high
    TIER_3 = "tier_3"  # medium / medium to high
    HIGH_POTENTIAL = "high_potential"  # small today, big potential: a separate track
    NOT_KEY = "not_key"


class Quadrant(StrEnum):
    """McDonald's four types of key account (seed 004): attractiveness × relationship strength."""

    STRATEGIC = "strategic"  # high attractiveness, strong relationship
    STATUS = "status"  # lower attractiveness, strong relationship
    STAR = "star"  # high attractiveness, weaker relationship
    STREAMLINE = "streamline"  # lower attractiveness, weaker relationship


MIN_POINTS = 1.0
MAX_POINTS = 5.0
RATING_KEYS: tuple[str, ...] = (
    "harmony_fit",
    "strategic_importance",
    "influence",
    "relationship_position",
    "decision_maker_access",
    "willingness_to_collaborate",
)
"""The criteria people rate 1–5 per account in the default policy (seeds 000, 001, 002)."""

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Scale:
    """How a raw value maps to points 1.0–5.0; see ScaleKind for what ``bounds`` mean."""

    kind: ScaleKind
    bounds: tuple[float, ...] = ()

    def check(self, where: str) -> None:
        """Raise PolicyError (naming ``where``) unless the bounds fit the kind."""
        bounds = self.bounds
        if not all(isinstance(b, int | float) and math.isfinite(b) for b in bounds):
            raise PolicyError(f"{where}.bounds: every bound must be a finite number")
        if self.kind is ScaleKind.LINEAR and not (len(bounds) == 2 and bounds[0] < bounds[1]):
            raise PolicyError(f"{where}.bounds: a linear scale needs (low, high) with low < high")
        if self.kind is ScaleKind.THRESHOLDS and not (
            len(bounds) == 4 and all(a < b for a, b in pairwise(bounds))
        ):
            raise PolicyError(f"{where}.bounds: a thresholds scale needs 4 ascending cut points")
        if self.kind in (ScaleKind.PERCENTILE, ScaleKind.PARETO) and bounds:
            raise PolicyError(f"{where}.bounds: a {self.kind.value} scale takes no bounds")

    def points(self, value: float | None) -> float | None:
        """The points for one raw value (None stays None); percentile needs the portfolio.

        This is the reference the engine's expressions in scoring.py are tested against.
        """
        if value is None:
            return None
        if self.kind is ScaleKind.LINEAR:
            low, high = self.bounds
            share = min(max((value - low) / (high - low), 0.0), 1.0)
            return MIN_POINTS + (MAX_POINTS - MIN_POINTS) * share
        if self.kind is ScaleKind.THRESHOLDS:
            return MIN_POINTS + sum(1.0 for cut in self.bounds if value >= cut)
        raise PolicyError(
            f"a {self.kind.value} scale ranks within the portfolio; score it in the engine"
        )


RATING_SCALE = Scale(ScaleKind.LINEAR, (1.0, 5.0))
"""A 1–5 rating is its own points."""


@dataclass(frozen=True)
class Criterion:
    """One row of the scoring matrix: what is judged, from where, on which axis, how much."""

    key: str
    label: str
    source: CriterionSource
    dimension: Dimension
    weight: float
    scale: Scale
    feature: str | None = None  # the feature column a measured criterion reads
    description: str = ""
    optional: bool = False  # its feature may be absent (e.g. predicted_clv before CLV runs)


@dataclass(frozen=True)
class TierRule:
    """A key account is in ``tier`` when both its places reach these minima (inclusive).

    The places are points 1–5 among the key accounts: 5 the largest key account by revenue
    (or the highest potential), 1 the smallest, 3 the median — tiers are very high, high
    and medium within the key set (seed 002), whatever its size. Rules are tried in
    policy order; a key account meeting none is Tier 3 — it earned its place by
    attractiveness even if its revenue or potential is medium among the key accounts.
    """

    tier: Tier
    min_revenue_points: float
    min_potential_points: float


@dataclass(frozen=True)
class HighPotentialRule:
    """A non-key account is on the high-potential track when it grows fast toward a big future.

    Candidates: not key, revenue points strictly below ``max_revenue_points``, potential
    points at least ``min_potential_points`` and a trend (the growth criterion's raw value,
    a share a year) of at least ``min_growth``. Of those, the ``max_share`` of customers
    with revenue with the largest predicted future value (then revenue) stay on the track:
    the fastest growers with the most to win, a short list a manager can work.
    """

    max_revenue_points: float = 5.0
    min_potential_points: float = 1.0
    max_share: float = 0.03
    min_growth: float = 0.25


DEFAULT_TIER_RULES: tuple[TierRule, ...] = (
    # Places among the key accounts: 3.8 = the top 30% by revenue, 3.0 = the upper half by
    # potential (very high / very high); 2.6 and 2.2 = the upper 60% and 70% (high / high).
    TierRule(Tier.TIER_1, 3.8, 3.0),
    TierRule(Tier.TIER_2, 2.6, 2.2),
)


@dataclass(frozen=True)
class SelectionPolicy:
    """A versioned scoring matrix with its classification rules (see the module docstring)."""

    name: str
    version: int
    criteria: tuple[Criterion, ...]
    key_account_share: float = 0.15
    # None: each axis is cut at the key accounts' mean — McDonald's types are relative
    # positions within the key-account portfolio; a number fixes the cut in points.
    quadrant_cut: float | None = None
    tier_rules: tuple[TierRule, ...] = DEFAULT_TIER_RULES
    high_potential_rule: HighPotentialRule = field(default_factory=HighPotentialRule)
    as_of_months: int = 12
    revenue_criterion: str = "revenue_12m"
    potential_criteria: tuple[str, ...] = ("growth", "future_value", "strategic_importance")
    # The criteria whose raw values the high-potential track and the declining flag read
    # (either may be absent from the policy: see check_policy).
    growth_criterion: str = "growth"
    future_value_criterion: str = "future_value"
    # An account whose trend is below this (a share a year: -0.15 = -15%) is flagged declining.
    declining_trend: float = -0.15
    # Hysteresis between cycles, as shares of the key-set size N: a key account stays key
    # while it ranks within N × (1 + keep_band); a newcomer enters only when it ranks within
    # N × (1 - entry_band). A proposal removing more than max_churn of the key accounts is
    # flagged on the cycle.
    keep_band: float = 0.5
    entry_band: float = 0.1
    max_churn: float = 0.2

    def __post_init__(self) -> None:
        check_policy(self)

    def criterion(self, key: str) -> Criterion:
        """The criterion named ``key``; KeyError if the policy has none."""
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        raise KeyError(key)

    def in_dimension(self, dimension: Dimension) -> tuple[Criterion, ...]:
        """The criteria feeding ``dimension``, in policy order."""
        return tuple(c for c in self.criteria if c.dimension is dimension)


def check_policy(policy: SelectionPolicy) -> None:
    """Raise PolicyError naming the first inconsistent key of ``policy``."""
    if not policy.name.strip():
        raise PolicyError("name: a policy needs a name")
    if policy.version < 1:
        raise PolicyError("version: must be 1 or more")
    if not policy.criteria:
        raise PolicyError("criteria: a policy needs at least one criterion")
    if not 0 < policy.key_account_share <= 1:
        raise PolicyError("key_account_share: must be above 0 and at most 1 (0.15 = top 15%)")
    if policy.quadrant_cut is not None and not MIN_POINTS <= policy.quadrant_cut <= MAX_POINTS:
        raise PolicyError("quadrant_cut: must be between 1 and 5 points")
    if not 0 < policy.high_potential_rule.max_share <= 1:
        raise PolicyError("high_potential.max_share: must be above 0 and at most 1")
    for name in ("keep_band", "entry_band", "max_churn"):
        value = getattr(policy, name)
        if not (math.isfinite(value) and 0 <= value <= (10 if name == "keep_band" else 1)):
            limit = "10" if name == "keep_band" else "1"
            raise PolicyError(f"{name}: must be a number from 0 to {limit}")
    if not (math.isfinite(policy.declining_trend) and -1 <= policy.declining_trend <= 0):
        raise PolicyError("declining_trend: must be between -1 and 0 (-0.15 = -15% a year)")
    if not math.isfinite(policy.high_potential_rule.min_growth):
        raise PolicyError("high_potential.min_growth: must be a number (0.25 = +25% a year)")
    if not 1 <= policy.as_of_months <= 120:
        raise PolicyError("as_of_months: must be between 1 and 120")
    seen: set[str] = set()
    for index, criterion in enumerate(policy.criteria):
        where = f"criteria[{index}]"
        if not _KEY.match(criterion.key):
            raise PolicyError(
                f"{where}.key: {criterion.key!r} must be lower-case letters, digits and _"
            )
        where = f"criteria[{index}] ({criterion.key})"
        if criterion.key in seen:
            raise PolicyError(f"{where}.key: used twice")
        seen.add(criterion.key)
        if not (math.isfinite(criterion.weight) and criterion.weight >= 0):
            raise PolicyError(f"{where}.weight: must be a number of 0 or more")
        criterion.scale.check(f"{where}.scale")
        if criterion.source is CriterionSource.MEASURED and not criterion.feature:
            raise PolicyError(f"{where}.feature: a measured criterion names its feature column")
        if criterion.source is CriterionSource.RATED and criterion.feature:
            raise PolicyError(f"{where}.feature: a rated criterion reads ratings, not a feature")
    if sum(c.weight for c in policy.criteria) <= 0:
        raise PolicyError("criteria: at least one weight must be above 0")
    if policy.revenue_criterion not in seen:
        raise PolicyError(f"revenue_criterion: {policy.revenue_criterion!r} is not a criterion")
    for key in policy.potential_criteria:
        if key not in seen:
            raise PolicyError(f"potential_criteria: {key!r} is not a criterion")
    # growth_criterion and future_value_criterion may name no criterion: the track then
    # asks no trend, ranks by potential, and no account is flagged declining.
    tiers = [rule.tier for rule in policy.tier_rules]
    for index, rule in enumerate(policy.tier_rules):
        if rule.tier not in (Tier.TIER_1, Tier.TIER_2, Tier.TIER_3):
            raise PolicyError(f"tiers[{index}].tier: only tier_1, tier_2 and tier_3 have rules")
    if len(set(tiers)) != len(tiers):
        raise PolicyError("tiers: each tier has at most one rule")


def _measured(
    key: str, label: str, dimension: Dimension, weight: float, scale: Scale, feature: str, why: str
) -> Criterion:
    return Criterion(key, label, CriterionSource.MEASURED, dimension, weight, scale, feature, why)


def _rated(key: str, label: str, dimension: Dimension, weight: float, why: str) -> Criterion:
    return Criterion(key, label, CriterionSource.RATED, dimension, weight, RATING_SCALE, None, why)


def default_policy() -> SelectionPolicy:
    """The policy kam ships, built from the seeds' selection criteria.

    Attractiveness: current revenue (seed 002 "revenue"), growth trend and future value
    (seed 000 "what makes a key account is its future value"), margin (seed 002
    "profitability"), strategic importance, influence, harmony / fit (seeds 000, 002).
    Relationship strength: relationship and position (seed 001 "position"), access to
    decision makers and willingness to collaborate (seed 001 "attractiveness" questions),
    tenure and order frequency (seed 002 "strength and tenure of the relationship").
    """
    a, r = Dimension.ATTRACTIVENESS, Dimension.RELATIONSHIP
    pareto = Scale(ScaleKind.PARETO)
    # Weights and why: docs/selection.md, "The default weights". Attractiveness decides who
    # is key; relationship strength only places a key account in the four-box.
    criteria = (
        _measured(
            "revenue_12m", "Revenue, last 12 months", a, 30, pareto, "revenue_12m",
            "Current revenue, by its place on the Pareto curve: the largest account 5 "
            "points, the account where 50% of revenue is reached 3 (seed 002).",
        ),
        _measured(
            "growth", "Growth trend", a, 10, Scale(ScaleKind.LINEAR, (-0.4, 0.2)), "growth_slope",
            "Robust revenue trend per year over 24 months: -40% → 1 point, flat → 3.7, "
            "+20% → 5 (seed 001). A B2B account that holds its revenue is doing well.",
        ),
        _measured(
            "margin", "Gross margin %", a, 10, Scale(ScaleKind.LINEAR, (-10, 40)),
            "margin_pct", "Profitability of the last 12 months: -10% → 1 point, 0% → 1.8, "
            "20% → 3.4, 40% → 5; a loss scores below a thin margin (seed 002).",
        ),
        Criterion(
            "future_value", "Predicted future value", CriterionSource.MEASURED, a, 35, pareto,
            "predicted_clv", "Customer lifetime value over the plan horizon, by its place on "
            "the Pareto curve (seed 000: what makes a key account is its future value); "
            "missing until the lifetime-value models have run.", optional=True,
        ),
        _rated("strategic_importance", "Strategic importance", a, 7,
               "Fit with the ideal customer profile and long-term strategy (seed 002)."),
        _rated("influence", "Influence", a, 4,
               "Reference value, new markets, reputation (seed 002)."),
        _rated("harmony_fit", "Harmony / fit", a, 4,
               "A good fit for our solution; we meet their needs better than others (seed 000)."),
        _rated("relationship_position", "Relationship and position", r, 25,
               "Our position in the customer's mind against competitors (seed 001)."),
        _rated("decision_maker_access", "Access to decision makers", r, 20,
               "How much access we have to decision makers and influencers (seed 001)."),
        _rated("willingness_to_collaborate", "Willingness to collaborate", r, 20,
               "Their willingness to work jointly with us (seed 001)."),
        _measured(
            "tenure", "Tenure", r, 15, Scale(ScaleKind.THRESHOLDS, (365, 730, 1095, 1825)),
            "tenure_days", "Years since the first order: <1, 1, 2, 3, 5+ (seed 002).",
        ),
        _measured(
            "order_frequency", "Order frequency", r, 20,
            Scale(ScaleKind.THRESHOLDS, (1.5, 3, 9, 20)), "order_frequency",
            "Orders a year since the first order: under 1.5 → 1 point, twice a year → 2, "
            "quarterly → 3, about monthly → 4, fortnightly or more → 5.",
        ),
    )  # fmt: skip
    return SelectionPolicy(name="kam default (seeds 000–004)", version=1, criteria=criteria)


__all__ = [
    "MAX_POINTS",
    "MIN_POINTS",
    "RATING_KEYS",
    "RATING_SCALE",
    "Criterion",
    "CriterionSource",
    "Dimension",
    "HighPotentialRule",
    "PolicyError",
    "Quadrant",
    "Scale",
    "ScaleKind",
    "SelectionPolicy",
    "Tier",
    "TierRule",
    "check_policy",
    "default_policy",
]
