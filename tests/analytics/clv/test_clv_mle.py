"""The maximum-likelihood machinery: Newton's steps from far away, and its small solves."""

import numpy as np
import pytest

from kam.analytics.clv import bgnbd, pareto_nbd
from kam.analytics.clv._mle import _solve_positive
from kam.analytics.clv.summary import collapse


def test_small_solves_agree_with_lapack_and_refuse_what_is_not_positive_definite():
    rng = np.random.default_rng(1)
    root = rng.normal(size=(4, 4))
    matrix = root @ root.T + 0.1 * np.eye(4)
    vector = rng.normal(size=4)
    np.testing.assert_allclose(
        _solve_positive(matrix, vector), np.linalg.solve(matrix, vector), rtol=1e-10
    )
    assert _solve_positive(np.diag([1.0, -1.0, 2.0, 3.0]), vector) is None
    assert _solve_positive(np.diag([1.0, np.nan, 2.0, 3.0]), vector) is None


@pytest.mark.parametrize(
    ("module", "start"),
    [
        (bgnbd, (50.0, 0.01, 50.0, 0.01)),
        (bgnbd, (0.001, 1000.0, 0.001, 1000.0)),
        (pareto_nbd, (20.0, 50.0, 0.01, 40.0)),
    ],
)
def test_newton_from_a_far_start_finds_the_published_optimum(cdnow_summary, module, start):
    """Where the Hessian is not positive definite, the lifted steps still lead to the
    optimum the default start finds (the CDNOW fits of the published papers)."""
    stats = collapse(cdnow_summary)
    near = module.fit(stats)
    far = module.fit(stats, start=start)
    assert far.converged
    for name in module.PARAMETERS:
        assert far.params[name] == pytest.approx(near.params[name], rel=1e-8), name
