"""The purchase-history component: the monotone reference table, the cell an account
falls in, a missing history, and the table read from the store up to the scoring date."""

import datetime as dt
import math

import numpy as np
import pytest

from kam.analytics.health.history import (
    MAX_ORDERS,
    MONTH_DAYS,
    HistoryTable,
    describe,
    history_table,
    monotone_table,
)
from kam.analytics.health.policy import HealthPolicy
from kam.analytics.health.score import score_accounts
from kam.analytics.health.signals import purchase_signals
from tests.analytics.health.test_health_backtest import purchase_days
from tests.analytics.health.test_health_score import signals


def true_rate(orders, months):
    """A known answer: more orders, more likely back; longer silence, less likely."""
    return 0.1 + 0.6 * (np.minimum(orders, MAX_ORDERS) - 1) / (MAX_ORDERS - 1) * 0.8**months


def test_monotone_table_recovers_a_known_rate_on_simulated_histories():
    draw = np.random.default_rng(3)
    orders = draw.integers(1, 9, 60_000).astype(float)
    months = draw.integers(0, 6, 60_000)
    days = months * MONTH_DAYS + draw.uniform(0, MONTH_DAYS - 1, 60_000)
    came_back = draw.random(60_000) < true_rate(orders, months)
    rates, counts = monotone_table(orders, days, came_back)
    assert rates.shape == (MAX_ORDERS, 6)
    assert counts.sum() == 60_000
    grid_orders, grid_months = np.meshgrid(
        np.arange(1, MAX_ORDERS + 1), np.arange(6), indexing="ij"
    )
    truth = true_rate(grid_orders.astype(float), grid_months)
    truth[-1] = np.mean([true_rate(np.full(6, o, float), np.arange(6)) for o in (6, 7, 8)], axis=0)
    assert np.abs(rates - truth).max() < 0.04
    assert (np.diff(rates, axis=1) <= 1e-12).all()  # never higher for a longer silence
    assert (np.diff(rates, axis=0) >= -1e-12).all()  # never lower for more orders


def test_a_thin_cell_out_of_order_is_pooled_with_its_neighbour():
    # One-order accounts silent a month came back more often than those silent less
    # (3 of 4 against 1 of 4): the monotone table pools them, 4 of 8 each.
    orders = np.ones(8)
    days = np.array([5.0] * 4 + [40.0] * 4)
    came_back = np.array([True, False, False, False, True, True, True, False])
    rates, _ = monotone_table(orders, days, came_back)
    assert rates[0].tolist() == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize(
    ("orders", "days_since", "cell"),
    [
        (1, 0, (0, 0)),
        (3, 2.5 * MONTH_DAYS, (2, 2)),
        (40, 1, (MAX_ORDERS - 1, 0)),  # many orders: the last row
        (2, 400, (1, 3)),  # silent longer than any reference account: the last column
        (math.nan, 10, None),
        (2, math.nan, None),
        (0, 10, None),
    ],
)
def test_an_account_is_read_from_the_cell_of_its_history(orders, days_since, cell):
    table = HistoryTable(
        dt.date(2025, 1, 31),
        4,
        tuple(tuple(0.9 - 0.1 * m + 0.01 * o for m in range(4)) for o in range(MAX_ORDERS)),
        tuple(tuple(10 for _ in range(4)) for _ in range(MAX_ORDERS)),
    )
    assert table.cell(orders, days_since) == cell
    rate = table.rate(orders, days_since)
    assert math.isnan(rate) if cell is None else rate == table.rates[cell[0]][cell[1]]


def test_the_sentence_names_the_history_and_the_share():
    table = history_table(
        dt.date(2025, 1, 31),
        4,
        np.array([2.0, 2.0, 2.0, 2.0, 1.0]),
        np.array([70.0, 75.0, 80.0, 65.0, 10.0]),
        np.array([True, True, True, False, False]),
    )
    text = describe(table, 2, 70)
    assert text == (
        "accounts that had ordered 2 times and been silent 2 months or more (on 2025-01-31) "
        "ordered again within 4 months 75% of the time (4 accounts)"
    )
    assert describe(table, 1, 3).startswith("accounts that had ordered once and been silent less")


def test_no_reference_account_leaves_no_table():
    assert history_table(dt.date(2025, 1, 31), 4, np.array([]), np.array([]), np.array([])) is None


def store_rows():
    """A and B bought monthly in 2024 and keep buying; C bought once in March 2024 and
    came back in 2025-02; D bought once in March 2024 and never again."""
    rows = [(c, f"2024-{m:02d}-10", 100) for c in "AB" for m in range(1, 13)]
    rows += [(c, f"2025-{m:02d}-10", 100) for c in "AB" for m in range(1, 7)]
    rows += [("C", "2024-03-10", 100), ("C", "2025-02-10", 100), ("D", "2024-03-10", 100)]
    return rows


def test_the_table_reads_the_store_up_to_the_scoring_date_only():
    as_of = dt.date(2024, 12, 31)
    con = purchase_days(store_rows())
    got = purchase_signals(con, as_of, fit_alive=False)
    assert got.trend_months == 5  # half of the 11 months of history
    table = got.history
    assert table.looked_at == dt.date(2024, 7, 31)
    # On 2024-07-31: A and B had ordered 7 times (the last row), last on 07-10 (0 months),
    # and came back; C and D had ordered once, 4 months before, and neither came back by
    # 2024-12-31 (C's return in 2025 is after the scoring date, so it is not read).
    assert table.accounts[MAX_ORDERS - 1][0] == 2
    assert table.accounts[0][4] == 2
    assert table.rates[MAX_ORDERS - 1][0] == 1.0
    assert table.rates[0][4] == 0.0
    later = purchase_signals(purchase_days([*store_rows(), ("D", "2025-01-05", 9)]), as_of)
    assert later.history == table


def test_purchase_history_points_and_a_missing_history():
    policy = HealthPolicy({"purchase_history": 1})
    table = history_table(
        dt.date(2024, 9, 30),
        4,
        np.array([1.0, 1.0, 5.0, 5.0]),
        np.array([10.0, 200.0, 10.0, 200.0]),
        np.array([False, False, True, False]),
    )
    # A: 5 orders, 10 days silent (the 5-order, <1-month cell: 1 of 1 came back);
    # B: 1 order, 200 days silent (the one-order, 6-month cell: 0 of 1).
    healths = score_accounts(
        signals(orders=np.array([5.0, 1.0]), history=table), policy, customer_ids=["A", "B"]
    )
    assert healths["A"].score == pytest.approx(100.0)
    assert healths["B"].score == pytest.approx(0.0)
    component = next(c for c in healths["A"].components if c.key == "purchase_history")
    assert "ordered 5 times" in component.explanation
    assert "100% of the time" in component.explanation
    # No reference table (no account was buying a window before): missing, no score.
    missing = score_accounts(signals(), policy)["A"]
    assert missing.points("purchase_history") is None
    assert missing.score is None


@pytest.mark.parametrize("seed", range(20))
def test_a_sparse_table_with_empty_cells_is_still_monotone(seed):
    # Few accounts spread thin over the cells, many cells empty: the table must still
    # never rise with silence nor fall with orders.
    draw = np.random.default_rng(seed)
    orders = draw.integers(1, 9, 40).astype(float)
    days = draw.uniform(0, 12 * MONTH_DAYS, 40)
    rates, counts = monotone_table(orders, days, draw.random(40) < 0.5)
    assert (counts == 0).any()
    assert (np.diff(rates, axis=1) <= 0).all()
    assert (np.diff(rates, axis=0) >= 0).all()
