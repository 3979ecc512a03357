"""Logging engagements as each role, on their own account and another's; follow-ups that
become plan actions; each contact's last contacted date; comments; the cadence policy's
versions; and the audit trail of all of it."""

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied

from kam.audit.choices import Interface
from kam.audit.context import acting
from kam.audit.models import AuditEntry
from kam.engagement import cadence, services
from kam.engagement.models import CadencePolicyVersion, Engagement
from kam.engagement.services import EngagementError, FollowUp
from kam.plans.models import AccountPlan, PlanAction
from kam.revisions import EditConflict

TODAY = date(2026, 6, 15)


def log(user, account, **kwargs):
    values = {"kind": "qbr", "date": date(2026, 6, 10), "today": TODAY, "our_people": [user]}
    return services.do_log_engagement(user, account, **(values | kwargs))


@pytest.mark.parametrize(
    ("who", "whose", "allowed"),
    [
        ("kam", "own", True),
        ("kam", "foreign", False),
        ("head", "own", True),
        ("head", "foreign", True),
        ("sponsor", "own", False),
        ("viewer", "own", False),
        ("analyst", "own", False),
    ],
)
def test_who_may_log_an_engagement(programme, who, whose, allowed):
    user = getattr(programme, who)
    account = programme.own if whose == "own" else programme.foreign
    if allowed:
        assert log(user, account).pk
    else:
        with pytest.raises(PermissionDenied):
            log(user, account)
        assert not Engagement.objects.exists()


def test_a_refusal_on_a_foreign_account_names_it(programme):
    with pytest.raises(PermissionDenied) as refused:
        log(programme.kam, programme.foreign)
    assert "Borealis Foods Inc." in refused.value.reason


def test_a_qbr_with_two_contacts_updates_when_each_was_last_contacted(programme):
    petra, jonas = programme.contacts
    log(programme.kam, programme.own, contacts=[petra, jonas], date=date(2026, 6, 10))
    log(programme.kam, programme.own, contacts=[petra], date=date(2026, 5, 1))  # older: no change
    petra.refresh_from_db()
    jonas.refresh_from_db()
    assert petra.last_contact_date == jonas.last_contact_date == date(2026, 6, 10)


def test_a_planned_meeting_does_not_count_as_contact(programme):
    petra = programme.contacts[0]
    log(programme.kam, programme.own, contacts=[petra], date=date(2026, 7, 1))
    petra.refresh_from_db()
    assert petra.last_contact_date is None
    assert Engagement.objects.get().status == "planned"  # a day ahead defaults to planned


def test_correcting_an_engagement_moves_last_contacted_back_to_what_the_log_shows(programme):
    petra, jonas = programme.contacts
    log(programme.kam, programme.own, contacts=[petra], date=date(2026, 4, 2))
    wrong = log(programme.kam, programme.own, contacts=[petra, jonas], date=date(2026, 6, 10))
    services.do_update_engagement(
        programme.kam, wrong, today=TODAY, contacts=[jonas], date=date(2026, 6, 9)
    )
    petra.refresh_from_db()
    jonas.refresh_from_db()
    assert petra.last_contact_date == date(2026, 4, 2)
    assert jonas.last_contact_date == date(2026, 6, 9)


def test_a_held_engagement_cannot_be_in_the_future_nor_a_planned_one_rated(programme):
    with pytest.raises(EngagementError) as refused:
        log(programme.kam, programme.own, status="held", date=date(2026, 7, 1))
    assert "still ahead" in refused.value.errors["date"]
    with pytest.raises(EngagementError) as refused:
        log(programme.kam, programme.own, status="planned", date=date(2026, 7, 1), rating=4)
    assert "rating" in refused.value.errors
    with pytest.raises(EngagementError) as refused:
        log(programme.kam, programme.own, our_people=[])
    assert "our_people" in refused.value.errors
    with pytest.raises(EngagementError) as refused:
        log(programme.kam, programme.own, contacts=[_contact_of(programme.foreign, programme)])
    assert "another account" in refused.value.errors["contacts"]
    assert not Engagement.objects.exists()


def _contact_of(account, programme):
    from kam.relationships.services import do_add_contact

    return do_add_contact(programme.head, account, name="Ida Falk")


def test_follow_ups_become_actions_of_the_account_plan(programme):
    petra = programme.contacts[0]
    qbr = log(
        programme.kam,
        programme.own,
        contacts=[petra],
        rating=4,
        outcome="Agreed a cost study.",
        follow_ups=[
            FollowUp("Send the cost study", None, date(2026, 7, 1)),
            FollowUp("Book the plant visit", programme.keeper, date(2026, 6, 30)),
        ],
    )
    plan = AccountPlan.objects.get(account=programme.own)
    assert plan.status == "draft"  # none existed: a draft was started to hold them
    actions = {a.action: a for a in PlanAction.objects.filter(plan=plan)}
    assert actions["Send the cost study"].owner == programme.kam
    assert actions["Book the plant visit"].owner == programme.keeper
    assert actions["Book the plant visit"].due_on == date(2026, 6, 30)
    assert set(qbr.follow_ups.all()) == set(actions.values())


def test_follow_ups_go_to_the_active_plan_when_there_is_one(programme):
    from kam.plans.services import do_activate_plan, do_create_plan

    active = do_create_plan(programme.kam, programme.own, today=TODAY)
    do_activate_plan(programme.kam, active)
    do_create_plan(programme.kam, programme.own, today=TODAY, title="A later draft")
    log(programme.kam, programme.own, follow_ups=[FollowUp("Call back", None, TODAY)])
    assert PlanAction.objects.get().plan == active


def test_an_edit_at_a_stale_revision_is_refused_and_writes_nothing(programme):
    qbr = log(programme.kam, programme.own)
    seen = qbr.revision
    services.do_update_engagement(programme.kam, qbr, today=TODAY, outcome="First.")
    stale = Engagement.objects.get(pk=qbr.pk)
    with pytest.raises(EditConflict):
        services.do_update_engagement(
            programme.head, stale, today=TODAY, expected_revision=seen, outcome="Second."
        )
    assert Engagement.objects.get(pk=qbr.pk).outcome == "First."


def test_a_planned_meeting_is_recorded_as_held_with_its_rating(programme):
    planned = log(programme.kam, programme.own, date=date(2026, 6, 14), status="planned",
                  start_time=time(10, 0))  # fmt: skip
    before = planned.revision
    services.do_update_engagement(
        programme.kam, planned, today=TODAY, status="held", rating=5, outcome="Went well."
    )
    planned.refresh_from_db()
    assert (planned.status, planned.rating, planned.revision) == ("held", 5, before + 1)


@pytest.mark.parametrize(
    ("who", "whose", "allowed"),
    [
        ("sponsor", "own", True),
        ("sponsor", "foreign", False),
        ("kam", "own", True),
        ("kam", "foreign", False),
        ("head", "foreign", True),
        ("viewer", "own", False),
    ],
)
def test_who_may_comment(programme, who, whose, allowed):
    account = programme.own if whose == "own" else programme.foreign
    engagement = log(programme.head, account)
    user = getattr(programme, who)
    if allowed:
        made = services.do_comment_on_engagement(user, engagement, "Let me join the next one.")
        assert made.author == user
    else:
        with pytest.raises(PermissionDenied):
            services.do_comment_on_engagement(user, engagement, "Hello")


def test_every_write_is_in_the_audit_trail(programme):
    qbr = log(programme.kam, programme.own, contacts=programme.contacts,
              follow_ups=[FollowUp("Send the minutes", None, TODAY)])  # fmt: skip
    with acting(Interface.WEB, programme.kam):
        services.do_update_engagement(programme.kam, qbr, today=TODAY, outcome="Minutes sent.")
    services.do_comment_on_engagement(programme.sponsor, qbr, "Good meeting.")
    entries = AuditEntry.objects.filter(account_id="C-OWN")
    kinds = {(e.object_type, e.action) for e in entries}
    assert ("engagement.engagement", "created") in kinds
    assert ("engagement.engagement", "changed") in kinds
    assert ("engagement.engagementcomment", "created") in kinds
    assert ("plans.planaction", "created") in kinds
    assert ("relationships.contact", "changed") in kinds  # last contacted moved
    changed = [
        e for e in entries.filter(object_type="engagement.engagement", action="changed")
        if "outcome" in e.changes
    ]  # fmt: skip
    assert len(changed) == 1
    changed = changed[0]
    assert changed.changes["outcome"] == ["", "Minutes sent."]
    assert changed.actor == "kim"


def test_the_cadence_policy_is_versioned_and_only_the_head_of_kam_edits_it(programme):
    rules = [cadence.CadenceRule("tier_1", "qbr", 60), cadence.CadenceRule("tier_2", "qbr", 90)]
    with pytest.raises(PermissionDenied):
        services.do_save_cadence_policy(programme.kam, rules, expected_version=0)
    first = services.do_save_cadence_policy(
        programme.head, rules, note="Tighter", expected_version=0
    )
    assert first.version == 1
    with pytest.raises(EditConflict):
        services.do_save_cadence_policy(programme.head, rules[:1], expected_version=0)
    second = services.do_save_cadence_policy(programme.head, rules[:1], expected_version=1)
    assert second.version == 2
    assert CadencePolicyVersion.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="engagement.cadencepolicyversion").count() == 2
    with pytest.raises(EngagementError):
        services.do_save_cadence_policy(
            programme.head, [cadence.CadenceRule("tier_1", "qbr", 1)], expected_version=2
        )
