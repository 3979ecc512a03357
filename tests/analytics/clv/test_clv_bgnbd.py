"""BG/NBD: published CDNOW fit, analytic gradient, edge cases, recovery from simulation.

Published values: Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way:
An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284, section 7
(CDNOW 1/10 sample, weeks 1-39): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
LL = -9582.4.
"""

import numpy as np
import pytest
from clv_derivatives import hessians
from scipy.special import betaln, gammaln, hyp2f1

from kam.analytics.clv import bgnbd, simulate
from kam.analytics.clv.summary import collapse, collapse_arrays

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUTH = dict(PUBLISHED)


@pytest.mark.parametrize(("name", "value"), PUBLISHED.items())
def test_cdnow_parameters_match_fader_hardie_lee_to_the_printed_digits(cdnow_bgnbd, name, value):
    assert round(cdnow_bgnbd.params[name], 3) == value


def test_cdnow_log_likelihood_and_fit_report(cdnow_bgnbd):
    assert round(cdnow_bgnbd.log_likelihood, 1) == -9582.4
    assert cdnow_bgnbd.converged
    assert cdnow_bgnbd.n_customers == 2357
    assert cdnow_bgnbd.time_unit == "weeks"
    assert cdnow_bgnbd.aic == pytest.approx(2 * 4 + 2 * 9582.429, abs=0.01)
    assert cdnow_bgnbd.bic == pytest.approx(4 * np.log(2357) + 2 * 9582.429, abs=0.01)


def _numeric_hessian(fun, theta, step=1e-4):
    k = len(theta)
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            di = np.zeros(k)
            dj = np.zeros(k)
            di[i] = step * theta[i]
            dj[j] = step * theta[j]
            hess[i, j] = (
                fun(theta + di + dj)
                - fun(theta + di - dj)
                - fun(theta - di + dj)
                + fun(theta - di - dj)
            ) / (4 * di[i] * dj[j])
    return hess


def test_standard_errors_are_the_inverse_hessian_of_the_likelihood(cdnow_summary, cdnow_bgnbd):
    theta = np.array([cdnow_bgnbd.params[k] for k in bgnbd.PARAMETERS])

    def negative_ll(values):
        return -bgnbd.log_likelihood(
            dict(zip(bgnbd.PARAMETERS, values, strict=True)), cdnow_summary
        )

    expected = np.sqrt(np.diag(np.linalg.inv(_numeric_hessian(negative_ll, theta))))
    ours = np.array([cdnow_bgnbd.std_errors[k] for k in bgnbd.PARAMETERS])
    np.testing.assert_allclose(ours, expected, rtol=1e-4)


def _textbook_loglik(params, x, t_x, T):
    """FHL (2005) eq. 6 written out directly, for customers where it does not overflow."""
    r, alpha, a, b = (params[k] for k in bgnbd.PARAMETERS)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = np.exp(betaln(a, b + x) - betaln(a, b) + common - (r + x) * np.log(alpha + T))
    dropped = np.where(
        x > 0,
        np.exp(
            betaln(a + 1, np.maximum(b + x - 1, 1e-9))
            - betaln(a, b)
            + common
            - (r + x) * np.log(alpha + t_x)
        ),
        0.0,
    )
    return np.log(alive + dropped).sum()


@pytest.mark.parametrize(
    "params",
    [
        PUBLISHED,
        {"r": 2.0, "alpha": 0.5, "a": 3.0, "b": 0.4},
        {"r": 0.05, "alpha": 40.0, "a": 0.2, "b": 9.0},
    ],
)
def test_log_likelihood_equals_the_textbook_formula(params):
    x = np.array([0, 1, 2, 7, 20])
    t_x = np.array([0.0, 3.0, 30.4, 12.0, 35.0])
    T = np.array([38.9, 30.0, 38.9, 20.0, 36.0])
    ours = bgnbd.log_likelihood(params, collapse_arrays(x, t_x, T))
    assert ours == pytest.approx(_textbook_loglik(params, x, t_x, T), rel=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        PUBLISHED,
        {"r": 2.0, "alpha": 0.5, "a": 3.0, "b": 0.4},
        {"r": 0.05, "alpha": 40.0, "a": 0.2, "b": 9.0},
        {"r": 1.0, "alpha": 4.0, "a": 1.0, "b": 1.0},
    ],
)
def test_analytic_gradient_matches_finite_differences(cdnow_summary, params):
    theta = np.array([params[k] for k in bgnbd.PARAMETERS])
    analytic = bgnbd.gradient(params, cdnow_summary)
    numeric = np.zeros(4)
    for i in range(4):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (
            bgnbd.log_likelihood(dict(zip(bgnbd.PARAMETERS, up, strict=True)), cdnow_summary)
            - bgnbd.log_likelihood(dict(zip(bgnbd.PARAMETERS, down, strict=True)), cdnow_summary)
        ) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "expected_alive"),
    [
        (0, 0.0, 30.0, 1.0),  # no repeat purchase: cannot have dropped out under the BG/NBD
        (2, 30.0, 30.0, 1 / (1 + 0.793 / (2.426 + 1))),  # bought on the last day
        (500, 1.0, 38.0, 0.0),  # a frantic buyer silent for weeks is surely gone
        (500, 38.0, 38.0, 1 / (1 + 0.793 / (2.426 + 499))),
        (0, 0.0, 1e-9, 1.0),  # just acquired
    ],
)
def test_probability_alive_edge_cases(x, t_x, T, expected_alive):
    alive = bgnbd.probability_alive(PUBLISHED, x, t_x, T)
    assert alive == pytest.approx(expected_alive, abs=1e-12)


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [(0, 0.0, 38.86), (2, 30.43, 38.86), (7, 29.43, 38.86), (40, 10.0, 30.0), (1, 1.0, 2.0)],
)
def test_conditional_expectation_equals_fhl_equation_10(x, t_x, T):
    """Our Euler-transformed form against eq. 10 as printed, where the latter is finite."""
    r, alpha, a, b = (PUBLISHED[k] for k in bgnbd.PARAMETERS)
    t = 39.0
    z = t / (alpha + T + t)
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    ours = bgnbd.expected_purchases(PUBLISHED, x, t_x, T, t)
    assert ours == pytest.approx(numerator / denominator, rel=1e-10)


def test_fhl_worked_example():
    """FHL's spreadsheet customer 0001 (x=2, t_x=30.43, T=38.86): P(alive) = 0.73."""
    assert bgnbd.probability_alive(PUBLISHED, 2, 30.43, 38.86) == pytest.approx(0.73, abs=0.005)


@pytest.mark.parametrize(("x", "t_x", "T"), [(500, 38.0, 38.0), (500, 1.0, 38.0), (0, 0.0, 1e-9)])
def test_extreme_histories_stay_finite(x, t_x, T):
    expected = bgnbd.expected_purchases(PUBLISHED, x, t_x, T, 52.0)
    assert np.isfinite(expected)
    assert expected >= 0
    assert np.isfinite(bgnbd.log_likelihood(PUBLISHED, collapse_arrays([x], [t_x], [T])))


def test_heavy_buyer_who_just_bought_expects_many_purchases():
    expected = bgnbd.expected_purchases(PUBLISHED, 500, 38.0, 38.0, 39.0)
    # Alive with a purchase rate near 500/38 per week, dropout chance a/(b+x) per purchase.
    assert 200 < expected < 600


def test_expectation_is_continuous_through_a_equal_one():
    params = dict(PUBLISHED)
    values = []
    for a in (1 - 2e-4, 1 - 5e-5, 1.0, 1 + 5e-5, 1 + 2e-4):
        params["a"] = a
        values.append(float(bgnbd.expected_purchases(params, 3, 20.0, 38.0, 39.0)))
    assert np.all(np.isfinite(values))
    assert np.ptp(values) < 1e-3 * values[2]
    assert np.all(np.diff(values) < 0)  # more dropout-prone (larger a): fewer purchases


def test_unconditional_expectation_matches_simulation():
    n, t = 200_000, 52.0
    sim = simulate.simulate_bgnbd(PUBLISHED, np.full(n, t), seed=11)
    expected = bgnbd.expected_purchases_new_customer(PUBLISHED, t)
    assert sim.x.mean() == pytest.approx(expected, abs=4 * sim.x.std() / np.sqrt(n))


def test_conditional_expectation_matches_simulated_holdout():
    n = 100_000
    ages = simulate.cohort_ages(n, calibration_length=39, acquisition_length=12, seed=3)
    sim = simulate.simulate_bgnbd(PUBLISHED, ages, holdout=39.0, seed=4)
    predicted = bgnbd.expected_purchases(PUBLISHED, sim.x, sim.t_x, sim.T, 39.0)
    noise = 4 * sim.holdout_x.std() * np.sqrt(n)
    assert predicted.sum() == pytest.approx(sim.holdout_x.sum(), abs=noise)


def test_recovers_known_parameters_from_simulated_customers():
    """50,000 day-granular customers: each estimate within 4 standard errors of the truth."""
    ages = simulate.cohort_ages(
        50_000, calibration_length=52, acquisition_length=13, steps_per_unit=7, seed=5
    )
    sim = simulate.simulate_bgnbd(TRUTH, ages, steps_per_unit=7, seed=6)
    fit = bgnbd.fit(collapse_arrays(sim.x, sim.t_x, sim.T))
    assert fit.converged
    for name, value in TRUTH.items():
        assert abs(fit.params[name] - value) < 4 * fit.std_errors[name], name


def test_refuses_an_empty_customer_base():
    with pytest.raises(ValueError, match="no customers"):
        bgnbd.fit(collapse_arrays([], [], []))


@pytest.mark.parametrize(
    "params",
    [
        PUBLISHED,
        {"r": 2.0, "alpha": 0.5, "a": 3.0, "b": 0.4},
        {"r": 0.05, "alpha": 40.0, "a": 0.2, "b": 9.0},
    ],
)
def test_analytic_hessian_matches_finite_differences_of_the_gradient(cdnow_summary, params):
    design = bgnbd._Design(collapse(cdnow_summary))
    theta = np.array([params[k] for k in bgnbd.PARAMETERS])
    analytic, numeric = hessians(design, theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_a_fit_started_from_a_sample_of_the_histories_lands_on_the_same_optimum():
    """Over 32,768 distinct histories the fit starts Newton from the optimum of every k-th
    one; started from the default point instead, it must find the same parameters."""
    ages = simulate.cohort_ages(
        150_000, calibration_length=52, acquisition_length=13, steps_per_unit=7, seed=7
    )
    sim = simulate.simulate_bgnbd(TRUTH, ages, steps_per_unit=7, seed=8)
    stats = collapse_arrays(sim.x, sim.t_x, sim.T)
    assert len(stats) > 4 * 8192  # large enough for the sample start
    sampled = bgnbd.fit(stats)
    mean_age = float(np.average(stats.T, weights=stats.weight))
    direct = bgnbd.fit(stats, start=(1.0, mean_age, 1.0, 1.0))
    assert sampled.converged
    assert direct.converged
    for name in bgnbd.PARAMETERS:
        assert sampled.params[name] == pytest.approx(direct.params[name], rel=1e-9), name
        assert sampled.std_errors[name] == pytest.approx(direct.std_errors[name], rel=1e-4)
