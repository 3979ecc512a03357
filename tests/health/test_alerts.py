"""Each alert rule fires on its cause, says why in a sentence, and clears when it goes."""

import pytest

from kam.health.alerts import alerts_of


def component(key, raw, explanation="", **extra):
    return {"key": key, "points": 10.0, "raw": raw, "explanation": explanation, **extra}


@pytest.mark.parametrize(
    ("firing", "cleared", "rule", "words", "where"),
    [
        (
            component("revenue_trend", -40.0),
            component("revenue_trend", 5.0),
            "revenue_falling",
            "down 40%",
            "/accounts/A1/",
        ),
        (
            component("order_rhythm", 3.0),
            component("order_rhythm", 0.5),
            "rhythm_broken",
            "3.0 times its usual gap",
            "/accounts/A1/",
        ),
        (
            component("engagement", 1.5, "200 days since the last meeting held"),
            component("engagement", 0.1, "3 days since the last meeting held"),
            "cadence_overdue",
            "200 days since",
            "/engagements/new/",
        ),
        (component("plan", 400.0), component("plan", 20.0), "plan_stale", "400 days ago", "/plan/"),
        (
            component("plan", 20.0, overdue_actions=2),
            component("plan", 20.0, overdue_actions=0),
            "action_overdue",
            "2 actions",
            "/plan/",
        ),
    ],
)
def test_each_rule_fires_and_clears(firing, cleared, rule, words, where):
    fired = alerts_of([firing], "A1")
    assert [alert.rule for alert in fired] == [rule]
    assert words in fired[0].why
    assert fired[0].why.endswith(".")
    assert where in fired[0].url
    assert alerts_of([cleared], "A1") == []


def test_a_missing_component_raises_no_alert():
    missing = [
        {"key": key, "points": None, "raw": None, "explanation": "no data"}
        for key in ("revenue_trend", "p_alive", "order_rhythm", "engagement", "plan")
    ]
    assert alerts_of(missing, "A1") == []
