"""BG/NBD expectations when the fit says everyone drops out with the same probability.

On data where nobody stops buying (TPC-H, a small demo) the fit drives a and b into the
thousands; the hypergeometric form then overflows, and the model's own limit takes over.
"""

import numpy as np
import pytest

from kam.analytics.clv._hypergeometric import bgnbd_expectation_numerator

X = np.array([0.0, 3.0, 20.0, 500.0])
T = np.array([30.0, 40.0, 50.0, 52.0])
HORIZON = np.full(4, 26.0)


@pytest.mark.parametrize(("a", "b"), [(3354.5, 36000.0), (1e6, 9e6), (1000.0, 1000.0)])
def test_huge_beta_parameters_give_finite_positive_expectations(a, b):
    value = bgnbd_expectation_numerator(2.26, 7.41, a, b, X, T, HORIZON)
    assert np.all(np.isfinite(value))
    assert np.all(value > 0)
    # More purchases so far, more expected next (the rate posterior moves up).
    assert np.all(np.diff(value) > 0)


def test_the_limit_joins_the_exact_form_where_both_hold():
    below = bgnbd_expectation_numerator(2.26, 7.41, 999.0, 9990.0, X[:3], T[:3], HORIZON[:3])
    above = bgnbd_expectation_numerator(2.26, 7.41, 1000.0, 10000.0, X[:3], T[:3], HORIZON[:3])
    np.testing.assert_allclose(above, below, rtol=1e-3)
