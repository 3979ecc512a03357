"""What the other apps say about each account that an alert rule needs beyond the score:
the cadence's overdue touchpoints, the stakeholder map, the open opportunities, the
account's share of revenue and the previous scoring run's P(alive).

These are read live, for all the accounts a page shows at once in a fixed number of
queries, so an alert on them clears the moment its cause goes (a meeting logged, a second
contact mapped, an opportunity closed or re-dated), without waiting for a scoring run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Max

from kam.analytics.program.concentration import account_shares
from kam.analytics.store import resolve_as_of
from kam.audit.models import AuditEntry
from kam.engagement.cadence import DueTouchpoint
from kam.engagement.models import Engagement, EngagementStatus
from kam.engagement.queries import page_cadence
from kam.health.models import HealthRun, HealthScore
from kam.health.queries import DEFAULT_CADENCE_DAYS
from kam.opportunities.models import OPEN_STAGES, Opportunity
from kam.relationships.mapping import HIGH_INFLUENCE, RiskKind, risk_flags
from kam.relationships.models import Contact, Relationship
from kam.relationships.queries import ContactView, RelationshipView, contact_view
from kam.stores import analytics_store

DEFAULT_BIG_OPPORTUNITY = Decimal("100000")
"""An open opportunity worth at least this much is big (setting KAM_BIG_OPPORTUNITY)."""


_share_alert_line: Callable[[], float] | None = None


def register_share_alert_line(line: Callable[[], float]) -> None:
    """Where the concentration alert reads its line (the per cent of revenue past which one
    customer is too large). The programme app owns that setting and registers it when it
    loads; without it, the concentration alert stays quiet."""
    global _share_alert_line
    _share_alert_line = line


def big_opportunity_value() -> Decimal:
    """The value from which an open opportunity counts as big."""
    return Decimal(str(getattr(settings, "KAM_BIG_OPPORTUNITY", DEFAULT_BIG_OPPORTUNITY)))


@dataclass(frozen=True)
class Stakeholder:
    """A contact an alert names: who, how influential, and when we last met them."""

    contact_id: int
    name: str
    influence: int
    attitude: int
    last_met: dt.date | None = None


@dataclass(frozen=True)
class SlippingOpportunity:
    """A big open opportunity past its expected close date or moved beyond the date first
    given (``first_close``, from the audit trail)."""

    opportunity_id: int
    name: str
    value: Decimal
    expected_close: dt.date
    first_close: dt.date


@dataclass(frozen=True)
class AccountFacts:
    """What the rules beyond the score read about one account. An empty default means
    nothing is known, and a rule reading it stays quiet."""

    today: dt.date | None = None
    previous_p_alive: float | None = None
    key_account: bool = False
    overdue_touchpoints: tuple[DueTouchpoint, ...] = ()
    contacts: int = 0
    our_only_person: str = ""
    """Who holds every relationship with the account, when one person on our side does."""
    detractors: tuple[Stakeholder, ...] = ()
    silent_champions: tuple[Stakeholder, ...] = ()
    cadence_days: int = DEFAULT_CADENCE_DAYS
    slipping: tuple[SlippingOpportunity, ...] = ()
    revenue_share: float | None = None
    share_alert_pct: float | None = None


def _previous_p_alive(customer_ids: Sequence[str]) -> dict[str, float]:
    """P(alive) in the portfolio run before the latest one, per account (one query).
    One-account rescorings are left out: they read P(alive) from the latest portfolio
    run's model, so comparing with one would compare that run with itself."""
    portfolio = HealthRun.objects.filter(rescored__isnull=True)
    previous = portfolio.order_by("-created_at", "-id").values("id")[1:2]
    found = {}
    rows = HealthScore.objects.filter(run_id__in=previous, account_id__in=list(customer_ids))
    for customer_id, components in rows.values_list("account_id", "components"):
        for component in components:
            raw = component.get("raw")
            if component.get("key") == "p_alive" and isinstance(raw, int | float):
                found[customer_id] = float(raw)
    return found


def _stakeholders(
    customer_ids: Sequence[str], cadence: dict[str, int], today: dt.date
) -> tuple[
    dict[str, int], dict[str, str], dict[str, list[Stakeholder]], dict[str, list[Stakeholder]]
]:
    """Per account: how many contacts, who alone holds our relationships, the influential
    detractors, and the champions met in no held engagement within the cadence (three
    queries)."""
    contacts: dict[str, list[ContactView]] = defaultdict(list)
    owner: dict[int, str] = {}
    for row in Contact.objects.filter(account_id__in=list(customer_ids)).order_by("name", "pk"):
        owner[row.pk] = row.account_id
        contacts[row.account_id].append(contact_view(row))
    links: dict[str, list[RelationshipView]] = defaultdict(list)
    # In the order of contact and id, not the model's (the contact's account's name), which
    # joins every account to sort a few hundred links: ~140 ms of PostgreSQL at 150,000.
    # Nothing below depends on the order but the name of one who holds every link.
    for link in (
        Relationship.objects.filter(contact_id__in=list(owner))
        .select_related("supplier_person")
        .order_by("contact_id", "pk")
    ):
        links[owner[link.contact_id]].append(
            RelationshipView(
                contact_id=link.contact_id,
                person_id=link.supplier_person_id,
                person_name=link.supplier_person.display_name,
                strength=link.strength,
                last_interaction_date=link.last_interaction_date,
                id=link.pk,
            )
        )
    champions = [c.id for found in contacts.values() for c in found if "champion" in c.buying_roles]
    met = (
        {}
        if not champions
        else dict(
            Engagement.objects.filter(
                contacts__in=champions, status=EngagementStatus.HELD, date__lte=today
            )
            .values("contacts")
            .annotate(last=Max("date"))
            .values_list("contacts", "last")
        )
    )
    counts, only, detractors, silent = {}, {}, defaultdict(list), defaultdict(list)
    for customer_id, found in contacts.items():
        counts[customer_id] = len(found)
        for flag in risk_flags(found, links[customer_id], today=today):
            if flag.kind == RiskKind.SINGLE_THREADED:
                only[customer_id] = links[customer_id][0].person_name
        interval = cadence.get(customer_id, DEFAULT_CADENCE_DAYS)
        for c in found:
            negative = c.attitude < 0 or "detractor" in c.buying_roles
            if negative and c.influence >= HIGH_INFLUENCE:
                detractors[customer_id].append(Stakeholder(c.id, c.name, c.influence, c.attitude))
            if "champion" in c.buying_roles:
                last = met.get(c.id)
                if last is None or (today - last).days > interval:
                    silent[customer_id].append(
                        Stakeholder(c.id, c.name, c.influence, c.attitude, last)
                    )
    return counts, only, detractors, silent


def _first_close_dates(ids: Sequence[int]) -> dict[int, dt.date]:
    """Each opportunity's expected close date as first given, from the audit trail (one
    query): the *before* of its earliest recorded change of that date."""
    first: dict[int, dt.date] = {}
    entries = AuditEntry.objects.filter(
        object_type=Opportunity._meta.label_lower, object_id__in=[str(i) for i in ids]
    ).order_by("at", "id")
    for object_id, changes in entries.values_list("object_id", "changes"):
        change = (changes or {}).get("expected_close_date")
        key = int(object_id)
        if key in first or not isinstance(change, list) or not change or not change[0]:
            continue
        try:
            first[key] = dt.date.fromisoformat(str(change[0]))
        except ValueError:
            continue
    return first


def _slipping(customer_ids: Sequence[str], today: dt.date) -> dict[str, list[SlippingOpportunity]]:
    """The big open opportunities past their expected close date or moved beyond the date
    first given, per account (two queries)."""
    big = list(
        Opportunity.objects.filter(
            account_id__in=list(customer_ids),
            stage__in=OPEN_STAGES,
            value__gte=big_opportunity_value(),
        ).order_by("expected_close_date", "pk")
    )
    first = _first_close_dates([o.pk for o in big])
    found: dict[str, list[SlippingOpportunity]] = defaultdict(list)
    for o in big:
        given = first.get(o.pk, o.expected_close_date)
        if o.expected_close_date < today or o.expected_close_date > given:
            found[o.account_id].append(
                SlippingOpportunity(o.pk, o.name, o.value, o.expected_close_date, given)
            )
    return found


def _shares(customer_ids: Sequence[str]) -> dict[str, float]:
    """Each account's share of the last 12 months' revenue (one store read)."""
    with analytics_store().connect(read_only=True) as con:
        day = resolve_as_of(con, None)
        if day is None:
            return {}
        shares = account_shares(con, day, list(customer_ids))
    return {cid: s.revenue_share for cid, s in shares.items() if s.revenue_share is not None}


def account_facts(
    customer_ids: Sequence[str], today: dt.date, user: object = None
) -> dict[str, AccountFacts]:
    """{customer id: what the rules beyond the score read} for every listed account. The
    cadence statuses are the request's (``page_cadence``) when ``user`` is a request's."""
    ids = list(customer_ids)
    if not ids:
        return {}
    previous = _previous_p_alive(ids)
    policy, statuses = page_cadence(user, ids, today)
    shortest: dict[str, int] = {}
    for rule in policy.rules:
        shortest[rule.tier] = min(shortest.get(rule.tier, rule.every_days), rule.every_days)
    cadence = {
        cid: shortest.get(status.key_account.tier, DEFAULT_CADENCE_DAYS)
        for cid, status in statuses.items()
    }
    counts, only, detractors, silent = _stakeholders(ids, cadence, today)
    slipping = _slipping(ids, today)
    shares = _shares(ids)
    line = _share_alert_line() if _share_alert_line is not None else None
    return {
        cid: AccountFacts(
            today=today,
            previous_p_alive=previous.get(cid),
            key_account=cid in statuses,
            overdue_touchpoints=statuses[cid].overdue if cid in statuses else (),
            contacts=counts.get(cid, 0),
            our_only_person=only.get(cid, ""),
            detractors=tuple(detractors.get(cid, ())),
            silent_champions=tuple(silent.get(cid, ())),
            cadence_days=cadence.get(cid, DEFAULT_CADENCE_DAYS),
            slipping=tuple(slipping.get(cid, ())),
            revenue_share=shares.get(cid),
            share_alert_pct=line,
        )
        for cid in ids
    }
