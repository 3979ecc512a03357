"""The key accounts' health distribution counts a missing score apart, never as 0."""

import math

import pytest

from kam.analytics.program.health_mix import BANDS, health_mix


def test_scores_fall_into_their_bands_and_missing_ones_apart():
    mix = health_mix([5.0, 19.9, 20.0, 55.0, 79.99, 80.0, 100.0, None, math.nan])
    assert dict(mix.labelled) == {"0–19": 2, "20–39": 1, "40–59": 1, "60–79": 1, "80–100": 2}
    assert mix.missing == 2
    assert mix.scored == 7
    assert mix.median == pytest.approx(55.0)


@pytest.mark.parametrize(
    ("scores", "median"), [([None, None], None), ([10.0, 30.0], 20.0), ([], None)]
)
def test_the_median_reads_only_the_known_scores(scores, median):
    mix = health_mix(scores)
    assert mix.median == median
    assert mix.missing == sum(s is None for s in scores)
    assert len(mix.counts) == len(BANDS)
