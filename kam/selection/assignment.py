"""Manager and executive-sponsor assignment for a selection cycle: the solver's proposal and
each manager's load.

The CP-SAT model is kam.analytics.assignment; this module feeds it a cycle's key accounts,
the managers' capacities and the sponsors' (seed 002: each Tier 1 account has an executive
sponsor), and reads the load each manager carries. Applying a proposal is a write:
``services.do_apply_assignment`` / ``services.do_apply_sponsors``.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kam.analytics.assignment import (
    DEFAULT_TIER_WEIGHTS,
    AccountToAssign,
    Assignment,
    AssignmentInfeasible,
    ManagerCapacity,
    SponsorCapacity,
    Sponsorship,
    assign_accounts,
    assign_sponsors,
)
from kam.analytics.selection.policy import Tier
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import check_permission
from kam.selection.models import (
    DEFAULT_SPONSOR_CAPACITY,
    CycleDecision,
    ExecutiveSponsorCapacity,
    KeyAccount,
    SelectionCycle,
    TierChoice,
)


def tier_label(tier: str) -> str:
    """The human label of a stored tier ("Tier 1"), as the assignment's tier weights name it."""
    return dict(TierChoice.choices).get(tier, tier)


TIER_WEIGHTS = {tier.value: DEFAULT_TIER_WEIGHTS.get(tier_label(tier.value), 1) for tier in Tier}
"""The load an account of each stored tier adds to its manager."""


def key_account_managers() -> list[User]:
    """Everyone who can hold key accounts: active users with the Key Account Manager role."""
    managers = User.objects.filter(is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER.value)
    return list(managers.distinct().order_by("last_name", "first_name", "username"))


def sponsor_capacity(sponsor: User) -> int:
    """How many Tier 1 accounts ``sponsor`` may sponsor."""
    row = ExecutiveSponsorCapacity.objects.filter(sponsor=sponsor).first()
    return row.max_accounts if row else DEFAULT_SPONSOR_CAPACITY


def executive_sponsors() -> list[tuple[User, int]]:
    """Everyone who can sponsor Tier 1 accounts, with their capacity: active Executive
    Sponsors."""
    sponsors = User.objects.filter(is_active=True, groups__name=Role.EXECUTIVE_SPONSOR.value)
    ordered = list(sponsors.distinct().order_by("last_name", "first_name", "username"))
    set_capacity = dict(
        ExecutiveSponsorCapacity.objects.filter(sponsor__in=ordered).values_list(
            "sponsor_id", "max_accounts"
        )
    )
    return [(s, set_capacity.get(s.pk, DEFAULT_SPONSOR_CAPACITY)) for s in ordered]


@dataclass(frozen=True)
class AssignmentProposal:
    """The solver's proposal for a cycle, or why there is none. Sponsors are proposed even
    when the managers cannot be."""

    assignment: Assignment | None
    problem: str
    accounts: int
    capacity: int
    managers: list[User]
    sponsors: list[tuple[User, int]] = field(default_factory=list)
    sponsorship: Sponsorship | None = None

    @property
    def sponsor_of(self) -> dict[str, str]:
        """The proposed sponsors as customer_id → sponsor username ({} without a proposal)."""
        return dict(self.sponsorship.sponsor_of) if self.sponsorship else {}

    @property
    def sponsor_loads(self) -> list[dict[str, Any]]:
        """Each sponsor's proposed load: the sponsor, accounts, capacity, fill %."""
        if self.sponsorship is None:
            return []
        sponsors = {s.username: s for s, _ in self.sponsors}
        return [
            {
                "sponsor": sponsors[s.sponsor],
                "accounts": s.accounts,
                "max": s.max_accounts,
                "fill_pct": min(100, round(100 * s.accounts / max(1, s.max_accounts))),
            }
            for s in self.sponsorship.sponsor_loads
        ]

    @property
    def placements(self) -> dict[str, str]:
        """The proposal as customer_id → manager username ({} without a proposal)."""
        if self.assignment is None:
            return {}
        return {p.customer_id: p.manager for p in self.assignment.placements}

    @property
    def loads(self) -> list[dict[str, Any]]:
        """Each manager's proposed load: name, accounts, tier-weighted load, capacity, fill %."""
        if self.assignment is None:
            return []
        names = {m.username: m.display_name for m in self.managers}
        return [
            {
                "name": names.get(w.manager, w.manager),
                "accounts": w.accounts,
                "load": w.load,
                "min": w.min_accounts,
                "max": w.max_accounts,
                "fill_pct": round(100 * w.accounts / max(1, w.max_accounts)),
            }
            for w in self.assignment.workloads
        ]


def propose_assignment(user: User, cycle: SelectionCycle) -> AssignmentProposal:
    """Solve the assignment of ``cycle``'s key accounts (keeping current managers if it can)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    keys = [d for d in cycle.decisions.select_related("manager", "sponsor") if d.is_key]
    held = KeyAccount.objects.values_list(
        "account_id", "manager__username", "executive_sponsor__username"
    )
    current = {cid: manager for cid, manager, _ in held if manager}
    sponsored = {cid: sponsor for cid, _, sponsor in held if sponsor}
    accounts = [
        AccountToAssign(
            customer_id=d.account_id,
            tier=tier_label(d.tier or "tier_3"),
            current_manager=current.get(d.account_id)
            or (d.manager.username if d.manager_id and d.manager else None),
            current_sponsor=sponsored.get(d.account_id)
            or (d.sponsor.username if d.sponsor_id and d.sponsor else None),
        )
        for d in keys
    ]
    managers = key_account_managers()
    capacities = [
        ManagerCapacity(m.username, m.min_key_accounts, m.max_key_accounts) for m in managers
    ]
    sponsors = executive_sponsors()
    sponsor_slots = [SponsorCapacity(s.username, most) for s, most in sponsors]
    capacity = sum(m.max_key_accounts for m in managers)
    try:
        assignment = _solved(tuple(accounts), tuple(capacities), tuple(sponsor_slots))
    except AssignmentInfeasible as error:
        # Sponsors do not wait for the managers: they are proposed on their own.
        alone = assign_sponsors(accounts, sponsor_slots)
        return AssignmentProposal(
            None, str(error), len(accounts), capacity, managers, sponsors, alone
        )
    return AssignmentProposal(
        assignment, "", len(accounts), capacity, managers, sponsors, assignment.sponsorship
    )


@lru_cache(maxsize=16)
def _solved(
    accounts: tuple[AccountToAssign, ...],
    capacities: tuple[ManagerCapacity, ...],
    sponsors: tuple[SponsorCapacity, ...],
) -> Assignment:
    """The solver's proposal for exactly these accounts, holders and capacities, kept per
    process: reopening the page asks the solver again only when one of them changed (an
    account placed, a capacity edited), and the same question gets the same proposal."""
    return assign_accounts(accounts, capacities, sponsors=sponsors, time_limit_seconds=10)


@dataclass(frozen=True)
class ManagerLoad:
    """A manager's key accounts in a cycle: how many, tier-weighted load, capacity."""

    manager: User
    accounts: list[CycleDecision]
    load: int

    @property
    def fill_pct(self) -> int:
        return round(100 * len(self.accounts) / max(1, self.manager.max_key_accounts))

    @property
    def within(self) -> bool:
        return self.manager.min_key_accounts <= len(self.accounts) <= self.manager.max_key_accounts


def workload(user: User, cycle: SelectionCycle) -> tuple[list[ManagerLoad], list[CycleDecision]]:
    """(each manager's load in ``cycle``, the key accounts without a manager)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    keys = [d for d in cycle.decisions.select_related("account", "manager") if d.is_key]
    by_manager: dict[int, list[CycleDecision]] = {}
    for decision in keys:
        if decision.manager_id:
            by_manager.setdefault(decision.manager_id, []).append(decision)
    managers = {m.pk: m for m in key_account_managers()}
    managers.update({d.manager.pk: d.manager for d in keys if d.manager is not None})
    loads = [
        ManagerLoad(
            manager=manager,
            accounts=by_manager.get(pk, []),
            load=sum(TIER_WEIGHTS.get(d.tier, 1) for d in by_manager.get(pk, [])),
        )
        for pk, manager in managers.items()
    ]
    loads.sort(key=lambda m: (-m.load, m.manager.display_name))
    return loads, [d for d in keys if not d.manager_id]
