"""Every read of the engagement app, for its pages, the API and the CLI: an account's log and
cadence, the cadence policy and its versions, the key accounts' next touchpoints and who is
overdue, per manager. Nothing here writes. ``today`` is always an argument.

Cadence is computed for a whole set of key accounts at once, in a fixed number of queries
whatever the set's size (``cadence_statuses``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from django.db.models import F, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from kam.accounts import worklist
from kam.accounts.access import across_programme
from kam.accounts.models import Account
from kam.engagement import cadence
from kam.engagement.cadence import AccountHistory, CadenceRule, DueTouchpoint
from kam.engagement.models import (
    CadencePolicyVersion,
    Engagement,
    EngagementComment,
    EngagementStatus,
)
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import check_permission, has_permission
from kam.selection.models import CycleDecision, KeyAccount, SelectionCycle

# ---- the cadence policy ----------------------------------------------------------------


@dataclass(frozen=True)
class CadencePolicy:
    """The policy in force: its stored version (None: the defaults, never edited) and rules."""

    version: CadencePolicyVersion | None
    rules: tuple[CadenceRule, ...]

    @property
    def number(self) -> int:
        """The version number (0 for the defaults)."""
        return self.version.version if self.version else 0

    def rules_of(self, tier: str) -> list[CadenceRule]:
        return [rule for rule in self.rules if rule.tier == tier]

    def by_tier(self) -> list[tuple[str, list[CadenceRule]]]:
        """Each key tier with its rules, Tier 1 first."""
        return [(cadence.TIER_LABELS[tier], self.rules_of(tier)) for tier in cadence.KEY_TIERS]


def current_policy() -> CadencePolicy:
    """The latest stored cadence policy, else the defaults (one query)."""
    latest = CadencePolicyVersion.objects.select_related("created_by").order_by("-version").first()
    if latest is None:
        return CadencePolicy(None, cadence.DEFAULT_RULES)
    return CadencePolicy(latest, cadence.rules_from_json(latest.rules))


def policy_versions(user: User) -> list[CadencePolicyVersion]:
    """Every stored version, newest first."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    return list(CadencePolicyVersion.objects.select_related("created_by").order_by("-version"))


# ---- cadence per key account ------------------------------------------------------------


@dataclass(frozen=True)
class CadenceStatus:
    """A key account's touchpoints under the policy: each rule's next due date."""

    key_account: KeyAccount
    touchpoints: tuple[DueTouchpoint, ...]
    tier_changed_on: date | None

    @property
    def customer_id(self) -> str:
        return self.key_account.account_id

    @property
    def next(self) -> DueTouchpoint | None:
        return self.touchpoints[0] if self.touchpoints else None

    @cached_property
    def overdue(self) -> tuple[DueTouchpoint, ...]:
        return tuple(t for t in self.touchpoints if t.overdue)


def _day(moment: datetime | None, fallback: date) -> date:
    return timezone.localdate(moment) if moment is not None else fallback


def _is_key(proposal: str, override: bool | None) -> bool:
    if override is not None:
        return override
    return proposal in (CycleDecision.Proposal.ADD, CycleDecision.Proposal.KEEP)


def _tier_changes(scope: QuerySet[KeyAccount], tiers: dict[str, str]) -> dict[str, date]:
    """{customer id: the day its current tier was published} for key accounts that came to
    their tier from another key tier, read from the published cycles' decisions."""
    decisions = (
        CycleDecision.objects.filter(
            account_id__in=scope.values("account_id"),
            cycle__status=SelectionCycle.Status.PUBLISHED,
        )
        .order_by("account_id", "-cycle__published_at", "-cycle_id")
        .values_list("account_id", "cycle__published_at", "tier", "proposal", "override_key")
    )
    changed: dict[str, date] = {}
    walking: dict[str, tuple[bool, datetime | None]] = {}  # still in the run, its oldest day
    for account_id, published, tier, proposal, override in decisions:
        current = tiers.get(account_id)
        done, oldest = walking.get(account_id, (False, None))
        if current is None or done:
            continue
        effective = (
            (tier if tier in cadence.KEY_TIERS else "tier_3") if _is_key(proposal, override) else ""
        )
        if effective == current:
            walking[account_id] = (False, published)
            continue
        walking[account_id] = (True, oldest)
        if effective and oldest is not None:  # another key tier before: a change of tier
            changed[account_id] = timezone.localdate(oldest)
    return changed


def cadence_statuses(
    scope: QuerySet[KeyAccount], today: date, policy: CadencePolicy | None = None
) -> dict[str, CadenceStatus]:
    """{customer id: its cadence status} for every key account of ``scope``, in eight queries
    whatever their number (the policy, the key accounts, their people, their cycles, last
    held, last held with the sponsor, the next planned, the tier history)."""
    return cadence_statuses_at(scope, [today], policy)[today]


def _per_day(
    rows: QuerySet[Engagement], days: Sequence[date], first: bool
) -> dict[date, dict[str, dict[str, date]]]:
    """{day: {customer id: {kind: date}}}: per account and kind, the latest date on or before
    each day (``first``: the earliest on or after it), one grouped query for every day."""
    pick = Min if first else Max
    bounds = {
        f"d{n}": pick("date", filter=Q(date__gte=day) if first else Q(date__lte=day))
        for n, day in enumerate(days)
    }
    found: dict[date, dict[str, dict[str, date]]] = {day: {} for day in days}
    grouped = rows.values("account_id", "kind").annotate(**bounds)
    for account_id, kind, *dates in grouped.values_list("account_id", "kind", *bounds):
        for day, last in zip(days, dates, strict=True):
            if last is not None:
                found[day].setdefault(account_id, {})[kind] = last
    return found


def cadence_statuses_at(
    scope: QuerySet[KeyAccount], days: Sequence[date], policy: CadencePolicy | None = None
) -> dict[date, dict[str, CadenceStatus]]:
    """{day: {customer id: its cadence status as of that day}} for every key account of
    ``scope``: ``cadence_statuses`` at several days in the same eight queries (each day's
    last held, last held with the sponsor and next planned are columns of one grouped
    query), so a board of four points asks no more than one day."""
    policy = policy or current_policy()
    days = list(dict.fromkeys(days))
    keys = list(
        scope.select_related("account")
        .only(
            "account__customer_id", "account__name", "tier", "quadrant", "manager_id",
            "executive_sponsor_id", "since_cycle_id", "confirmed_cycle_id",
        )
        .order_by("account__name", "account_id")
    )  # fmt: skip
    if not keys or not days:
        return {day: {} for day in days}
    # Managers, sponsors and cycles are few and shared: one object each, not one per row.
    people = User.objects.in_bulk(
        {k.manager_id for k in keys} | {k.executive_sponsor_id for k in keys} - {None}
    )
    cycles = SelectionCycle.objects.only("published_at", "created_at").in_bulk(
        {k.since_cycle_id for k in keys}
    )
    since = {
        pk: _day(cycle.published_at, timezone.localdate(cycle.created_at))
        for pk, cycle in cycles.items()
    }
    for key in keys:
        key.manager = people.get(key.manager_id) if key.manager_id else None
        key.executive_sponsor = (
            people.get(key.executive_sponsor_id) if key.executive_sponsor_id else None
        )
    in_scope = scope.values("account_id")
    kinds = {kind for rule in policy.rules for kind in cadence.meeting_kinds(rule.kind)}
    sponsor_kinds = {
        kind
        for rule in policy.rules
        if rule.with_sponsor
        for kind in cadence.meeting_kinds(rule.kind)
    }
    engagements = Engagement.objects.filter(account_id__in=in_scope, kind__in=kinds)
    held = engagements.filter(status=EngagementStatus.HELD, date__lte=max(days))
    last_held = _per_day(held, days, first=False)
    with_sponsor: dict[date, dict[str, dict[str, date]]] = {day: {} for day in days}
    if sponsor_kinds:
        attended = held.filter(kind__in=sponsor_kinds).filter(
            Q(our_people=F("account__key_account__executive_sponsor"))
            | Q(
                account__key_account__executive_sponsor__isnull=True,
                our_people__groups__name=Role.EXECUTIVE_SPONSOR.value,
            )
        )
        with_sponsor = _per_day(attended, days, first=False)
    planned = _per_day(
        engagements.filter(status=EngagementStatus.PLANNED, date__gte=min(days)), days, first=True
    )
    tiers = {key.account_id: key.tier for key in keys}
    changes = _tier_changes(scope, tiers)
    found: dict[date, dict[str, CadenceStatus]] = {}
    for day in days:
        statuses = found[day] = {}
        for key in keys:
            history = AccountHistory(
                tier=key.tier,
                key_since=since[key.since_cycle_id],
                tier_changed_on=changes.get(key.account_id),
                last_held=last_held[day].get(key.account_id, {}),
                last_with_sponsor=with_sponsor[day].get(key.account_id, {}),
                planned=planned[day].get(key.account_id, {}),
            )
            statuses[key.account_id] = CadenceStatus(
                key, tuple(cadence.touchpoints(policy.rules, history, day)), history.tier_changed_on
            )
    return found


def page_cadence(
    user: object, customer_ids: Sequence[str], today: date
) -> tuple[CadencePolicy, dict[str, CadenceStatus]]:
    """The policy in force and the cadence statuses of the key accounts among
    ``customer_ids``, worked out once per request: *My accounts*' *Next touchpoint* column
    and its health alerts ask for the same accounts. Kept among the answers a request keeps
    on its user (``record_checks``, emptied by ``kam.people.access.requires`` for every
    request); outside a request (``user`` None or without it), worked out afresh."""
    kept = getattr(user, "record_checks", None)
    key = ("kam.engagement.cadence", frozenset(customer_ids), today)
    if kept is not None and key in kept:
        found: tuple[CadencePolicy, dict[str, CadenceStatus]] = kept[key]
        return found
    policy = current_policy()
    scope = KeyAccount.objects.filter(account_id__in=list(customer_ids))
    found = (policy, cadence_statuses(scope, today, policy))
    if kept is not None:
        kept[key] = found
    return found


def account_cadence(user: User, account: Account, today: date) -> CadenceStatus | None:
    """The account's touchpoints under the policy; None when it is not a key account."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    found = cadence_statuses(KeyAccount.objects.filter(account=account), today)
    return found.get(account.customer_id)


# ---- who keeps which accounts -----------------------------------------------------------


def managed_by(manager: User) -> QuerySet[KeyAccount]:
    """The key accounts ``manager`` manages."""
    return KeyAccount.objects.filter(manager=manager)


def accounts_of(user: User) -> list[str]:
    """The customer ids of the accounts ``user`` works: the key accounts they manage, the
    accounts whose team they are on, and the key accounts they sponsor."""
    ids = set(KeyAccount.objects.filter(manager=user).values_list("account_id", flat=True))
    ids |= set(Account.team.through.objects.filter(user=user).values_list("account_id", flat=True))
    ids |= set(
        KeyAccount.objects.filter(executive_sponsor=user).values_list("account_id", flat=True)
    )
    return sorted(ids)


def landing(user: User) -> str:
    """Where ``user`` lands after signing in (a URL name): *My accounts* for a key account
    manager who works accounts and, once there are key accounts, for the Head of KAM; a
    sponsor's sponsored accounts; the account list for everyone else, and for everyone
    before the first selection (where the list says how to bring data in)."""
    if Role.KEY_ACCOUNT_MANAGER in user.roles() and accounts_of(user):
        return "engagement:my_accounts"
    if user.can(Permission.EDIT_CADENCE) and KeyAccount.objects.exists():
        return "engagement:my_accounts"
    if KeyAccount.objects.filter(executive_sponsor=user).exists():
        return "selection:sponsored"
    return "accounts:list"


def reads_programme(user: User) -> bool:
    """Whether ``user`` reads every account in full (Head of KAM, Administrator, Analyst,
    Viewer), and so may look at any manager's accounts."""
    return across_programme(user, Permission.READ_IN_FULL)


@dataclass(frozen=True)
class ManagerLoad:
    """One manager's key accounts and their touchpoints, for the Head of KAM's overview."""

    manager: User | None
    statuses: tuple[CadenceStatus, ...]

    @cached_property
    def overdue(self) -> tuple[CadenceStatus, ...]:
        """Accounts with an overdue touchpoint, most overdue first."""
        late = [s for s in self.statuses if s.overdue]
        return tuple(sorted(late, key=lambda s: -max(t.overdue_days for t in s.overdue)))

    @cached_property
    def due_soon(self) -> int:
        return sum(
            1
            for s in self.statuses
            if not s.overdue and s.next and s.next.state is cadence.TouchpointState.DUE_SOON
        )


def managers_overview(user: User, today: date, *, overdue_only: bool = False) -> list[ManagerLoad]:
    """Every manager with their key accounts' touchpoints (accounts with no manager last);
    managers with an overdue account first, most overdue accounts first."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    statuses = cadence_statuses(KeyAccount.objects.all(), today)
    grouped: dict[int | None, list[CadenceStatus]] = {}
    for status in statuses.values():
        grouped.setdefault(status.key_account.manager_id, []).append(status)
    loads = []
    for manager_id, items in grouped.items():
        manager = items[0].key_account.manager if manager_id is not None else None
        load = ManagerLoad(manager, tuple(items))
        if overdue_only and not load.overdue:
            continue
        loads.append(load)
    return sorted(
        loads,
        key=lambda load: (
            load.manager is None,
            -len(load.overdue),
            load.manager.display_name if load.manager else "",
        ),
    )


# ---- an account's log -------------------------------------------------------------------


def _with_people(engagements: QuerySet[Engagement]) -> QuerySet[Engagement]:
    return engagements.select_related("created_by", "updated_by").prefetch_related(
        Prefetch("our_people", queryset=User.objects.order_by("first_name", "username")),
        "contacts",
    )


@dataclass(frozen=True)
class AccountLog:
    """An account's engagements: what is planned (soonest first), what was held (newest
    first, one page of it), and how many there are in all."""

    upcoming: tuple[Engagement, ...]
    past: tuple[Engagement, ...]
    held_count: int
    past_count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.past_count // self.page_size))


def account_log(
    user: User, account: Account, today: date, *, page: int = 1, page_size: int = 25
) -> AccountLog:
    """The account's engagement log as its page shows it."""
    check_permission(user, Permission.READ_IN_FULL, on=account)
    engagements = Engagement.objects.filter(account=account)
    upcoming = _with_people(
        engagements.filter(status=EngagementStatus.PLANNED, date__gte=today).order_by(
            "date", "start_time", "id"
        )
    )
    past_all = engagements.exclude(status=EngagementStatus.PLANNED, date__gte=today)
    past_count = past_all.count()
    pages = max(1, -(-past_count // page_size))
    page = min(max(1, page), pages)
    past = _with_people(past_all.order_by("-date", "-id"))[
        (page - 1) * page_size : page * page_size
    ]
    held = engagements.filter(status=EngagementStatus.HELD).count()
    return AccountLog(tuple(upcoming[:50]), tuple(past), held, past_count, page, page_size)


def engagement_detail(
    user: User, engagement: Engagement
) -> tuple[Engagement, list[EngagementComment]]:
    """One engagement with its people, follow-ups and comments."""
    check_permission(user, Permission.READ_IN_FULL, on=engagement)
    found = (
        _with_people(Engagement.objects.filter(pk=engagement.pk))
        .prefetch_related("follow_ups__owner")
        .get()
    )
    comments = list(engagement.comments.select_related("author").order_by("created_at", "id"))
    return found, comments


def may_log(user: User, account: Account) -> bool:
    """Whether ``user`` may log and edit the account's engagements."""
    return has_permission(user, Permission.LOG_ENGAGEMENTS, on=account)


# ---- the calendar -------------------------------------------------------------------------


def planned_for_account(user: User, account: Account, today: date) -> list[Engagement]:
    """The account's planned engagements from today on, for its calendar."""
    check_permission(user, Permission.READ_IN_FULL, on=account)
    return list(
        _with_people(
            Engagement.objects.filter(
                account=account, status=EngagementStatus.PLANNED, date__gte=today
            ).select_related("account")
        ).order_by("date", "start_time", "id")
    )


def planned_for_manager(user: User, manager: User, today: date) -> list[Engagement]:
    """The planned engagements of the accounts ``manager`` keeps (manages or is on the team
    of) and those they take part in, from today on. Only the manager themself and those who
    read the programme in full may ask."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    if manager.pk != user.pk and not reads_programme(user):
        from kam.people.services import PermissionRefused

        raise PermissionRefused(
            user,
            Permission.READ_IN_FULL,
            f"{manager.display_name}'s calendar is theirs to export, and the Head of KAM's.",
        )
    keeps = Q(account__key_account__manager=manager) | Q(account__team=manager)
    found = (
        Engagement.objects.filter(status=EngagementStatus.PLANNED, date__gte=today)
        .filter(keeps | Q(our_people=manager))
        .select_related("account")
        .distinct()
    )
    return list(_with_people(found).order_by("date", "start_time", "id")[:2000])


# ---- My accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    """One account of *My accounts*: the account, its designation (None when it is not a key
    account) and its cells from every column's provider."""

    account: Account
    key_account: KeyAccount | None
    row: worklist.Row

    @property
    def tier_label(self) -> str:
        return self.key_account.get_tier_display() if self.key_account else "Not key"

    @property
    def quadrant_label(self) -> str:
        if self.key_account is None or not self.key_account.quadrant:
            return "—"
        return self.key_account.get_quadrant_display()


@dataclass(frozen=True)
class Board:
    """*My accounts* for one person: the columns, and the rows, what needs attention first."""

    whose: User
    columns: tuple[worklist.Column, ...]
    rows: tuple[BoardRow, ...]

    @property
    def needing_attention(self) -> int:
        return sum(1 for row in self.rows if row.row.attention > 0)


def my_accounts(user: User, whose: User, today: date) -> Board:
    """``whose`` accounts (managed, on the team of, sponsored) with every column's cells,
    sorted by how much they need attention, then by name. Only the person themself and
    those who read the programme in full may ask."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    if whose.pk != user.pk and not reads_programme(user):
        from kam.people.services import PermissionRefused

        raise PermissionRefused(
            user,
            Permission.READ_IN_FULL,
            f"{whose.display_name}'s accounts are theirs to see, and the Head of KAM's.",
        )
    ids = accounts_of(whose)
    accounts = {
        account.customer_id: account
        for account in Account.objects.filter(customer_id__in=ids).select_related("key_account")
    }
    rows = []
    for row in worklist.worklist(user, list(accounts), today):
        account = accounts[row.customer_id]
        key = getattr(account, "key_account", None)
        rows.append(BoardRow(account, key, row))
    rows.sort(key=lambda r: (-r.row.attention, r.account.name.casefold(), r.account.customer_id))
    return Board(whose, tuple(worklist.columns()), tuple(rows))


def key_account_managers() -> list[User]:
    """Everyone who holds the Key Account Manager role, by name."""
    return list(
        User.objects.filter(groups__name=Role.KEY_ACCOUNT_MANAGER.value, is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )
