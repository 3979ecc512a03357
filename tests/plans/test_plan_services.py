"""The plan's rules: completeness, freshness, versions and their diff, reviews, optimistic
locking, one active plan per account, overdue actions and templates per alignment level.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from kam.people.roles import Role
from kam.plans import queries
from kam.plans.models import (
    AccountPlan,
    ActionStatus,
    AlignmentLevel,
    PlanSection,
    PlanStatus,
    ReviewKind,
)
from kam.plans.services import (
    PlanError,
    SectionConflict,
    do_activate_plan,
    do_add_action,
    do_add_objective,
    do_add_risk,
    do_archive_plan,
    do_create_plan,
    do_cut_version,
    do_record_review,
    do_save_template,
    do_set_target,
    do_update_action_status,
    do_update_section,
)
from kam.relationships.models import AccountAlignment, Contact

SWOT_FULL = {
    "strengths": ["Only supplier with EU-wide cold chain"],
    "weaknesses": ["Slow quoting"],
    "opportunities": ["New Poznań hub"],
    "threats": ["Price pressure from Asian entrants"],
}


def _fill_preferred_provider_plan(user, plan, today):
    """Fill every section the Preferred Provider template requires."""
    objective = do_add_objective(user, plan, "Cut logistics cost per pallet by 8%")
    do_set_target(user, plan, year=2026, revenue=Decimal("1200000"))
    do_update_section(user, plan, "swot", SWOT_FULL, expected_revision=0)
    do_add_risk(user, plan, risk="Incumbent undercuts on price", likelihood=3, impact=4)
    do_add_action(
        user, plan, action="Run a cost workshop", owner=user, due_on=today, objective=objective
    )


def test_new_plan_is_a_draft_from_the_preferred_provider_template(plan, account, kam_user):
    assert plan.status == PlanStatus.DRAFT
    assert plan.alignment_level == AlignmentLevel.PREFERRED_PROVIDER
    assert plan.owner == kam_user
    prompts = {section.key: section.prompt for section in plan.sections.all()}
    assert "share of wallet" in prompts["targets"]
    assert plan.title == "Nordwind Logistics GmbH account plan 2026"


@pytest.mark.parametrize(
    ("level", "required_titles"),
    [
        (
            AlignmentLevel.VENDOR,
            (
                "Customer business objectives",
                "Revenue and growth targets",
                "Risk register",
                "Action plan",
            ),
        ),
        (AlignmentLevel.PARTNER, None),  # None: every section of the plan
    ],
)
def test_new_plan_follows_the_template_of_the_accounts_alignment_level(
    kam_user, account, today, level, required_titles
):
    AccountAlignment.objects.create(account=account, level=level, set_at=timezone.now())
    plan = do_create_plan(kam_user, account, today=today)
    missing = queries.completeness(plan).missing
    assert plan.alignment_level == level
    if required_titles is None:
        assert len(missing) == 9
        assert "Stakeholder map" in missing
    else:
        assert missing == required_titles


def test_business_consultant_prompts_carry_the_seed_value_perspective(kam_user, account, today):
    AccountAlignment.objects.create(
        account=account, level=AlignmentLevel.BUSINESS_CONSULTANT, set_at=timezone.now()
    )
    plan = do_create_plan(kam_user, account, today=today)
    prompt = plan.sections.get(key="value_proposition").prompt
    assert prompt == "The value proposition crafted for and offered to the customer."


def test_completeness_counts_what_the_template_requires(plan, kam_user, today):
    start = queries.completeness(plan)
    assert start.percent == 0
    assert start.missing == (
        "Customer business objectives",
        "Revenue and growth targets",
        "SWOT analysis",
        "Risk register",
        "Action plan",
    )
    do_add_objective(kam_user, plan, "Grow in Poland")
    do_set_target(kam_user, plan, year=2026, revenue=Decimal("900000"))
    # A SWOT without threats is not finished.
    do_update_section(kam_user, plan, "swot", {**SWOT_FULL, "threats": ["  "]}, expected_revision=0)
    middle = queries.completeness(plan)
    assert middle.percent == 40
    assert middle.missing == ("SWOT analysis", "Risk register", "Action plan")
    _fill_rest = SWOT_FULL
    do_update_section(kam_user, plan, "swot", _fill_rest, expected_revision=1)
    do_add_risk(kam_user, plan, risk="Budget freeze", likelihood=2, impact=5)
    do_add_action(kam_user, plan, action="Call the CFO", owner=kam_user, due_on=today)
    assert queries.completeness(plan).percent == 100
    assert queries.completeness(plan).missing == ()


def test_stakeholder_section_is_filled_by_the_live_contact_map(kam_user, account, today):
    AccountAlignment.objects.create(
        account=account, level=AlignmentLevel.PARTNER, set_at=timezone.now()
    )
    plan = do_create_plan(kam_user, account, today=today)
    assert "Stakeholder map" in queries.completeness(plan).missing
    Contact.objects.create(account=account, name="Petra Roth", title="CPO")
    assert "Stakeholder map" not in queries.completeness(plan).missing


def test_freshness_is_days_since_the_last_review(plan, kam_user, today):
    never = queries.freshness(plan, today)
    assert (never.last_review, never.days, never.stale) == (None, None, True)
    do_record_review(
        kam_user,
        plan,
        held_on=today - timedelta(days=120),
        kind=ReviewKind.INTERNAL,
        reviewers=[kam_user],
        outcome="Targets agreed",
        today=today,
    )
    assert queries.freshness(plan, today).days == 120
    assert queries.freshness(plan, today).stale
    do_record_review(
        kam_user,
        plan,
        held_on=today - timedelta(days=10),
        kind=ReviewKind.CO_CREATED,
        reviewers=[kam_user],
        outcome="Joint roadmap signed",
        today=today,
        customer_participants="Petra Roth (CPO)",
    )
    fresh = queries.freshness(plan, today)
    assert (fresh.last_review, fresh.days, fresh.stale) == (today - timedelta(days=10), 10, False)


@pytest.mark.parametrize(
    ("kind", "participants", "held_offset", "message"),
    [
        (ReviewKind.EXTERNAL, "", -1, "names who took part at the customer"),
        (ReviewKind.CO_CREATED, "", -1, "names who took part at the customer"),
        (ReviewKind.INTERNAL, "", 3, "after it took place"),
    ],
)
def test_review_rules(plan, kam_user, today, kind, participants, held_offset, message):
    with pytest.raises(PlanError, match=message):
        do_record_review(
            kam_user,
            plan,
            held_on=today + timedelta(days=held_offset),
            kind=kind,
            reviewers=[kam_user],
            outcome="ok",
            today=today,
            customer_participants=participants,
        )
    assert not plan.reviews.exists()


def test_review_keeps_kind_reviewers_and_outcome(plan, kam_user, other_kam, today):
    review = do_record_review(
        kam_user,
        plan,
        held_on=today,
        kind=ReviewKind.EXTERNAL,
        reviewers=[kam_user, other_kam],
        outcome="Customer asked for a quarterly cost report",
        today=today,
        customer_participants="Jonas Weber (Head of Procurement)",
    )
    assert review.get_kind_display() == "External"
    assert set(review.reviewers.all()) == {kam_user, other_kam}
    assert review.recorded_by == kam_user


def test_versions_freeze_content_and_summarise_the_diff(plan, kam_user, today):
    _fill_preferred_provider_plan(kam_user, plan, today)
    first = do_cut_version(kam_user, plan, today=today, note="Agreed with sales director")
    assert (first.number, first.changes) == (1, ["First version"])

    do_set_target(kam_user, plan, year=2026, revenue=Decimal("1500000"))
    do_set_target(kam_user, plan, year=2027, revenue=Decimal("1800000"))
    do_update_section(
        kam_user, plan, "value_proposition", {"text": "Lowest landed cost"}, expected_revision=0
    )
    do_update_section(
        kam_user,
        plan,
        "swot",
        {**SWOT_FULL, "threats": [*SWOT_FULL["threats"], "Customer insources"]},
        expected_revision=1,
    )
    action = plan.actions.get()
    do_update_action_status(kam_user, action, ActionStatus.DONE)
    do_add_action(kam_user, plan, action="Site visit Poznań", owner=kam_user, due_on=today)
    second = do_cut_version(kam_user, plan, today=today)

    assert second.number == 2
    assert second.changes == [
        "Target for 2026: 1,200,000 → 1,500,000",
        "Target for 2027 set: 1,800,000",
        "Value proposition written",
        "SWOT analysis: Threats +1",
        "1 action added: Site visit Poznań",
        "Action 'Run a cost workshop': open → done",
    ]
    # The first version still shows the plan as it was.
    first.refresh_from_db()
    assert [t["revenue"] for t in first.snapshot["targets"]] == [1200000.0]
    assert first.snapshot["actions"][0]["status"] == "open"
    document = queries.version_document(kam_user, first, today)
    assert document.version == first
    assert document.content["sections"]["value_proposition"]["text"] == ""


def test_cutting_a_version_with_no_changes_says_so(plan, kam_user, today):
    do_cut_version(kam_user, plan, today=today)
    again = do_cut_version(kam_user, plan, today=today)
    assert again.changes == ["No changes since the previous version"]


def test_stale_section_write_is_refused_with_both_texts(plan, kam_user, other_kam):
    """Two people open the value proposition at revision 0; the second save must not win."""
    opened = plan.sections.get(key="value_proposition").revision
    do_update_section(
        kam_user, plan, "value_proposition", {"text": "Kim's version"}, expected_revision=opened
    )
    with pytest.raises(SectionConflict) as conflict:
        do_update_section(
            other_kam,
            plan,
            "value_proposition",
            {"text": "Olli's version"},
            expected_revision=opened,
        )
    assert conflict.value.current == {"text": "Kim's version"}
    assert conflict.value.submitted == {"text": "Olli's version"}
    assert conflict.value.current_revision == 1
    assert "changed by Kim Keller" in str(conflict.value)
    section = PlanSection.objects.get(plan=plan, key="value_proposition")
    assert (section.content, section.revision) == ({"text": "Kim's version"}, 1)
    # Having seen Kim's text, Olli saves on top of revision 1 deliberately.
    merged = do_update_section(
        other_kam, plan, "value_proposition", {"text": "Kim's and Olli's"}, expected_revision=1
    )
    assert (merged.content["text"], merged.revision) == ("Kim's and Olli's", 2)


def test_only_one_active_plan_per_account(plan, kam_user, account, today):
    do_activate_plan(kam_user, plan)
    successor = do_create_plan(kam_user, account, today=today, title="Plan 2027–2028")
    archived = do_activate_plan(kam_user, successor)
    plan.refresh_from_db()
    assert archived == plan
    assert plan.status == PlanStatus.ARCHIVED
    assert queries.current_plan(kam_user, account) == successor
    # The database holds the rule even against a writer that skips the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ACTIVE)


def test_archived_plans_are_read_only(plan, kam_user, today):
    do_archive_plan(kam_user, plan)
    with pytest.raises(PlanError, match="archived"):
        do_add_action(kam_user, plan, action="Too late", owner=kam_user, due_on=today)


@pytest.mark.parametrize("months", [11, 37])
def test_horizon_is_12_to_36_months(kam_user, account, today, months):
    with pytest.raises(PlanError, match="12 to 36 months"):
        do_create_plan(kam_user, account, today=today, horizon_months=months)


@pytest.mark.parametrize(
    ("due_offset", "status", "overdue"),
    [
        (-1, ActionStatus.OPEN, True),
        (-30, ActionStatus.IN_PROGRESS, True),
        (0, ActionStatus.OPEN, False),
        (-5, ActionStatus.DONE, False),
        (-5, ActionStatus.CANCELLED, False),
        (7, ActionStatus.OPEN, False),
    ],
)
def test_overdue_actions_relative_to_today(plan, kam_user, today, due_offset, status, overdue):
    action = do_add_action(
        kam_user,
        plan,
        action="Send proposal",
        owner=kam_user,
        due_on=today + timedelta(days=due_offset),
    )
    do_update_action_status(kam_user, action, status)
    assert action.is_overdue(today) is overdue
    assert (queries.overdue_actions(plan, today) == [action]) is overdue
    document = queries.plan_document(kam_user, plan, today)
    assert document.overdue_count == int(overdue)


def test_target_growth_is_derived_from_the_year_before(plan, kam_user):
    do_set_target(kam_user, plan, year=2026, revenue=Decimal("1000000"))
    target = do_set_target(kam_user, plan, year=2027, revenue=Decimal("1150000"))
    assert target.growth_percent == Decimal("15.00")


def test_head_of_kam_edits_a_template_and_new_plans_follow_it(
    head_of_kam, kam_user, account, today
):
    do_save_template(
        head_of_kam,
        AlignmentLevel.PREFERRED_PROVIDER,
        required_sections=["objectives", "pest"],
        prompts={"pest": "Energy prices and the EU packaging rules."},
    )
    plan = do_create_plan(kam_user, account, today=today)
    assert plan.sections.get(key="pest").prompt == "Energy prices and the EU packaging rules."
    assert queries.completeness(plan).missing == ("Customer business objectives", "PEST analysis")


@pytest.mark.parametrize("role", [Role.KEY_ACCOUNT_MANAGER, Role.VIEWER, Role.EXECUTIVE_SPONSOR])
def test_only_head_of_kam_and_admin_edit_templates(make_user, role):
    with pytest.raises(PermissionDenied):
        do_save_template(
            make_user(role), AlignmentLevel.VENDOR, required_sections=["actions"], prompts={}
        )


def test_viewers_cannot_write_plans(viewer, plan, today):
    with pytest.raises(PermissionDenied):
        do_add_action(viewer, plan, action="Sneaky", owner=viewer, due_on=today)
    with pytest.raises(PermissionDenied):
        do_create_plan(viewer, plan.account, today=today)


def test_actions_only_serve_objectives_of_their_own_plan(plan, kam_user, account, today):
    other = do_create_plan(kam_user, account, today=today)
    foreign = do_add_objective(kam_user, other, "Somebody else's goal")
    with pytest.raises(PlanError, match="own plan"):
        do_add_action(
            kam_user, plan, action="x", owner=kam_user, due_on=date(2026, 7, 1), objective=foreign
        )
