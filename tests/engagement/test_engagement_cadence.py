"""Due dates under the cadence policy, account by account: every tier's interval, what meets
a rule, the sponsor's presence, a change of tier, and overdue detection — on the pure rules,
with the day fixed."""

from datetime import date, timedelta

import pytest

from kam.engagement.cadence import (
    DEFAULT_RULES,
    AccountHistory,
    CadenceRule,
    RuleProblem,
    TouchpointState,
    check_rules,
    next_touchpoint,
    touchpoints,
)

TODAY = date(2026, 6, 15)
SINCE = date(2025, 1, 1)


def history(tier: str, **kwargs) -> AccountHistory:
    return AccountHistory(tier=tier, key_since=SINCE, **kwargs)


@pytest.mark.parametrize(
    ("tier", "days"), [("tier_1", 90), ("tier_2", 120), ("tier_3", 180), ("high_potential", 120)]
)
def test_each_tier_owes_a_qbr_at_its_interval_after_the_last(tier, days):
    last = date(2026, 3, 1)
    qbr = next(t for t in touchpoints(DEFAULT_RULES, history(tier, last_held={"qbr": last}), TODAY)
               if t.rule.kind == "qbr")  # fmt: skip
    assert qbr.due_on == last + timedelta(days=days)
    assert qbr.last_held == last


@pytest.mark.parametrize(
    ("tier", "last", "state", "overdue_days"),
    [
        ("tier_1", date(2026, 3, 1), TouchpointState.OVERDUE, 16),  # due 30 May
        ("tier_2", date(2026, 3, 5), TouchpointState.ON_TRACK, 0),  # due 3 Jul: 18 days
        ("tier_2", date(2026, 2, 20), TouchpointState.DUE_SOON, 0),  # due 20 Jun
        ("tier_3", date(2026, 1, 1), TouchpointState.ON_TRACK, 0),  # due 30 Jun
        ("tier_3", date(2025, 12, 1), TouchpointState.OVERDUE, 16),  # due 30 May
    ],
)
def test_overdue_is_a_due_date_before_today(tier, last, state, overdue_days):
    found = next_touchpoint(
        [r for r in DEFAULT_RULES if r.kind == "qbr"], history(tier, last_held={"qbr": last}), TODAY
    )
    assert (found.state, found.overdue_days) == (state, overdue_days)


def test_tier_2_on_the_14th_day_before_is_due_soon_and_the_15th_is_on_track():
    rules = [CadenceRule("tier_2", "qbr", 120)]
    soon = next_touchpoint(rules, history("tier_2", last_held={"qbr": date(2026, 2, 28)}), TODAY)
    assert soon.days_left == 13
    assert soon.state is TouchpointState.DUE_SOON


def test_an_executive_review_also_meets_the_qbr_but_not_the_other_way_round():
    found = touchpoints(
        DEFAULT_RULES,
        history(
            "tier_1",
            last_held={"qbr": date(2026, 1, 10), "executive_review": date(2026, 5, 1)},
            last_with_sponsor={"executive_review": date(2026, 5, 1)},
        ),
        TODAY,
    )
    by_kind = {t.rule.kind: t for t in found}
    assert by_kind["qbr"].last_held == date(2026, 5, 1)  # the review counts as the QBR
    assert by_kind["qbr"].due_on == date(2026, 7, 30)
    assert by_kind["executive_review"].due_on == date(2026, 10, 30)  # 182 days


def test_an_executive_review_without_the_sponsor_does_not_meet_the_rule():
    found = touchpoints(
        DEFAULT_RULES,
        history(
            "tier_1",
            last_held={"executive_review": date(2026, 5, 1)},
            last_with_sponsor={"executive_review": date(2025, 6, 1)},
        ),
        TODAY,
    )
    review = next(t for t in found if t.rule.kind == "executive_review")
    assert review.last_held == date(2025, 6, 1)
    assert review.overdue
    assert review.overdue_days == (TODAY - date(2025, 11, 30)).days


def test_a_key_account_never_met_is_due_one_interval_after_it_became_key():
    found = next_touchpoint(DEFAULT_RULES, history("tier_3"), TODAY)
    assert found.last_held is None
    assert found.due_on == SINCE + timedelta(days=180)
    assert found.overdue


def test_tier_1_owes_two_touchpoints_and_tier_3_one():
    assert {t.rule.kind for t in touchpoints(DEFAULT_RULES, history("tier_1"), TODAY)} == {
        "qbr",
        "executive_review",
    }
    assert [t.rule.kind for t in touchpoints(DEFAULT_RULES, history("tier_3"), TODAY)] == ["qbr"]


def test_a_planned_meeting_is_shown_but_does_not_meet_the_rule():
    found = next_touchpoint(
        DEFAULT_RULES[2:3],
        history("tier_2", last_held={"qbr": date(2026, 1, 1)}, planned={"qbr": date(2026, 6, 20)}),
        TODAY,
    )
    assert found.planned_on == date(2026, 6, 20)
    assert found.overdue  # due 1 May: planned is not held


class TestAChangeOfTier:
    """A new published cycle moves an account to another tier on 1 June 2026."""

    CHANGED = date(2026, 6, 1)

    def test_a_promotion_brings_the_due_date_in(self):
        last = {"qbr": date(2026, 3, 20)}
        qbr = [rule for rule in DEFAULT_RULES if rule.kind == "qbr"]
        before = next_touchpoint(qbr, history("tier_2", last_held=last), TODAY)
        after = next_touchpoint(
            qbr, history("tier_1", last_held=last, tier_changed_on=self.CHANGED), TODAY
        )
        assert before.due_on == date(2026, 7, 18)  # 120 days
        assert after.due_on == date(2026, 6, 18)  # 90 days

    def test_a_promotion_never_makes_the_days_before_it_overdue(self):
        last = {"qbr": date(2026, 2, 1)}  # 90 days on is 2 May, before the change
        after = next_touchpoint(
            [DEFAULT_RULES[0]],
            history("tier_1", last_held=last, tier_changed_on=self.CHANGED),
            TODAY,
        )
        assert after.due_on == self.CHANGED
        assert after.overdue_days == 14  # overdue since the change, not since 2 May

    def test_a_promotion_to_tier_1_adds_the_executive_review_from_the_day_of_the_change(self):
        after = touchpoints(
            DEFAULT_RULES,
            history("tier_1", last_held={"qbr": date(2026, 5, 1)}, tier_changed_on=self.CHANGED),
            TODAY,
        )
        review = next(t for t in after if t.rule.kind == "executive_review")
        assert review.last_held is None
        assert review.due_on == self.CHANGED  # none held ever: due at once, from the change

    def test_a_demotion_moves_the_due_date_out(self):
        last = {"qbr": date(2026, 2, 1)}
        before = next_touchpoint(DEFAULT_RULES, history("tier_1", last_held=last), TODAY)
        after = next_touchpoint(
            DEFAULT_RULES, history("tier_3", last_held=last, tier_changed_on=self.CHANGED), TODAY
        )
        assert before.overdue
        assert after.due_on == date(2026, 7, 31)  # 180 days
        assert not after.overdue


def test_the_policy_rules_are_checked_and_every_bad_rule_named():
    with pytest.raises(RuleProblem) as refused:
        check_rules(
            [
                CadenceRule("tier_1", "qbr", 90),
                CadenceRule("tier_1", "qbr", 60),
                CadenceRule("tier_9", "qbr", 90),
                CadenceRule("tier_2", "lunch", 90),
                CadenceRule("tier_2", "qbr", 3),
            ]
        )
    problems = refused.value.problems
    assert len(problems) == 4
    assert "rule 2: Tier 1 has a QBR rule already" in problems
    assert any("rule 3" in p and "tier_9" in p for p in problems)
    assert any("rule 4" in p and "lunch" in p for p in problems)
    assert any("rule 5" in p and "7–730" in p for p in problems)
