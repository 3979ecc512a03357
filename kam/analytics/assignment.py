"""Assigning key accounts to key account managers under the capacity rule (seed 002: 5–10 each).

Solved as an integer programme with OR-Tools CP-SAT, not a greedy loop:

- every key account gets exactly one manager;
- every manager holds between their minimum and maximum number of accounts;
- an account keeps its current manager where it can (a move costs ``continuity_weight``),
  because "when the account manager moves on, the partnership is at risk" (seed 003);
- among the assignments that cost the fewest moves, the tier-weighted workload is balanced
  (the spread between the most and the least loaded manager is minimised).

When no assignment can satisfy the rules, the reason is said plainly, e.g.
"38 key accounts, capacity 30 (3 managers × up to 10)".
"""

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

# How much of a manager's week an account takes, by tier: Tier 1 accounts need most.
DEFAULT_TIER_WEIGHTS: dict[str, int] = {
    "Tier 1": 3,
    "Tier 2": 2,
    "Tier 3": 1,
    "High potential": 1,
}


class AssignmentInfeasible(Exception):
    """No assignment satisfies the capacity rules; the message says why in plain words."""


@dataclass(frozen=True)
class ManagerCapacity:
    """A key account manager and how many key accounts they may hold."""

    manager: str
    min_accounts: int = 5
    max_accounts: int = 10


@dataclass(frozen=True)
class AccountToAssign:
    """A key account, its tier, and who manages it today (None for a new key account)."""

    customer_id: str
    tier: str
    current_manager: str | None = None


@dataclass(frozen=True)
class Placement:
    """One account's manager in the proposed assignment."""

    customer_id: str
    tier: str
    manager: str
    previous_manager: str | None
    weight: int

    @property
    def moved(self) -> bool:
        """True when the account changes hands (not when a new key account gets a manager)."""
        return self.previous_manager is not None and self.previous_manager != self.manager


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

    def manager_of(self, customer_id: str) -> str:
        """The proposed manager of ``customer_id``."""
        return next(p.manager for p in self.placements if p.customer_id == customer_id)


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
    tier_weights: dict[str, int] | None = None,
    continuity_weight: int = 10,
    time_limit_seconds: float = 20.0,
) -> Assignment:
    """Propose a manager for every key account; see the module docstring for the rules.

    ``continuity_weight`` is what one move costs against one unit of workload spread: the
    default makes keeping relationships matter more than a perfectly even split.
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
    model.minimize(continuity_weight * moves + (highest - lowest))

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
    )


def _range_phrase(managers: Sequence[ManagerCapacity], field: str, word: str = "up to") -> str:
    values = {getattr(m, field) for m in managers}
    return f" × {word} {values.pop()}" if len(values) == 1 else ""


def _managers_needed(extra_accounts: int, managers: Sequence[ManagerCapacity]) -> str:
    per_manager = max(m.max_accounts for m in managers) or 1
    needed = -(-extra_accounts // per_manager)
    return f"{needed} manager{'s' if needed != 1 else ''}"
