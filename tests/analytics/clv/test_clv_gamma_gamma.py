"""Gamma-Gamma spend model: published CDNOW fit, gradient, shrinkage, recovery.

Published values: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis", Journal of Marketing Research 42(4), and Fader & Hardie (2013),
"The Gamma-Gamma Model of Monetary Value": on the 946 CDNOW sample customers with repeat
purchases in weeks 1-39, p = 6.25, q = 3.74, gamma = 15.44, LL = -4055.9.
"""

import numpy as np
import pytest
from clv_derivatives import hessians

from kam.analytics.clv import gamma_gamma, simulate

PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.mark.parametrize(("name", "value"), PUBLISHED.items())
def test_cdnow_parameters_match_the_published_fit(cdnow_spend, name, value):
    assert round(cdnow_spend.params[name], 2) == value


def test_cdnow_fit_uses_the_946_repeat_customers_and_reports_the_correlation(
    cdnow_summary, cdnow_spend
):
    assert cdnow_spend.n_customers == 946
    assert cdnow_spend.n_excluded == 2357 - 946
    assert round(cdnow_spend.log_likelihood, 1) == -4055.9
    assert cdnow_spend.converged
    x = cdnow_summary.column("frequency").to_numpy()
    m = cdnow_summary.column("mean_repeat_spend").fill_null(0).to_numpy()
    expected = np.corrcoef(x[x > 0], m[x > 0])[0, 1]
    assert cdnow_spend.frequency_spend_correlation == pytest.approx(expected)
    # CDNOW's frequency and spend are only weakly related: the model's assumption holds.
    assert abs(cdnow_spend.frequency_spend_correlation) < 0.3


@pytest.mark.parametrize(
    "params", [PUBLISHED, {"p": 0.8, "q": 1.5, "gamma": 3.0}, {"p": 20.0, "q": 9.0, "gamma": 200.0}]
)
def test_analytic_gradient_matches_finite_differences(cdnow_summary, params):
    x = cdnow_summary.column("frequency").to_numpy()
    m = cdnow_summary.column("mean_repeat_spend").fill_null(0).to_numpy()
    theta = np.array([params[k] for k in gamma_gamma.PARAMETERS])
    analytic = gamma_gamma.gradient(params, x, m)
    numeric = np.zeros(3)
    for i in range(3):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (
            gamma_gamma.log_likelihood(dict(zip(gamma_gamma.PARAMETERS, up, strict=True)), x, m)
            - gamma_gamma.log_likelihood(dict(zip(gamma_gamma.PARAMETERS, down, strict=True)), x, m)
        ) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("x", "m", "expected"),
    [
        (0, np.nan, 6.25 * 15.44 / (3.74 - 1)),  # no repeat purchase: the population mean
        (1, 50.0, (15.44 + 50.0) * 6.25 / (6.25 + 3.74 - 1)),
        (10_000, 50.0, 50.0),  # a long history: the customer's own mean
    ],
)
def test_expected_spend_shrinks_towards_the_population_mean(x, m, expected):
    value = gamma_gamma.expected_spend(PUBLISHED, x, m)
    assert value == pytest.approx(expected, rel=1e-3 if x == 10_000 else 1e-12)


def test_expected_spend_is_infinite_when_the_population_mean_is():
    assert np.isinf(gamma_gamma.expected_spend({"p": 1.0, "q": 0.8, "gamma": 5.0}, 0, 0.0))
    assert np.isinf(gamma_gamma.population_mean_spend({"p": 1.0, "q": 0.8, "gamma": 5.0}))


def test_zero_and_negative_spend_are_left_out_and_counted():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 5, 300)
    m = rng.gamma(5.0, 6.0, 300)
    m[:7] = 0.0
    m[7:9] = -3.0
    fit = gamma_gamma.fit_arrays(x, m)
    assert fit.n_customers == 291
    assert fit.n_excluded == 9


def test_recovers_known_parameters_and_reports_no_correlation():
    """50,000 customers: each estimate within 4 standard errors of the truth."""
    truth = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    x = np.random.default_rng(7).poisson(2.0, 50_000) + 1
    m = simulate.simulate_mean_spend(truth, x, seed=8)
    fit = gamma_gamma.fit_arrays(x, m)
    assert fit.converged
    for name, value in truth.items():
        assert abs(fit.params[name] - value) < 4 * fit.std_errors[name], name
    assert abs(fit.frequency_spend_correlation) < 0.03  # independent by construction


def test_correlated_spend_is_flagged():
    rng = np.random.default_rng(9)
    x = rng.integers(1, 30, 2000)
    m = 5.0 * x * rng.gamma(20.0, 0.05, 2000)  # big buyers spend more per purchase
    assert gamma_gamma.fit_arrays(x, m).frequency_spend_correlation > 0.8


def test_needs_some_repeat_customers():
    with pytest.raises(ValueError, match="at least 3"):
        gamma_gamma.fit_arrays([0, 0, 1], [0.0, 0.0, 5.0])


@pytest.mark.parametrize(
    "params", [PUBLISHED, {"p": 0.8, "q": 1.5, "gamma": 3.0}, {"p": 20.0, "q": 9.0, "gamma": 200.0}]
)
def test_analytic_hessian_matches_finite_differences_of_the_gradient(cdnow_summary, params):
    x = cdnow_summary.column("frequency").to_numpy()
    m = cdnow_summary.column("mean_repeat_spend").fill_null(0).to_numpy()
    keep = (x > 0) & (m > 0)
    design = gamma_gamma._Design(x[keep].astype(float), m[keep])
    theta = np.array([params[k] for k in gamma_gamma.PARAMETERS])
    analytic, numeric = hessians(design, theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_customers_in_any_order_give_the_same_fit():
    """The fit sorts customers by frequency; their order, or frequencies given as floats,
    must not change the estimates."""
    rng = np.random.default_rng(3)
    x = rng.poisson(3.0, 20_000)
    spend = simulate.simulate_mean_spend(PUBLISHED, x, seed=4)
    as_given = gamma_gamma.fit_arrays(x, spend)
    order = rng.permutation(len(x))
    shuffled = gamma_gamma.fit_arrays(x[order].astype(float), spend[order])
    for name in gamma_gamma.PARAMETERS:
        assert shuffled.params[name] == pytest.approx(as_given.params[name], rel=1e-10)
    assert shuffled.frequency_spend_correlation == pytest.approx(
        as_given.frequency_spend_correlation, rel=1e-9
    )
    assert shuffled.frequency_spend_correlation == pytest.approx(
        np.corrcoef(x[x > 0], spend[x > 0])[0, 1], rel=1e-9
    )
