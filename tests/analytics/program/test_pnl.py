"""Account P&L: the arithmetic per account and rolled up."""

from datetime import date

import pytest
from store_rows import insert_rows

from kam.analytics.program.pnl import (
    CostSource,
    CostToServe,
    Sales,
    account_pnl,
    estimated_cost,
    roll_up,
    sales_between,
)


def test_pnl_arithmetic_per_account_and_rolled_up():
    sales = {"A": Sales(1000.0, 600.0), "B": Sales(500.0, None), "C": Sales(200.0, 150.0)}
    costs = {
        "A": CostToServe(150.0, CostSource.IMPORTED),
        "B": CostToServe(80.0, CostSource.ESTIMATED),
    }
    a, b, c, d = account_pnl(["A", "B", "C", "D"], sales, costs)
    assert (a.gross_margin, a.gross_margin_pct, a.contribution) == (400.0, 40.0, 250.0)
    assert a.cost_source is CostSource.IMPORTED
    assert (b.gross_margin, b.contribution) == (None, None)  # no cost of goods: unknown
    assert (c.gross_margin, c.cost_to_serve, c.contribution) == (50.0, None, None)
    assert (d.revenue, d.gross_margin) == (0.0, None)

    (kim, olli) = roll_up([a, b, c, d], {"A": "Kim", "B": "Kim", "C": "Olli"})
    assert (kim.group, kim.accounts, kim.revenue) == ("Kim", 2, 1500.0)
    assert (kim.gross_margin, kim.with_margin, kim.cogs) == (400.0, 1, 600.0)
    assert (kim.cost_to_serve, kim.contribution, kim.with_contribution) == (230.0, 250.0, 1)
    assert (kim.imported, kim.estimated) == (1, 1)
    assert (olli.revenue, olli.gross_margin, olli.gross_margin_pct) == (200.0, 50.0, 25.0)


def test_estimated_cost_is_hours_at_the_rate_plus_a_share_of_the_team():
    # 12 hours at 90 plus a fifth of a 100,000 a year manager over half a year
    assert estimated_cost(12, 90.0, 0.2, 100_000.0, 0.5) == pytest.approx(1080 + 10_000)


def test_sales_between_reads_the_months_asked_for(store):
    with store.connect() as con:
        insert_rows(
            con.con,
            "INSERT INTO customer_month VALUES (?, ?::DATE, ?, ?, 1, 1, 1, NULL, NULL)",
            [
                ("A", "2024-01-01", 100.0, 60.0),
                ("A", "2024-06-01", 50.0, 20.0),
                ("A", "2025-01-01", 999.0, 0.0),  # after the period
                ("B", "2024-03-01", 70.0, None),
            ],
        )
        sold = sales_between(con, date(2024, 1, 1), date(2025, 1, 1), ["A", "B", "Z"])
    assert sold == {"A": Sales(150.0, 80.0), "B": Sales(70.0, None)}
