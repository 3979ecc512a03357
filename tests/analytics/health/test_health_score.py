"""The health score: each component's points, a missing one left out, the policy."""

import datetime as dt
import math

import numpy as np
import pytest

from kam.analytics.health.policy import DEFAULT_POLICY, HealthPolicy, PolicyError
from kam.analytics.health.score import (
    ExternalValue,
    count_points,
    coverage_points,
    overdue_points,
    plan_points,
    probability_points,
    rating_points,
    score_accounts,
    trend_points,
)
from kam.analytics.health.signals import PurchaseSignals, usual_gap


@pytest.mark.parametrize(
    ("recent", "prior", "points"),
    [(100, 100, 50.0), (0, 100, 0.0), (100, 0, None), (math.nan, 100, None), (400, 100, 88.9)],
)
def test_revenue_trend_points(recent, prior, points):
    got = trend_points(recent, prior)
    assert got == points if points is None else got == pytest.approx(points, abs=0.1)


@pytest.mark.parametrize(
    ("function", "raw", "points"),
    [
        (overdue_points, 1.0, 88.9),
        (overdue_points, 2.0, 50.0),
        (overdue_points, None, None),
        (probability_points, 0.3, 30.0),
        (probability_points, math.inf, None),
        (rating_points, 3.0, 50.0),
        (count_points, 1, 50.0),
        (coverage_points, 3, 0.0),
    ],
)
def test_component_points(function, raw, points):
    got = function(raw)
    assert got == points if points is None else got == pytest.approx(points, abs=0.1)


def test_plan_points_fall_with_age_and_overdue_actions():
    assert plan_points(30, 0) == 100
    assert plan_points(365, 0) == pytest.approx(0)
    assert plan_points(30, 2) == 70
    assert plan_points(None, 3) is None


def test_usual_gap_pools_one_order_accounts_with_the_portfolio():
    gaps = usual_gap(np.array([0.0, 300.0, 60.0]), np.array([0.0, 10.0, 2.0]))
    # typical gap = median(30, 30) = 30: a single order gets it, others pool towards it.
    assert gaps.tolist() == pytest.approx([30.0, 30.0, 30.0])


def signals(**columns):
    base = {
        "revenue_recent": [100.0, 50.0],
        "revenue_prior": [100.0, 100.0],
        "days_since_last": [10.0, 200.0],
        "usual_gap_days": [30.0, 30.0],
        "p_alive": [0.9, 0.2],
    }
    extra = {key: columns.pop(key) for key in ("orders", "history") if key in columns}
    base.update(columns)
    return PurchaseSignals(
        dt.date(2025, 1, 31),
        12,
        ("A", "B"),
        *(
            np.array(base[key])
            for key in (
                "revenue_recent",
                "revenue_prior",
                "days_since_last",
                "usual_gap_days",
                "p_alive",
            )
        ),
        alive_model="pareto_nbd",
        **extra,
    )


def test_missing_component_is_left_out_and_weights_renormalised():
    policy = HealthPolicy({"revenue_trend": 1, "p_alive": 1, "satisfaction": 2})
    healths = score_accounts(
        signals(p_alive=[math.nan, 0.2]),
        policy,
        {"B": {"satisfaction": ExternalValue(1.0, "NPS 10")}},
    )
    a, b = healths["A"], healths["B"]
    # A: trend 50 alone (P(alive) and satisfaction missing) — not dragged down by a zero.
    assert a.score == pytest.approx(50.0)
    assert set(a.missing) >= {"p_alive", "satisfaction"}
    assert a.weight_present == pytest.approx(0.25)
    # B: trend 26.1 (halved), P(alive) 20, satisfaction 100 weighted 1:1:2.
    assert b.score == pytest.approx((26.13 + 20 + 200) / 4, abs=0.05)
    assert b.weight_present == 1.0


def test_every_component_explains_itself():
    health = score_accounts(signals(), DEFAULT_POLICY)["B"]
    by_key = {c.key: c for c in health.components}
    assert "-50%" in by_key["revenue_trend"].explanation
    assert "200 days since the last order" in by_key["order_rhythm"].explanation
    assert by_key["coverage"].points is None
    assert "no data" in by_key["coverage"].explanation


def test_an_account_with_nothing_present_has_no_score():
    healths = score_accounts(None, DEFAULT_POLICY, {}, ["Z"])
    assert healths["Z"].score is None


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"nonsense": 1}, "unknown health component"),
        ({"p_alive": -1}, "≥ 0"),
        ({"p_alive": 0}, "at least one"),
        ({"p_alive": math.nan}, "≥ 0"),
    ],
)
def test_a_bad_policy_is_refused(weights, message):
    with pytest.raises(PolicyError, match=message):
        HealthPolicy(weights)


def test_policy_round_trips_through_plain_data():
    again = HealthPolicy.from_dict(DEFAULT_POLICY.as_dict(), version=1)
    assert again.as_dict() == DEFAULT_POLICY.as_dict()
