"""Scoring: points per scale, explanations, missing data, key accounts, tiers and quadrants."""

import math

import ibis
import pyarrow as pa
import pytest
from selection_data import AS_OF

from kam.analytics.selection.features import account_features
from kam.analytics.selection.policy import (
    Criterion,
    CriterionSource,
    Dimension,
    HighPotentialRule,
    PolicyError,
    Quadrant,
    Scale,
    ScaleKind,
    SelectionPolicy,
    Tier,
    TierRule,
    default_policy,
)
from kam.analytics.selection.scoring import RatingError, score_accounts

A, R = Dimension.ATTRACTIVENESS, Dimension.RELATIONSHIP
IDENTITY = Scale(ScaleKind.LINEAR, (1.0, 5.0))  # points = raw for raw in 1..5


def measured(key, dimension=A, weight=1.0, scale=IDENTITY, feature=None, optional=False):
    return Criterion(
        key, key, CriterionSource.MEASURED, dimension, weight, scale, feature or key,
        optional=optional,
    )  # fmt: skip


def policy_of(*criteria, **fields) -> SelectionPolicy:
    fields.setdefault("revenue_criterion", criteria[0].key)
    fields.setdefault("potential_criteria", (criteria[0].key,))
    return SelectionPolicy(name="test", version=1, criteria=criteria, **fields)


def features_with(con, values: dict[str, dict[str, float | None]]):
    """account_features at AS_OF plus test columns, per customer (NULL where not given)."""
    columns = sorted({k for row in values.values() for k in row})
    extra = ibis.memtable(
        pa.table(
            {
                "customer_id": list(values),
                **{c: pa.array([row.get(c) for row in values.values()], pa.float64())
                   for c in columns},
            }
        )
    )  # fmt: skip
    features = account_features(con, AS_OF)
    joined = features.left_join(extra, features.customer_id == extra.customer_id)
    return joined.select(*features.columns, *columns)


def scored(con, policy, values=None, ratings=None) -> dict[str, dict]:
    features = features_with(con, values) if values else None
    run = score_accounts(con, policy, ratings, AS_OF, features=features)
    return {row["customer_id"]: row for row in run.scores.to_pyarrow().to_pylist()}


def explained(con, policy, ratings=None) -> dict[tuple[str, str], dict]:
    run = score_accounts(con, policy, ratings, AS_OF)
    rows = run.explanations().to_pyarrow().to_pylist()
    return {(row["customer_id"], row["criterion_key"]): row for row in rows}


RATINGS = pa.table(
    {
        "customer_id": ["C1", "C1", "C1", "C2"],
        "criterion_key": ["relationship_position", "relationship_position", "influence", "x"],
        "value": [4.0, 5.0, 2.0, 3.0],
    }
)


def test_weighted_points_add_up_to_the_total_and_missing_stays_missing(con):
    policy = default_policy()
    rows = scored(con, policy, ratings=RATINGS)
    why = explained(con, policy, RATINGS)
    for customer, row in rows.items():
        parts = [why[(customer, c.key)] for c in policy.criteria]
        present = [p["weighted_points"] for p in parts if not p["missing"]]
        if row["total"] is None:
            assert not present
        else:
            assert sum(present) == pytest.approx(row["total"])
    future = why[("C1", "future_value")]  # no predicted_clv yet
    assert future["missing"] is True
    assert future["raw_value"] is None
    assert future["points"] is None
    assert future["weighted_points"] is None
    assert why[("C1", "relationship_position")]["raw_value"] == 4.5  # two ratings average
    assert why[("C2", "relationship_position")]["missing"] is True


def test_coverage_is_the_share_of_weight_present(con):
    policy = default_policy()
    row = scored(con, policy, ratings=RATINGS)["C1"]
    a_weight = sum(c.weight for c in policy.in_dimension(A))
    a_present = a_weight - 35 - 7 - 4  # future_value, strategic_importance, harmony_fit
    assert row["attractiveness_coverage"] == pytest.approx(a_present / a_weight)
    assert row["relationship_coverage"] == pytest.approx((15 + 20 + 25) / 100)
    assert row["coverage"] == pytest.approx((a_present + 60) / (a_weight + 100))


def test_future_value_is_used_once_a_predicted_clv_column_exists(con):
    policy = default_policy()
    values = {c: {"predicted_clv": float(i)} for i, c in enumerate(["C1", "C2", "C3"])}
    rows = scored(con, policy, values)
    assert rows["C3"]["points__future_value"] == pytest.approx(5.0)
    assert rows["C1"]["points__future_value"] == pytest.approx(1.0)
    assert rows["C4"]["raw__future_value"] is None


def test_a_missing_required_feature_names_the_criterion(con):
    policy = policy_of(measured("a", feature="no_such_column"))
    with pytest.raises(PolicyError, match=r"criteria\[0\] \(a\).feature: no feature"):
        score_accounts(con, policy, None, AS_OF)


@pytest.mark.parametrize("value", [0.0, 5.5, None])
def test_ratings_outside_one_to_five_are_refused(con, value):
    ratings = pa.table(
        {"customer_id": ["C1"], "criterion_key": ["influence"], "value": pa.array([value])}
    )
    with pytest.raises(RatingError, match="influence for C1"):
        score_accounts(con, default_policy(), ratings, AS_OF)


@pytest.mark.parametrize(
    ("scale", "raws", "points"),
    [
        (Scale(ScaleKind.LINEAR, (0, 10)), [-1, 0, 5, 10, 11, None], [1, 1, 3, 5, 5, None]),
        (
            Scale(ScaleKind.THRESHOLDS, (1, 2, 3, 4)),
            [0.5, 1, 2.5, 3, 4, None],
            [1, 2, 3, 4, 5, None],
        ),
        # percentile among the five present values; ties share the lower rank
        (Scale(ScaleKind.PERCENTILE), [10, 20, 20, 30, 40, None], [1, 2, 2, 4, 5, None]),
    ],
    ids=["linear", "thresholds", "percentile"],
)
def test_each_scale_kind_in_the_engine(con, scale, raws, points):
    customers = ["C1", "C2", "C3", "C4", "C5", "C6"]
    values = {
        c: {"x": None if r is None else float(r)} for c, r in zip(customers, raws, strict=True)
    }
    rows = scored(con, policy_of(measured("x", scale=scale)), values)
    assert [rows[c]["points__x"] for c in customers] == points


TIERS = (TierRule(Tier.TIER_1, 3.8, 3.0), TierRule(Tier.TIER_2, 2.6, 2.2))
# Low points all (1.2–2.0): the tier is the place among the key accounts, not the points.
SAME_ORDER = {"C1": (2.0, 2.0), "C2": (1.8, 1.8), "C3": (1.6, 1.6), "C4": (1.4, 1.4),
              "C5": (1.2, 1.2)}  # fmt: skip
CROSSED = {"C1": (2.0, 1.2), "C2": (1.8, 1.4), "C3": (1.6, 1.6), "C4": (1.4, 1.8),
           "C5": (1.2, 2.0)}  # fmt: skip


@pytest.mark.parametrize(
    ("values", "tiers"),
    [
        # Places among the five key accounts run 1 (least) to 5 (most) on each measure.
        (SAME_ORDER, {"C1": "tier_1", "C2": "tier_1", "C3": "tier_2", "C4": "tier_3",
                      "C5": "tier_3"}),
        # Very high revenue with the least potential (or the reverse) is not Tier 1.
        (CROSSED, {"C1": "tier_3", "C2": "tier_3", "C3": "tier_2", "C4": "tier_3",
                   "C5": "tier_3"}),
    ],
)  # fmt: skip
def test_tiers_follow_places_among_the_key_accounts(con, values, tiers):
    policy = policy_of(
        measured("rev"), measured("pot"),
        potential_criteria=("pot",), key_account_share=1.0, tier_rules=TIERS,
    )  # fmt: skip
    given = {c: {"rev": rev, "pot": pot} for c, (rev, pot) in values.items()}
    rows = scored(con, policy, given)
    assert {c: rows[c]["tier"] for c in values} == tiers
    assert rows["C6"]["tier"] != "tier_1"  # no revenue in the window: never key


@pytest.mark.parametrize(
    ("attractiveness", "relationship", "quadrant"),
    [
        (3.0, 3.0, Quadrant.STRATEGIC),
        (5.0, 5.0, Quadrant.STRATEGIC),
        (2.9375, 3.0, Quadrant.STATUS),
        (3.0, 2.9375, Quadrant.STAR),
        (2.9375, 2.9375, Quadrant.STREAMLINE),
        (3.0, None, None),
    ],
)
def test_quadrant_boundaries(con, attractiveness, relationship, quadrant):
    policy = policy_of(measured("a"), measured("r", dimension=R), quadrant_cut=3.0)
    row = scored(con, policy, {"C1": {"a": attractiveness, "r": relationship}})["C1"]
    assert row["quadrant"] == (quadrant.value if quadrant else None)


@pytest.mark.parametrize(
    ("share", "keys"),
    [
        (0.15, ["C1"]),
        (0.2, ["C1"]),
        (0.4, ["C1", "C2"]),
        (0.41, ["C1", "C2", "C3"]),
        (1.0, ["C1", "C2", "C3", "C4", "C5"]),
    ],
)
def test_key_accounts_are_the_top_share_of_customers_with_revenue(con, share, keys):
    # Equal scores for everyone: revenue breaks the tie, then customer_id.
    values = {c: {"a": 3.0} for c in ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]}
    rows = scored(con, policy_of(measured("a"), key_account_share=share), values)
    assert sorted(c for c, row in rows.items() if row["is_key"]) == keys
    assert rows["C1"]["key_rank"] == 1
    assert rows["C6"]["key_rank"] is None  # no revenue in the window: not in the running


def test_without_a_fixed_cut_the_four_box_is_cut_at_the_key_accounts_means(con):
    policy = policy_of(measured("a"), measured("r", dimension=R), key_account_share=1.0)
    values = {
        "C1": {"a": 5.0, "r": 5.0},
        "C2": {"a": 5.0, "r": 1.0},
        "C3": {"a": 1.0, "r": 5.0},
        "C4": {"a": 1.0, "r": 1.0},
    }
    rows = scored(con, policy, values)
    keys = [c for c in values if rows[c]["is_key"]]
    assert keys == ["C1", "C2", "C3", "C4"]
    assert {rows[c]["attractiveness_cut"] for c in rows} == {3.0}
    assert {rows[c]["relationship_cut"] for c in rows} == {3.0}
    assert [rows[c]["quadrant"] for c in keys] == [
        Quadrant.STRATEGIC.value,
        Quadrant.STAR.value,
        Quadrant.STATUS.value,
        Quadrant.STREAMLINE.value,
    ]


def test_the_high_potential_track_keeps_only_its_share_highest_potential_first(con):
    policy = policy_of(
        measured("rev"), measured("pot"), potential_criteria=("pot",), key_account_share=0.15,
        high_potential_rule=HighPotentialRule(3.0, 4.0, max_share=0.34),
    )  # fmt: skip
    values = {
        "C1": {"rev": 5.0, "pot": 5.0},
        "C2": {"rev": 1.0, "pot": 4.1},
        "C3": {"rev": 1.0, "pot": 5.0},
        "C4": {"rev": 2.0, "pot": 4.5},
        "C5": {"rev": 1.0, "pot": 4.0},
        "C7": {"rev": 1.0, "pot": 3.9},  # below the rule's minimum: never on the track
    }
    rows = scored(con, policy, values)
    with_revenue = sum(1 for row in rows.values() if (row["revenue_12m"] or 0) > 0)
    on_track = [c for c, row in rows.items() if row["tier"] == Tier.HIGH_POTENTIAL.value]
    expected = math.ceil(0.34 * with_revenue)
    assert len(on_track) == expected
    by_potential = ["C3", "C4", "C2", "C5"]
    assert sorted(on_track, key=by_potential.index) == by_potential[:expected]


NOT_NUMBERS = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("kind", [ScaleKind.PERCENTILE, ScaleKind.LINEAR, ScaleKind.THRESHOLDS])
def test_a_value_that_is_not_a_number_is_missing_never_points(con, bad, kind):
    bounds = {ScaleKind.LINEAR: (0, 10), ScaleKind.THRESHOLDS: (1, 2, 3, 4)}.get(kind, ())
    policy = policy_of(measured("rev"), measured("x", scale=Scale(kind, bounds)))
    values = {
        "C1": {"rev": 5.0, "x": bad},
        "C2": {"rev": 4.0, "x": 2.0},
        "C3": {"rev": 3.0, "x": 3.0},
    }
    rows = scored(con, policy, values)
    assert rows["C1"]["raw__x"] is None
    assert rows["C1"]["points__x"] is None
    # Left out of the dimension: C1's attractiveness is its revenue points alone.
    assert rows["C1"]["attractiveness"] == pytest.approx(rows["C1"]["points__rev"])
    assert rows["C1"]["coverage"] == pytest.approx(0.5)
    # The others are ranked among the values that are numbers, not against a NaN.
    if kind is ScaleKind.PERCENTILE:
        assert rows["C2"]["points__x"] == pytest.approx(1.0)
        assert rows["C3"]["points__x"] == pytest.approx(5.0)
    why = score_accounts(con, policy, None, AS_OF, features=features_with(con, values))
    explanation = {
        (r["customer_id"], r["criterion_key"]): r
        for r in why.explanations().to_pyarrow().to_pylist()
    }
    assert explanation[("C1", "x")]["missing"] is True
    assert explanation[("C1", "x")]["weighted_points"] is None


def test_no_score_column_holds_a_value_that_is_not_a_number(con):
    # Every feature of every customer NaN or infinite, in turn: nothing non-finite comes out.
    policy = default_policy()
    customers = ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    extra = ibis.memtable(
        pa.table(
            {
                "customer_id": customers,
                "predicted_clv": [NOT_NUMBERS[i % 3] for i in range(len(customers))],
                "growth_slope": [NOT_NUMBERS[(i + 1) % 3] for i in range(len(customers))],
            }
        )
    )
    features = account_features(con, AS_OF).drop("growth_slope")
    joined = features.left_join(extra, features.customer_id == extra.customer_id).select(
        *features.columns, "predicted_clv", "growth_slope"
    )
    run = score_accounts(con, policy, None, AS_OF, features=joined)
    for row in run.scores.to_pyarrow().to_pylist():
        for name, value in row.items():
            if isinstance(value, float):
                assert math.isfinite(value), (row["customer_id"], name, value)
        assert row["raw__future_value"] is None
        assert row["raw__growth"] is None
