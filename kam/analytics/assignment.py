"""Assigning key accounts to key account managers under the capacity rule (seed 002: 5–10 each),
and executive sponsors to Tier 1 accounts, in one model.

Solved as an integer programme with OR-Tools CP-SAT, not a greedy loop:

- every key account gets exactly one manager;
- every manager holds between their minimum and maximum number of accounts;
- an account keeps its current manager where it can (a move costs ``continuity_weight``),
  because "when the account manager moves on, the partnership is at risk" (seed 003);
- among the assignments that cost the fewest moves, the tier-weighted workload is balanced
  (the spread between the most and the least loaded manager is minimised).

Executive sponsors (seed 002: "executive sponsors to build peer relationships with customer
leaders") are placed in the same model: every Tier 1 account gets one sponsor where the
sponsors' capacity allows, each sponsor holds at most their capacity, an account keeps its
sponsor where it can, and sponsor load is balanced. Sponsor capacity never blocks the manager
assignment: when it is short, as many Tier 1 accounts as it allows are sponsored and
``Assignment.unsponsored`` names the rest.

When no assignment can satisfy the manager rules, the reason is said plainly, e.g.
"38 key accounts, capacity 30 (3 managers × up to 10)".
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

# How much of a manager's week an account takes, by tier: Tier 1 accounts need most.
DEFAULT_TIER_WEIGHTS: dict[str, int] = {
    "Tier 1": 3,
    "Tier 2": 2,
    "Tier 3": 1,
    "High potential": 1,
}


SPONSORED_TIERS: frozenset[str] = frozenset({"Tier 1"})
"""The tiers whose accounts get an executive sponsor (seed 002: Tier 1 gets the lion's share)."""


class AssignmentInfeasible(Exception):
    """No assignment satisfies the capacity rules; the message says why in plain words."""


@dataclass(frozen=True)
class ManagerCapacity:
    """A key account manager and how many key accounts they may hold."""

    manager: str
    min_accounts: int = 5
    max_accounts: int = 10


@dataclass(frozen=True)
class SponsorCapacity:
    """An executive sponsor and how many Tier 1 accounts they may sponsor."""

    sponsor: str
    max_accounts: int = 5


@dataclass(frozen=True)
class AccountToAssign:
    """A key account, its tier, and who manages and sponsors it today (None when nobody)."""

    customer_id: str
    tier: str
    current_manager: str | None = None
    current_sponsor: str | None = None


@dataclass(frozen=True)
class Placement:
    """One account's manager in the proposed assignment."""

    customer_id: str
    tier: str
    manager: str
    previous_manager: str | None
    weight: int
    sponsor: str | None = None
    previous_sponsor: str | None = None

    @property
    def moved(self) -> bool:
        """True when the account changes hands (not when a new key account gets a manager)."""
        return self.previous_manager is not None and self.previous_manager != self.manager


@dataclass(frozen=True)
class SponsorLoad:
    """One executive sponsor's share of the proposal: accounts sponsored and their capacity."""

    sponsor: str
    accounts: int
    max_accounts: int


@dataclass(frozen=True)
class Workload:
    """One manager's share of the proposal: accounts, tier-weighted load, and their limits."""

    manager: str
    accounts: int
    load: int
    min_accounts: int
    max_accounts: int


@dataclass(frozen=True)
class Assignment:
    """The solver's proposal: a placement per account and the workload per manager."""

    placements: tuple[Placement, ...]
    workloads: tuple[Workload, ...]
    moves: int
    spread: int
    optimal: bool
    sponsorship: "Sponsorship | None" = None

    def manager_of(self, customer_id: str) -> str:
        """The proposed manager of ``customer_id``."""
        return next(p.manager for p in self.placements if p.customer_id == customer_id)


@dataclass(frozen=True)
class Sponsorship:
    """The executive sponsor proposed for each account of a sponsored tier."""

    sponsor_of: tuple[tuple[str, str], ...]
    """(customer_id, sponsor) for every sponsored account."""
    sponsor_loads: tuple[SponsorLoad, ...]
    unsponsored: tuple[str, ...]

    @property
    def sponsor_problem(self) -> str:
        """Why some accounts of a sponsored tier have no sponsor, in plain words, or ""."""
        if not self.unsponsored:
            return ""
        capacity = sum(s.max_accounts for s in self.sponsor_loads)
        needing = len(self.unsponsored) + sum(s.accounts for s in self.sponsor_loads)
        if not self.sponsor_loads:
            return f"{needing} Tier 1 accounts need an executive sponsor and there is none"
        return (
            f"{needing} Tier 1 accounts need an executive sponsor, sponsor capacity {capacity} "
            f"({len(self.sponsor_loads)} sponsors): {len(self.unsponsored)} left without one; "
            "raise a sponsor's capacity or add a sponsor"
        )


def check_capacity(accounts: int, managers: Sequence[ManagerCapacity]) -> None:
    """Raise AssignmentInfeasible, in plain words, when the counts alone break the rule."""
    if not managers:
        raise AssignmentInfeasible(f"{accounts} key accounts and no key account manager")
    most = sum(m.max_accounts for m in managers)
    least = sum(m.min_accounts for m in managers)
    if accounts > most:
        extra = _managers_needed(accounts - most, managers)
        raise AssignmentInfeasible(
            f"{accounts} key accounts, capacity {most} ({len(managers)} managers"
            f"{_range_phrase(managers, 'max_accounts')}): add {extra} or select fewer key accounts"
        )
    if accounts < least:
        raise AssignmentInfeasible(
            f"{accounts} key accounts cannot give {len(managers)} managers their minimum "
            f"({least} needed{_range_phrase(managers, 'min_accounts', 'at least')}): "
            "assign fewer managers or lower their minimum"
        )
    for manager in managers:
        if manager.min_accounts > manager.max_accounts:
            raise AssignmentInfeasible(
                f"{manager.manager}: minimum {manager.min_accounts} is above maximum "
                f"{manager.max_accounts}"
            )


def assign_accounts(
    accounts: Sequence[AccountToAssign],
    managers: Sequence[ManagerCapacity],
    *,
    sponsors: Sequence[SponsorCapacity] = (),
    tier_weights: dict[str, int] | None = None,
    continuity_weight: int = 10,
    time_limit_seconds: float = 20.0,
) -> Assignment:
    """Propose a manager for every key account, and a sponsor for every Tier 1 account among
    ``sponsors``; see the module docstring for the rules.

    ``continuity_weight`` is what one move costs against one unit of workload spread: the
    default makes keeping relationships matter more than a perfectly even split. Leaving an
    account without a sponsor costs more than any number of moves.
    """
    check_capacity(len(accounts), managers)
    weights = tier_weights or DEFAULT_TIER_WEIGHTS
    names = [m.manager for m in managers]
    if len(set(names)) != len(names):
        raise AssignmentInfeasible("a manager is listed twice")
    account_weight = [weights.get(a.tier, 1) for a in accounts]

    model = cp_model.CpModel()
    chosen = {
        (i, j): model.new_bool_var(f"a{i}_m{j}")
        for i in range(len(accounts))
        for j in range(len(managers))
    }
    for i in range(len(accounts)):
        model.add_exactly_one(chosen[i, j] for j in range(len(managers)))
    max_load = sum(account_weight)
    loads = []
    for j, manager in enumerate(managers):
        count = sum(chosen[i, j] for i in range(len(accounts)))
        model.add(count >= manager.min_accounts)
        model.add(count <= manager.max_accounts)
        load = model.new_int_var(0, max_load, f"load_{j}")
        model.add(load == sum(account_weight[i] * chosen[i, j] for i in range(len(accounts))))
        loads.append(load)
    highest = model.new_int_var(0, max_load, "highest")
    lowest = model.new_int_var(0, max_load, "lowest")
    model.add_max_equality(highest, loads)
    model.add_min_equality(lowest, loads)
    index = {name: j for j, name in enumerate(names)}
    kept = [
        chosen[i, index[a.current_manager]]
        for i, a in enumerate(accounts)
        if a.current_manager in index
    ]
    moves = len(kept) - sum(kept)
    sponsored, sponsor_cost = _sponsor_model(model, accounts, sponsors, continuity_weight)
    model.minimize(continuity_weight * moves + (highest - lowest) + sponsor_cost)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise AssignmentInfeasible(
            "no assignment satisfies every manager's minimum and maximum "
            f"(solver status {solver.status_name(status)})"
        )
    placements = tuple(
        Placement(
            customer_id=a.customer_id,
            tier=a.tier,
            manager=next(names[j] for j in range(len(managers)) if solver.value(chosen[i, j])),
            previous_manager=a.current_manager,
            weight=account_weight[i],
            sponsor=next(
                (
                    s.sponsor
                    for k, s in enumerate(sponsors)
                    if (i, k) in sponsored and solver.value(sponsored[i, k])
                ),
                None,
            ),
            previous_sponsor=a.current_sponsor,
        )
        for i, a in enumerate(accounts)
    )
    workloads = tuple(
        Workload(
            manager=m.manager,
            accounts=sum(1 for p in placements if p.manager == m.manager),
            load=sum(p.weight for p in placements if p.manager == m.manager),
            min_accounts=m.min_accounts,
            max_accounts=m.max_accounts,
        )
        for m in managers
    )
    return Assignment(
        placements=placements,
        workloads=workloads,
        moves=sum(p.moved for p in placements),
        spread=max(w.load for w in workloads) - min(w.load for w in workloads),
        optimal=status == cp_model.OPTIMAL,
        sponsorship=_sponsorship(
            accounts, {p.customer_id: p.sponsor for p in placements}, sponsors
        ),
    )


def assign_sponsors(
    accounts: Sequence[AccountToAssign],
    sponsors: Sequence[SponsorCapacity],
    *,
    continuity_weight: int = 10,
    time_limit_seconds: float = 10.0,
) -> Sponsorship:
    """Propose executive sponsors alone, with the rules ``assign_accounts`` applies to them
    (for when the managers cannot be assigned yet, e.g. too few key accounts for them)."""
    model = cp_model.CpModel()
    sponsored, cost = _sponsor_model(model, accounts, sponsors, continuity_weight)
    model.minimize(cost)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - always feasible
        raise AssignmentInfeasible(f"no sponsor assignment (status {solver.status_name(status)})")
    chosen = {
        accounts[i].customer_id: sponsors[k].sponsor
        for (i, k), var in sponsored.items()
        if solver.value(var)
    }
    return _sponsorship(accounts, chosen, sponsors)


def _sponsorship(
    accounts: Sequence[AccountToAssign],
    chosen: Mapping[str, str | None],
    sponsors: Sequence[SponsorCapacity],
) -> Sponsorship:
    counts = Counter(name for name in chosen.values() if name)
    return Sponsorship(
        sponsor_of=tuple((cid, name) for cid, name in chosen.items() if name),
        sponsor_loads=tuple(
            SponsorLoad(sponsor=s.sponsor, accounts=counts[s.sponsor], max_accounts=s.max_accounts)
            for s in sponsors
        ),
        unsponsored=tuple(
            a.customer_id
            for a in accounts
            if a.tier in SPONSORED_TIERS and not chosen.get(a.customer_id)
        ),
    )


def _sponsor_model(
    model: cp_model.CpModel,
    accounts: Sequence[AccountToAssign],
    sponsors: Sequence[SponsorCapacity],
    continuity_weight: int,
) -> tuple[dict[tuple[int, int], cp_model.IntVar], cp_model.LinearExpr | int]:
    """Sponsor variables and their cost: uncovered accounts first, then moves, then spread."""
    names = [s.sponsor for s in sponsors]
    if len(set(names)) != len(names):
        raise AssignmentInfeasible("a sponsor is listed twice")
    tier_one = [i for i, a in enumerate(accounts) if a.tier in SPONSORED_TIERS]
    chosen = {
        (i, k): model.new_bool_var(f"a{i}_s{k}") for i in tier_one for k in range(len(sponsors))
    }
    if not chosen:
        return chosen, 0
    for i in tier_one:
        model.add_at_most_one(chosen[i, k] for k in range(len(sponsors)))
    loads = []
    for k, sponsor in enumerate(sponsors):
        load = sum(chosen[i, k] for i in tier_one)
        model.add(load <= sponsor.max_accounts)
        loads.append(load)
    covered = sum(chosen.values())
    index = {name: k for k, name in enumerate(names)}
    current = {i: index.get(accounts[i].current_sponsor or "") for i in tier_one}
    kept = [chosen[i, k] for i, k in current.items() if k is not None]
    highest = model.new_int_var(0, len(tier_one), "sponsor_highest")
    lowest = model.new_int_var(0, len(tier_one), "sponsor_lowest")
    model.add_max_equality(highest, loads)
    model.add_min_equality(lowest, loads)
    # Filling a sponsor's capacity counts for more than every move and spread together.
    uncovered_cost = continuity_weight * (len(accounts) + len(tier_one) + 1) + 2 * len(tier_one)
    return chosen, (
        uncovered_cost * (len(tier_one) - covered)
        + continuity_weight * (len(kept) - sum(kept))
        + (highest - lowest)
    )


def _range_phrase(managers: Sequence[ManagerCapacity], field: str, word: str = "up to") -> str:
    values = {getattr(m, field) for m in managers}
    return f" × {word} {values.pop()}" if len(values) == 1 else ""


def _managers_needed(extra_accounts: int, managers: Sequence[ManagerCapacity]) -> str:
    per_manager = max(m.max_accounts for m in managers) or 1
    needed = -(-extra_accounts // per_manager)
    return f"{needed} manager{'s' if needed != 1 else ''}"
