"""The programme's measured return and seed 003's post-launch questions, answered from the
data: yes, no, or not enough data — with the figures behind each answer.

The return compares key accounts with accounts that are not key (``kam.analytics.program
.roi``) around the latest published selection cycle that has months of sales after it: the
key accounts of that cycle's scoring (its proposal, before any override) against matched
non-key accounts, and against those ranked just outside the cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from kam.analytics.account_figures import add_months
from kam.analytics.program.kpis import BY_KEY, Part, value_of
from kam.analytics.program.outcomes import (
    Outcome,
    arc_to_ratio,
    months_after,
    outcomes_around,
)
from kam.analytics.program.pnl import sales_between
from kam.analytics.program.roi import (
    Estimate,
    Verdict,
    matched_difference,
    regression_discontinuity,
)
from kam.analytics.program.wallet import Wallet, category_revenue, wallet_share
from kam.analytics.store import reader_memoised
from kam.opportunities.models import WalletEstimate
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission, has_permission
from kam.performance.costs import costs_to_serve
from kam.performance.kpi_board import satisfaction_parts, store_parts
from kam.performance.queries import key_accounts, program_settings, reading, year_window
from kam.performance.templatetags.programme_tags import points_text, share_text
from kam.selection import snapshots
from kam.selection.models import KeyAccount, SelectionCycle

MIN_ACCOUNTS = 10
"""Fewer accounts (or ratings) than this behind a comparison, and it says not enough data."""


@dataclass(frozen=True)
class Roi:
    """What being a key account earned, measured around ``cycle``'s cut. The money figures
    are None for a user who may not see financial figures, or when the effect is unknown."""

    cycle: str
    cut: date
    months_after: int
    key_accounts: int
    matched: Estimate
    discontinuity: Estimate
    naive: float | None
    """Key accounts' mean growth less non-key accounts', unmatched: the biased comparison."""
    base_revenue: float | None
    margin_pct: float | None
    incremental_revenue: float | None
    incremental_contribution: float | None
    programme_cost: float | None
    cost_source: str
    roi: float | None


def measured_cycle(latest: date) -> SelectionCycle | None:
    """The latest published cycle with at least one whole month of sales after its date."""
    cycles = SelectionCycle.objects.filter(status=SelectionCycle.Status.PUBLISHED).select_related(
        "score_run"
    )
    for cycle in cycles.order_by("-as_of", "-id"):
        if months_after(cycle.as_of, latest) >= 1 and cycle.score_run.snapshot_id:
            return cycle
    return None


@dataclass(frozen=True)
class Scored:
    """What the cycle's scoring said of one account: its rank by attractiveness, whether it
    was proposed key, its attractiveness and its revenue trend (the policy's growth slope)."""

    rank: int | None
    key: bool
    attractiveness: float
    slope: float


def _scored(con: Any, snapshot_id: str) -> tuple[dict[str, Scored], int]:
    """The snapshot's scoring per account and how many it proposed key (kept per reader
    copy: a snapshot never changes)."""
    return reader_memoised(
        con, f"program_scored:{snapshot_id}", lambda: _read_scored(con, snapshot_id)
    )


def _read_scored(con: Any, snapshot_id: str) -> tuple[dict[str, Scored], int]:
    table = snapshots.scores(con, snapshot_id)
    columns = ("customer_id", "key_rank", "is_key", "attractiveness", "growth_slope")
    rows = table.select(*columns).to_pyarrow().to_pylist()
    scored = {
        row["customer_id"]: Scored(
            row["key_rank"],
            bool(row["is_key"]),
            _number(row["attractiveness"]),
            _number(row["growth_slope"]),
        )
        for row in rows
    }
    return scored, sum(1 for one in scored.values() if one.key)


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _money(roi_inputs: dict[str, Any], matched: Estimate) -> dict[str, float | None]:
    effect = matched.effect if matched.verdict is not Verdict.TOO_THIN else None
    base, margin, cost = roi_inputs["base"], roi_inputs["margin_pct"], roi_inputs["cost"]
    # The effect is a difference of arc growth rates: the key accounts' revenue the year
    # before times the ratio it stands for, less that revenue.
    revenue = None if effect is None or abs(effect) >= 2 else (arc_to_ratio(effect) - 1) * base
    contribution = None if revenue is None or margin is None else revenue * margin / 100
    ratio = None
    if contribution is not None and cost:
        ratio = (contribution - cost) / cost
    return {
        "incremental_revenue": revenue,
        "incremental_contribution": contribution,
        "roi": ratio,
    }


@dataclass(frozen=True)
class Comparison:
    """The store's half of the measured return around one cut: what depends only on the
    store, the cycle's snapshot and the dates, so it is kept per reader copy."""

    months_after: int
    key_accounts: int
    keyed: tuple[str, ...]
    """The outcomes' accounts the cycle's scoring proposed key."""
    matched: Estimate
    discontinuity: Estimate
    naive: float | None
    base: float
    """The key accounts' revenue in the year before the cut."""


def comparison(con: Any, snapshot_id: str, cut: date, latest: date) -> Comparison:
    """The comparison around ``cut`` of the accounts ``snapshot_id`` scored, at ``latest``:
    computed once per reader copy and process (a copy, a snapshot and the dates fix every
    figure), every time on a writer's connection. At 150,000 accounts the matching alone is
    over a second of Python."""
    return reader_memoised(
        con,
        f"program_comparison:{snapshot_id}:{cut}:{latest}",
        lambda: _compare(con, snapshot_id, cut, latest),
    )


def _compare(con: Any, snapshot_id: str, cut: date, latest: date) -> Comparison:
    scored, size = _scored(con, snapshot_id)
    outcomes = [o for o in outcomes_around(con, cut, latest) if o.customer_id in scored]
    each = [scored[o.customer_id] for o in outcomes]
    is_key = [one.key for one in each]
    growth = [o.growth for o in outcomes]
    # Comparable: the same segment, and close in size, in trend and in the attractiveness
    # the policy scored, which sums up what the selection itself saw.
    matched = matched_difference(
        is_key,
        [o.segment for o in outcomes],
        [
            [o.log_revenue for o in outcomes],
            [one.slope for one in each],
            [one.attractiveness for one in each],
        ],
        growth,
    )
    running = [size + 0.5 - one.rank if one.rank is not None else math.nan for one in each]
    return Comparison(
        months_after=months_after(cut, latest),
        key_accounts=sum(is_key),
        keyed=tuple(o.customer_id for o, key in zip(outcomes, is_key, strict=True) if key),
        matched=matched,
        discontinuity=regression_discontinuity(running, growth),
        naive=_naive(outcomes, is_key),
        base=sum(o.revenue_after_last_year for o, key in zip(outcomes, is_key, strict=True) if key),
    )


def roi(user: User, keys: list[KeyAccount] | None = None) -> Roi | None:
    """The measured return around the latest published cycle with sales after it; None when
    there is none (no cycle published, or none with a month of sales after its date)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    financial = has_permission(user, Permission.VIEW_FINANCIALS)
    with reading(None) as (con, latest):
        if latest is None:
            return None
        cycle = measured_cycle(latest)
        if cycle is None or not snapshots.exists(con, cycle.score_run.snapshot_id):
            return None
        found = comparison(con, cycle.score_run.snapshot_id, cycle.as_of, latest)
        after = found.months_after
        first_after = add_months(cycle.as_of, 1)
        keyed = list(found.keyed)
        sold = sales_between(con, first_after, add_months(first_after, after), keyed)
    matched, base = found.matched, found.base
    money: dict[str, float | None] = dict.fromkeys(
        ("incremental_revenue", "incremental_contribution", "roi")
    )
    margin_pct = cost = None
    source = ""
    if financial:
        revenue = sum(s.revenue for s in sold.values())
        cogs = [s.cogs for s in sold.values() if s.cogs is not None]
        margin_pct = (revenue - sum(cogs)) / revenue * 100 if cogs and revenue > 0 else None
        chosen = set(keyed)
        keys = [k for k in (key_accounts() if keys is None else keys) if k.account_id in chosen]
        costs = costs_to_serve(
            keys, first_after, add_months(first_after, after), program_settings()
        )
        cost = sum(c.amount for c in costs.values())
        sources = sorted({c.source.value for c in costs.values()})
        source = " and ".join(sources)
        money = _money({"base": base, "margin_pct": margin_pct, "cost": cost}, matched)
    return Roi(
        cycle=cycle.name,
        cut=cycle.as_of,
        months_after=after,
        key_accounts=found.key_accounts,
        matched=matched,
        discontinuity=found.discontinuity,
        naive=found.naive,
        base_revenue=base if financial else None,
        margin_pct=margin_pct,
        incremental_revenue=money["incremental_revenue"],
        incremental_contribution=money["incremental_contribution"],
        programme_cost=cost,
        cost_source=source,
        roi=money["roi"],
    )


def _naive(outcomes: list[Outcome], is_key: list[bool]) -> float | None:
    keys = [
        o.growth for o, k in zip(outcomes, is_key, strict=True) if k and math.isfinite(o.growth)
    ]
    rest = [
        o.growth for o, k in zip(outcomes, is_key, strict=True) if not k and math.isfinite(o.growth)
    ]
    if len(keys) < MIN_ACCOUNTS or len(rest) < MIN_ACCOUNTS:
        return None
    return sum(keys) / len(keys) - sum(rest) / len(rest)


# ---- the post-launch questions ------------------------------------------------------


class Reply:
    """The three answers a post-launch question can have."""

    YES = "yes"
    NO = "no"
    NOT_ENOUGH = "not enough data"


@dataclass(frozen=True)
class Answer:
    """One post-launch question answered: ``reply`` and the figures behind it, in words."""

    key: str
    question: str
    reply: str
    figures: str


def compare(
    key: str, question: str, now: float | None, before: float | None, unit: str, count: int
) -> Answer:
    """Yes when ``now`` is above ``before``; not enough data when either is unknown or
    fewer than ``MIN_ACCOUNTS`` stand behind them."""
    if now is None or before is None or count < MIN_ACCOUNTS:
        shown = f"{count} behind the figures; at least {MIN_ACCOUNTS} are needed"
        if now is None or before is None:
            shown = "the figures for both years are not in the data"
        return Answer(key, question, Reply.NOT_ENOUGH, shown)
    reply = Reply.YES if now > before else Reply.NO
    places = 1
    while places < 3 and round(now, places) == round(before, places) and now != before:
        places += 1  # a rise shown as "3.8 and 3.8" reads as no change: show where they differ
    return Answer(
        key,
        question,
        reply,
        f"{before:,.{places}f}{unit} the year before, {now:,.{places}f}{unit} now",
    )


def revenue_answer(found: Roi | None) -> Answer:
    """Did key-account revenue grow faster than non-key? From the matched comparison."""
    question = "Did key-account revenue grow faster than non-key revenue?"
    if found is None:
        return Answer("revenue_faster", question, Reply.NOT_ENOUGH,
                      "no published selection cycle has sales after its date yet")  # fmt: skip
    estimate = found.matched
    if estimate.verdict is Verdict.TOO_THIN:
        return Answer("revenue_faster", question, Reply.NOT_ENOUGH, estimate.why)
    figures = (
        f"key accounts' growth {points_text(estimate.effect)} against comparable non-key "
        f"accounts' (95% interval {points_text(estimate.low)} to {points_text(estimate.high)}, "
        f"{estimate.n} pairs, {found.months_after} months after {found.cycle})"
    )
    reply = Reply.YES if estimate.verdict is Verdict.POSITIVE else Reply.NO
    return Answer("revenue_faster", question, reply, figures)


def post_launch_answers(
    user: User, found: Roi | None, keys: list[KeyAccount] | None = None
) -> list[Answer]:
    """Seed 003's post-launch questions, each answered from the data (the financial ones
    only for a user who may see financial figures)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    financial = has_permission(user, Permission.VIEW_FINANCIALS)
    keys = key_accounts() if keys is None else keys
    ids = [key.account_id for key in keys]
    answers = [revenue_answer(found)]
    with reading(None) as (con, day):
        if day is None:
            return answers
        year_before = add_months(day, -12)
        now_parts, then_parts = store_parts(con, ids, day), store_parts(con, ids, year_before)
        wallets = key_wallets(ids)
        start, end = year_window(day)
        with_wallet = sorted({w.customer_id for w in wallets})
        bought_now = category_revenue(con, start, end, with_wallet)
        bought_before = category_revenue(con, add_months(start, -12), start, with_wallet)
        if financial:
            earlier_start = add_months(start, -12)
            revenue_now = sales_between(con, start, end, ids)
            revenue_then = sales_between(con, earlier_start, start, ids)
    rated_now, rated_then = satisfaction_parts(ids, day), satisfaction_parts(ids, year_before)
    if financial:
        margin = BY_KEY["gross_margin"]
        answers.append(
            compare("margins_up", "Did key-account margins rise?",
                    value_of(margin, now_parts["gross_margin"].values()),
                    value_of(margin, then_parts["gross_margin"].values()), "%",
                    min(len(now_parts["gross_margin"]), len(then_parts["gross_margin"])))
        )  # fmt: skip
        settings = program_settings()
        cost_now = costs_to_serve(keys, start, end, settings)
        cost_then = costs_to_serve(keys, earlier_start, start, settings)
        answers.append(_cost_answer(cost_now, cost_then, revenue_now, revenue_then))
    retention = BY_KEY["retention"]
    answers.append(
        compare("retention_improved", "Did retention of key accounts improve?",
                value_of(retention, now_parts["retention"].values()),
                value_of(retention, then_parts["retention"].values()), "%",
                min(len(now_parts["retention"]), len(then_parts["retention"])))
    )  # fmt: skip
    answers.append(_satisfaction(rated_now, rated_then))
    answers.append(wallet_answer(wallets, bought_now, bought_before))
    return answers


def key_wallets(customer_ids: list[str]) -> list[Wallet]:
    """The wallet estimates entered or imported for ``customer_ids`` (kam.opportunities)."""
    rows = WalletEstimate.objects.filter(account_id__in=customer_ids).values_list(
        "account_id", "category", "amount"
    )
    return [Wallet(cid, category, float(amount)) for cid, category, amount in rows]


def wallet_answer(
    wallets: list[Wallet],
    bought_now: dict[tuple[str, str], float],
    bought_before: dict[tuple[str, str], float],
) -> Answer:
    """Did share of wallet grow? What the key accounts bought in their estimated wallets in
    the last 12 months against the 12 before, both over today's estimates; not enough data
    with fewer than ``MIN_ACCOUNTS`` key accounts holding an estimate."""
    key, question = "share_of_wallet", "Did share of wallet grow?"
    found = wallet_share(wallets, bought_now, bought_before)
    if found.accounts < MIN_ACCOUNTS or found.share_now is None or found.share_before is None:
        return Answer(key, question, Reply.NOT_ENOUGH,
                      f"{found.accounts} key account{'s' if found.accounts != 1 else ''} "
                      f"with a wallet estimate (whitespace page or kam import wallet); at "
                      f"least {MIN_ACCOUNTS} are needed")  # fmt: skip
    reply = Reply.YES if found.share_now > found.share_before else Reply.NO
    return Answer(key, question, reply,
                  f"{share_text(found.share_before)} of the estimated wallets the year "
                  f"before, {share_text(found.share_now)} now ({found.estimates} estimates "
                  f"on {found.accounts} key accounts; both years against today's "
                  f"estimates)")  # fmt: skip


def _satisfaction(now: dict[str, Part], then: dict[str, Part]) -> Answer:
    kpi = BY_KEY["satisfaction"]
    rated = int(
        min(sum(p.denominator for p in now.values()), sum(p.denominator for p in then.values()))
    )
    question = "Did key customers' satisfaction go up?"
    now_value, then_value = value_of(kpi, now.values()), value_of(kpi, then.values())
    return compare("satisfaction_up", question, now_value, then_value, " / 5", rated)


def _cost_answer(cost_now: dict, cost_then: dict, revenue_now: dict, revenue_then: dict) -> Answer:
    question = "Did cost to serve grow faster than revenue?"
    both = [
        cid for cid in cost_now if cid in cost_then and cid in revenue_now and cid in revenue_then
    ]
    spent_now = sum(cost_now[c].amount for c in both)
    spent_then = sum(cost_then[c].amount for c in both)
    sold_now = sum(revenue_now[c].revenue for c in both)
    sold_then = sum(revenue_then[c].revenue for c in both)
    if len(both) < MIN_ACCOUNTS or spent_then <= 0 or sold_then <= 0:
        return Answer("cost_to_serve_faster", question, Reply.NOT_ENOUGH,
                      f"cost to serve and revenue for both years on {len(both)} key accounts; "
                      f"at least {MIN_ACCOUNTS} are needed")  # fmt: skip
    cost_growth = spent_now / spent_then - 1
    revenue_growth = sold_now / sold_then - 1
    sources = sorted(
        {cost_now[c].source.value for c in both} | {cost_then[c].source.value for c in both}
    )
    reply = Reply.YES if cost_growth > revenue_growth else Reply.NO
    return Answer("cost_to_serve_faster", question, reply,
                  f"cost to serve {cost_growth:+.1%} ({' and '.join(sources)}), revenue "
                  f"{revenue_growth:+.1%}, on {len(both)} key accounts")  # fmt: skip
