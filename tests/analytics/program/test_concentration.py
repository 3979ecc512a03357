"""Concentration: the HHI's arithmetic and the shares of the largest customers over time."""

from datetime import date

import pytest
from store_rows import insert_rows

from kam.analytics.program.concentration import (
    account_shares,
    concentration_dates,
    concentration_over_time,
    hhi,
)
from kam.analytics.store import AnalyticsStore


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([100.0], 10_000.0),  # one customer holds everything
        ([50.0, 50.0], 5_000.0),
        ([25.0] * 4, 2_500.0),
        ([1.0] * 100, 100.0),
        ([60.0, 30.0, 10.0], 3_600 + 900 + 100),
        ([60.0, 30.0, 10.0, -20.0, 0.0], 3_600 + 900 + 100),  # credit balances hold no share
        ([], None),
        ([-5.0, 0.0], None),
        ([float("nan"), 50.0, 50.0], 5_000.0),  # a non-finite figure is missing
    ],
)
def test_hhi(values, expected):
    assert hhi(values) == pytest.approx(expected) if expected is not None else hhi(values) is None


def _seed(store: AnalyticsStore, rows: list[tuple[str, str, float, float | None]]) -> None:
    with store.connect() as con:
        names = sorted({row[0] for row in rows})
        insert_rows(
            con.con,
            "INSERT INTO customers VALUES (?, ?, NULL, NULL, NULL, NULL)",
            [(c, c) for c in names],
        )
        insert_rows(
            con.con,
            "INSERT INTO customer_month VALUES (?, ?::DATE, ?, ?, 1, 1, 1, ?::DATE, ?::DATE)",
            [(c, m, rev, cost, m, m) for c, m, rev, cost in rows],
        )


def test_shares_and_hhi_of_the_largest_customers(store):
    # 2024: one customer holds 60% of revenue; 2025: twelve even customers.
    rows = [("BIG", "2024-03-01", 600.0, 300.0)]
    rows += [(f"S{i:02d}", "2024-03-01", 100.0, 90.0) for i in range(4)]
    rows += [(f"S{i:02d}", "2025-03-01", 100.0, 50.0) for i in range(12)]
    rows += [("NEG", "2025-03-01", -40.0, -30.0)]  # a credit note: no share
    _seed(store, rows)
    with store.connect(read_only=True) as con:
        early, late = concentration_over_time(con, [date(2024, 12, 31), date(2025, 12, 31)])
        shares = account_shares(con, date(2024, 12, 31), ["BIG", "S00", "NOPE"])
    assert early.customers == 5
    assert early.revenue == pytest.approx(1000.0)
    assert early.revenue_share == pytest.approx({1: 0.6, 5: 1.0, 10: 1.0})
    assert early.hhi_revenue == pytest.approx(3_600 + 4 * 100)
    # margin: BIG 300, each small 10 → 340
    assert early.margin == pytest.approx(340.0)
    assert early.margin_share[1] == pytest.approx(300 / 340)
    assert late.customers == 12
    assert late.revenue_share[1] == pytest.approx(1 / 12)
    assert late.revenue_share[5] == pytest.approx(5 / 12)
    assert late.revenue_share[10] == pytest.approx(10 / 12)
    assert late.hhi_revenue == pytest.approx(10_000 / 12)
    assert shares.keys() == {"BIG", "S00"}
    assert shares["BIG"].revenue_share == pytest.approx(0.6)
    assert shares["S00"].margin_share == pytest.approx(10 / 340)


def test_dates_step_back_in_month_ends():
    assert concentration_dates(date(2025, 6, 18), points=3, step_months=3) == [
        date(2024, 12, 31),
        date(2025, 3, 31),
        date(2025, 6, 18),
    ]
