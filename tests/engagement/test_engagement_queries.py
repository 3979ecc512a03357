"""Cadence across key accounts from the database: the published cycles' tiers, a change of
tier, the sponsor's presence, and the overdue accounts listed per manager."""

from datetime import date

from kam.engagement import queries, services
from kam.selection.models import KeyAccount

from .conftest import publish_cycle

TODAY = date(2026, 6, 15)


def held(user, account, day, kind="qbr", people=None):
    return services.do_log_engagement(
        user, account, kind=kind, date=day, today=TODAY, our_people=people or [user]
    )


def statuses():
    return queries.cadence_statuses(KeyAccount.objects.all(), TODAY)


def test_a_tier_1_account_is_overdue_until_its_qbr_and_sponsor_review_are_held(programme):
    own = programme.own
    found = statuses()["C-OWN"]
    assert [t.rule.kind for t in found.overdue] == ["qbr"]  # since 1 Jan: due 1 Apr
    held(programme.kam, own, date(2026, 6, 1))
    found = statuses()["C-OWN"]
    assert found.overdue == ()
    qbr = next(t for t in found.touchpoints if t.rule.kind == "qbr")
    assert qbr.due_on == date(2026, 8, 30)
    assert found.next.rule.kind == "executive_review"  # none yet: due 182 days after 1 Jan
    assert found.next.due_on == date(2026, 7, 2)
    # The executive review without the sponsor meets the QBR, not the review.
    held(programme.kam, own, date(2026, 6, 5), kind="executive_review")
    review = next(t for t in statuses()["C-OWN"].touchpoints if t.rule.kind == "executive_review")
    assert review.last_held is None
    held(
        programme.kam, own, date(2026, 6, 6), "executive_review", [programme.kam, programme.sponsor]
    )
    review = next(t for t in statuses()["C-OWN"].touchpoints if t.rule.kind == "executive_review")
    assert review.last_held == date(2026, 6, 6)


def test_a_new_cycle_that_changes_the_tier_moves_the_due_date(programme):
    held(programme.head, programme.foreign, date(2026, 1, 20))
    before = statuses()["C-FOREIGN"]
    assert before.next.rule.kind == "qbr"
    assert before.next.due_on == date(2026, 4, 20)
    publish_cycle(
        "Mid-year", date(2026, 5, 1), {programme.own: "tier_1", programme.foreign: "tier_3"}
    )
    after = statuses()["C-FOREIGN"]
    assert after.tier_changed_on == date(2026, 5, 1)
    assert [t.rule.kind for t in after.touchpoints] == ["qbr"]  # no executive review in Tier 3
    assert after.next.due_on == date(2026, 7, 19)  # 180 days after the QBR: no longer overdue
    assert not after.overdue
    assert statuses()["C-OWN"].tier_changed_on is None  # kept in its tier


def test_a_promotion_is_due_from_the_day_it_was_published_not_before(programme):
    publish_cycle("Demote", date(2026, 2, 1), {programme.foreign: "tier_3"})
    held(programme.head, programme.foreign, date(2026, 2, 10))
    publish_cycle("Promote", date(2026, 6, 1), {programme.foreign: "tier_1"})
    qbr = next(t for t in statuses()["C-FOREIGN"].touchpoints if t.rule.kind == "qbr")
    assert qbr.due_on == date(2026, 6, 1)  # 90 days on would be 11 May: before the promotion
    assert qbr.overdue_days == 14


def test_overdue_accounts_are_listed_per_manager(programme):
    held(programme.kam, programme.own, date(2026, 6, 1))
    loads = queries.managers_overview(programme.head, TODAY, overdue_only=True)
    assert [(load.manager.username, [s.customer_id for s in load.overdue]) for load in loads] == [
        ("kai", ["C-FOREIGN"])
    ]


def test_cadence_is_read_in_a_fixed_number_of_queries(programme, django_assert_max_num_queries):
    for day in (date(2026, 2, 1), date(2026, 5, 1)):
        held(programme.kam, programme.own, day)
    with django_assert_max_num_queries(8):
        found = statuses()
    assert len(found) == 2
