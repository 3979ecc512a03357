"""Reads about account plans: which plan an account has, how complete and fresh it is, what is
overdue, and the plan as a document (live or as a frozen version). Every function that
reveals a plan checks that the reader may view accounts; ``today`` is always an argument.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Max, Prefetch, prefetch_related_objects

from kam.accounts.models import Account
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.plans import charts, stakeholders
from kam.plans.content import Snapshot, snapshot_of
from kam.plans.models import (
    OPEN_ACTION_STATUSES,
    AccountPlan,
    ActionStatus,
    AlignmentLevel,
    PlanAction,
    PlanReview,
    PlanRisk,
    PlanSection,
    PlanStatus,
    PlanTemplate,
    PlanVersion,
    RiskStatus,
)
from kam.plans.sections import SECTIONS, SectionKind, is_filled
from kam.plans.services import template_for

STALE_AFTER_DAYS = 90
"""A plan not reviewed for a quarter is stale (seed 002: plans are regularly updated)."""


@dataclass(frozen=True)
class SectionState:
    """One required section and whether the plan fills it."""

    key: str
    title: str
    filled: bool


@dataclass(frozen=True)
class Completeness:
    """How much of what the plan's template requires is written."""

    sections: tuple[SectionState, ...]

    @property
    def percent(self) -> int:
        if not self.sections:
            return 100
        return round(100 * sum(s.filled for s in self.sections) / len(self.sections))

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s.title for s in self.sections if not s.filled)


@dataclass(frozen=True)
class Freshness:
    """Days since the plan was last reviewed; never reviewed counts as stale."""

    last_review: date | None
    days: int | None

    @property
    def stale(self) -> bool:
        return self.days is None or self.days > STALE_AFTER_DAYS


@dataclass(frozen=True)
class PlanDocument:
    """A plan as a reader sees it, for the page, the HTML export and the PDF."""

    account: Account
    plan: AccountPlan
    content: Snapshot
    today: date
    completeness: Completeness
    freshness: Freshness
    reviews: tuple[Any, ...]
    version: PlanVersion | None
    targets_svg: str
    org_chart_svg: str
    stakeholder_map: stakeholders.StakeholderMap
    stakeholder_rows: tuple[stakeholders.StakeholderRow, ...]
    prompts: dict[str, str]

    @property
    def alignment_label(self) -> str:
        return AlignmentLevel(self.content["alignment_level"]).label

    @property
    def horizon_end(self) -> date:
        """The last month the plan looks at: start plus the horizon."""
        start = date.fromisoformat(self.content["starts_on"])
        months = start.month - 1 + self.content["horizon_months"]
        return date(start.year + months // 12, months % 12 + 1, 1)

    @property
    def section_titles(self) -> dict[str, str]:
        return {spec.key.value: spec.title for spec in SECTIONS}

    @property
    def open_risks(self) -> int:
        return sum(1 for risk in self.content["risks"] if risk["status"] == RiskStatus.OPEN)

    @property
    def overdue_count(self) -> int:
        return sum(1 for action in self.content["actions"] if action["overdue"])


def current_plan(user: User, account: Account) -> AccountPlan | None:
    """The account's active plan, else its most recent draft, else None."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    plans = AccountPlan.objects.filter(account=account).exclude(status=PlanStatus.ARCHIVED)
    return plans.order_by("status", "-starts_on", "-id").first()


def account_plans(user: User, account: Account) -> list[AccountPlan]:
    """Every plan of the account, newest first, archived ones included."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    return list(AccountPlan.objects.filter(account=account).order_by("-starts_on", "-id"))


def completeness(plan: AccountPlan) -> Completeness:
    """Which of the sections the plan's template requires are filled, in document order."""
    required = set(template_for(plan.alignment_level).required_sections)
    stored = {section.key: section.content for section in plan.sections.all()}
    counts = {
        "objectives": plan.objectives.count(),
        "targets": plan.targets.count(),
        "risks": plan.risks.count(),
        "actions": plan.actions.count(),
    }
    states = []
    for spec in SECTIONS:
        if spec.key.value not in required:
            continue
        if spec.kind is SectionKind.ROWS:
            filled = counts[spec.key.value] > 0
        elif spec.kind is SectionKind.LIVE:
            filled = stakeholders.contact_count(plan.account) > 0
        else:
            filled = is_filled(spec, stored.get(spec.key.value, {}))
        states.append(SectionState(spec.key.value, spec.title, filled))
    return Completeness(tuple(states))


def read_whole(plan: AccountPlan) -> AccountPlan:
    """``plan`` with every row its page shows read at once, a query per kind of row (its
    sections, objectives, targets, risks, actions, reviews and versions, with the people
    they name), instead of once per part of the page that counts or lists them. For a page
    that only reads: rows written after this are not seen."""
    prefetch_related_objects(
        [plan],
        Prefetch("sections", PlanSection.objects.select_related("updated_by")),
        "objectives",
        "targets",
        Prefetch("risks", PlanRisk.objects.select_related("owner")),
        Prefetch("actions", PlanAction.objects.select_related("owner", "objective")),
        Prefetch("reviews", PlanReview.objects.prefetch_related("reviewers")),
        Prefetch("versions", PlanVersion.objects.select_related("created_by")),
    )
    return plan


def _read_whole(plan: AccountPlan, name: str) -> bool:
    return name in getattr(plan, "_prefetched_objects_cache", {})


def freshness(plan: AccountPlan, today: date) -> Freshness:
    """Days from the plan's last review to ``today`` (None when it was never reviewed)."""
    if _read_whole(plan, "reviews"):
        held = [review.held_on for review in plan.reviews.all() if review.held_on <= today]
        last_review = max(held, default=None)
    else:
        last = (
            plan.reviews.filter(held_on__lte=today)
            .order_by("-held_on")
            .values_list("held_on", flat=True)
        )
        last_review = last.first()
    return Freshness(last_review, (today - last_review).days if last_review else None)


def overdue_actions(plan: AccountPlan, today: date) -> list[PlanAction]:
    """Open and in-progress actions due before ``today``, most overdue first."""
    if _read_whole(plan, "actions"):
        late = [
            action
            for action in plan.actions.all()
            if action.status in OPEN_ACTION_STATUSES and action.due_on < today
        ]
        return sorted(late, key=lambda action: (action.due_on, action.id))
    return list(
        plan.actions.filter(status__in=OPEN_ACTION_STATUSES, due_on__lt=today)
        .select_related("owner", "objective")
        .order_by("due_on", "id")
    )


@dataclass(frozen=True)
class PlanHealth:
    """An account's current plan (the active one, else its latest draft) at a day: days since
    its last review and how many actions are overdue."""

    plan: AccountPlan
    freshness: Freshness
    overdue: int


def plan_health(customer_ids: list[str], today: date) -> dict[str, PlanHealth]:
    """{customer id: its current plan's health at ``today``} for accounts that have a plan,
    in three queries whatever the number of accounts (for lists such as a sponsor's)."""
    plans: dict[str, AccountPlan] = {}
    current = AccountPlan.objects.filter(account__customer_id__in=customer_ids).exclude(
        status=PlanStatus.ARCHIVED
    )
    for plan in current:  # the model's ordering: newest first within an account
        held = plans.get(plan.account_id)
        active_over_draft = (
            plan.status == PlanStatus.ACTIVE
            and held is not None
            and (held.status != PlanStatus.ACTIVE)
        )
        if held is None or active_over_draft:
            plans[plan.account_id] = plan
    ids = [plan.pk for plan in plans.values()]
    reviewed = dict(
        PlanReview.objects.filter(plan__in=ids, held_on__lte=today)
        .values("plan")
        .annotate(last=Max("held_on"))
        .values_list("plan", "last")
    )
    overdue = dict(
        PlanAction.objects.filter(plan__in=ids, status__in=OPEN_ACTION_STATUSES, due_on__lt=today)
        .values("plan")
        .annotate(n=Count("id"))
        .values_list("plan", "n")
    )
    result = {}
    for customer_id, plan in plans.items():
        last = reviewed.get(plan.pk)
        fresh = Freshness(last, (today - last).days if last else None)
        result[customer_id] = PlanHealth(plan, fresh, overdue.get(plan.pk, 0))
    return result


def _annotate(content: Snapshot, today: date) -> Snapshot:
    """Add what depends on ``today`` and on the scales (overdue, risk score) to a snapshot."""
    content = dict(content)
    content["actions"] = [
        {
            **action,
            "overdue": action["status"] in OPEN_ACTION_STATUSES
            and date.fromisoformat(action["due_on"]) < today,
            "status_label": ActionStatus(action["status"]).label,
        }
        for action in content["actions"]
    ]
    content["risks"] = sorted(
        (
            {
                **risk,
                "score": risk["likelihood"] * risk["impact"],
                "status_label": RiskStatus(risk["status"]).label,
            }
            for risk in content["risks"]
        ),
        key=lambda risk: (risk["status"] != RiskStatus.OPEN, -risk["score"]),
    )
    return content


def _document(
    plan: AccountPlan, content: Snapshot, today: date, version: PlanVersion | None
) -> PlanDocument:
    annotated = _annotate(content, today)
    stakeholder_map = stakeholders.stakeholder_map(plan.account, today)
    return PlanDocument(
        account=plan.account,
        plan=plan,
        content=annotated,
        today=today,
        completeness=completeness(plan),
        freshness=freshness(plan, today),
        reviews=tuple(
            plan.reviews.all()  # the model's order: newest first
            if _read_whole(plan, "reviews")
            else plan.reviews.prefetch_related("reviewers").order_by("-held_on")
        ),
        version=version,
        targets_svg=charts.targets_svg(annotated["targets"]),
        org_chart_svg=stakeholders.map_org_chart_svg(stakeholder_map),
        stakeholder_map=stakeholder_map,
        stakeholder_rows=stakeholders.stakeholder_rows(stakeholder_map),
        prompts={section.key: section.prompt for section in plan.sections.all()},
    )


def plan_document(user: User, plan: AccountPlan, today: date) -> PlanDocument:
    """The plan as it stands now, ready to read or export."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    return _document(plan, snapshot_of(plan), today, None)


def version_document(user: User, version: PlanVersion, today: date) -> PlanDocument:
    """The plan as it stood when ``version`` was cut (the stakeholder map is always live)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    return _document(version.plan, version.snapshot, today, version)


def templates(user: User) -> list[PlanTemplate]:
    """The template of every alignment level, stored or default, from Vendor to Partner."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    return [template_for(level) for level in AlignmentLevel.values]


@dataclass(frozen=True)
class OpenActions:
    """How many actions of an account's current plans (drafts and the active one) are still
    to do, and how many of them are past their due date."""

    open: int
    overdue: int


def open_actions(customer_ids: list[str], today: date) -> dict[str, OpenActions]:
    """{customer id: its open actions at ``today``} for the accounts that have any, in one
    query whatever their number (for lists such as a manager's accounts)."""
    from django.db.models import Q

    counted = (
        PlanAction.objects.filter(
            plan__account_id__in=customer_ids, status__in=OPEN_ACTION_STATUSES
        )
        .exclude(plan__status=PlanStatus.ARCHIVED)
        .values("plan__account_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
        .values_list("plan__account_id", "open", "overdue")
    )
    return {account: OpenActions(n, late) for account, n, late in counted}
