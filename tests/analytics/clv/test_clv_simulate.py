"""Simulated customers: valid summaries, reproducible, on the day grid when asked."""

import numpy as np
import pytest

from kam.analytics.clv import simulate

BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


@pytest.mark.parametrize(
    ("draw", "params"),
    [(simulate.simulate_bgnbd, BGNBD), (simulate.simulate_pareto_nbd, PARETO)],
)
@pytest.mark.parametrize("steps", [None, 7])
def test_simulated_summaries_are_valid_and_reproducible(draw, params, steps):
    ages = simulate.cohort_ages(
        20_000, calibration_length=39, acquisition_length=12, steps_per_unit=steps, seed=1
    )
    one = draw(params, ages, holdout=39.0, steps_per_unit=steps, seed=2)
    two = draw(params, ages, holdout=39.0, steps_per_unit=steps, seed=2)
    assert np.array_equal(one.x, two.x)
    assert np.array_equal(one.t_x, two.t_x)
    assert np.all(one.t_x <= one.T)
    assert np.all(one.t_x[one.x == 0] == 0)
    assert np.all(one.holdout_x >= 0)
    assert np.all((ages >= 27) & (ages <= 39))
    if steps:
        assert np.allclose(one.t_x * 7, np.round(one.t_x * 7))
        assert np.allclose(ages * 7, np.round(ages * 7))
        assert len(np.unique(np.stack([one.x, one.t_x * 7, one.T * 7]), axis=1).T) < 20_000 / 2


def test_bgnbd_customers_without_repeat_purchases_are_all_alive():
    """Under the BG/NBD dropout only follows a purchase: x = 0 means still buying later."""
    ages = np.full(50_000, 39.0)
    sim = simulate.simulate_bgnbd(BGNBD, ages, holdout=1000.0, seed=3)
    assert sim.holdout_x[sim.x == 0].mean() > 1.0


def test_mean_spend_is_nan_without_repeat_purchases():
    spend = simulate.simulate_mean_spend({"p": 6.0, "q": 4.0, "gamma": 15.0}, [0, 1, 5], seed=1)
    assert np.isnan(spend[0])
    assert np.all(spend[1:] > 0)
