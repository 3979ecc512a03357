"""The health policy: which components make the score, and how much each weighs.

A policy is versioned like the selection policy: the health app keeps each version with
who made it and why, and a scoring run records the version it used. Weights are relative
(they need not add up to 100); a component with no data for an account is left out and
the others' weights are renormalised over what is present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Component:
    """One component of the health score: its key, its name, and what it measures."""

    key: str
    label: str
    description: str
    transactional: bool
    """Measured from the store's purchases (so a backtest can rebuild it as of any date)."""


COMPONENTS: tuple[Component, ...] = (
    Component(
        "revenue_trend",
        "Revenue trend",
        "revenue in the latest window against the window before",
        True,
    ),
    Component(
        "p_alive",
        "P(alive)",
        "the lifetime-value model's probability that the account still buys",
        True,
    ),
    Component(
        "order_rhythm",
        "Order rhythm",
        "days since the last order against the account's own usual gap between orders",
        True,
    ),
    Component(
        "order_frequency",
        "Order frequency",
        "how often the account orders: a buying relationship of a few orders a year is thin",
        True,
    ),
    Component(
        "purchase_history",
        "Purchase history",
        "how often accounts that had ordered as often and been silent as long ordered again",
        True,
    ),
    Component(
        "engagement",
        "Engagement recency",
        "days since the last meeting held against the account's cadence",
        False,
    ),
    Component("meetings", "Meeting ratings", "mean rating of the last year's meetings", False),
    Component(
        "plan",
        "Plan freshness",
        "days since the account plan was last updated or reviewed, and its overdue actions",
        False,
    ),
    Component(
        "satisfaction", "Satisfaction", "the latest NPS or CSAT answers of the account", False
    ),
    Component("risks", "Open high risks", "open risks of the plan rated high", False),
    Component(
        "coverage",
        "Relationship coverage",
        "single-threaded, no decision-maker access, champion gone quiet",
        False,
    ),
)
COMPONENT_KEYS: tuple[str, ...] = tuple(c.key for c in COMPONENTS)
BY_KEY: dict[str, Component] = {c.key: c for c in COMPONENTS}


class PolicyError(ValueError):
    """A health policy that cannot be used, with the reason in words."""


@dataclass(frozen=True)
class HealthPolicy:
    """A version of the health policy.

    ``weights`` per component key (non-negative, at least one positive); ``shrink_share``
    is the revenue drop (0–1) over the horizon that counts as *shrank* in a backtest.
    """

    weights: Mapping[str, float]
    shrink_share: float = 0.5
    version: int = 0
    note: str = ""
    fitted: Mapping[str, float] = field(default_factory=dict)
    """For a learned policy: the fit's figures (validation AUC, penalty, sample sizes)."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(COMPONENT_KEYS))
        if unknown:
            raise PolicyError(f"unknown health component(s): {', '.join(unknown)}")
        for key, weight in self.weights.items():
            if not math.isfinite(weight) or weight < 0:
                raise PolicyError(f"the weight of {key} must be a number ≥ 0, not {weight!r}")
        if not any(weight > 0 for weight in self.weights.values()):
            raise PolicyError("at least one component needs a weight above 0")
        if not 0 < self.shrink_share < 1:
            raise PolicyError(f"shrink share must be between 0 and 1, not {self.shrink_share!r}")

    def weight(self, key: str) -> float:
        """The component's weight (0 when the policy leaves it out)."""
        return float(self.weights.get(key, 0.0))

    def as_dict(self) -> dict[str, object]:
        """The policy as plain data (what the health app stores and the API shows)."""
        return {
            "weights": {key: self.weight(key) for key in COMPONENT_KEYS},
            "shrink_share": self.shrink_share,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, object], *, version: int = 0, note: str = ""
    ) -> HealthPolicy:
        """A policy from ``as_dict``'s plain data."""
        weights = data.get("weights")
        if not isinstance(weights, Mapping):
            raise PolicyError("a health policy needs its weights")
        share = data.get("shrink_share", 0.5)
        if not isinstance(share, int | float):
            raise PolicyError("shrink_share must be a number")
        try:
            parsed = {str(key): float(value) for key, value in weights.items()}
        except (TypeError, ValueError) as error:
            raise PolicyError(f"a weight is not a number: {error}") from None
        return cls(parsed, float(share), version, note)


DEFAULT_POLICY = HealthPolicy(
    weights={
        "revenue_trend": 15,
        "p_alive": 25,
        "order_rhythm": 20,
        "order_frequency": 10,
        "purchase_history": 0,
        "engagement": 10,
        "meetings": 5,
        "plan": 5,
        "satisfaction": 10,
        "risks": 5,
        "coverage": 5,
    },
    version=1,
    note="Hand-set default (docs/health.md).",
)
"""The hand-set first version: purchase behaviour (trend, P(alive), rhythm, frequency) 70,
the relationship as people see it 40 (docs/health.md says why). Purchase history came
later and has no hand-set weight: a learned policy (``kam health fit``, accepted by the
Head of KAM) gives it one."""
