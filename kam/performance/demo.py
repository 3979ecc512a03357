"""The demo company's cost to serve: finance's quarterly figures for its Tier 1 key
accounts over the last two years, written as ``cost_to_serve.csv`` and imported like
anyone's file; the other key accounts keep the estimate from their engagement log, so the
P&L shows both."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from kam.analytics.account_figures import add_months
from kam.analytics.store import latest_transaction_date
from kam.people.models import User
from kam.people.roles import Role
from kam.performance import services
from kam.selection.models import KeyAccount
from kam.stores import analytics_store

QUARTERS = 8


def write_demo_costs(path: Path, seed: int) -> int:
    """Write the Tier 1 key accounts' quarterly cost to serve (1.5–4.5% of the quarter's
    revenue, a rate of their own) for the last ``QUARTERS`` quarters; returns the rows."""
    ids = sorted(KeyAccount.objects.filter(tier="tier_1").values_list("account_id", flat=True))
    if not ids:
        return 0
    rng = random.Random(seed)
    rates = {cid: rng.uniform(0.015, 0.045) for cid in ids}
    with analytics_store().connect(read_only=True) as con:
        latest = latest_transaction_date(con)
        if latest is None:
            return 0
        first = add_months(latest, -3 * QUARTERS + 1)
        months = con.con.execute(
            "SELECT customer_id, month, sum(revenue) FROM customer_month "
            "WHERE customer_id IN (SELECT unnest(?)) AND month >= ? GROUP BY 1, 2",
            [ids, first],
        ).fetchall()
    quarters: dict[tuple[str, int], float] = {}
    for cid, month, revenue in months:
        index = ((month.year - first.year) * 12 + month.month - first.month) // 3
        quarters[(cid, index)] = quarters.get((cid, index), 0.0) + max(float(revenue or 0), 0.0)
    rows = []
    for cid in ids:
        for index in range(QUARTERS):
            start = add_months(first, 3 * index)
            end = add_months(start, 3) - timedelta(days=1)
            amount = round(quarters.get((cid, index), 0.0) * rates[cid], 2)
            rows.append([cid, start.isoformat(), end.isoformat(), f"{amount:.2f}", "finance"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "period_start", "period_end", "amount", "note"])
        writer.writerows(rows)
    return len(rows)


def do_load_demo_costs(people: Sequence[User], *, seed: int, directory: Path) -> int:
    """Write and import the demo's cost-to-serve file as its Head of KAM; the rows imported."""
    head = next((p for p in people if Role.HEAD_OF_KAM in p.roles()), None)
    path = directory / "cost_to_serve.csv"
    if head is None or not write_demo_costs(path, seed):
        return 0
    return services.do_import_cost_to_serve(head, path).rows
