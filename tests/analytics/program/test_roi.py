"""The ROI estimators find an effect that was planted, within their interval, and none
where none was."""

import numpy as np
import pytest

from kam.analytics.program.roi import (
    Verdict,
    matched_difference,
    regression_discontinuity,
)

SEGMENTS = np.array(["Retail", "Automotive", "Energy"])


def _portfolio(effect: float, seed: int, n: int = 3000):
    """Accounts whose later growth depends on size and trend (so a naive comparison of key
    and non-key is biased) plus ``effect`` for the key ones, chosen on size with noise."""
    rng = np.random.default_rng(seed)
    segment = SEGMENTS[rng.integers(0, 3, n)]
    log_revenue = rng.normal(11, 1.2, n)
    trend = rng.normal(0, 0.15, n)
    key = log_revenue + rng.normal(0, 0.6, n) > 12.2
    growth = 0.5 * trend - 0.02 * (log_revenue - 11) + effect * key + rng.normal(0, 0.08, n)
    return key, segment, log_revenue, trend, growth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matching_recovers_a_planted_effect(seed):
    key, segment, size, trend, growth = _portfolio(0.10, seed)
    estimate = matched_difference(key, segment, [size, trend], growth)
    assert estimate.low < 0.10 < estimate.high
    assert estimate.verdict is Verdict.POSITIVE
    assert estimate.n > 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matching_finds_nothing_where_nothing_was_planted(seed):
    key, segment, size, trend, growth = _portfolio(0.0, seed)
    naive = growth[key].mean() - growth[~key].mean()
    estimate = matched_difference(key, segment, [size, trend], growth)
    assert naive < -0.02  # the raw comparison would call it harmful
    assert estimate.verdict is Verdict.NONE


def test_matching_says_when_it_is_too_thin():
    key, segment, size, trend, growth = _portfolio(0.10, 4, n=60)
    estimate = matched_difference(key, segment, [size, trend], growth)
    assert estimate.verdict is Verdict.TOO_THIN
    assert "at least 10" in estimate.why


def _cut(effect: float, seed: int, n: int = 2000):
    rng = np.random.default_rng(seed)
    running = rng.uniform(-1, 1, n)
    growth = 0.3 * running + effect * (running >= 0) + rng.normal(0, 0.1, n)
    return running, growth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_discontinuity_recovers_a_planted_jump(seed):
    estimate = regression_discontinuity(*_cut(0.08, seed))
    assert estimate.low < 0.08 < estimate.high
    assert estimate.verdict is Verdict.POSITIVE
    assert 0 < estimate.bandwidth < 1
    assert estimate.n_below >= 10
    assert estimate.n_above >= 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_discontinuity_finds_no_jump_where_none_was_planted(seed):
    estimate = regression_discontinuity(*_cut(0.0, seed))
    assert estimate.verdict is Verdict.NONE


def test_discontinuity_says_when_too_few_are_near_the_cut():
    running, growth = _cut(0.08, 5, n=2000)
    far = np.abs(running) > 0.5
    estimate = regression_discontinuity(running[far], growth[far], bandwidth=0.5)
    assert estimate.verdict is Verdict.TOO_THIN
    assert "at least 10" in estimate.why


def test_a_non_finite_figure_is_left_out():
    running, growth = _cut(0.08, 6)
    growth[:50] = np.nan
    estimate = regression_discontinuity(running, growth)
    assert estimate.n_below + estimate.n_above == estimate.n
    assert np.isfinite(estimate.effect)
