"""Purchase summaries: the numbers the models see, from one query in memory and in the store."""

import datetime as dt

import ibis
import numpy as np
import pyarrow as pa
import pytest

from kam.analytics.clv import bgnbd
from kam.analytics.clv.cdnow import read_cdnow_master
from kam.analytics.clv.summary import (
    UNIT_METADATA_KEY,
    GroupSums,
    collapse,
    collapse_arrays,
    on_distinct_pairs,
    purchase_summaries,
    summarise_table,
    summary_unit,
)

D = dt.date

# Lines: same-day purchases, a purchase on the calibration date, a late starter, holdout.
LINES = pa.table(
    {
        "customer_id": ["a", "a", "a", "a", "a", "b", "b", "c", "d", "d", "d"],
        "date": pa.array(
            [
                D(2024, 1, 1),
                D(2024, 1, 1),  # same day as the first purchase: one occasion
                D(2024, 1, 15),
                D(2024, 1, 15),
                D(2024, 2, 5),  # in the holdout
                D(2024, 1, 8),
                D(2024, 1, 29),  # on the calibration date
                D(2024, 2, 2),  # first purchase after calibration: not in the cohort
                D(2024, 1, 10),
                D(2024, 2, 1),
                D(2024, 2, 1),  # two holdout lines on one day
            ],
            type=pa.date32(),
        ),
        "revenue": [10.0, 5.0, 7.0, 3.0, 4.0, 20.0, 30.0, 9.0, 8.0, 1.0, 2.0],
    }
)
CAL_END = D(2024, 1, 29)
HOLD_END = D(2024, 2, 12)


def _rows(table: pa.Table) -> dict[str, dict[str, object]]:
    return {row["customer_id"]: row for row in table.to_pylist()}


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        (
            "a",
            {
                "frequency": 1,
                "recency": 2.0,
                "age": 4.0,
                "mean_repeat_spend": 10.0,
                "holdout_frequency": 1,
                "holdout_revenue": 4.0,
            },
        ),
        (
            "b",
            {
                "frequency": 1,
                "recency": 3.0,
                "age": 3.0,
                "mean_repeat_spend": 30.0,
                "holdout_frequency": 0,
                "holdout_revenue": 0.0,
            },
        ),
        (
            "d",
            {
                "frequency": 0,
                "recency": 0.0,
                "age": 19 / 7,
                "mean_repeat_spend": None,
                "holdout_frequency": 1,
                "holdout_revenue": 3.0,
            },
        ),
    ],
)
def test_summary_counts_purchase_days_not_lines(customer, expected):
    rows = _rows(summarise_table(LINES, calibration_end=CAL_END, holdout_end=HOLD_END))
    assert {k: rows[customer][k] for k in expected} == pytest.approx(expected)


def test_customers_first_seen_after_calibration_are_not_in_the_cohort():
    summary = summarise_table(LINES, calibration_end=CAL_END)
    assert summary.column("customer_id").to_pylist() == ["a", "b", "d"]
    assert summary_unit(summary) == "weeks"
    assert "holdout_frequency" not in summary.column_names


@pytest.mark.parametrize(("unit", "age_of_a"), [("weeks", 4.0), ("days", 28.0)])
def test_time_unit(unit, age_of_a):
    summary = summarise_table(LINES, calibration_end=CAL_END, unit=unit)
    assert _rows(summary)["a"]["age"] == age_of_a
    assert summary.schema.metadata[UNIT_METADATA_KEY] == unit.encode()


def test_cdnow_sample_matches_the_published_data(cdnow_summary):
    """FHL (2005): 2,357 customers, 1,411 without a repeat purchase in weeks 1-39."""
    x = cdnow_summary.column("frequency").to_numpy()
    holdout = cdnow_summary.column("holdout_frequency").to_numpy()
    assert len(x) == 2357
    assert (x == 0).sum() == 1411
    assert (x > 0).sum() == 946  # the Gamma-Gamma sample of FHL's RFM/CLV paper
    assert x.sum() == 2457
    assert holdout.sum() == 1882
    assert holdout[x == 0].sum() == 334  # FHL section 7: 334 purchases by the zero class
    # FHL's spreadsheet, first customer: x = 2, t_x = 30.43, T = 38.86.
    first = cdnow_summary.slice(0, 1).to_pylist()[0]
    assert first["customer_id"] == "00004"
    assert (first["frequency"], round(first["recency"], 2), round(first["age"], 2)) == (
        2,
        30.43,
        38.86,
    )


def test_cdnow_master_has_the_whole_cohort(cdnow_dir):
    master = read_cdnow_master(cdnow_dir / "CDNOW_master.txt")
    summary = summarise_table(master, calibration_end="1997-09-30")
    assert len(summary) == 23570
    assert summary.column("age").to_numpy().max() == pytest.approx(272 / 7)


def test_a_table_in_memory_and_the_store_get_the_same_summary(cdnow_transactions, cdnow_summary):
    # summarise_table runs the store's own query in an in-memory DuckDB: the same numbers
    # as purchase_summaries over a store holding the same lines.
    con = ibis.duckdb.connect()
    con.con.register("transactions", cdnow_transactions.append_column(
        "document_type", pa.array(["invoice"] * cdnow_transactions.num_rows)
    ))  # fmt: skip
    store = con.to_pyarrow(
        purchase_summaries(con.table("transactions"), D(1998, 6, 30), D(1997, 9, 30))
    )
    rows = {r["customer_id"]: r for r in store.to_pylist()}
    assert len(rows) == cdnow_summary.num_rows
    for ours in cdnow_summary.to_pylist():
        theirs = rows[ours["customer_id"]]
        for name in ("frequency", "recency", "age"):
            assert ours[name] == theirs[f"cal_{name}"], (ours["customer_id"], name)
        # A sum of floats depends on the order DuckDB's threads add them in.
        spend = theirs["cal_mean_repeat_spend"]
        assert ours["mean_repeat_spend"] == (
            spend if spend is None else pytest.approx(spend, rel=1e-12)
        ), ours["customer_id"]
        assert ours["holdout_frequency"] == theirs["holdout_frequency"]
        assert ours["holdout_revenue"] == pytest.approx(theirs["holdout_revenue"], rel=1e-12)


def test_lines_given_as_arrays_are_summarised_alike():
    arrays = summarise_table(
        pa.table(
            {
                "customer_id": np.array(LINES.column("customer_id").to_pylist()),
                "date": np.array(
                    [d.isoformat() for d in LINES.column("date").to_pylist()],
                    dtype="datetime64[D]",
                ),
                "revenue": LINES.column("revenue").to_numpy(),
            }
        ),
        calibration_end="2024-01-29",
    )
    assert arrays.equals(summarise_table(LINES, calibration_end=CAL_END))


def test_collapse_keeps_every_customer_and_the_likelihood(cdnow_summary, cdnow_bgnbd):
    stats = collapse(cdnow_summary)
    x = cdnow_summary.column("frequency").to_numpy()
    t_x = cdnow_summary.column("recency").to_numpy()
    age = cdnow_summary.column("age").to_numpy()
    one_row_each = collapse_arrays(x, t_x, age, weight=np.ones(len(x)))
    assert len(stats) < len(x) / 2  # real day-granular data repeat a lot
    assert stats.n_customers == len(x) == 2357
    assert stats.time_unit == "weeks"
    # Spread the collapsed rows back out: the same likelihood either way.
    spread = collapse_arrays(
        np.repeat(stats.x, stats.weight.astype(int)),
        np.repeat(stats.t_x, stats.weight.astype(int)),
        np.repeat(stats.T, stats.weight.astype(int)),
    )
    assert bgnbd.log_likelihood(cdnow_bgnbd.params, spread) == pytest.approx(
        bgnbd.log_likelihood(cdnow_bgnbd.params, one_row_each), rel=1e-12
    )


@pytest.mark.parametrize(
    ("x", "t_x", "age", "message"),
    [
        ([1], [5.0], [4.0], "recency"),
        ([-1], [0.0], [4.0], "frequency"),
        ([0], [1.0], [4.0], "without repeat"),
        ([1, 2], [1.0], [4.0], "same length"),
    ],
)
def test_collapse_refuses_impossible_summaries(x, t_x, age, message):
    with pytest.raises(ValueError, match=message):
        collapse_arrays(x, t_x, age)


def _collapse_by_sorting(x, t_x, age, weight):
    """The grouping done the plain way: np.unique over the rows."""
    rows = np.rec.fromarrays([x, t_x + 0.0, age + 0.0], names="x,t_x,age")
    distinct, inverse = np.unique(rows, return_inverse=True)
    return distinct, np.bincount(inverse.ravel(), weights=weight)


@pytest.mark.parametrize("weighted", [False, True])
def test_collapse_equals_a_plain_sort_of_the_rows(weighted):
    rng = np.random.default_rng(11)
    n = 120_000
    age = rng.integers(0, 400, n) / 7.0
    x = rng.poisson(1.5, n)
    t_x = np.where(x > 0, np.floor(age * 7 * rng.random(n)) / 7.0, -0.0)  # -0.0 is 0.0
    weight = rng.random(n) if weighted else np.ones(n)
    stats = collapse_arrays(x, t_x, age, weight if weighted else None)
    distinct, weights = _collapse_by_sorting(x, t_x, age, weight)
    np.testing.assert_array_equal(stats.x, distinct["x"])
    np.testing.assert_array_equal(stats.t_x, distinct["t_x"])
    np.testing.assert_array_equal(stats.T, distinct["age"])
    np.testing.assert_allclose(stats.weight, weights, rtol=1e-12)
    codes = stats.codes
    assert codes is not None
    np.testing.assert_array_equal(codes.x_values[codes.x_index], stats.x)
    np.testing.assert_array_equal(codes.t_x_values[codes.t_x_index], stats.t_x)
    np.testing.assert_array_equal(codes.T_values[codes.T_index], stats.T)


@pytest.mark.parametrize(
    ("t_x", "age"),
    [([np.nan], [4.0]), ([1.0], [np.nan]), ([1.0], [np.inf]), ([-np.inf], [4.0])],
)
def test_collapse_refuses_missing_or_infinite_times(t_x, age):
    with pytest.raises(ValueError, match="finite"):
        collapse_arrays([1], t_x, age)


@pytest.mark.parametrize("sort", [True, False])
def test_group_sums_equal_a_plain_count(sort):
    rng = np.random.default_rng(2)
    index = rng.integers(0, 50, 10_000)
    if sort:
        index = np.sort(index)
    values = rng.random(10_000)
    sums = GroupSums(index, 50)
    assert (sums.starts is not None) == sort
    np.testing.assert_allclose(sums(values), np.bincount(index, weights=values, minlength=50))
    np.testing.assert_array_equal(sums.counts(len(index)), np.bincount(index, minlength=50))


def test_a_function_evaluated_once_per_distinct_pair_gives_every_row_its_value():
    rng = np.random.default_rng(4)
    first = rng.integers(0, 30, 50_000).astype(float)
    second = rng.integers(0, 90, 50_000) / 7.0
    calls = []

    def function(a, b):
        calls.append(len(a))
        return np.log1p(a) * np.sqrt(b) + a

    np.testing.assert_array_equal(
        on_distinct_pairs(function, first, second), np.log1p(first) * np.sqrt(second) + first
    )
    assert calls[0] <= 30 * 90  # the pairs, not the rows
