"""Reads for the selection pages: the portfolio, score browsing, explanations, cycles, workload.

Snapshot reads open the analytical store read-only for one call and let the engine filter,
sort and page (see kam.selection.snapshots); only what a page shows comes back.
"""

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kam.analytics.assignment import (
    AccountToAssign,
    Assignment,
    AssignmentInfeasible,
    ManagerCapacity,
    SponsorCapacity,
    Sponsorship,
    assign_accounts,
    assign_sponsors,
)
from kam.analytics.clv import portfolio as clv_portfolio
from kam.analytics.clv.history import AlivePoint, alive_history, purchase_dates
from kam.analytics.clv.purchases import ASKABLE
from kam.analytics.clv.purchases import label as model_label
from kam.analytics.clv.results import FitResult
from kam.analytics.selection.coverage import Coverage, KeySetShares, coverage, key_set_shares
from kam.analytics.store import resolve_as_of
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import check_permission
from kam.plans import queries as plan_queries
from kam.selection import snapshots
from kam.selection.cycles import TIER_WEIGHTS, tier_label
from kam.selection.models import (
    CycleDecision,
    KeyAccount,
    PolicyVersion,
    Rating,
    ScoreRun,
    SelectionCycle,
    TierChoice,
)
from kam.selection.services import do_ensure_default_policy
from kam.selection.sponsors import sponsor_capacity
from kam.stores import analytics_store

CUT_COLUMNS = ("attractiveness_cut", "relationship_cut")
"""Where the four-box cuts its axes, recorded per snapshot (see scoring._quadrant_cuts)."""

BUBBLE_LIMIT = 600
"""The four-box chart draws at most this many key accounts (the best by total)."""


def latest_run() -> ScoreRun | None:
    """The newest finished score run: the snapshot the portfolio page shows."""
    return (
        ScoreRun.objects.filter(status=ScoreRun.Status.DONE).order_by("-finished_at", "-id").first()
    )


def previous_run(run: ScoreRun) -> ScoreRun | None:
    """The finished run before ``run`` (for movers)."""
    older = ScoreRun.objects.filter(status=ScoreRun.Status.DONE, finished_at__lt=run.finished_at)
    return older.order_by("-finished_at", "-id").first()


@dataclass(frozen=True)
class ScoreQuery:
    """What the score table was asked for; empty strings mean no filter."""

    search: str = ""
    region: str = ""
    segment: str = ""
    tier: str = ""
    quadrant: str = ""
    key_only: bool = False
    sort: str = "rank"
    descending: bool = False
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class ScorePage:
    """One page of a snapshot's accounts and how many matched."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    regions: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.page_size)


def score_page(con: Any, snapshot_id: str, query: ScoreQuery) -> ScorePage:
    """One page of a snapshot under ``query``: filtered, counted, sorted and sliced in DuckDB."""
    found = snapshots.page(
        con,
        snapshot_id,
        snapshots.engine.SnapshotQuery(
            search=query.search,
            tier=query.tier,
            quadrant=query.quadrant,
            region=query.region,
            segment=query.segment,
            key_only=query.key_only,
            sort=snapshots.SORTABLE.get(query.sort, snapshots.Sort.KEY_RANK),
            descending=query.descending,
            page=query.page,
            page_size=query.page_size,
        ),
    )
    table = snapshots.scores(con, snapshot_id)
    labels = dict(TierChoice.choices)
    return ScorePage(
        rows=[{**row, "tier_label": labels.get(row["tier"], "")} for row in found.rows],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
        regions=snapshots.filter_values(table, "region"),
        segments=snapshots.filter_values(table, "segment"),
    )


def browse_scores(user: User, run: ScoreRun, query: ScoreQuery) -> ScorePage:
    """The score table of ``run`` for the web page."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with analytics_store().connect(read_only=True) as con:
        return score_page(con, run.snapshot_id, query)


@dataclass(frozen=True)
class Portfolio:
    """What the portfolio page draws from one snapshot."""

    run: ScoreRun
    headline: dict[str, Any]
    pareto: list[dict[str, Any]]
    buying: int
    cells: list[dict[str, Any]]
    bubbles: list[dict[str, Any]]
    tiers_by_quadrant: list[dict[str, Any]]
    movers: list[dict[str, Any]]
    previous: ScoreRun | None
    shares: KeySetShares | None = None
    coverage: Coverage | None = None


def run_shares(table: Any, run: ScoreRun) -> tuple[KeySetShares, Coverage]:
    """What ``run``'s key set holds beside the same-size sets, and how capacity limits it."""
    policy = run.policy_version.policy()
    managers = key_account_managers()
    per_manager = max((m.max_key_accounts for m in managers), default=10)
    fv_key = policy.future_value_criterion
    return (
        key_set_shares(table, fv_key),
        coverage(table, run.capacity, per_manager, fv_key),
    )


def portfolio(user: User, run: ScoreRun) -> Portfolio:
    """The portfolio overview of ``run``: headline figures, Pareto, heat map, bubbles, movers."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    before = previous_run(run)
    bubble_columns = (
        "customer_id", "name", "attractiveness", "relationship", "revenue_12m", "tier",
        "quadrant", "total",
    )  # fmt: skip
    with analytics_store().connect(read_only=True) as con:
        table = snapshots.scores(con, run.snapshot_id)
        buying, curve = snapshots.pareto_points(table)
        moved: list[dict[str, Any]] = []
        if before is not None and snapshots.exists(con, before.snapshot_id):
            moved = snapshots.movers(table, snapshots.scores(con, before.snapshot_id))
        shares, covered = run_shares(table, run)
        return Portfolio(
            run=run,
            headline=snapshots.headline(table),
            pareto=curve,
            buying=buying,
            cells=snapshots.region_segment(table),
            bubbles=snapshots.key_rows(
                table,
                # Snapshots from before the relative four-box cut have no cut columns.
                bubble_columns + tuple(c for c in CUT_COLUMNS if c in table.columns),
                limit=BUBBLE_LIMIT,
            ),
            tiers_by_quadrant=snapshots.tier_quadrant_counts(table),
            movers=moved,
            previous=before,
            shares=shares,
            coverage=covered,
        )


@dataclass(frozen=True)
class AccountScore:
    """One account's score in a snapshot, criterion by criterion."""

    run: ScoreRun
    row: dict[str, Any]
    criteria: list[dict[str, Any]]


def account_score(user: User, run: ScoreRun, customer_id: str) -> AccountScore | None:
    """The explanation of ``customer_id``'s score in ``run``; None if the snapshot lacks it."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with analytics_store().connect(read_only=True) as con:
        table = snapshots.scores(con, run.snapshot_id)
        # Older snapshots have no declining / qualifies columns.
        extra = tuple(c for c in ("declining", "qualifies") if c in table.columns)
        rows = snapshots.rows_for(table, [customer_id], snapshots.PAGE_COLUMNS + extra)
        if customer_id not in rows:
            return None
        criteria = snapshots.explanation(con, run.snapshot_id, customer_id)
    return AccountScore(run=run, row=rows[customer_id], criteria=criteria)


def current_ratings(customer_id: str) -> dict[str, Rating]:
    """The rating that counts per criterion for one account (the latest)."""
    latest: dict[str, Rating] = {}
    for rating in Rating.objects.filter(account_id=customer_id).select_related("rated_by"):
        latest.setdefault(rating.criterion_key, rating)  # ordered newest first per key
    return latest


def rating_history(customer_id: str, limit: int = 30) -> list[Rating]:
    """The account's ratings, newest first."""
    ratings = Rating.objects.filter(account_id=customer_id).select_related("rated_by")
    return list(ratings.order_by("-rated_at", "-id")[:limit])


@dataclass(frozen=True)
class CycleComparison:
    """Two cycles side by side: who is key in each, and who moved."""

    older: SelectionCycle
    newer: SelectionCycle
    added: list[CycleDecision]
    removed: list[CycleDecision]
    kept: list[CycleDecision]
    quadrant_changes: list[tuple[CycleDecision, CycleDecision]]


def compare_cycles(user: User, first: SelectionCycle, second: SelectionCycle) -> CycleComparison:
    """Compare the final key accounts of two cycles (in as-of order)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    older, newer = sorted((first, second), key=lambda c: (c.as_of, c.pk))
    before = {d.account_id: d for d in older.decisions.select_related("account") if d.is_key}
    after = {d.account_id: d for d in newer.decisions.select_related("account") if d.is_key}
    kept = [after[c] for c in sorted(after.keys() & before.keys())]
    return CycleComparison(
        older=older,
        newer=newer,
        added=[after[c] for c in sorted(after.keys() - before.keys())],
        removed=[before[c] for c in sorted(before.keys() - after.keys())],
        kept=kept,
        quadrant_changes=[
            (before[d.account_id], d)
            for d in kept
            if d.quadrant and before[d.account_id].quadrant != d.quadrant
        ],
    )


# ---- manager assignment -------------------------------------------------------------------


def key_account_managers() -> list[User]:
    """Everyone who can hold key accounts: active users with the Key Account Manager role."""
    managers = User.objects.filter(is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER.value)
    return list(managers.distinct().order_by("last_name", "first_name", "username"))


def executive_sponsors() -> list[tuple[User, int]]:
    """Everyone who can sponsor Tier 1 accounts, with their capacity: active Executive
    Sponsors."""
    sponsors = User.objects.filter(is_active=True, groups__name=Role.EXECUTIVE_SPONSOR.value)
    ordered = sponsors.distinct().order_by("last_name", "first_name", "username")
    return [(sponsor, sponsor_capacity(sponsor)) for sponsor in ordered]


@dataclass(frozen=True)
class AssignmentProposal:
    """The solver's proposal for a cycle, or why there is none."""

    assignment: Assignment | None
    problem: str
    accounts: int
    capacity: int
    managers: list[User]
    sponsors: list[tuple[User, int]] = field(default_factory=list)
    sponsorship: Sponsorship | None = None


def propose_assignment(user: User, cycle: SelectionCycle) -> AssignmentProposal:
    """Solve the assignment of ``cycle``'s key accounts (keeping current managers if it can)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    keys = [d for d in cycle.decisions.all() if d.is_key]
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
        assignment = assign_accounts(
            accounts, capacities, sponsors=sponsor_slots, time_limit_seconds=10
        )
    except AssignmentInfeasible as error:
        # Sponsors do not wait for the managers: they are proposed on their own.
        alone = assign_sponsors(accounts, sponsor_slots)
        return AssignmentProposal(
            None, str(error), len(accounts), capacity, managers, sponsors, alone
        )
    return AssignmentProposal(
        assignment, "", len(accounts), capacity, managers, sponsors, assignment.sponsorship
    )


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


def sponsored_in(cycle: SelectionCycle) -> dict[str, list[CycleDecision]]:
    """{sponsor's display name: the key accounts they sponsor in ``cycle``}."""
    result: dict[str, list[CycleDecision]] = {}
    for decision in cycle.decisions.select_related("account", "sponsor").exclude(sponsor=None):
        if decision.is_key and decision.sponsor is not None:
            result.setdefault(decision.sponsor.display_name, []).append(decision)
    return result


@dataclass(frozen=True)
class SponsoredAccount:
    """A key account an executive sponsor sponsors, with the figures known about it today."""

    key_account: KeyAccount
    revenue_12m: float | None
    figures_as_of: date
    plan: Any
    plan_freshness_days: int | None
    plan_stale: bool
    overdue_actions: int


def sponsored_accounts(user: User, today: date) -> list[SponsoredAccount]:
    """The key accounts ``user`` sponsors: tier, type, manager, revenue at the confirming
    cycle's as-of date, and their plan's (the active one, else the latest draft) freshness and
    overdue actions at ``today``."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    keys = KeyAccount.objects.filter(executive_sponsor=user).select_related(
        "account", "manager", "confirmed_cycle"
    )
    revenue = dict(
        CycleDecision.objects.filter(
            cycle__in={k.confirmed_cycle_id for k in keys}, account__in=[k.account_id for k in keys]
        ).values_list("account_id", "revenue_12m")
    )
    result = []
    for key in keys:
        plans = key.account.plans.exclude(status="archived")
        plan = plans.filter(status="active").first() or plans.first()
        fresh = plan_queries.freshness(plan, today) if plan else None
        value = revenue.get(key.account_id)
        result.append(
            SponsoredAccount(
                key_account=key,
                revenue_12m=value if value is not None and math.isfinite(value) else None,
                figures_as_of=key.confirmed_cycle.as_of,
                plan=plan,
                plan_freshness_days=fresh.days if fresh else None,
                plan_stale=bool(fresh and fresh.stale),
                overdue_actions=len(plan_queries.overdue_actions(plan, today)) if plan else 0,
            )
        )
    return result


def as_of_label(day: date | None) -> str:
    """A date as the pages print it."""
    return day.strftime("%-d %b %Y") if day else "—"


# ---- future value (lifetime-value models) -------------------------------------------------

SCATTER_LIMIT = 3000
"""The future-value scatter draws at most this many accounts (the largest by predicted CLV,
plus every high-potential account)."""


def purchase_fit_of(record: dict[str, Any]) -> FitResult | None:
    """The fit behind a run's predictions (the chosen model's, or the limit used for it).

    Records from before the limits name only ``model``; newer ones name the model asked
    for (``chosen``) beside the model fitted, as two asked models may reach the same limit.
    """
    wanted = record.get("chosen", record.get("model"))
    chosen = next(
        (m for m in record.get("purchase_models", []) if m.get("asked", m["model"]) == wanted),
        None,
    )
    if chosen is None or any(v is None for v in chosen["params"].values()):
        return None
    return FitResult(
        model=chosen["model"],
        params=chosen["params"],
        std_errors=chosen["std_errors"],
        log_likelihood=chosen["log_likelihood"],
        n_customers=chosen["customers"],
        converged=chosen["converged"],
        iterations=0,
        message=chosen["message"],
        time_unit=chosen["time_unit"],
    )


def future_value_label(record: dict[str, Any]) -> str:
    """The models a run's predicted values come from, in words ("BG/NBD + Gamma-Gamma");
    "" for a run without them."""
    if not record:
        return ""
    if record.get("label"):
        return str(record["label"])
    return f"{model_label(str(record.get('model', '')))} + Gamma-Gamma"


def future_value_fit_note(record: dict[str, Any]) -> str:
    """What happened when a run's chosen purchase model was fitted, in words: the limit used
    and why ("" when it converged as asked, or for a run without predicted values)."""
    wanted = record.get("chosen", record.get("model"))
    for model in record.get("purchase_models", []):
        if model.get("asked", model.get("model")) == wanted:
            return str(model.get("note") or "")
    return ""


@dataclass(frozen=True)
class AccountFutureValue:
    """One account's future value in a run: its row, the fit behind it, P(alive) over time."""

    run: ScoreRun
    row: dict[str, Any] | None
    record: dict[str, Any]
    history: list[AlivePoint]

    @property
    def model_label(self) -> str:
        """The models the figures come from, in words ("BG/NBD + Gamma-Gamma")."""
        return future_value_label(self.record)

    @property
    def fit_note(self) -> str:
        """What happened when the chosen model was fitted ("" when it simply converged)."""
        return future_value_fit_note(self.record)


def account_future_value(user: User, customer_id: str) -> AccountFutureValue | None:
    """The latest run's future value of ``customer_id``; None before any scoring run."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    run = latest_run()
    if run is None:
        return None
    if not run.future_value_table:
        return AccountFutureValue(run, None, {}, [])
    with analytics_store().connect(read_only=True) as con:
        row = clv_portfolio.account_future_value(con, run.snapshot_id, customer_id)
        fit = purchase_fit_of(run.future_value)
        days = purchase_dates(con, customer_id, run.as_of) if row and fit and run.as_of else []
    history = alive_history(fit, days, run.as_of) if fit and days and run.as_of else []
    return AccountFutureValue(run, row, run.future_value, history)


def future_value_points(user: User, run: ScoreRun) -> list[dict[str, Any]]:
    """Accounts for the current-against-future scatter: revenue_12m, clv, tier, name."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    if not run.future_value_table:
        return []
    with analytics_store().connect(read_only=True) as con:
        if run.future_value_table not in con.list_tables():
            return []
        scores = snapshots.scores(con, run.snapshot_id)
        clv = con.table(run.future_value_table)
        joined = scores.join(clv, scores.customer_id == clv.customer_id).select(
            scores.customer_id, scores.name, scores.revenue_12m, scores.tier, scores.is_key,
            clv.clv, clv.clv_lower, clv.clv_upper, clv.p_alive,
        )  # fmt: skip
        # A missing value (NULL: not a finite number) is not drawn.
        joined = joined.filter(
            (joined.revenue_12m > 0)
            & (joined.clv > 0)
            & joined.clv_lower.notnull()
            & joined.clv_upper.notnull()
        )
        top = joined.order_by(joined.clv.desc()).limit(SCATTER_LIMIT)
        promising = joined.filter(joined.tier == TierChoice.HIGH_POTENTIAL.value).limit(600)
        rows = top.to_pyarrow().to_pylist() + promising.to_pyarrow().to_pylist()
    unique = {r["customer_id"]: r for r in rows}  # a high-potential account may be in both
    return list(unique.values())


def future_value_check(
    user: User, *, as_of: date | None = None, months: int = 24, holdout_weeks: int = 26
) -> clv_portfolio.FutureValue:
    """Every purchase model and the spend model fitted on the store as of ``as_of`` (default:
    the latest transaction), each checked on a holdout of ``holdout_weeks``, and the choice
    between them: what ``kam clv fit`` prints. Nothing is written.

    FutureValueUnavailable, saying why, when the store cannot support the models; ValueError
    for settings out of range.
    """
    check_permission(user, Permission.VIEW_ACCOUNTS)
    settings = clv_portfolio.FutureValueSettings(
        months=months, holdout_weeks=holdout_weeks, models=ASKABLE
    )
    with analytics_store().connect(read_only=True) as con:
        day = resolve_as_of(con, as_of)
        return clv_portfolio.future_value_step(con, day, settings)


# ---- a run's and a cycle's figures, as `kam score` and `kam cycle show` print them ---------


def tier_type_counts(user: User, run: ScoreRun) -> dict[tuple[str, str], int]:
    """How many key and high-potential accounts ``run`` puts in each (tier, quadrant); the
    quadrant is "" for an account without one."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with analytics_store().connect(read_only=True) as con:
        counts = snapshots.tier_quadrant_counts(snapshots.scores(con, run.snapshot_id))
    return {(c["tier"], c["quadrant"] or ""): c["accounts"] for c in counts}


@dataclass(frozen=True)
class CycleReview:
    """A cycle with its decisions in the order they are reviewed: key accounts by rank first."""

    cycle: SelectionCycle
    decisions: list[CycleDecision]
    shares: KeySetShares | None = None
    coverage: Coverage | None = None
    max_churn: float | None = None

    @property
    def churn(self) -> float | None:
        """The share of the previous key accounts this proposal removes; None for a first."""
        before = sum(d.proposal in ("keep", "remove") for d in self.decisions)
        if self.cycle.previous_id is None or not before:
            return None
        return sum(d.proposal == "remove" for d in self.decisions) / before

    @property
    def churn_above_band(self) -> bool:
        """Whether the proposal removes more key accounts than the policy's max_churn."""
        churn = self.churn
        return churn is not None and self.max_churn is not None and churn > self.max_churn

    @property
    def counts(self) -> dict[str, int]:
        """Decisions by proposal (add / keep / remove), overridden, moved type, and key."""
        decisions = self.decisions
        return {
            "add": sum(d.proposal == "add" for d in decisions),
            "keep": sum(d.proposal == "keep" for d in decisions),
            "remove": sum(d.proposal == "remove" for d in decisions),
            "overridden": sum(d.override_key is not None for d in decisions),
            "moved": sum(bool(d.quadrant_changed) for d in decisions),
            "key": sum(d.is_key for d in decisions),
        }


def cycle_review(user: User, cycle_id: int | None = None) -> CycleReview | None:
    """Cycle ``cycle_id`` (default: the newest) with its decisions; None if there is none."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    cycles = SelectionCycle.objects.select_related("score_run", "previous")
    cycles = cycles.order_by("-created_at", "-id")
    cycle = cycles.filter(pk=cycle_id).first() if cycle_id is not None else cycles.first()
    if cycle is None:
        return None
    decisions = list(
        cycle.decisions.select_related("account", "manager", "sponsor", "overridden_by")
    )
    decisions.sort(key=lambda d: (not d.is_key, d.key_rank or 10**9, d.account_id))
    run = cycle.score_run
    shares: KeySetShares | None = None
    covered: Coverage | None = None
    with analytics_store().connect(read_only=True) as con:
        if snapshots.exists(con, run.snapshot_id):
            shares, covered = run_shares(snapshots.scores(con, run.snapshot_id), run)
    max_churn = run.policy_version.policy().max_churn
    return CycleReview(cycle, decisions, shares, covered, max_churn)


def policy_version(user: User, version: int | None = None) -> PolicyVersion | None:
    """Policy ``version``, or the latest (the shipped default on first use); None if absent."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    if version is None:
        return do_ensure_default_policy()
    return PolicyVersion.objects.filter(version=version).first()
