"""The measured return on the demo company: its key accounts buy more once selected (a
planted effect) and both estimators find it, with an interval that holds the effect and
excludes zero; on the same company with no effect planted, neither tells one from chance.

The whole demo (3,000 customers, three years) is loaded each time: the estimators need
its 120 key accounts and their non-key neighbours."""

from datetime import date

import pytest

from kam.analytics.program.roi import Verdict
from kam.datasets import do_load_demo
from kam.people.models import User
from kam.performance.measured import roi

END = date(2026, 11, 30)


def _measured(effect: float):
    do_load_demo(None, seed=7, end=END, programme_effect=effect)
    return roi(User.objects.get(username="head"))


@pytest.mark.django_db(transaction=True)
def test_the_estimators_find_the_effect_planted_in_the_demo(store):
    found = _measured(0.5)
    # A repeat order for half the invoices: revenue x1.5, an arc growth of 0.5 / 1.25.
    planted = 0.4
    assert found is not None
    assert found.key_accounts == 120
    for estimate in (found.matched, found.discontinuity):
        assert estimate.verdict is Verdict.POSITIVE, estimate
        assert estimate.low < planted < estimate.high, estimate
    assert found.roi is not None
    assert found.roi > 0
    assert found.incremental_contribution > found.programme_cost


@pytest.mark.django_db(transaction=True)
def test_the_estimators_find_nothing_in_the_demo_without_an_effect(store):
    found = _measured(0.0)
    assert found is not None
    for estimate in (found.matched, found.discontinuity):
        assert estimate.verdict is Verdict.NONE, estimate
        assert estimate.low < 0 < estimate.high
