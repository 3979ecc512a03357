"""Alerts a manager acts on, read from an account's latest health score.

Each rule looks at one component of the score and, when it fires, says why in one
sentence and where to act. An alert is not stored: it is what the latest scoring run
says, so it clears itself when its cause goes (the next run no longer finds it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

REVENUE_FALL_PCT = -25.0
RHYTHM_BROKEN = 2.0
DEFECTION_RISK = 0.5
PLAN_STALE_DAYS = 180


@dataclass(frozen=True)
class Alert:
    """One alert on one account: which rule, why in a sentence, and where to act."""

    rule: str
    label: str
    why: str
    url: str


def _by_key(components: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {c["key"]: c for c in components}


def _raw(found: Mapping[str, Mapping[str, Any]], key: str) -> float | None:
    value = found.get(key, {}).get("raw")
    return float(value) if isinstance(value, int | float) else None


Rule = Callable[[dict[str, Mapping[str, Any]], str], Alert | None]


def revenue_falling(found: dict[str, Mapping[str, Any]], customer_id: str) -> Alert | None:
    change = _raw(found, "revenue_trend")
    if change is None or change > REVENUE_FALL_PCT:
        return None
    return Alert(
        "revenue_falling",
        "Revenue falling",
        f"Revenue is down {abs(change):.0f}% on the window before.",
        reverse("accounts:detail", args=[customer_id]),
    )


def rhythm_broken(found: dict[str, Mapping[str, Any]], customer_id: str) -> Alert | None:
    ratio = _raw(found, "order_rhythm")
    if ratio is None or ratio < RHYTHM_BROKEN:
        return None
    return Alert(
        "rhythm_broken",
        "Order rhythm broken",
        f"No order for {ratio:.1f} times its usual gap between orders.",
        reverse("accounts:detail", args=[customer_id]),
    )


def defection_risk(found: dict[str, Mapping[str, Any]], customer_id: str) -> Alert | None:
    alive = _raw(found, "p_alive")
    if alive is None or alive >= DEFECTION_RISK:
        return None
    return Alert(
        "defection_risk",
        "Defection risk",
        f"The lifetime-value model gives it only a {alive:.0%} chance of still buying.",
        reverse("health:account", args=[customer_id]),
    )


def cadence_overdue(found: dict[str, Mapping[str, Any]], customer_id: str) -> Alert | None:
    ratio = _raw(found, "engagement")
    if ratio is None or ratio <= 1:
        return None
    return Alert(
        "cadence_overdue",
        "Cadence overdue",
        str(found["engagement"]["explanation"]).capitalize() + ".",
        reverse("engagement:new", args=[customer_id]),
    )


def plan_stale(found: dict[str, Mapping[str, Any]], customer_id: str) -> Alert | None:
    age = _raw(found, "plan")
    if age is None or age <= PLAN_STALE_DAYS:
        return None
    return Alert(
        "plan_stale",
        "Plan stale",
        f"The account plan was last updated or reviewed {age:.0f} days ago.",
        reverse("plans:home", args=[customer_id]),
    )


def action_overdue(found: dict[str, Mapping[str, Any]], customer_id: str) -> Alert | None:
    count = found.get("plan", {}).get("overdue_actions")
    if not isinstance(count, int) or count <= 0:
        return None
    return Alert(
        "action_overdue",
        "Action overdue",
        f"{count} action{'s' if count > 1 else ''} of the plan past due.",
        reverse("plans:home", args=[customer_id]),
    )


RULES: tuple[Rule, ...] = (
    revenue_falling,
    rhythm_broken,
    defection_risk,
    cadence_overdue,
    plan_stale,
    action_overdue,
)
"""The rules in force. Not yet here: single-threaded, influential detractor, champion
silent (need coverage from the stakeholder map), concentration past a threshold, and a big
opportunity slipping its close date (no opportunities app yet): each joins as one more
function of this shape."""


def alerts_of(components: Sequence[Mapping[str, Any]], customer_id: str) -> list[Alert]:
    """Every alert the account's score components raise, in rule order."""
    found = _by_key(components)
    return [alert for rule in RULES if (alert := rule(found, customer_id)) is not None]
