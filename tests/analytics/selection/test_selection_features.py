"""Per-account features: windows relative to the as-of date, Pareto/ABC, the robust trend."""

from datetime import date

import pytest
from selection_data import AS_OF, monthly, seed

from kam.analytics.selection.features import (
    account_features,
    pareto_curve,
    region_segment_matrix,
)
from kam.analytics.store import AnalyticsStore


def by_id(table) -> dict[str, dict]:
    return {row["customer_id"]: row for row in table.to_pyarrow().to_pylist()}


def test_one_row_per_customer_in_the_master_including_prospects(con):
    rows = by_id(account_features(con, AS_OF))
    assert sorted(rows) == ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    assert rows["C7"]["revenue_12m"] == 0.0
    assert rows["C7"]["growth_slope"] is None  # no history: missing, not "no growth"
    assert rows["C7"]["tenure_days"] is None


def test_windows_are_whole_months_ending_with_the_as_of_month(con):
    rows = by_id(account_features(con, AS_OF))
    c1 = rows["C1"]
    assert (c1["revenue_12m"], c1["revenue_prev_12m"], c1["revenue_lifetime"]) == (550, 400, 1050)
    assert rows["C3"]["revenue_12m"] == 110  # July 2023 is the first month in
    assert rows["C3"]["revenue_prev_12m"] == 70  # June 2023 the last month before
    assert rows["C6"]["revenue_12m"] == 0
    assert rows["C6"]["revenue_prev_12m"] == 500
    assert c1["orders_12m"] == 2
    assert c1["recency_days"] == 0
    assert c1["tenure_days"] == (AS_OF - date(2021, 1, 10)).days


def test_default_as_of_is_the_latest_transaction_not_the_wall_clock(con):
    rows = by_id(account_features(con))
    assert rows["C1"]["revenue_12m"] == 550 + 9999  # the July 2024 month is in now
    assert rows["C3"]["revenue_12m"] == 0  # and July 2023 fell out


@pytest.mark.parametrize(
    ("customer", "gross_margin", "margin_pct"),
    [("C1", 220.0, 40.0), ("C4", 0.0, 0.0), ("C2", None, None), ("C6", None, None)],
)
def test_margin_is_null_without_cost_or_revenue(con, customer, gross_margin, margin_pct):
    row = by_id(account_features(con, AS_OF))[customer]
    assert row["gross_margin"] == gross_margin
    assert row["margin_pct"] == margin_pct


def test_order_frequency_is_orders_a_year_with_the_span_floored_at_a_year(con):
    rows = by_id(account_features(con, AS_OF))
    assert rows["C4"]["order_frequency"] == pytest.approx(1.0)  # one order, 8 days ago
    tenure_years = (AS_OF - date(2021, 1, 10)).days / 365.25
    assert rows["C1"]["order_frequency"] == pytest.approx(4 / tenure_years)


def test_pareto_shares_ranks_and_abc_classes(con):
    # revenue_12m: C1 550, C2 240, C3 110, C4 60, C5 40 = 1000; C6 and C7 have none
    rows = by_id(account_features(con, AS_OF))
    expected = {
        "C1": (1, 0.55, 0.55, "A"),
        "C2": (2, 0.24, 0.79, "A"),
        "C3": (3, 0.11, 0.90, "A"),  # the customer crossing 80% is still in A
        "C4": (4, 0.06, 0.96, "B"),
        "C5": (5, 0.04, 1.00, "C"),
    }
    for customer, (rank, share, cumulative, abc) in expected.items():
        row = rows[customer]
        assert row["pareto_rank"] == rank
        assert row["revenue_share"] == pytest.approx(share)
        assert row["cumulative_share"] == pytest.approx(cumulative)
        assert row["abc_class"] == abc
    for customer in ("C6", "C7"):
        assert rows[customer]["pareto_rank"] is None
        assert rows[customer]["abc_class"] is None


def test_pareto_curve_and_region_segment_matrix(con):
    curve = pareto_curve(con, AS_OF).to_pylist()
    assert [p["pareto_rank"] for p in curve] == [1, 2, 3, 4, 5]
    assert curve[2]["customer_share"] == pytest.approx(0.6)
    assert curve[-1]["cumulative_share"] == pytest.approx(1.0)
    cells = {(c["region"], c["segment"]): c for c in region_segment_matrix(con, AS_OF).to_pylist()}
    assert cells[("EMEA", "Manufacturing")]["revenue_12m"] == 550
    assert cells[("EMEA", None)]["revenue_share"] == pytest.approx(0.04)
    assert ("Americas", "Retail") not in cells  # C6 and C7 bought nothing in the window


DECLINE = [200.0 - 5 * k for k in range(24)]  # steady decline, -60 a year on ~140


@pytest.mark.parametrize(
    ("revenues", "sign"),
    [
        (DECLINE, -1),
        ([*DECLINE[:-1], DECLINE[-1] * 40], -1),  # one huge order in the last month
        ([*DECLINE[:5], -2000.0, *DECLINE[6:]], -1),  # one big credit note early on
        ([100.0 + 5 * k for k in range(24)], 1),
        ([100.0 + 5 * k for k in range(23)] + [0.0], 1),  # a month with no order
        ([100.0] * 24, 0),
    ],
    ids=["decline", "decline+spike", "decline+credit", "growth", "growth+gap", "flat"],
)
def test_growth_trend_is_robust_to_one_outlier_month(store: AnalyticsStore, revenues, sign):
    with store.connect() as con:
        seed(con, [("X", "X", None, None, None, None)], monthly("X", revenues, date(2022, 7, 1)))
        growth = by_id(account_features(con, AS_OF))["X"]["growth_slope"]
    if sign == 0:
        assert growth == pytest.approx(0.0)
    else:
        assert growth * sign > 0


def test_growth_trend_reads_relative_change_per_year(store: AnalyticsStore):
    revenues = [100.0] * 12 + [120.0] * 12  # every quarter 20% up on a year before
    with store.connect() as con:
        seed(con, [("X", "X", None, None, None, None)], monthly("X", revenues, date(2022, 7, 1)))
        growth = by_id(account_features(con, AS_OF))["X"]["growth_slope"]
    assert growth == pytest.approx(60 / 330)  # +60 a quarter-year on a mean quarter of 330
