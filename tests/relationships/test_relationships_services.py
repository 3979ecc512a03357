"""Writing the map: contacts, reporting lines, our relationships, alignment levels."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.people.roles import Role
from kam.relationships.mapping import RelationshipModel, RiskKind
from kam.relationships.models import AccountAlignment, AlignmentLevel, Contact, Relationship
from kam.relationships.queries import alignment, org_chart, stakeholder_map
from kam.relationships.services import (
    do_add_contact,
    do_link_relationship,
    do_remove_contact,
    do_set_alignment,
    do_update_contact,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ceo(kam_user, account) -> Contact:
    return do_add_contact(
        kam_user, account, name="Anna Berg", level="executive", buying_roles=["decision_maker"]
    )


@pytest.fixture
def buyer(kam_user, account, ceo) -> Contact:
    return do_add_contact(
        kam_user, account, name="Jan Vos", level="middle_management", reports_to=ceo
    )


def test_a_kam_maps_a_stakeholder_who_reports_to_an_existing_one(kam_user, account, buyer, ceo):
    engineer = do_add_contact(
        kam_user,
        account,
        name="  Mia Lund ",
        level="operational",
        buying_roles=["champion", "user", "user"],
        influence=2,
        attitude=2,
        reports_to=buyer,
        email="Mia.Lund@Nordwind.example",
    )
    engineer.refresh_from_db()
    assert engineer.name == "Mia Lund"
    assert engineer.reports_to == buyer
    assert engineer.buying_roles == ["user", "champion"]
    assert engineer.email == "mia.lund@nordwind.example"
    layout = org_chart(account)
    assert layout.node(ceo.pk).y < layout.node(buyer.pk).y < layout.node(engineer.pk).y


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"influence": 6}, "influence"),
        ({"influence": 0}, "influence"),
        ({"attitude": 3}, "attitude"),
        ({"level": "board"}, "level"),
        ({"buying_roles": ["kingmaker"]}, "buying_roles"),
    ],
)
def test_bad_values_are_refused_by_field(kam_user, buyer, changes, field) -> None:
    with pytest.raises(ValidationError) as refused:
        do_update_contact(kam_user, buyer, **changes)
    assert field in refused.value.message_dict


def test_a_reporting_loop_is_refused_and_nothing_changes(kam_user, account, ceo, buyer) -> None:
    with pytest.raises(ValidationError) as refused:
        do_update_contact(kam_user, ceo, reports_to=buyer)
    assert "already reports" in refused.value.message_dict["reports_to"][0]
    ceo.refresh_from_db()
    assert ceo.reports_to is None


def test_a_contact_cannot_report_to_themselves(kam_user, ceo) -> None:
    with pytest.raises(ValidationError, match="themselves"):
        do_update_contact(kam_user, ceo, reports_to=ceo)


def test_a_manager_must_work_at_the_same_customer(kam_user, other_account, ceo) -> None:
    other_account.team.add(kam_user)
    with pytest.raises(ValidationError, match="another account"):
        do_add_contact(kam_user, other_account, name="Outsider", reports_to=ceo)


def test_two_contacts_of_one_account_cannot_share_an_email(kam_user, account) -> None:
    do_add_contact(kam_user, account, name="A", email="same@x.example")
    with pytest.raises(ValidationError) as refused:
        do_add_contact(kam_user, account, name="B", email="SAME@x.example")
    assert "email" in refused.value.message_dict


def test_removing_a_manager_moves_their_reports_up(kam_user, account, ceo, buyer) -> None:
    report = do_add_contact(kam_user, account, name="Mia Lund", reports_to=buyer)
    do_remove_contact(kam_user, buyer)
    report.refresh_from_db()
    assert report.reports_to == ceo


def test_linking_twice_updates_the_one_relationship(kam_user, sponsor, ceo) -> None:
    do_link_relationship(kam_user, ceo, sponsor, strength=2)
    do_link_relationship(kam_user, ceo, sponsor, strength=5, last_interaction_date=date(2026, 6, 1))
    (link,) = Relationship.objects.all()
    assert (link.supplier_person, link.strength) == (sponsor, 5)


@pytest.mark.parametrize("strength", [0, 6])
def test_strength_runs_from_one_to_five(kam_user, sponsor, ceo, strength) -> None:
    with pytest.raises(ValidationError):
        do_link_relationship(kam_user, ceo, sponsor, strength=strength)


def test_the_model_changes_as_relationships_are_added(
    kam_user, sponsor, account, ceo, buyer, today
):
    assert stakeholder_map(account, today).model is RelationshipModel.NONE
    do_link_relationship(kam_user, buyer, kam_user, strength=4)
    smap = stakeholder_map(account, today)
    assert smap.model is RelationshipModel.BOW_TIE
    assert {f.kind for f in smap.flags} == {
        RiskKind.SINGLE_THREADED,
        RiskKind.NO_DECISION_MAKER_ACCESS,
    }
    do_link_relationship(kam_user, ceo, sponsor, strength=3)
    smap = stakeholder_map(account, today)
    assert smap.model is RelationshipModel.DIAMOND
    assert smap.flags == ()
    assert smap.model_profile.title == "Diamond team account management"
    assert [p.name for p in smap.people] == ["Kim Keller", "Sara Sponsor"]


def test_setting_the_alignment_level_records_who_and_why(kam_user, account) -> None:
    do_set_alignment(kam_user, account, AlignmentLevel.PREFERRED_PROVIDER, rationale="First QBR")
    do_set_alignment(kam_user, account, AlignmentLevel.PARTNER, rationale=" Joint business case ")
    (row,) = AccountAlignment.objects.all()
    assert (row.level, row.set_by, row.rationale) == ("partner", kam_user, "Joint business case")
    view = alignment(account)
    assert view is not None
    assert view.profile.role == "Strategic Account Manager"
    assert view.profile.perspectives[0].text == "Wallet dynamics of the extended value network"


def test_an_unknown_alignment_level_is_refused(kam_user, account) -> None:
    with pytest.raises(ValidationError):
        do_set_alignment(kam_user, account, "best friend")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EXECUTIVE_SPONSOR])
def test_only_managers_may_edit_the_map(make_user, account, ceo, role) -> None:
    reader = make_user(role, "reader")
    with pytest.raises(PermissionDenied):
        do_add_contact(reader, account, name="Someone")
    with pytest.raises(PermissionDenied):
        do_update_contact(reader, ceo, name="Renamed")
    with pytest.raises(PermissionDenied):
        do_link_relationship(reader, ceo, reader, strength=3)
    with pytest.raises(PermissionDenied):
        do_set_alignment(reader, account, AlignmentLevel.VENDOR)
    assert Contact.objects.get().name == "Anna Berg"


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.HEAD_OF_KAM, Role.KEY_ACCOUNT_MANAGER])
def test_managers_head_and_admin_may_edit(make_user, account, role) -> None:
    editor = make_user(role, "editor")
    account.team.add(editor)  # a manager edits the accounts they work on (test_access_rules.py)
    assert do_add_contact(editor, account, name="Someone").pk
