"""Permissions that follow the organisation, at the service layer (web, CLI and API share it):
a manager edits the accounts they manage or are on the team of, ratings are filed in the
rater's own name, only a Key Account Manager manages an account, and financial figures are
a permission of their own."""

from datetime import date

import pytest

from kam.accounts.access import (
    can_edit_account,
    can_read_account_in_full,
    may_manage_accounts,
    without_financials,
)
from kam.accounts.models import Account
from kam.people.grants import BadRolePermissions, parse_role_permissions
from kam.people.roles import Permission, Role
from kam.people.services import PermissionRefused, has_permission
from kam.plans.models import AccountPlan, PlanStatus
from kam.plans.services import do_archive_plan, do_create_plan, do_update_section
from kam.relationships.models import Contact
from kam.relationships.services import do_add_contact, do_remove_contact, do_update_contact

TODAY = date(2026, 6, 15)


@pytest.fixture
def people(make_user):
    return {
        "kim": make_user(Role.KEY_ACCOUNT_MANAGER, "kim"),
        "olli": make_user(Role.KEY_ACCOUNT_MANAGER, "olli"),
        "head": make_user(Role.HEAD_OF_KAM, "head"),
        "viewer": make_user(Role.VIEWER, "viewer"),
        "sara": make_user(Role.EXECUTIVE_SPONSOR, "sara"),
    }


@pytest.fixture
def accounts(db, people):
    kims = Account.objects.create(customer_id="C-KIM", name="Kims Kunde GmbH")
    ollis = Account.objects.create(customer_id="C-OLLI", name="Ollis Client SA")
    kims.team.add(people["kim"])
    ollis.team.add(people["olli"])
    return kims, ollis


def test_a_manager_may_not_create_edit_or_archive_another_managers_plan(people, accounts):
    kims, ollis = accounts
    ollis_plan = do_create_plan(people["olli"], ollis, today=TODAY, horizon_months=24)
    kim = people["kim"]
    with pytest.raises(PermissionRefused, match="Editing account plans of Ollis Client SA is"):
        do_create_plan(kim, ollis, today=TODAY, horizon_months=24)
    with pytest.raises(PermissionRefused, match="its key account manager or someone on its"):
        do_update_section(
            kim, ollis_plan, "value_proposition", {"text": "Mine"}, expected_revision=0
        )
    with pytest.raises(PermissionRefused):
        do_archive_plan(kim, ollis_plan)
    ollis_plan.refresh_from_db()
    assert ollis_plan.status == PlanStatus.DRAFT
    assert AccountPlan.objects.filter(account=ollis).count() == 1
    assert do_create_plan(kim, kims, today=TODAY, horizon_months=24).account == kims


def test_a_manager_may_not_touch_another_managers_stakeholders(people, accounts):
    _kims, ollis = accounts
    buyer = do_add_contact(people["olli"], ollis, name="Ines Buyer")
    kim = people["kim"]
    for attempt in (
        lambda: do_add_contact(kim, ollis, name="Planted"),
        lambda: do_update_contact(kim, buyer, name="Renamed"),
        lambda: do_remove_contact(kim, buyer),
    ):
        with pytest.raises(PermissionRefused, match="stakeholders and relationships of Ollis"):
            attempt()
    assert list(Contact.objects.values_list("name", flat=True)) == ["Ines Buyer"]


def test_the_head_of_kam_edits_every_account_and_a_viewer_none(people, accounts):
    kims, ollis = accounts
    for account in accounts:
        assert can_edit_account(people["head"], account)
        assert not can_edit_account(people["viewer"], account)
        assert can_read_account_in_full(people["viewer"], account)
    assert can_edit_account(people["kim"], kims)
    assert not can_edit_account(people["kim"], ollis)
    assert not can_read_account_in_full(people["kim"], ollis)


def test_the_key_account_manager_of_record_edits_without_being_on_the_team(
    people, accounts, head_of_kam
):
    """KeyAccount.manager is the other tie: the account's designated manager edits it."""
    from kam.selection.models import KeyAccount, PolicyVersion, ScoreRun, SelectionCycle

    _kims, ollis = accounts
    policy = PolicyVersion.objects.create(version=1, name="v1", toml="")
    run = ScoreRun.objects.create(policy_version=policy)
    cycle = SelectionCycle.objects.create(name="C1", as_of=TODAY, score_run=run)
    KeyAccount.objects.create(
        account=ollis,
        tier="tier_1",
        manager=people["kim"],
        executive_sponsor=people["sara"],
        since_cycle=cycle,
        confirmed_cycle=cycle,
    )
    assert can_edit_account(people["kim"], ollis)
    assert can_read_account_in_full(people["sara"], ollis)
    assert not can_edit_account(people["sara"], ollis)  # a sponsor reads, edits nothing
    assert not can_read_account_in_full(people["sara"], accounts[0])


def ratings_file(tmp_path, rows: str):
    path = tmp_path / "ratings.csv"
    path.write_text("customer_id,criterion,value,rated_by\n" + rows, encoding="utf-8")
    return path


def test_a_manager_files_ratings_only_in_their_own_name_and_for_their_accounts(
    people, accounts, tmp_path
):
    from kam.selection.models import Rating
    from kam.selection.services import RatingImportRefused, do_import_ratings

    rows = (
        "C-KIM,harmony_fit,5,head\n"  # in the Head of KAM's name
        "C-KIM,influence,5,viewer\n"  # in a Viewer's name
        "C-OLLI,influence,1,\n"  # someone else's account, in their own name
        "C-KIM,influence,4,kim\n"  # fine on its own
    )
    with pytest.raises(RatingImportRefused) as refused:
        do_import_ratings(people["kim"], ratings_file(tmp_path, rows))
    problems = [(p.line, p.column, p.reason) for p in refused.value.problems]
    assert [line for line, _, _ in problems] == [2, 3, 4]
    assert "only in your own name, not head's" in problems[0][2]
    assert "not viewer's" in problems[1][2]
    assert problems[2][1] == "customer_id"
    assert "you may not rate C-OLLI" in problems[2][2]
    assert Rating.objects.count() == 0  # all or none


def test_the_head_files_for_others_but_only_for_someone_who_may_rate(people, accounts, tmp_path):
    from kam.selection.models import Rating
    from kam.selection.services import RatingImportRefused, do_import_ratings

    with pytest.raises(RatingImportRefused) as refused:
        do_import_ratings(people["head"], ratings_file(tmp_path, "C-KIM,influence,3,viewer\n"))
    assert "viewer may not rate C-KIM" in refused.value.problems[0].reason
    rows = "C-KIM,influence,3,kim\nC-OLLI,influence,2,\n"
    assert do_import_ratings(people["head"], ratings_file(tmp_path, rows)) == 2
    assert {(r.account_id, r.rated_by.username) for r in Rating.objects.all()} == {
        ("C-KIM", "kim"),
        ("C-OLLI", "head"),
    }


def test_rating_another_managers_account_on_its_page_is_refused(people, accounts):
    from kam.selection.services import do_rate_account

    with pytest.raises(PermissionRefused, match="Rating accounts of Ollis Client SA"):
        do_rate_account(people["kim"], "C-OLLI", {"influence": 5})


def test_only_a_key_account_manager_may_manage_an_account(people, accounts):
    from kam.analytics.assignment import AssignmentInfeasible
    from kam.selection.models import CycleDecision, PolicyVersion, ScoreRun, SelectionCycle
    from kam.selection.services import do_apply_assignment

    assert may_manage_accounts(people["kim"])
    for name in ("viewer", "head", "sara"):
        assert not may_manage_accounts(people[name])
    policy = PolicyVersion.objects.create(version=1, name="v1", toml="")
    run = ScoreRun.objects.create(policy_version=policy)
    cycle = SelectionCycle.objects.create(name="C1", as_of=TODAY, score_run=run)
    for account in accounts:
        CycleDecision.objects.create(cycle=cycle, account=account, proposal="add")
    people["viewer"].min_key_accounts = 1
    people["viewer"].save()
    with pytest.raises(AssignmentInfeasible, match="viewer may not manage key accounts"):
        do_apply_assignment(people["head"], cycle, {"C-KIM": "viewer", "C-OLLI": "viewer"})
    assert not CycleDecision.objects.filter(manager__isnull=False).exists()


def test_financial_figures_are_left_out_for_a_viewer(people):
    figures = {"customer_id": "C1", "revenue_12m": 10.0, "margin_pct": 31.0, "clv": 900.0}
    assert without_financials(people["kim"], figures) == figures
    assert without_financials(people["viewer"], figures) == {
        "customer_id": "C1",
        "revenue_12m": 10.0,
    }


def test_financials_are_configurable_per_role(people, settings):
    settings.ROLE_GRANTS = parse_role_permissions("Viewer=view_financials", "KAM_ROLE_GRANTS")
    settings.ROLE_REVOKES = parse_role_permissions(
        "Key Account Manager=view_financials", "KAM_ROLE_REVOKES"
    )
    assert has_permission(people["viewer"], Permission.VIEW_FINANCIALS)
    assert not has_permission(people["kim"], Permission.VIEW_FINANCIALS)
    assert has_permission(people["head"], Permission.VIEW_FINANCIALS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Viewers=view_financials", "no role 'Viewers'"),
        ("Viewer=see_money", "no permission 'see_money'"),
        ("Viewer", "is not Role=permission"),
    ],
)
def test_a_bad_role_setting_says_what_is_wrong(text, message):
    with pytest.raises(BadRolePermissions, match=message):
        parse_role_permissions(text, "KAM_ROLE_GRANTS")


def test_the_head_sets_an_account_team_and_its_managers_may_then_edit(people, accounts):
    from kam.accounts.services import do_set_account_team

    _kims, ollis = accounts
    with pytest.raises(PermissionRefused):
        do_set_account_team(people["olli"], ollis, [people["olli"], people["kim"]])
    assert not can_edit_account(people["kim"], ollis)
    do_set_account_team(people["head"], ollis, [people["olli"], people["kim"]])
    assert can_edit_account(people["kim"], ollis)
    do_set_account_team(people["head"], ollis, [people["olli"]])
    assert not can_edit_account(people["kim"], ollis)
