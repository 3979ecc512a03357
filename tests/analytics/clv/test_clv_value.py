"""Discounted CLV over a plan horizon, and its posterior predictive interval."""

import numpy as np
import pytest

from kam.analytics.clv import bgnbd, gamma_gamma, pareto_nbd
from kam.analytics.clv.purchases import expected_purchases
from kam.analytics.clv.summary import summarise_table, summary_arrays
from kam.analytics.clv.value import (
    customer_value,
    discounted_expected_purchases,
    periods_per_month,
    simulate_value_quantiles,
)


@pytest.fixture(scope="module")
def sample(cdnow_summary):
    """Every 10th CDNOW customer: enough variety, quick to simulate."""
    return cdnow_summary.take(list(range(0, len(cdnow_summary), 10)))


def test_a_month_is_a_twelfth_of_a_year():
    assert periods_per_month("weeks") == pytest.approx(365.25 / 12 / 7)
    assert periods_per_month("days") == pytest.approx(30.4375)


@pytest.mark.parametrize("model_fixture", ["cdnow_bgnbd", "cdnow_pareto"])
def test_without_discounting_value_is_purchases_times_spend(
    request, sample, cdnow_spend, model_fixture
):
    fit = request.getfixturevalue(model_fixture)
    table = customer_value(
        fit, cdnow_spend, sample, months=12, monthly_discount_rate=0.0, interval=None
    )
    x, t_x, age = summary_arrays(sample)
    expected = expected_purchases(fit, x, t_x, age, 12 * periods_per_month("weeks"))
    np.testing.assert_allclose(table.column("expected_purchases").to_numpy(), expected)
    np.testing.assert_allclose(
        table.column("clv").to_numpy(),
        expected * table.column("expected_spend").to_numpy(),
        rtol=1e-9,
    )
    assert table.column_names == [
        "customer_id",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ]


@pytest.mark.parametrize("model_fixture", ["cdnow_bgnbd", "cdnow_pareto"])
def test_discounting_lowers_value_and_longer_horizons_raise_it(request, sample, model_fixture):
    fit = request.getfixturevalue(model_fixture)
    x, t_x, age = summary_arrays(sample)
    month = periods_per_month("weeks")
    values = {
        (months, rate): discounted_expected_purchases(
            fit, x, t_x, age, months=months, monthly_discount_rate=rate, month_length=month
        )[0].sum()
        for months in (12, 36)
        for rate in (0.0, 0.01, 0.03)
    }
    assert values[(12, 0.0)] > values[(12, 0.01)] > values[(12, 0.03)]
    assert values[(36, 0.01)] > values[(12, 0.01)]


@pytest.mark.parametrize("model_fixture", ["cdnow_bgnbd", "cdnow_pareto"])
def test_simulated_value_averages_to_the_closed_form(request, sample, cdnow_spend, model_fixture):
    """The interval's simulation and the closed form describe the same distribution."""
    fit = request.getfixturevalue(model_fixture)
    x, t_x, age = summary_arrays(sample)
    spend = sample.column("mean_repeat_spend").fill_null(0.0).to_numpy()
    month = periods_per_month("weeks")
    discounted, _ = discounted_expected_purchases(
        fit, x, t_x, age, months=24, monthly_discount_rate=0.01, month_length=month
    )
    closed_form = discounted * gamma_gamma.expected_spend(cdnow_spend.params, x, spend)
    means, bounds = simulate_value_quantiles(
        fit,
        cdnow_spend.params,
        x,
        t_x,
        age,
        spend,
        months=24,
        monthly_discount_rate=0.01,
        month_length=month,
        draws=4000,
        seed=5,
    )
    assert means.sum() == pytest.approx(closed_form.sum(), rel=0.02)
    assert np.all(bounds[0] <= bounds[1])


def test_value_table_with_interval(sample, cdnow_bgnbd, cdnow_spend):
    table = customer_value(cdnow_bgnbd, cdnow_spend, sample, months=24, draws=300, seed=1)
    lower = table.column("clv_lower").to_numpy()
    upper = table.column("clv_upper").to_numpy()
    clv = table.column("clv").to_numpy()
    assert len(table) == len(sample)
    assert np.all(lower >= 0)
    assert np.all(lower <= upper)
    # The expected value sits inside the 90% band for all but the most skewed customers.
    assert np.mean((clv >= lower) & (clv <= upper)) > 0.9
    # A customer who bought often and recently is worth more than one who never returned.
    p_alive = table.column("p_alive").to_numpy()
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    rows = table.to_pylist()
    x = sample.column("frequency").to_numpy()
    best = rows[int(np.argmax(x))]
    assert best["clv"] > np.median(clv)


def test_same_seed_same_interval(sample, cdnow_bgnbd, cdnow_spend):
    one = customer_value(cdnow_bgnbd, cdnow_spend, sample, draws=100, seed=3)
    two = customer_value(cdnow_bgnbd, cdnow_spend, sample, draws=100, seed=3)
    assert one.equals(two)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"months": 0}, "horizon"),
        ({"months": 121}, "horizon"),
        ({"monthly_discount_rate": -0.1}, "discount"),
        ({"interval": 1.5}, "interval"),
    ],
)
def test_refuses_meaningless_settings(sample, cdnow_bgnbd, cdnow_spend, kwargs, message):
    with pytest.raises(ValueError, match=message):
        customer_value(cdnow_bgnbd, cdnow_spend, sample, draws=10, **kwargs)


def test_refuses_a_summary_in_another_time_unit(cdnow_transactions, cdnow_bgnbd, cdnow_spend):
    daily = summarise_table(cdnow_transactions, calibration_end="1997-09-30", unit="days")
    with pytest.raises(ValueError, match="weeks"):
        customer_value(cdnow_bgnbd, cdnow_spend, daily, interval=None)


@pytest.mark.parametrize(
    ("module", "model_fixture"), [(bgnbd, "cdnow_bgnbd"), (pareto_nbd, "cdnow_pareto")]
)
def test_per_customer_predictions_as_an_arrow_table(request, sample, module, model_fixture):
    fit = request.getfixturevalue(model_fixture)
    table = module.predict(fit, sample, 39.0)
    assert table.column_names == ["customer_id", "p_alive", "expected_purchases"]
    assert table.column("customer_id").equals(sample.column("customer_id"))
    x, t_x, age = summary_arrays(sample)
    np.testing.assert_allclose(
        table.column("expected_purchases").to_numpy(),
        module.expected_purchases(fit.params, x, t_x, age, 39.0),
    )
