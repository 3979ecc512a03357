"""The seam between this app and the analytical store's score snapshots.

Everything that touches a snapshot goes through here, so the rest of the app never names a
table. Writing, the catalogue, one account's explanation and paging are the analytics
layer's (kam.analytics.selection.snapshot); the portfolio reads below are plain Ibis
expressions over a snapshot's score table — filters, limits and group-bys that DuckDB runs,
so a snapshot of 1.5 million accounts is browsed without loading it into Python.
"""

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.analytics.selection import snapshot as engine
from kam.analytics.selection.scoring import ScoredAccounts


def write(
    store: Any, run: ScoredAccounts, snapshot_id: str, stage: Callable[[str], None] | None = None
) -> None:
    """Write ``run`` as the immutable snapshot ``snapshot_id`` and make it current."""
    engine.write_snapshot(store, run, snapshot_id, stage=stage)


def scores(con: Any, snapshot_id: str) -> ir.Table:
    """The snapshot's wide table: per-account columns, then raw/points/weighted per criterion."""
    return engine.snapshot_scores(con, snapshot_id)


def exists(con: Any, snapshot_id: str) -> bool:
    """Whether the store holds the snapshot (it may have been restored from an older backup)."""
    return engine.snapshot_info(con, snapshot_id) is not None


def explanations(con: Any, snapshot_id: str) -> ir.Table:
    """The snapshot's explanations, one row per account and criterion (see explanations_of)."""
    engine.snapshot_scores(con, snapshot_id)  # raises SnapshotError for an unknown id
    return con.table(engine.explanation_view_name(snapshot_id))


def explanation(con: Any, snapshot_id: str, customer_id: str) -> list[dict[str, Any]]:
    """One account's explanation, a row per criterion in policy order."""
    return engine.snapshot_explanation(con, snapshot_id, customer_id)


def account(
    con: Any, snapshot_id: str, customer_id: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One account's row (every column; None if the snapshot lacks it) and its explanation."""
    return engine.snapshot_account(con, snapshot_id, customer_id)


# ---- reads: each one a single engine query returning a few rows -------------------------

Sort = engine.SnapshotSort
SORTABLE: dict[str, engine.SnapshotSort] = {
    "name": Sort.NAME,
    "revenue": Sort.REVENUE,
    "growth": Sort.GROWTH,
    "attractiveness": Sort.ATTRACTIVENESS,
    "relationship": Sort.RELATIONSHIP,
    "total": Sort.TOTAL,
    "rank": Sort.KEY_RANK,
}
"""The columns the score table sorts by, as the URL names them."""

PAGE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "name",
    "region",
    "segment",
    "revenue_12m",
    "growth_slope",
    "margin_pct",
    "abc_class",
    "attractiveness",
    "relationship",
    "total",
    "coverage",
    "key_rank",
    "is_key",
    "tier",
    "quadrant",
)


def page(con: Any, snapshot_id: str, query: engine.SnapshotQuery) -> engine.SnapshotPage:
    """One page of a snapshot: searched, filtered, counted, sorted and sliced in the engine."""
    return engine.snapshot_page(con, snapshot_id, query)


def filter_values(con: Any, snapshot_id: str, column: str) -> list[str]:
    """The distinct non-empty values of ``column`` (regions, segments), sorted."""
    return engine.snapshot_filter_values(con, snapshot_id, column)


def rows_for(table: ir.Table, customer_ids: list[str], columns: tuple[str, ...]) -> dict[str, dict]:
    """The named accounts' rows, keyed by customer_id."""
    if not customer_ids:
        return {}
    subset = table.filter(table.customer_id.isin(customer_ids)).select(*columns)
    return {row["customer_id"]: row for row in subset.to_pyarrow().to_pylist()}


def key_rows(table: ir.Table, columns: tuple[str, ...], *, limit: int | None = None) -> list[dict]:
    """The snapshot's key accounts, best first."""
    keys = table.filter(table.is_key).order_by("key_rank").select(*columns)
    if limit is not None:
        keys = keys.limit(limit)
    return keys.to_pyarrow().to_pylist()


def pareto_points(table: ir.Table, points: int = 200) -> tuple[int, list[dict[str, Any]]]:
    """(customers with revenue, about ``points`` evenly spaced points of the 80/20 curve)."""
    ranked = table.filter(table.pareto_rank.notnull())
    count = int(ranked.count().to_pyarrow().as_py())
    if not count:
        return 0, []
    step = max(1, count // points)
    rank = ranked.pareto_rank
    sampled = ranked.filter((rank % step == 0) | (rank == 1) | (rank == count))
    curve = sampled.select("pareto_rank", "cumulative_share").order_by("pareto_rank")
    return count, curve.to_pyarrow().to_pylist()


def headline(table: ir.Table) -> dict[str, Any]:
    """Customers, those with revenue, the A class (80% of revenue), key accounts and theirs."""
    has_revenue = table.revenue_12m > 0
    row = (
        table.aggregate(
            customers=table.count(),
            buying=has_revenue.sum(),
            class_a=(table.abc_class == "A").sum(),
            key_accounts=table.is_key.sum(),
            # Snapshots from before capacity was applied: every key account qualified.
            qualifying=(table.qualifies if "qualifies" in table.columns else table.is_key).sum(),
            revenue=table.revenue_12m.sum(),
            key_revenue=table.revenue_12m.sum(where=table.is_key),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return {k: (v or 0) for k, v in row.items()}


def region_segment(table: ir.Table) -> list[dict[str, Any]]:
    """Revenue and customers by region × segment (customers with revenue only)."""
    buying = table.filter(table.revenue_12m > 0)
    cells = buying.group_by(["region", "segment"]).aggregate(
        customers=buying.count(),
        key_accounts=buying.is_key.sum(),
        revenue_12m=buying.revenue_12m.sum(),
    )
    return cells.order_by(["region", "segment"]).to_pyarrow().to_pylist()


def tier_quadrant_counts(table: ir.Table) -> list[dict[str, Any]]:
    """How many accounts fall in each tier × quadrant (key and high-potential only)."""
    wanted = table.filter(table.is_key | (table.tier == "high_potential"))
    counts = wanted.group_by(["tier", "quadrant"]).aggregate(accounts=wanted.count())
    return counts.to_pyarrow().to_pylist()


def movers(current: ir.Table, previous: ir.Table, limit: int = 12) -> list[dict[str, Any]]:
    """Accounts whose key status or quadrant changed, or whose total moved most, between runs.

    Only accounts key in either run count: a move deep in the tail concerns nobody.
    """
    before = previous.select(
        customer_id=previous.customer_id,
        before_total=previous.total,
        before_quadrant=previous.quadrant,
        before_key=previous.is_key,
        before_tier=previous.tier,
    )
    joined = current.join(before, current.customer_id == before.customer_id)
    joined = joined.filter(joined.is_key | joined.before_key)
    delta = (joined.total - joined.before_total).abs()
    changed = (joined.is_key != joined.before_key) | (
        joined.quadrant.fill_null("") != joined.before_quadrant.fill_null("")
    )
    declining = joined.declining if "declining" in joined.columns else ibis.literal(False)
    result = joined.select(
        "customer_id", "name", "total", "before_total", "quadrant", "before_quadrant",
        "is_key", "before_key", "tier", "before_tier", delta=delta, changed=changed,
        declining=declining,
    )  # fmt: skip
    result = result.filter(result.changed | (result.delta > 0.05))
    ordered = result.order_by([ibis.desc(result.changed), ibis.desc(result.delta)])
    return ordered.limit(limit).to_pyarrow().to_pylist()
