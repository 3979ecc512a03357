"""The same features and scores on a local Spark as on DuckDB, to floating tolerance."""

import math
from datetime import date

import pyarrow as pa
import pytest
from selection_data import AS_OF, CUSTOMERS, MONTHS, monthly, seed

from kam.analytics.selection.features import account_features
from kam.analytics.selection.policy import default_policy
from kam.analytics.selection.scoring import explanations_of, score_accounts

RATINGS = pa.table(
    {
        "customer_id": ["C1", "C1", "C3", "T1"],
        "criterion_key": ["relationship_position", "influence", "harmony_fit", "influence"],
        "value": [4.0, 2.0, 5.0, 3.0],
    }
)
TREND_CUSTOMERS = [("T1", "Trend One", None, "US", "Americas", "Retail"),
                   ("T2", "Trend Two", None, "DE", "EMEA", "Retail")]  # fmt: skip
TREND_MONTHS = monthly("T1", [200.0 - 5 * k for k in range(24)], date(2022, 7, 1)) + monthly(
    "T2", [100.0 + 7 * k for k in range(23)] + [5000.0], date(2022, 7, 1)
)


def rows_by_id(table: pa.Table) -> dict[str, dict]:
    return {row["customer_id"]: row for row in table.to_pylist()}


def assert_same(left: dict[str, dict], right: dict[str, dict]) -> None:
    assert left.keys() == right.keys()
    for customer, row in left.items():
        other = right[customer]
        assert row.keys() == other.keys()
        for column, value in row.items():
            theirs = other[column]
            if isinstance(value, float) and isinstance(theirs, float):
                assert math.isclose(value, theirs, rel_tol=1e-9, abs_tol=1e-9), (customer, column)
            else:
                assert value == theirs, (customer, column, value, theirs)


@pytest.mark.spark
def test_features_and_scores_on_spark_equal_duckdb(store, spark):
    with store.connect() as con:
        seed(con, CUSTOMERS + TREND_CUSTOMERS, MONTHS + TREND_MONTHS)
        customers = con.table("customers").to_pyarrow()
        months = con.table("customer_month").to_pyarrow()
        duck_features = rows_by_id(account_features(con, AS_OF).to_pyarrow())
        duck_run = score_accounts(con, default_policy(), RATINGS, AS_OF)
        duck_scores = rows_by_id(duck_run.scores.to_pyarrow())
        duck_explained = duck_run.explanations().to_pyarrow().num_rows
    session = spark._session
    session.createDataFrame(customers).createOrReplaceTempView("customers")
    session.createDataFrame(months).createOrReplaceTempView("customer_month")

    featured_on_spark = account_features(spark, AS_OF).to_pyarrow()
    spark_features = rows_by_id(featured_on_spark)
    # Scoring on top of the features query made Catalyst plan the features a second time,
    # inside a plan twice the size (most of the test's minutes). The features are asserted
    # equal above; score what Spark computed of them, as the explanations below do.
    session.createDataFrame(featured_on_spark).createOrReplaceTempView("spark_features")
    features = spark.table("spark_features")
    spark_run = score_accounts(spark, default_policy(), RATINGS, AS_OF, features=features)
    scored_on_spark = spark_run.scores.to_pyarrow()
    spark_scores = rows_by_id(scored_on_spark)
    # Unpivoting the query itself would make Spark plan it once per criterion; the
    # explanations are read from written scores anyway (a snapshot), so unpivot those.
    session.createDataFrame(scored_on_spark).createOrReplaceTempView("spark_scores")
    explained = explanations_of(spark.table("spark_scores"), spark_run.policy)
    spark_explained = explained.to_pyarrow().num_rows

    assert_same(spark_features, duck_features)
    assert_same(spark_scores, duck_scores)
    assert spark_explained == duck_explained
    assert duck_features["T1"]["growth_slope"] < 0 < duck_features["T2"]["growth_slope"]


@pytest.mark.spark
def test_whitespace_on_spark_equals_duckdb(store, spark):
    """The whitespace cells, wallets, peer estimates and shares of whitespace_data, the
    same on Spark as on DuckDB."""
    from whitespace_data import AS_OF as WS_AS_OF
    from whitespace_data import PIPELINE, WALLETS
    from whitespace_data import seed as seed_whitespace

    from kam.analytics.whitespace import WhitespaceQuery, categories, cells

    query = WhitespaceQuery(("A", "P1"), WS_AS_OF)
    with store.connect() as con:
        seed_whitespace(con)
        tables = {name: con.table(name).to_pyarrow() for name in
                  ("customers", "transactions", "customer_month")}  # fmt: skip
        duck_cells = cells(con, query, PIPELINE).to_pyarrow().to_pylist()
        duck_categories = categories(con, query, PIPELINE, WALLETS).to_pyarrow().to_pylist()
    session = spark._session
    for name, table in tables.items():
        session.createDataFrame(table).createOrReplaceTempView(name)
    spark_cells = cells(spark, query, PIPELINE).to_pyarrow().to_pylist()
    spark_categories = categories(spark, query, PIPELINE, WALLETS).to_pyarrow().to_pylist()

    def keyed(rows, *keys):
        return {tuple(row[k] for k in keys): row for row in rows}

    assert_same(
        keyed(spark_cells, "customer_id", "category", "business_unit"),
        keyed(duck_cells, "customer_id", "category", "business_unit"),
    )
    assert_same(
        keyed(spark_categories, "customer_id", "category"),
        keyed(duck_categories, "customer_id", "category"),
    )
    assert keyed(duck_categories, "customer_id", "category")[("A", "Valves")]["wallet"] == 500.0


def test_category_revenue_for_share_of_wallet_on_spark_equals_duckdb(store, spark):
    """What each account bought per category in a window (share of wallet's numerator)."""
    from whitespace_data import AS_OF as WS_AS_OF
    from whitespace_data import seed as seed_whitespace

    from kam.analytics.account_figures import add_months
    from kam.analytics.program.wallet import category_revenue

    start, end = add_months(WS_AS_OF, -11), add_months(WS_AS_OF, 1)
    with store.connect() as con:
        seed_whitespace(con)
        lines = con.table("transactions").to_pyarrow()
        duck = category_revenue(con, start, end, ["A", "P1"])
    spark._session.createDataFrame(lines).createOrReplaceTempView("transactions")
    ours = category_revenue(spark, start, end, ["A", "P1"])
    assert duck
    assert ours.keys() == duck.keys()
    for pair, revenue in duck.items():
        assert math.isclose(ours[pair], revenue, rel_tol=1e-9)


def test_programme_figures_on_spark_equal_duckdb(store, spark):
    """Concentration over time and the P&L's sales: the same on Spark as on DuckDB."""
    from kam.analytics.program.concentration import concentration_dates, concentration_over_time
    from kam.analytics.program.pnl import sales_between

    dates = concentration_dates(AS_OF, points=3, step_months=6)
    ids = ["C1", "C3", "T1", "T2"]
    with store.connect() as con:
        seed(con, CUSTOMERS + TREND_CUSTOMERS, MONTHS + TREND_MONTHS)
        months = con.table("customer_month").to_pyarrow()
        duck_points = concentration_over_time(con, dates)
        duck_sales = sales_between(con, date(2023, 7, 1), date(2024, 7, 1), ids)
    spark._session.createDataFrame(months).createOrReplaceTempView("customer_month")

    spark_points = concentration_over_time(spark, dates)
    spark_sales = sales_between(spark, date(2023, 7, 1), date(2024, 7, 1), ids)

    assert [p.as_of for p in spark_points] == [p.as_of for p in duck_points] == dates
    for ours, theirs in zip(spark_points, duck_points, strict=True):
        assert ours.customers == theirs.customers
        for name in ("revenue", "margin", "hhi_revenue", "hhi_margin"):
            assert math.isclose(getattr(ours, name), getattr(theirs, name), rel_tol=1e-9)
        for n, share in theirs.revenue_share.items():
            assert math.isclose(ours.revenue_share[n], share, rel_tol=1e-9)
    assert spark_sales.keys() == duck_sales.keys() == {"C1", "C3", "T1", "T2"}
    for customer, sold in duck_sales.items():
        assert math.isclose(spark_sales[customer].revenue, sold.revenue, rel_tol=1e-9)
