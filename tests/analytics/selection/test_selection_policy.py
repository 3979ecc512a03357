"""The selection policy: the default from the seeds, scales, and its TOML round trip."""

import dataclasses
import re

import pytest

from kam.analytics.selection.policy import (
    RATING_KEYS,
    CriterionSource,
    Dimension,
    PolicyError,
    Scale,
    ScaleKind,
    default_policy,
)
from kam.analytics.selection.policy_toml import policy_from_toml, policy_to_toml


def test_default_policy_carries_the_seed_criteria_on_both_dimensions():
    policy = default_policy()
    keys = {c.key for c in policy.criteria}
    assert {"revenue_12m", "growth", "margin", "future_value", "tenure", "order_frequency"} <= keys
    rated = {c.key for c in policy.criteria if c.source is CriterionSource.RATED}
    assert rated == set(RATING_KEYS)
    assert policy.in_dimension(Dimension.ATTRACTIVENESS)
    assert policy.in_dimension(Dimension.RELATIONSHIP)
    assert policy.criterion("future_value").optional
    assert policy.key_account_share == 0.15


@pytest.mark.parametrize(
    ("scale", "value", "points"),
    [
        (Scale(ScaleKind.LINEAR, (0, 100)), -5, 1.0),
        (Scale(ScaleKind.LINEAR, (0, 100)), 0, 1.0),
        (Scale(ScaleKind.LINEAR, (0, 100)), 50, 3.0),
        (Scale(ScaleKind.LINEAR, (0, 100)), 100, 5.0),
        (Scale(ScaleKind.LINEAR, (0, 100)), 500, 5.0),
        (Scale(ScaleKind.THRESHOLDS, (10, 20, 30, 40)), 9.99, 1.0),
        (Scale(ScaleKind.THRESHOLDS, (10, 20, 30, 40)), 10, 2.0),
        (Scale(ScaleKind.THRESHOLDS, (10, 20, 30, 40)), 29.99, 3.0),
        (Scale(ScaleKind.THRESHOLDS, (10, 20, 30, 40)), 40, 5.0),
        (Scale(ScaleKind.THRESHOLDS, (10, 20, 30, 40)), None, None),
    ],
)
def test_scales_map_raw_values_to_points(scale, value, points):
    assert scale.points(value) == points


def test_toml_round_trip_gives_back_the_same_policy():
    policy = default_policy()
    text = policy_to_toml(policy)
    assert policy_from_toml(text) == policy
    changed = dataclasses.replace(policy, name='Quoted "name" \\ ü', key_account_share=0.2)
    assert policy_from_toml(policy_to_toml(changed)) == changed


def _edit(old: str, new: str) -> str:
    text = policy_to_toml(default_policy())
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_edit("weight = 30.0", 'weight = "heavy"'), "criteria[0].weight: expected a number"),
        (_edit("weight = 30.0", "weight = -1.0"), "criteria[0] (revenue_12m).weight"),
        (_edit('kind = "pareto"', 'kind = "log"'), "criteria[0].scale.kind: 'log' is not"),
        (
            _edit("bounds = [-0.4, 0.2]", "bounds = [0.2, -0.4]"),
            "criteria[1] (growth).scale.bounds",
        ),
        (_edit('dimension = "attractiveness"', 'dimension = "size"'), "criteria[0].dimension"),
        (_edit('key = "growth"', 'key = "revenue_12m"'), "criteria[1] (revenue_12m).key"),
        (_edit("key_account_share = 0.15", "key_account_share = 1.5"), "key_account_share"),
        (_edit('tier = "tier_1"', 'tier = "not_key"'), "tiers[0].tier"),
        (_edit("version = 1", "version = 1\ncolour = 3"), "colour: unknown key"),
        (_edit("version = 1", "version = 1.5"), "version: expected an integer"),
        (_edit('revenue_criterion = "revenue_12m"', 'revenue_criterion = "x"'), "revenue_crit"),
        (_edit("version = 1", "version = "), "not valid TOML"),
    ],
)
def test_bad_toml_is_refused_naming_the_bad_key(text, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        policy_from_toml(text)
