"""Every read of the selection app, for its pages and the CLI: the portfolio, score browsing,
explanations, ratings, future value, cycles, the tier × type matrix. Nothing here writes
(the writes are in ``services``; the manager assignment's reads in ``assignment``).

Snapshot reads open the analytical store read-only for one call and let the engine filter,
sort and page (see kam.selection.snapshots); only what a page shows comes back.
"""

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import pyarrow as pa
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from kam.accounts.access import FINANCIAL_FIELDS as FINANCIAL
from kam.accounts.access import sees_financials, without_financials
from kam.analytics.clv import future_value as clv_future_value
from kam.analytics.clv.history import AlivePoint, alive_history, purchase_dates
from kam.analytics.clv.purchases import ASKABLE
from kam.analytics.selection.coverage import Coverage, KeySetShares, coverage, key_set_shares
from kam.analytics.store import reader_memo, resolve_as_of
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.selection import snapshots
from kam.selection.assignment import key_account_managers
from kam.selection.fit_record import future_value_fit_note, future_value_label, purchase_fit_of
from kam.selection.models import (
    CycleDecision,
    KeyAccount,
    PolicyVersion,
    QuadrantChoice,
    Rating,
    ScoreRun,
    SelectionCycle,
    TierChoice,
)
from kam.stores import analytics_engine, analytics_store

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


def latest_published() -> SelectionCycle | None:
    """The cycle whose key accounts are the current ones."""
    published = SelectionCycle.objects.filter(status=SelectionCycle.Status.PUBLISHED)
    return published.order_by("-published_at", "-id").first()


def latest_ratings() -> pa.Table:
    """The rating that counts per account and criterion (the latest), as the engine reads it."""
    seen: set[tuple[str, str]] = set()
    ids, keys, values = [], [], []
    ordered = Rating.objects.order_by("account_id", "criterion_key", "-rated_at", "-id")
    for customer_id, key, value in ordered.values_list("account_id", "criterion_key", "value"):
        if (customer_id, key) in seen:
            continue
        seen.add((customer_id, key))
        ids.append(customer_id)
        keys.append(key)
        values.append(float(value))
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "criterion_key": pa.array(keys, pa.string()),
            "value": pa.array(values, pa.float64()),
        }
    )


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
    labels = dict(TierChoice.choices)
    return ScorePage(
        rows=[{**row, "tier_label": labels.get(row["tier"], "")} for row in found.rows],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
        regions=snapshots.filter_values(con, snapshot_id, "region"),
        segments=snapshots.filter_values(con, snapshot_id, "segment"),
    )


def browse_scores(user: User, run: ScoreRun, query: ScoreQuery) -> ScorePage:
    """The score table of ``run`` for the web page."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with analytics_store().connect(read_only=True) as con:
        return score_page(con, run.snapshot_id, query)


@dataclass(frozen=True)
class TierTypes:
    """One tier's key and high-potential accounts in a run, by type (quadrant)."""

    tier: str
    label: str
    by_type: dict[str, int]
    """Accounts per type, in the order of QuadrantChoice."""
    untyped: int = 0
    """Accounts of the tier without a type."""

    @property
    def cells(self) -> list[int]:
        """The counts per type, in the order of QuadrantChoice."""
        return list(self.by_type.values())

    @property
    def typed(self) -> int:
        """Accounts of the tier with a type."""
        return sum(self.by_type.values())

    @property
    def total(self) -> int:
        """Every account of the tier, with a type or without."""
        return self.typed + self.untyped


def _tier_types(table: Any) -> list[TierTypes]:
    counts = {
        (c["tier"], c["quadrant"] or ""): c["accounts"]
        for c in snapshots.tier_quadrant_counts(table)
    }
    return [
        TierTypes(
            tier=tier,
            label=str(label),
            by_type={str(q): counts.get((tier, q), 0) for q, _ in QuadrantChoice.choices},
            untyped=counts.get((tier, ""), 0),
        )
        for tier, label in TierChoice.choices
        if tier != TierChoice.NOT_KEY
    ]


@dataclass(frozen=True)
class Portfolio:
    """What the portfolio page draws from one snapshot."""

    run: ScoreRun
    headline: dict[str, Any]
    pareto: list[dict[str, Any]]
    buying: int
    cells: list[dict[str, Any]]
    bubbles: list[dict[str, Any]]
    tier_types: list[TierTypes]
    movers: list[dict[str, Any]]
    previous: ScoreRun | None
    shares: KeySetShares | None = None
    coverage: Coverage | None = None

    @property
    def key_revenue_share(self) -> float:
        """The key accounts' share of the revenue (0 when there is none)."""
        revenue = self.headline["revenue"]
        return self.headline["key_revenue"] / revenue if revenue else 0


def manager_capacity() -> int:
    """The most key accounts one manager may keep (10 before any manager exists)."""
    return max((m.max_key_accounts for m in key_account_managers()), default=10)


def run_shares(
    table: Any, run: ScoreRun, per_manager: int | None = None
) -> tuple[KeySetShares, Coverage]:
    """What ``run``'s key set holds beside the same-size sets, and how capacity limits it."""
    policy = run.policy_version.policy()
    per_manager = manager_capacity() if per_manager is None else per_manager
    fv_key = policy.future_value_criterion
    return (
        key_set_shares(table, fv_key),
        coverage(table, run.capacity, per_manager, fv_key),
    )


def portfolio(user: User, run: ScoreRun) -> Portfolio:
    """The portfolio overview of ``run``: headline figures, Pareto, heat map, bubbles, movers."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    before = previous_run(run)
    per_manager = manager_capacity()
    with analytics_store().connect(read_only=True) as con:
        # Snapshots never change: a reader copy keeps each portfolio it has computed.
        key = f"portfolio:{run.snapshot_id}:{before and before.snapshot_id}:{run.capacity}"
        key += f":{per_manager}"
        memo = reader_memo(con)
        figures = memo.get(key) if memo is not None else None
        if figures is None:
            figures = _portfolio_figures(con, run, before, per_manager)
            if memo is not None:
                memo[key] = figures
    return Portfolio(run=run, previous=before, **figures)


def _portfolio_figures(
    con: Any, run: ScoreRun, before: ScoreRun | None, per_manager: int
) -> dict[str, Any]:
    bubble_columns = (
        "customer_id", "name", "attractiveness", "relationship", "revenue_12m", "tier",
        "quadrant", "total",
    )  # fmt: skip
    table = snapshots.scores(con, run.snapshot_id)
    buying, curve = snapshots.pareto_points(table)
    moved: list[dict[str, Any]] = []
    if before is not None and snapshots.exists(con, before.snapshot_id):
        moved = snapshots.movers(table, snapshots.scores(con, before.snapshot_id))
    shares, covered = run_shares(table, run, per_manager)
    return {
        "headline": snapshots.headline(table),
        "pareto": curve,
        "buying": buying,
        "cells": snapshots.region_segment(table),
        "bubbles": snapshots.key_rows(
            table,
            # Snapshots from before the relative four-box cut have no cut columns.
            bubble_columns + tuple(c for c in CUT_COLUMNS if c in table.columns),
            limit=BUBBLE_LIMIT,
        ),
        "tier_types": _tier_types(table),
        "movers": moved,
        "shares": shares,
        "coverage": covered,
    }


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
        found, criteria = snapshots.account(con, run.snapshot_id, customer_id)
    if found is None:
        return None
    # Older snapshots have no declining / qualifies columns.
    extra = tuple(c for c in ("declining", "qualifies") if c in found)
    row = {column: found[column] for column in snapshots.PAGE_COLUMNS + extra}
    if not sees_financials(user):  # a margin or a predicted value in money shows as points only
        money = {c.key for c in run.policy_version.policy().criteria if c.feature in FINANCIAL}
        criteria = [
            {**c, "raw_value": None} if c["criterion_key"] in money else c for c in criteria
        ]
    return AccountScore(run=run, row=without_financials(user, row), criteria=criteria)


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


# ---- executive sponsors ------------------------------------------------------------------


def sponsored_in(cycle: SelectionCycle) -> dict[str, list[CycleDecision]]:
    """{sponsor's display name: the key accounts they sponsor in ``cycle``}."""
    result: dict[str, list[CycleDecision]] = {}
    for decision in cycle.decisions.select_related("account", "sponsor").exclude(sponsor=None):
        if decision.is_key and decision.sponsor is not None:
            result.setdefault(decision.sponsor.display_name, []).append(decision)
    return result


@dataclass(frozen=True)
class SponsoredAccount:
    """A key account an executive sponsor sponsors, with its revenue at the confirming cycle
    (its plan's health comes from the plans app's ``plan_health_cells`` tag)."""

    key_account: KeyAccount
    revenue_12m: float | None
    figures_as_of: date


def sponsored_accounts(user: User) -> list[SponsoredAccount]:
    """The key accounts ``user`` sponsors: tier, type, manager, and revenue at the confirming
    cycle's as-of date."""
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
        value = revenue.get(key.account_id)
        result.append(
            SponsoredAccount(
                key_account=key,
                revenue_12m=value if value is not None and math.isfinite(value) else None,
                figures_as_of=key.confirmed_cycle.as_of,
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
        row = clv_future_value.account_future_value(con, run.snapshot_id, customer_id)
        fit = purchase_fit_of(run.future_value)
        days = purchase_dates(con, customer_id, run.as_of) if row and fit and run.as_of else []
    history = alive_history(fit, days, run.as_of) if fit and days and run.as_of else []
    shown = without_financials(user, row) if row is not None else None
    return AccountFutureValue(run, shown, run.future_value, history)


def future_value_points(user: User, run: ScoreRun) -> list[dict[str, Any]]:
    """Accounts for the current-against-future scatter: revenue_12m, clv, tier, name."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    if not run.future_value_table or not sees_financials(user):
        return []  # the chart is predicted value in money: nothing of it without financials
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
) -> clv_future_value.FutureValue:
    """Every purchase model and the spend model fitted on the store as of ``as_of`` (default:
    the latest transaction), each checked on a holdout of ``holdout_weeks``, and the choice
    between them: what ``kam clv fit`` prints. Nothing is written.

    FutureValueUnavailable, saying why, when the store cannot support the models; ValueError
    for settings out of range.
    """
    check_permission(user, Permission.VIEW_ACCOUNTS)
    settings = clv_future_value.FutureValueSettings(
        months=months, holdout_weeks=holdout_weeks, models=ASKABLE
    )
    with analytics_store().connect(read_only=True) as con:
        day = resolve_as_of(con, as_of)
    with analytics_engine() as calc:
        return clv_future_value.future_value_step(calc, day, settings)


# ---- a run's and a cycle's figures, as the pages, `kam score` and `kam cycle show` show them


def tier_types(user: User, run: ScoreRun) -> list[TierTypes]:
    """The tier × type matrix of ``run``: every key tier's accounts by type."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with analytics_store().connect(read_only=True) as con:
        return _tier_types(snapshots.scores(con, run.snapshot_id))


KEY_PROPOSALS = (CycleDecision.Proposal.ADD, CycleDecision.Proposal.KEEP)


def _is_key() -> Q:
    """A decision that leaves its account key (``CycleDecision.is_key``), as a condition."""
    return Q(override_key=True) | Q(override_key__isnull=True, proposal__in=KEY_PROPOSALS)


def _moved() -> Q:
    """A decision whose account changed type (``CycleDecision.quadrant_changed``)."""
    return ~Q(quadrant="") & ~Q(previous_quadrant="") & ~Q(quadrant=F("previous_quadrant"))


def in_review_order(decisions: QuerySet[CycleDecision]) -> QuerySet[CycleDecision]:
    """Decisions as a cycle is reviewed: key accounts first, by rank, then by account id."""
    key = Case(When(_is_key(), then=Value(0)), default=Value(1), output_field=IntegerField())
    return decisions.select_related("account", "manager", "sponsor", "overridden_by").order_by(
        key, Coalesce("key_rank", Value(10**9)), "account_id"
    )


@dataclass(frozen=True)
class CycleReview:
    """A cycle with its decisions in the order they are reviewed: key accounts by rank first.

    The decisions are read when asked for: the cycle page counts them in one query and
    reads only the page it shows (``shown``); the CLI lists them all (``decisions``).
    """

    cycle: SelectionCycle
    shares: KeySetShares | None = None
    coverage: Coverage | None = None
    max_churn: float | None = None

    @cached_property
    def decisions(self) -> list[CycleDecision]:
        """Every decision of the cycle, in review order."""
        decisions = list(
            self.cycle.decisions.select_related("account", "manager", "sponsor", "overridden_by")
        )
        decisions.sort(key=lambda d: (not d.is_key, d.key_rank or 10**9, d.account_id))
        return decisions

    @property
    def churn(self) -> float | None:
        """The share of the previous key accounts this proposal removes; None for a first."""
        counts = self.counts
        before = counts["keep"] + counts["remove"]
        if self.cycle.previous_id is None or not before:
            return None
        return counts["remove"] / before

    @property
    def churn_above_band(self) -> bool:
        """Whether the proposal removes more key accounts than the policy's max_churn."""
        churn = self.churn
        return churn is not None and self.max_churn is not None and churn > self.max_churn

    @cached_property
    def counts(self) -> dict[str, int]:
        """Decisions by proposal (add / keep / remove), overridden, moved type, and key: one
        query, whatever the number of decisions."""
        Proposal = CycleDecision.Proposal
        counted = self.cycle.decisions.aggregate(
            add=Count("pk", filter=Q(proposal=Proposal.ADD)),
            keep=Count("pk", filter=Q(proposal=Proposal.KEEP)),
            remove=Count("pk", filter=Q(proposal=Proposal.REMOVE)),
            overridden=Count("pk", filter=Q(override_key__isnull=False)),
            moved=Count("pk", filter=_moved()),
            key=Count("pk", filter=_is_key()),
        )
        return {name: int(counted[name] or 0) for name in SUMMARY}

    def shown(self, show: str) -> QuerySet[CycleDecision]:
        """The decisions one filter of the cycle page shows ("add", "keep", "remove",
        "overridden", "moved"; anything else: all), in review order, read when sliced."""
        decisions = self.cycle.decisions.all()
        if show in ("add", "keep", "remove"):
            decisions = decisions.filter(proposal=show)
        elif show == "overridden":
            decisions = decisions.filter(override_key__isnull=False)
        elif show == "moved":
            decisions = decisions.filter(_moved())
        return in_review_order(decisions)


SUMMARY = ("add", "keep", "remove", "overridden", "moved", "key")
"""What ``CycleReview.counts`` counts, in the order the cycle page shows them."""


def cycle_review(user: User, cycle_id: int | None = None) -> CycleReview | None:
    """Cycle ``cycle_id`` (default: the newest) with its key set's shares; None if there is
    none. Its decisions are read when asked for (``CycleReview``)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    cycles = SelectionCycle.objects.select_related("score_run__policy_version", "previous")
    cycles = cycles.order_by("-created_at", "-id")
    cycle = cycles.filter(pk=cycle_id).first() if cycle_id is not None else cycles.first()
    if cycle is None:
        return None
    run = cycle.score_run
    shares: KeySetShares | None = None
    covered: Coverage | None = None
    per_manager = manager_capacity()
    with analytics_store().connect(read_only=True) as con:
        # Snapshots never change: a reader copy keeps each key set's shares it has computed.
        key = f"shares:{run.snapshot_id}:{run.policy_version_id}:{run.capacity}:{per_manager}"
        memo = reader_memo(con)
        found = memo.get(key) if memo is not None else None
        if found is None and snapshots.exists(con, run.snapshot_id):
            found = run_shares(snapshots.scores(con, run.snapshot_id), run, per_manager)
            if memo is not None:
                memo[key] = found
        if found is not None:
            shares, covered = found
    max_churn = run.policy_version.policy().max_churn
    return CycleReview(cycle, shares, covered, max_churn)


def policy_version(user: User, version: int | None = None) -> PolicyVersion | None:
    """Policy ``version``, or the latest; None if absent (before the first, the caller
    installs the shipped default with ``services.do_ensure_default_policy``)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    if version is None:
        return PolicyVersion.objects.order_by("-version").first()
    return PolicyVersion.objects.filter(version=version).first()
