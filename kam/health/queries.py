"""Reads for account health: the policy in force, the components the apps measure, an
account's score history, and the backtest (which reads and never writes)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Avg, F, Max, Q

from kam.accounts.models import Account
from kam.analytics.health import DEFAULT_POLICY, HealthPolicy
from kam.analytics.health.backtest import BacktestResult, run_backtest
from kam.analytics.health.score import (
    ComponentValue,
    ExternalValue,
    combine,
    external_component,
)
from kam.engagement.models import Engagement, EngagementStatus
from kam.engagement.queries import current_policy as cadence_policy
from kam.health.models import (
    SCALES,
    HealthPolicyVersion,
    HealthScore,
    PolicyStatus,
    SatisfactionAnswer,
    Survey,
)
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.plans.models import (
    OPEN_ACTION_STATUSES,
    AccountPlan,
    PlanAction,
    PlanReview,
    PlanRisk,
    PlanStatus,
    RiskStatus,
)
from kam.relationships.mapping import (
    ContactView,
    Coverage,
    RelationshipModel,
    RiskKind,
    classify_model,
    coverage,
    coverage_without,
)
from kam.relationships.queries import MapViews, champion_stale_days_policy, map_views
from kam.selection.models import KeyAccount
from kam.stores import analytics_engine

DEFAULT_CADENCE_DAYS = 90
"""The interval a non-key account's meetings are measured against (no tier, no cadence)."""
HIGH_RISK = 15
"""A risk is high when likelihood × impact (each 1–5) reaches this."""


@dataclass(frozen=True)
class PolicyInForce:
    """The health policy in force: its stored version (None: the default, never stored)."""

    version: HealthPolicyVersion | None
    policy: HealthPolicy


def policy_of(version: HealthPolicyVersion) -> HealthPolicy:
    """A stored version as the analytics' policy."""
    return HealthPolicy.from_dict(version.rules, version=version.version, note=version.note)


def current_policy() -> PolicyInForce:
    """The latest accepted version, else the hand-set default (one query)."""
    latest = (
        HealthPolicyVersion.objects.filter(status=PolicyStatus.ACCEPTED)
        .order_by("-version")
        .first()
    )
    if latest is None:
        return PolicyInForce(None, DEFAULT_POLICY)
    return PolicyInForce(latest, policy_of(latest))


def _cadence_days() -> dict[str, int]:
    """{customer id: the shortest interval its tier's cadence asks for} for key accounts."""
    shortest: dict[str, int] = {}
    for rule in cadence_policy().rules:
        shortest[rule.tier] = min(shortest.get(rule.tier, rule.every_days), rule.every_days)
    return {
        customer_id: shortest.get(tier, DEFAULT_CADENCE_DAYS)
        for customer_id, tier in KeyAccount.objects.values_list("account__customer_id", "tier")
    }


def app_components(
    as_of: dt.date, customer_ids: Iterable[str] | None = None, *, history_only: bool = False
) -> dict[str, dict[str, ExternalValue]]:
    """The components the apps measure, per customer id, as of ``as_of``.

    Engagement recency (days since the last meeting held, against the cadence) and meeting
    ratings (the year before ``as_of``) read only what is dated up to ``as_of``, so a
    backtest can rebuild them (``history_only``). Plan freshness, overdue actions and open
    high risks are today's state of the plan, so they are left out of a backtest.
    Satisfaction (the NPS / CSAT answers of the year before) is dated, so a backtest
    rebuilds it too.
    """
    scope = Q()
    if customer_ids is not None:
        scope = Q(account__customer_id__in=list(customer_ids))
    found: dict[str, dict[str, ExternalValue]] = defaultdict(dict)
    held = Engagement.objects.filter(
        scope, status=EngagementStatus.HELD, date__lte=as_of
    ).values_list("account__customer_id")
    held = held.order_by()  # a model ordering would join the GROUP BY and split the groups
    cadence = _cadence_days()
    for customer_id, last in held.annotate(last=Max("date")):
        interval = cadence.get(customer_id, DEFAULT_CADENCE_DAYS)
        since = (as_of - last).days
        found[customer_id]["engagement"] = ExternalValue(
            since / interval,
            f"{since} days since the last meeting held; its cadence asks for one every "
            f"{interval} days",
        )
    rated = held.filter(date__gt=as_of - dt.timedelta(days=365), rating__isnull=False)
    for customer_id, mean in rated.annotate(mean=Avg("rating")):
        found[customer_id]["meetings"] = ExternalValue(
            float(mean), f"meetings of the last year rated {mean:.1f} of 5 on average"
        )
    for customer_id, value in satisfaction(as_of, customer_ids).items():
        found[customer_id]["satisfaction"] = value
    if history_only:
        return dict(found)
    plans = AccountPlan.objects.filter(scope).exclude(status=PlanStatus.ARCHIVED)
    touched: dict[str, dt.date] = {}
    for customer_id, updated in plans.values_list("account__customer_id", "updated_at"):
        day = updated.date()
        touched[customer_id] = max(touched.get(customer_id, day), day)
    reviews = PlanReview.objects.filter(
        Q(plan__account__customer_id__in=list(customer_ids)) if customer_ids is not None else Q(),
        plan__status__in=(PlanStatus.DRAFT, PlanStatus.ACTIVE),
    ).values_list("plan__account__customer_id")
    reviews = reviews.order_by()
    for customer_id, held_on in reviews.annotate(held=Max("held_on")):
        touched[customer_id] = max(touched.get(customer_id, held_on), held_on)
    overdue: dict[str, int] = defaultdict(int)
    plan_scope = (
        Q(plan__account__customer_id__in=list(customer_ids)) if customer_ids is not None else Q()
    )
    for (customer_id,) in PlanAction.objects.filter(
        plan_scope,
        status__in=OPEN_ACTION_STATUSES,
        due_on__lt=as_of,
        plan__status__in=(PlanStatus.DRAFT, PlanStatus.ACTIVE),
    ).values_list("plan__account__customer_id"):
        overdue[customer_id] += 1
    for customer_id, day in touched.items():
        age = max(0, (as_of - day).days)
        count = overdue.get(customer_id, 0)
        found[customer_id]["plan"] = ExternalValue(
            age,
            f"plan last updated or reviewed {age} days ago; {count} overdue action(s)",
            count,
        )
    high: dict[str, int] = dict.fromkeys(touched, 0)
    for (customer_id,) in (
        PlanRisk.objects.filter(plan_scope, status=RiskStatus.OPEN)
        .annotate(level=F("likelihood") * F("impact"))
        .filter(level__gte=HIGH_RISK)
        .values_list("plan__account__customer_id")
    ):
        high[customer_id] = high.get(customer_id, 0) + 1
    for customer_id, count in high.items():
        found[customer_id]["risks"] = ExternalValue(count, f"{count} open high risk(s) in the plan")
    maps = coverage_maps(as_of, customer_ids)
    stale_days = champion_stale_days_policy()
    for customer_id, views in maps.items():
        covered = coverage(
            views.contacts, views.relationships, today=as_of, champion_stale_days=stale_days
        )
        if covered is not None:
            found[customer_id]["coverage"] = coverage_value(covered)
    return dict(found)


def coverage_maps(as_of: dt.date, customer_ids: Iterable[str] | None = None) -> dict[str, MapViews]:
    """Each account's stakeholder map as coverage reads it: a contact's last contact is the
    later of the date on the map and the last meeting held with them up to ``as_of`` (the
    engagement log), so a champion met last week is not quiet (three queries)."""
    maps = map_views(customer_ids)
    met = (
        Engagement.contacts.through.objects.filter(
            contact__account_id__in=list(maps),
            engagement__status=EngagementStatus.HELD,
            engagement__date__lte=as_of,
        )
        .values_list("contact_id")
        .order_by()
        .annotate(last=Max("engagement__date"))
    )
    last_met = dict(met)
    return {
        customer_id: MapViews(
            tuple(_met(contact, last_met.get(contact.id)) for contact in views.contacts),
            views.relationships,
        )
        for customer_id, views in maps.items()
    }


def _met(contact: ContactView, day: dt.date | None) -> ContactView:
    if day is None or (contact.last_contact_date and contact.last_contact_date >= day):
        return contact
    return dataclasses.replace(contact, last_contact_date=day)


def coverage_value(covered: Coverage) -> ExternalValue:
    """Relationship coverage as the score's component: how many of its three flags are
    raised, and why."""
    return ExternalValue(len(covered.kinds), covered.explanation)


SATISFACTION_DAYS = 365
"""The answers the satisfaction component reads: those of the year before the as-of date."""


def satisfaction(
    as_of: dt.date, customer_ids: Iterable[str] | None = None
) -> dict[str, ExternalValue]:
    """{customer id: its satisfaction} from the NPS / CSAT answers of the year up to
    ``as_of``: each answer as its place on its survey's scale (NPS 0–10 as 0–1, CSAT 1–5 as
    0–1), averaged. An account without an answer in that year is left out (missing)."""
    answers = SatisfactionAnswer.objects.filter(
        answered_on__lte=as_of, answered_on__gt=as_of - dt.timedelta(days=SATISFACTION_DAYS)
    )
    if customer_ids is not None:
        answers = answers.filter(account_id__in=list(customer_ids))
    by_account: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for customer_id, survey, score in answers.values_list("account_id", "survey", "score"):
        by_account[customer_id].append((survey, score))
    found = {}
    for customer_id, given in by_account.items():
        shares = [(score - SCALES[survey][0]) / (SCALES[survey][1] - SCALES[survey][0])
                  for survey, score in given]  # fmt: skip
        found[customer_id] = ExternalValue(
            sum(shares) / len(shares), "; ".join(_survey_words(given))
        )
    return found


def _survey_words(given: list[tuple[str, int]]) -> list[str]:
    """The answers of one account in words, NPS first."""
    words = []
    nps = [score for survey, score in given if survey == Survey.NPS]
    if nps:
        promoters = sum(1 for score in nps if score >= 9)
        detractors = sum(1 for score in nps if score <= 6)
        net = round(100 * (promoters - detractors) / len(nps))
        words.append(
            f"{len(nps)} NPS answer(s) in the last year: {promoters} promoter(s), "
            f"{detractors} detractor(s), NPS {net:+d}"
        )
    csat = [score for survey, score in given if survey == Survey.CSAT]
    if csat:
        words.append(
            f"{len(csat)} CSAT answer(s) in the last year, {sum(csat) / len(csat):.1f} of 5 "
            "on average"
        )
    return words


def backtest(
    user: User, as_of: dt.date, horizon_months: int, policy: HealthPolicy | None = None
) -> BacktestResult:
    """The backtest of ``policy`` (default: the one in force) as of ``as_of``."""
    check_permission(user, Permission.RUN_SELECTION)
    chosen = policy or current_policy().policy
    external = app_components(as_of, history_only=True)
    with analytics_engine() as calc:  # Spark over the lake with the spark engine
        return run_backtest(calc, as_of, horizon_months, chosen, external)


@dataclass(frozen=True)
class HistoryPoint:
    """One point of an account's score history."""

    as_of: dt.date
    run_id: int
    score: float | None
    rescored: bool = False
    """Scored on its own after a change it reads, not in a portfolio run."""


def score_history(account: Account, limit: int = 100) -> list[HistoryPoint]:
    """The account's score in each run, oldest first (one query)."""
    rows = (
        HealthScore.objects.filter(account=account)
        .select_related("run")
        .order_by("-run__created_at", "-run_id")[:limit]
    )
    return [
        HistoryPoint(row.run.as_of, row.run_id, row.score, row.run.rescored_id is not None)
        for row in reversed(rows)
    ]


def latest_score(account: Account) -> HealthScore | None:
    """The account's score in the latest run that scored it."""
    return (
        HealthScore.objects.filter(account=account)
        .select_related("run__policy")
        .order_by("-run__created_at", "-run_id")
        .first()
    )


def latest_scores(customer_ids: Iterable[str]) -> dict[str, HealthScore]:
    """Each listed account's score in the latest portfolio run, or in its own rescoring
    since, when there is one (three queries)."""
    from kam.health.models import HealthRun

    ids = list(customer_ids)
    run = HealthRun.objects.filter(rescored__isnull=True).order_by("-created_at", "-id").first()
    if run is None:
        return {}
    found = {row.account_id: row for row in HealthScore.objects.filter(run=run, account_id__in=ids)}
    since = (
        HealthScore.objects.filter(
            run__rescored__in=ids, run__rescored=F("account"), run__created_at__gte=run.created_at
        )
        .select_related("run")
        .order_by("run__created_at", "run_id")
    )
    for row in since:
        found[row.account_id] = row  # the latest last
    return found


def proposed_versions() -> list[HealthPolicyVersion]:
    """Learned versions waiting for the Head of KAM's decision, newest first."""
    return list(
        HealthPolicyVersion.objects.filter(status=PolicyStatus.PROPOSED).order_by("-version")
    )


@dataclass(frozen=True)
class MapState:
    """The stakeholder map as it is, or as it would be without one contact: its
    relationship model, its coverage (None: no contact left) and the health score with
    that coverage (None: not scored)."""

    model: RelationshipModel
    coverage: Coverage | None
    score: float | None

    @property
    def flags(self) -> tuple[RiskKind, ...]:
        """The coverage flags raised."""
        return self.coverage.kinds if self.coverage else ()


@dataclass(frozen=True)
class Departure:
    """What one contact's leaving would do: the map after it, the score's change, the
    coverage flags it would raise."""

    contact: ContactView
    after: MapState
    change: float | None
    raised: tuple[RiskKind, ...]


@dataclass(frozen=True)
class WhatIf:
    """*What if this contact leaves* for every contact of an account, the departure that
    would hurt most first. Nothing is saved."""

    today: dt.date
    now: MapState
    departures: tuple[Departure, ...]
    scored_on: dt.date | None
    """The as-of date of the latest scoring run the score is recombined from."""

    @property
    def worst(self) -> Departure | None:
        """The single departure that would hurt most (None: no contact, or none hurts)."""
        first = self.departures[0] if self.departures else None
        if first is None or ((first.change or 0) >= 0 and not first.raised):
            return None
        return first

    def of(self, contact_id: int) -> Departure | None:
        """The departure of one contact (None: not a contact of the account)."""
        return next((d for d in self.departures if d.contact.id == contact_id), None)


def what_if(user: User, account: Account, today: dt.date) -> WhatIf:
    """Recompute the relationship model, the coverage flags and the health score without
    each contact in turn (read only). The score is the account's latest, with its coverage
    component recomputed from the map as of ``today`` (the rest as scored)."""
    check_permission(user, Permission.READ_IN_FULL, on=account)
    views = coverage_maps(today, [account.customer_id]).get(account.customer_id, MapViews((), ()))
    stale_days = champion_stale_days_policy()
    latest = latest_score(account)
    policy = policy_of(latest.run.policy) if latest is not None else None
    stored = [
        ComponentValue(c["key"], c["points"], c["raw"], c["explanation"])
        for c in (latest.components if latest is not None else [])
        if c["key"] != "coverage"
    ]

    def state(model: RelationshipModel, covered: Coverage | None) -> MapState:
        score = None
        if latest is not None and policy is not None:
            value = coverage_value(covered) if covered is not None else None
            parts = [*stored, external_component("coverage", value)]
            score = combine(account.customer_id, parts, policy).score
        return MapState(model, covered, score)

    contacts, links = views.contacts, views.relationships
    now = state(
        classify_model(contacts, links),
        coverage(contacts, links, today=today, champion_stale_days=stale_days),
    )
    departures = []
    for contact in contacts:
        after = state(
            *coverage_without(
                contacts, links, contact.id, today=today, champion_stale_days=stale_days
            )
        )
        change = (
            after.score - now.score if after.score is not None and now.score is not None else None
        )
        raised = tuple(kind for kind in after.flags if kind not in now.flags)
        departures.append(Departure(contact, after, change, raised))
    departures.sort(key=lambda d: (d.change or 0.0, -len(d.raised), d.contact.name))
    return WhatIf(today, now, tuple(departures), latest.run.as_of if latest else None)
