"""Share of wallet of the key accounts (seed 003's post-launch question "did share of wallet
grow?"): what they bought in the categories whose yearly wallet someone estimated, over the
sum of those wallets, in the last 12 months and in the 12 before.

Wallet estimates (kam.opportunities: entered on the whitespace page or imported) carry no
history, so both years are read against today's estimates: the question answered is
whether key accounts now buy more of the wallets we know of than they did a year before.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.program.pnl import ids_key
from kam.analytics.store import reader_memoised


@dataclass(frozen=True)
class Wallet:
    """One estimate: ``amount`` is what ``customer_id`` spends in ``category`` in a year, with
    every supplier."""

    customer_id: str
    category: str
    amount: float


@dataclass(frozen=True)
class WalletShare:
    """Key accounts' purchases in their estimated wallets, now and a year before."""

    wallet: float
    bought_now: float
    bought_before: float
    accounts: int
    estimates: int

    @property
    def share_now(self) -> float | None:
        """What they bought in the last 12 months over the wallets (None without a wallet)."""
        return self.bought_now / self.wallet if self.wallet > 0 else None

    @property
    def share_before(self) -> float | None:
        """The same for the 12 months before."""
        return self.bought_before / self.wallet if self.wallet > 0 else None


def category_revenue(
    con: DuckDBBackend, start: date, end: date, customer_ids: Sequence[str]
) -> dict[tuple[str, str], float]:
    """{(customer id, category): revenue} of the invoice lines dated from ``start`` up to
    (not including) ``end``, credit notes against it; kept per reader copy."""
    if not customer_ids:
        return {}
    if not isinstance(con, DuckDBBackend):
        lines = con.table("transactions")
        inside = lines.filter(
            (lines.date >= start) & (lines.date < end) & lines.customer_id.isin(customer_ids)
        )
        rows = inside.group_by("customer_id", "category").aggregate(revenue=inside.revenue.sum())
        return {
            (row["customer_id"], row["category"]): float(row["revenue"] or 0.0)
            for row in rows.to_pyarrow().to_pylist()
            if row["category"] is not None
        }

    def read() -> dict[tuple[str, str], float]:
        rows = con.con.execute(
            "SELECT customer_id, category, sum(revenue) FROM transactions"
            " WHERE date >= $start AND date < $end AND category IS NOT NULL"
            " AND customer_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY 1, 2",
            {"start": start, "end": end, "ids": list(customer_ids)},
        ).fetchall()
        return {(cid, category): float(revenue or 0.0) for cid, category, revenue in rows}

    key = f"program_category_revenue:{start}:{end}:{ids_key(customer_ids)}"
    return dict(reader_memoised(con, key, read))


def wallet_share(
    wallets: Sequence[Wallet],
    bought_now: dict[tuple[str, str], float],
    bought_before: dict[tuple[str, str], float],
) -> WalletShare:
    """The share of ``wallets`` bought in each year. Only estimates above zero count; a
    category whose credit notes outweigh its invoices counts as nothing bought."""
    counted = [w for w in wallets if w.amount > 0]

    def bought(figures: dict[tuple[str, str], float]) -> float:
        return sum(max(figures.get((w.customer_id, w.category), 0.0), 0.0) for w in counted)

    return WalletShare(
        wallet=sum(w.amount for w in counted),
        bought_now=bought(bought_now),
        bought_before=bought(bought_before),
        accounts=len({w.customer_id for w in counted}),
        estimates=len(counted),
    )
