"""The fits' customer sample: fixed by the customer ids, whatever order the rows come in."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from kam.analytics.clv.fit_sample import customer_hash, fit_rows
from kam.analytics.clv.future_value import FutureValueSettings, fit_future_value
from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.clv.summary import summarise_table

TRUTH = {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}
START, AS_OF = dt.date(2022, 1, 1), dt.date(2023, 12, 31)


def ids(n: int) -> pa.Array:
    return pa.array([f"C{i:06d}" for i in range(n)])


def test_the_sample_is_the_same_whatever_the_row_order():
    customers = ids(5000)
    shuffled = customers.take(np.random.default_rng(1).permutation(5000))
    first = set(customers.take(fit_rows(customers, 800)).to_pylist())
    second = set(shuffled.take(fit_rows(shuffled, 800)).to_pylist())
    assert first == second
    assert len(first) == 800


@pytest.mark.parametrize(("customers", "size"), [(100, 100), (100, 500), (100, 0)])
def test_no_sample_when_every_customer_fits_in_it(customers, size):
    assert fit_rows(ids(customers), size) is None


def test_the_hash_spreads_ids_that_differ_in_one_character():
    hashed = customer_hash(ids(100_000))
    assert len(np.unique(hashed)) == 100_000
    # Sequential ids land evenly across the range: each quarter holds about a quarter.
    quarters = np.histogram(hashed, bins=4, range=(0, np.iinfo(np.int64).max))[0]
    assert quarters.min() > 0.23 * 100_000


@pytest.mark.parametrize("bad", [[""], ["C1", None]])
def test_missing_or_empty_ids_are_refused(bad):
    with pytest.raises(ValueError, match="missing or empty"):
        customer_hash(pa.array(bad, pa.string()))


def test_fitting_on_a_sample_still_predicts_every_customer():
    lines = simulate_transaction_lines(3000, TRUTH, SPEND, start=START, end=AS_OF, seed=5)
    summary = summarise_table(lines, calibration_end=AS_OF)
    if "last_purchase" not in summary.column_names:  # the store's summaries carry it
        summary = summary.append_column("last_purchase", pa.nulls(summary.num_rows, pa.date32()))
    sampled = fit_future_value(summary, AS_OF, FutureValueSettings(fit_sample=1500))
    whole = fit_future_value(summary, AS_OF, FutureValueSettings(fit_sample=0))
    assert sampled.purchase_fit.n_customers == 1500
    assert whole.purchase_fit.n_customers == 3000
    assert sampled.predictions.num_rows == 3000
    # The sample's estimates agree with the whole base's within their (larger) errors.
    for name, value in whole.purchase_fit.params.items():
        error = sampled.purchase_fit.std_errors[name]
        assert abs(sampled.purchase_fit.params[name] - value) < 3 * error, name
