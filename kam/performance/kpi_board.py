"""The KPI board: every seed-003 KPI per key account, per manager, per tier and for the
programme, against its target, with its course over the last year.

Each account's part of each KPI (``kam.analytics.program.kpis.Part``) is read at four
quarter ends; every group's figure is then the ratio of its accounts' sums. The store gives
sales and product mix; the operational database meetings and their ratings,
relationships, plans and actions, the cadence and sponsors' attendance. What the
operational database does not date — a plan's status, an action's, a relationship's
strength — is read as it is now at every point (docs/program.md says so).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from kam.analytics.account_figures import add_months
from kam.analytics.program.kpis import KPIS, Kpi, Part, Status, categories_bought, status, value_of
from kam.analytics.program.pnl import sales_between
from kam.engagement.models import Engagement, EngagementKind, EngagementStatus
from kam.engagement.queries import cadence_statuses_at
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission, has_permission
from kam.performance.costs import costs_to_serve_in
from kam.performance.models import KpiScope, KpiTarget, ProgramSettings
from kam.performance.queries import (
    key_accounts,
    manager_name,
    program_settings,
    reading,
    year_window,
)
from kam.plans.models import AccountPlan, ActionStatus, PlanAction, PlanStatus
from kam.relationships.models import Relationship
from kam.selection.models import KeyAccount

REVIEWS = (
    EngagementKind.QBR,
    EngagementKind.EXECUTIVE_REVIEW,
    EngagementKind.STEERING_COMMITTEE,
)
"""The meetings a sponsor is expected at (top-management commitment)."""
POINTS = 4
STEP_MONTHS = 3

Parts = dict[str, dict[str, Part]]
"""{KPI key: {customer id: its part}}."""


def _ratio(parts: dict[str, Part], customer_id: str, numerator: float, denominator: float) -> None:
    parts[customer_id] = Part(numerator, denominator)


def store_parts(con: Any, ids: list[str], day: date) -> Parts:
    """Revenue growth, gross margin, retention and product mix at ``day``, from the store."""
    start, end = add_months(day, -11), add_months(day, 1)
    now = sales_between(con, start, end, ids)
    before = sales_between(con, add_months(start, -12), start, ids)
    bought, catalogue = categories_bought(con, start, end, ids)
    parts: Parts = defaultdict(dict)
    for cid in ids:
        sold, earlier = now.get(cid), before.get(cid)
        revenue = sold.revenue if sold else 0.0
        if earlier and earlier.revenue > 0:
            _ratio(parts["revenue_growth"], cid, revenue - earlier.revenue, earlier.revenue)
            _ratio(parts["retention"], cid, 1.0 if revenue > 0 else 0.0, 1.0)
        if sold and sold.cogs is not None and revenue > 0:
            _ratio(parts["gross_margin"], cid, revenue - sold.cogs, revenue)
        if catalogue:
            _ratio(parts["product_mix"], cid, bought.get(cid, 0), catalogue)
    return parts


def _held(ids: list[str], day: date) -> QuerySet[Engagement]:
    """The engagements held with ``ids`` in the year ending with ``day``."""
    start = day - timedelta(days=365)
    return Engagement.objects.filter(
        account_id__in=ids, status=EngagementStatus.HELD, date__gt=start, date__lte=day
    )


def satisfaction_parts(ids: list[str], day: date) -> dict[str, Part]:
    """Each account's ratings of the year's held engagements ending with ``day``."""
    parts: dict[str, Part] = {}
    for cid, total, count in (
        _held(ids, day)
        .filter(rating__isnull=False)
        .values("account_id")
        .annotate(total=Sum("rating"), count=Count("pk"))
        .values_list("account_id", "total", "count")
    ):
        _ratio(parts, cid, float(total), float(count))
    return parts


def people_parts(keys: Sequence[KeyAccount], day: date) -> Parts:
    """Satisfaction, relationship quality, plans, actions, cadence and sponsors at ``day``."""
    return people_parts_at(keys, [day])[0]


def _windows(days: Sequence[date]) -> list[Q]:
    """Each day's year of held engagements, as a filter on an engagement's date."""
    return [Q(date__gt=day - timedelta(days=365), date__lte=day) for day in days]


def people_parts_at(keys: Sequence[KeyAccount], days: Sequence[date]) -> list[Parts]:
    """``people_parts`` at each of ``days``, in one pass: each KPI is one grouped query with a
    column per day (the cadence, ``cadence_statuses_at``, eight queries for every day), not
    one query per day; what is not dated (relationships) is read once."""
    ids = [key.account_id for key in keys]
    found: list[Parts] = [defaultdict(dict) for _ in days]
    if not days:
        return found
    windows = _windows(days)
    held = Engagement.objects.filter(
        account_id__in=ids,
        status=EngagementStatus.HELD,
        date__gt=min(days) - timedelta(days=365),
        date__lte=max(days),
    )
    columns: dict[str, Any] = {}
    for n, window in enumerate(windows):
        columns[f"total{n}"] = Sum("rating", filter=window)
        columns[f"count{n}"] = Count("pk", filter=window)
    for cid, *values in _grouped(held.filter(rating__isnull=False), "account_id", columns):
        for parts, (total, count) in zip(found, _pairs(values), strict=True):
            if count:
                _ratio(parts["satisfaction"], cid, float(total), float(count))
    for cid, strength, count in (
        Relationship.objects.filter(contact__account_id__in=ids)
        .values("contact__account_id")
        .annotate(strength=Sum("strength"), count=Count("pk"))
        .values_list("contact__account_id", "strength", "count")
    ):
        for parts in found:
            _ratio(parts["relationship_quality"], cid, float(strength), float(count))
    starts: dict[str, list[date]] = defaultdict(list)
    for cid, starts_on in AccountPlan.objects.filter(
        account_id__in=ids, status=PlanStatus.ACTIVE, starts_on__lte=max(days)
    ).values_list("account_id", "starts_on"):
        starts[cid].append(starts_on)
    for day, parts in zip(days, found, strict=True):
        for cid in ids:
            planned = any(first <= day for first in starts.get(cid, ()))
            _ratio(parts["plans_in_place"], cid, 1.0 if planned else 0.0, 1.0)
    columns = {}
    for n, day in enumerate(days):
        columns[f"done{n}"] = Count("pk", filter=Q(due_on__lte=day, status=ActionStatus.DONE))
        columns[f"due{n}"] = Count("pk", filter=Q(due_on__lte=day))
    actions = PlanAction.objects.filter(plan__account_id__in=ids, due_on__lte=max(days)).exclude(
        status=ActionStatus.CANCELLED
    )
    for cid, *values in _grouped(actions, "plan__account_id", columns):
        for parts, (done, due) in zip(found, _pairs(values), strict=True):
            if due:
                _ratio(parts["actions_on_time"], cid, float(done), float(due))
    statuses = cadence_statuses_at(KeyAccount.objects.filter(account_id__in=ids), days)
    for day, parts in zip(days, found, strict=True):
        for cid, state in statuses[day].items():
            _ratio(parts["engagement_on_cadence"], cid, 0.0 if state.overdue else 1.0, 1.0)
    sponsored = held.filter(kind__in=REVIEWS, account__key_account__executive_sponsor__isnull=False)
    columns = {}
    for n, window in enumerate(windows):
        columns[f"attended{n}"] = Count(
            "pk",
            filter=window & Q(our_people=F("account__key_account__executive_sponsor")),
            distinct=True,
        )
        columns[f"count{n}"] = Count("pk", filter=window, distinct=True)
    for cid, *values in _grouped(sponsored, "account_id", columns):
        for parts, (attended, count) in zip(found, _pairs(values), strict=True):
            if count:
                _ratio(parts["sponsor_attendance"], cid, float(attended), float(count))
    return found


def _grouped(rows: QuerySet[Any], by: str, columns: dict[str, Any]) -> QuerySet[Any, tuple]:
    """``rows`` grouped by ``by`` with ``columns``: tuples of the group and each column."""
    return rows.values(by).annotate(**columns).values_list(by, *columns)


def _pairs(values: list[Any]) -> list[tuple[Any, Any]]:
    """A day's two columns at a time: [a0, b0, a1, b1, …] -> [(a0, b0), (a1, b1), …]."""
    return list(zip(values[::2], values[1::2], strict=True))


def cost_parts(
    keys: Sequence[KeyAccount], con: Any, day: date, settings: ProgramSettings
) -> dict[str, Part]:
    """Cost to serve over revenue, per account, in the 12 months ending with ``day``."""
    return cost_parts_at(keys, con, [day], settings)[0]


def cost_parts_at(
    keys: Sequence[KeyAccount], con: Any, days: Sequence[date], settings: ProgramSettings
) -> list[dict[str, Part]]:
    """``cost_parts`` at each of ``days``, the costs of every window read together."""
    windows = [year_window(day) for day in days]
    each = costs_to_serve_in(keys, windows, settings)
    found = []
    for (start, end), costs in zip(windows, each, strict=True):
        sales = sales_between(con, start, end, [key.account_id for key in keys])
        found.append(
            {
                cid: Part(cost.amount, sales[cid].revenue)
                for cid, cost in costs.items()
                if cid in sales and sales[cid].revenue > 0
            }
        )
    return found


def parts_at(
    keys: Sequence[KeyAccount],
    con: Any,
    day: date,
    settings: ProgramSettings,
    financial: bool,
    people: Parts | None = None,
    costs: dict[str, Part] | None = None,
) -> Parts:
    """Every KPI's parts at ``day``; the financial ones only when ``financial``. ``people``
    and ``costs``: the people KPIs and the costs to serve at ``day`` when already read
    (``people_parts_at``, ``cost_parts_at``)."""
    ids = [key.account_id for key in keys]
    parts = store_parts(con, ids, day)
    parts.update(people_parts(keys, day) if people is None else people)
    if financial:
        parts["cost_to_serve"] = cost_parts(keys, con, day, settings) if costs is None else costs
    else:
        parts.pop("gross_margin", None)
    return parts


@dataclass(frozen=True)
class KpiLine:
    """One KPI for one scope: its value now, its target, the status and its course."""

    kpi: Kpi
    scope: str
    scope_key: str
    value: float | None
    target: float
    target_set_at: str
    """Which scope's target applies ("account", "tier", "programme" or "default")."""
    revision: int | None
    status: Status
    trend: tuple[tuple[date, float | None], ...]


@dataclass(frozen=True)
class Group:
    """A scope's KPIs: the programme, a tier, a manager or an account."""

    scope: str
    key: str
    label: str
    lines: tuple[KpiLine, ...]


@dataclass(frozen=True)
class KpiBoard:
    """Every KPI for the programme, each tier, each manager and each key account."""

    as_of: date
    dates: tuple[date, ...]
    programme: Group
    tiers: tuple[Group, ...]
    managers: tuple[Group, ...]
    accounts: tuple[Group, ...]


def targets() -> dict[tuple[str, str, str], KpiTarget]:
    """Every target set, by (KPI, scope, scope key)."""
    return {(t.kpi, t.scope, t.scope_key): t for t in KpiTarget.objects.all()}


def _target(
    kpi: Kpi, chain: list[tuple[str, str]], found: dict[tuple[str, str, str], KpiTarget]
) -> tuple[float, str, int | None]:
    """The target that applies: the scope's own, else each wider scope's, else the default;
    with where it was set and the revision of the scope's own (None when not set)."""
    own = found.get((kpi.key, *chain[0]))
    for scope, key in chain:
        hit = found.get((kpi.key, scope, key))
        if hit is not None:
            return hit.target, scope, own.revision if own else None
    return kpi.default_target, "default", None


def kpi_board(
    user: User,
    as_of: date | None = None,
    keys: list[KeyAccount] | None = None,
    *,
    programme_only: bool = False,
) -> KpiBoard | None:
    """The KPI board at ``as_of`` (default: the latest sale) with four quarterly points;
    None while the store holds no sales. ``programme_only`` leaves the tiers, managers and
    accounts out (empty), for a page that shows the programme's lines alone."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    financial = has_permission(user, Permission.VIEW_FINANCIALS)
    settings = program_settings()
    keys = key_accounts() if keys is None else keys
    with reading(as_of) as (con, day):
        if day is None:
            return None
        dates = tuple(
            day if k == 0 else add_months(day, -STEP_MONTHS * k + 1) - timedelta(days=1)
            for k in reversed(range(POINTS))
        )
        people = people_parts_at(keys, dates)
        costs = cost_parts_at(keys, con, dates, settings) if financial else [None] * len(dates)
        history = [
            parts_at(keys, con, point, settings, financial, found, cost)
            for point, found, cost in zip(dates, people, costs, strict=True)
        ]
    shown = [kpi for kpi in KPIS if financial or not kpi.financial]
    found = targets()
    programme = "Programme"

    def group(scope: str, key: str, label: str, members: list[str], chain: list) -> Group:
        lines = []
        for kpi in shown:
            course = tuple(
                (point, value_of(kpi, [parts.get(kpi.key, {}).get(cid) for cid in members]))
                for point, parts in zip(dates, history, strict=True)
            )
            target, where, revision = _target(kpi, chain, found)
            value = course[-1][1]
            lines.append(
                KpiLine(kpi, scope, key, value, target, where, revision,
                        status(kpi, value, target), course)
            )  # fmt: skip
        return Group(scope, key, label, tuple(lines))

    everyone = [key.account_id for key in keys]
    top = [(KpiScope.PROGRAM.value, "")]
    tiers: dict[str, list[KeyAccount]] = defaultdict(list)
    managers: dict[str, list[KeyAccount]] = defaultdict(list)
    each = [] if programme_only else keys
    for key in each:
        tiers[key.tier].append(key)
        managers[key.manager.username if key.manager else ""].append(key)
    tier_groups = [
        group(KpiScope.TIER, tier, members[0].get_tier_display(), [m.account_id for m in members],
              [(KpiScope.TIER.value, tier), *top])
        for tier, members in sorted(tiers.items())
    ]  # fmt: skip
    manager_groups = [
        group(KpiScope.MANAGER, name, manager_name(members[0]), [m.account_id for m in members],
              [(KpiScope.MANAGER.value, name), *top])
        for name, members in sorted(managers.items())
        if name
    ]  # fmt: skip
    account_groups = [
        group(KpiScope.ACCOUNT, key.account_id, key.account.name, [key.account_id],
              [(KpiScope.ACCOUNT.value, key.account_id), (KpiScope.TIER.value, key.tier), *top])
        for key in each
    ]  # fmt: skip
    return KpiBoard(
        as_of=day,
        dates=dates,
        programme=group(KpiScope.PROGRAM, "", programme, everyone, top),
        tiers=tuple(tier_groups),
        managers=tuple(manager_groups),
        accounts=tuple(account_groups),
    )
