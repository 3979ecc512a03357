"""Alerts a manager acts on: the account's latest health score and what the other apps say
about it now (``kam.health.alert_facts``).

Each rule looks at one cause and, when it fires, says why in one sentence, where to act,
and what exactly it is about (``cause``: an acknowledgement holds while it stays the same).
An alert is not stored: it is what the latest scoring run and the apps say, so it clears
itself when its cause goes. Rules read from the score (revenue, rhythm, defection risk,
plan, actions) clear with the next scoring run; the others clear at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kam.health.alert_facts import AccountFacts, account_facts
from kam.health.models import AlertAcknowledgement, AlertResponse
from kam.health.queries import latest_scores

REVENUE_FALL_PCT = -25.0
RHYTHM_BROKEN = 2.0
DEFECTION_RISK_FLOOR = 0.3
"""Defection risk (1 − P(alive)) at or above which a rise is worth an alert."""
DEFECTION_RISE = 0.1
"""How far the risk must have risen since the previous scoring run."""
PLAN_STALE_DAYS = 180


@dataclass(frozen=True)
class Alert:
    """One alert on one account: which rule, why in a sentence, and where to act."""

    rule: str
    label: str
    why: str
    url: str
    cause: str = ""


def _by_key(components: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {c["key"]: c for c in components}


def _raw(found: Mapping[str, Mapping[str, Any]], key: str) -> float | None:
    value = found.get(key, {}).get("raw")
    return float(value) if isinstance(value, int | float) else None


Found = dict[str, Mapping[str, Any]]
Rule = Callable[[Found, AccountFacts, str], Alert | None]
NO_FACTS = AccountFacts()


def revenue_falling(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    change = _raw(found, "revenue_trend")
    if change is None or change > REVENUE_FALL_PCT:
        return None
    return Alert(
        "revenue_falling",
        "Revenue falling",
        f"Revenue is down {abs(change):.0f}% on the window before.",
        reverse("accounts:detail", args=[customer_id]),
    )


def rhythm_broken(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    ratio = _raw(found, "order_rhythm")
    if ratio is None or ratio < RHYTHM_BROKEN:
        return None
    return Alert(
        "rhythm_broken",
        "Order rhythm broken",
        f"No order for {ratio:.1f} times its usual gap between orders.",
        reverse("accounts:detail", args=[customer_id]),
    )


def defection_risk_rising(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    alive = _raw(found, "p_alive")
    before = facts.previous_p_alive
    if alive is None or before is None:
        return None
    risk, was = 1 - alive, 1 - before
    if risk < DEFECTION_RISK_FLOOR or risk - was < DEFECTION_RISE:
        return None
    return Alert(
        "defection_risk_rising",
        "Defection risk rising",
        f"The lifetime-value model puts its risk of no longer buying at {risk:.0%}, up from "
        f"{was:.0%} in the previous scoring run.",
        reverse("health:account", args=[customer_id]),
    )


def cadence_overdue(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    """A key account: its most overdue touchpoint under the cadence policy, read live;
    another account: the score's meeting recency against the default interval."""
    if facts.key_account:
        if not facts.overdue_touchpoints:
            return None
        overdue = sorted(facts.overdue_touchpoints, key=lambda t: (-t.overdue_days, t.rule.kind))
        worst, others = overdue[0], [t.describe() for t in overdue[1:]]
        last = (
            f"the last was held on {worst.last_held:%-d %b %Y}"
            if worst.last_held
            else "none has been held"
        )
        also = f"; also {', '.join(others)}" if others else ""
        return Alert(
            "cadence_overdue",
            "Cadence overdue",
            f"{worst.describe()}: {last}, and the cadence asks for one every "
            f"{worst.rule.every_days} days{also}.",
            reverse("engagement:new", args=[customer_id]) + f"?kind={worst.rule.kind}",
            ",".join(f"{t.rule.kind}:{t.due_on.isoformat()}" for t in overdue),
        )
    ratio = _raw(found, "engagement")
    if ratio is None or ratio <= 1:
        return None
    return Alert(
        "cadence_overdue",
        "Cadence overdue",
        str(found["engagement"]["explanation"]).capitalize() + ".",
        reverse("engagement:new", args=[customer_id]),
    )


def plan_stale(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    age = _raw(found, "plan")
    if age is None or age <= PLAN_STALE_DAYS:
        return None
    return Alert(
        "plan_stale",
        "Plan stale",
        f"The account plan was last updated or reviewed {age:.0f} days ago.",
        reverse("plans:home", args=[customer_id]),
    )


def action_overdue(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    count = found.get("plan", {}).get("overdue_actions")
    if not isinstance(count, int) or count <= 0:
        return None
    return Alert(
        "action_overdue",
        "Action overdue",
        f"{count} action{'s' if count > 1 else ''} of the plan past due.",
        reverse("plans:home", args=[customer_id]),
    )


def single_threaded(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    if facts.contacts == 1:
        why = "Only one contact is mapped at this customer: if they leave, we lose the account."
        cause = "one_contact"
    elif facts.our_only_person:
        why = (
            f"{facts.our_only_person} alone holds every relationship with this customer: if "
            "they move on, the partnership is at risk."
        )
        cause = f"one_person:{facts.our_only_person}"
    else:
        return None
    return Alert(
        "single_threaded",
        "Single-threaded",
        why,
        reverse("relationships:map", args=[customer_id]),
        cause,
    )


def influential_detractor(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    if not facts.detractors:
        return None
    worst = max(facts.detractors, key=lambda s: (s.influence, -s.attitude))
    others = len(facts.detractors) - 1
    more = f" (and {others} more)" if others else ""
    return Alert(
        "influential_detractor",
        "Influential detractor",
        f"{worst.name}{more}, influence {worst.influence} of 5, is against us.",
        reverse("relationships:contact_edit", args=[customer_id, worst.contact_id]),
        ",".join(str(s.contact_id) for s in sorted(facts.detractors, key=lambda s: s.contact_id)),
    )


def champion_silent(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    if not facts.silent_champions:
        return None
    first = facts.silent_champions[0]
    if first.last_met is None:
        since = "has not been met in any engagement logged"
    else:
        since = f"was last met on {first.last_met:%-d %b %Y}"
    others = len(facts.silent_champions) - 1
    more = f" (and {others} more champion{'s' if others > 1 else ''})" if others else ""
    return Alert(
        "champion_silent",
        "Champion silent",
        f"Champion {first.name}{more} {since}, beyond the {facts.cadence_days}-day cadence.",
        reverse("engagement:new", args=[customer_id]),
        ",".join(str(s.contact_id) for s in facts.silent_champions),
    )


def opportunity_slipping(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    if not facts.slipping or facts.today is None:
        return None
    worst = max(facts.slipping, key=lambda o: o.value)
    if worst.expected_close < facts.today:
        late = f"is still open {(facts.today - worst.expected_close).days} days past its "
        late += f"expected close on {worst.expected_close:%-d %b %Y}"
    else:
        late = (
            f"has moved its expected close from {worst.first_close:%-d %b %Y} to "
            f"{worst.expected_close:%-d %b %Y}"
        )
    others = len(facts.slipping) - 1
    more = f" (and {others} more)" if others else ""
    return Alert(
        "opportunity_slipping",
        "Big opportunity slipping",
        f"{worst.name}{more}, worth {worst.value:,.0f}, {late}.",
        reverse("opportunities:detail", args=[customer_id, worst.opportunity_id]),
        ",".join(f"{o.opportunity_id}:{o.expected_close.isoformat()}" for o in facts.slipping),
    )


def concentration(found: Found, facts: AccountFacts, customer_id: str) -> Alert | None:
    share, line = facts.revenue_share, facts.share_alert_pct
    if share is None or line is None or share * 100 <= line:
        return None
    return Alert(
        "concentration",
        "Concentration",
        f"This account brings {share:.1%} of the company's revenue of the last 12 months, "
        f"above the {line:g}% alert line.",
        reverse("performance:programme") + "#concentration",
    )


RULES: tuple[Rule, ...] = (
    revenue_falling,
    rhythm_broken,
    defection_risk_rising,
    cadence_overdue,
    plan_stale,
    action_overdue,
    single_threaded,
    influential_detractor,
    champion_silent,
    opportunity_slipping,
    concentration,
)
"""The rules in force, in the order a page lists their alerts."""


def alerts_of(
    components: Sequence[Mapping[str, Any]], customer_id: str, facts: AccountFacts = NO_FACTS
) -> list[Alert]:
    """Every alert the account's score components and facts raise, in rule order."""
    found = _by_key(components)
    return [alert for rule in RULES if (alert := rule(found, facts, customer_id)) is not None]


RULE_NAMES = frozenset(rule.__name__ for rule in RULES)


@dataclass(frozen=True)
class Held:
    """An alert that fires but is hidden: who acknowledged or snoozed it, when and why."""

    alert: Alert
    response: str
    by: str
    at: dt.datetime
    reason: str
    snoozed_until: dt.date | None


@dataclass(frozen=True)
class AccountAlerts:
    """One account's alerts: those shown, and those acknowledged or snoozed for now."""

    shown: tuple[Alert, ...] = ()
    held: tuple[Held, ...] = ()


def _hides(ack: AlertAcknowledgement, alert: Alert, today: dt.date) -> bool:
    if ack.response == AlertResponse.SNOOZED:
        return ack.snoozed_until is not None and today < ack.snoozed_until
    return ack.cause == alert.cause


def current_alerts(
    customer_ids: Sequence[str], today: dt.date, user: object = None
) -> dict[str, AccountAlerts]:
    """Every listed account's alerts now, acknowledged and snoozed ones held back.

    An acknowledgement lapses (``lapsed_at``) the first time it is read and no longer
    holds — its alert cleared, its cause changed, or its snooze ended — so an alert that
    clears and later comes back is shown again. Writing here, on a read, is that one
    UPDATE: it records what was observed, and nothing else depends on who reads first.
    ``user`` is the request's, when there is one: its page's other columns share the cadence
    statuses read here (``kam.engagement.queries.page_cadence``).
    """
    ids = list(customer_ids)
    scores = latest_scores(ids)
    facts = account_facts(ids, today, user)
    open_acks: dict[tuple[str, str], AlertAcknowledgement] = {}
    for row in (
        AlertAcknowledgement.objects.filter(account_id__in=ids, lapsed_at__isnull=True)
        .select_related("by")
        .order_by("at", "id")
    ):
        open_acks[(row.account_id, row.rule)] = row  # the latest one of a rule counts
    found: dict[str, AccountAlerts] = {}
    holding: set[int] = set()
    for cid in ids:
        score = scores.get(cid)
        alerts = alerts_of(score.components if score else [], cid, facts.get(cid, NO_FACTS))
        shown, held = [], []
        for alert in alerts:
            ack = open_acks.get((cid, alert.rule))
            if ack is not None and _hides(ack, alert, today):
                holding.add(ack.pk)
                by = ack.by.display_name if ack.by else "someone no longer here"
                held.append(Held(alert, ack.response, by, ack.at, ack.reason, ack.snoozed_until))
            else:
                shown.append(alert)
        found[cid] = AccountAlerts(tuple(shown), tuple(held))
    lapsed = [ack.pk for ack in open_acks.values() if ack.pk not in holding]
    if lapsed:
        AlertAcknowledgement.objects.filter(pk__in=lapsed).update(lapsed_at=timezone.now())
    return found
