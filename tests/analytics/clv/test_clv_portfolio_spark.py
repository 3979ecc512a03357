"""The one-pass purchase summaries on a local Spark equal DuckDB's."""

import datetime as dt
import math

import ibis
import pyarrow as pa
import pytest

from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.clv.summary import purchase_days, purchase_summaries, summaries_from_days

AS_OF, CAL = dt.date(2023, 12, 31), dt.date(2023, 6, 30)


@pytest.fixture(scope="module")
def lines() -> pa.Table:
    truth = {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0}
    spend = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    table = simulate_transaction_lines(
        200, truth, spend, start=dt.date(2022, 1, 1), end=AS_OF, seed=11
    )
    kinds = ["invoice"] * (table.num_rows - 1) + ["credit_note"]
    return table.append_column("document_type", pa.array(kinds))


def by_id(table: pa.Table) -> dict[str, dict]:
    return {row["customer_id"]: row for row in table.to_pylist()}


def assert_same(left: dict[str, dict], right: dict[str, dict]) -> None:
    assert left.keys() == right.keys()
    for customer, row in left.items():
        for column, value in row.items():
            theirs = right[customer][column]
            if isinstance(value, float) and isinstance(theirs, float):
                assert math.isclose(value, theirs, rel_tol=1e-9, abs_tol=1e-9), (customer, column)
            else:
                assert value == theirs, (customer, column)


@pytest.mark.spark
def test_spark_summaries_equal_duckdb(clv_spark, lines):
    duck = ibis.duckdb.connect()
    duck.con.register("transactions", lines)
    clv_spark._session.createDataFrame(lines.to_pandas()).createOrReplaceTempView("transactions")
    ours = duck.to_pyarrow(purchase_summaries(duck.table("transactions"), AS_OF, CAL))
    theirs = clv_spark.to_pyarrow(purchase_summaries(clv_spark.table("transactions"), AS_OF, CAL))
    assert ours.num_rows > 100
    assert_same(by_id(ours), by_id(theirs))


@pytest.mark.spark
def test_spark_summaries_from_customer_day_equal_duckdb(clv_spark, lines):
    duck = ibis.duckdb.connect()
    duck.con.register("transactions", lines)
    # customer_day as the import leaves it: the purchase days of the lines.
    days = duck.to_pyarrow(purchase_days(duck.table("transactions")))
    duck.con.register("customer_day", days)
    clv_spark._session.createDataFrame(days.to_pandas()).createOrReplaceTempView("customer_day")
    ours = duck.to_pyarrow(summaries_from_days(duck.table("customer_day"), AS_OF, CAL))
    theirs = clv_spark.to_pyarrow(summaries_from_days(clv_spark.table("customer_day"), AS_OF, CAL))
    lines_summaries = duck.to_pyarrow(purchase_summaries(duck.table("transactions"), AS_OF, CAL))
    assert ours.num_rows > 100
    assert_same(by_id(ours), by_id(theirs))
    assert_same(by_id(ours), by_id(lines_summaries))
