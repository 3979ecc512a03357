"""The demo's stakeholder maps hold every relationship model and every risk flag."""

import pytest

from kam.accounts.models import Account
from kam.people.roles import Role
from kam.relationships.demo import do_load_demo_relationships
from kam.relationships.mapping import RelationshipModel, RiskKind
from kam.relationships.models import AccountAlignment, Contact, Relationship
from kam.relationships.queries import org_chart

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people(make_user):
    return [
        make_user(Role.KEY_ACCOUNT_MANAGER, "lukas.meier", first_name="Lukas", last_name="Meier"),
        make_user(
            Role.KEY_ACCOUNT_MANAGER, "sophie.wagner", first_name="Sophie", last_name="Wagner"
        ),
        make_user(
            Role.EXECUTIVE_SPONSOR, "markus.hofmann", first_name="Markus", last_name="Hofmann"
        ),
        make_user(Role.VIEWER, "viewer"),
    ]


@pytest.fixture
def demo_accounts(db):
    return [
        Account.objects.create(customer_id=f"D{i:03}", name=f"Demo Customer {i}") for i in range(8)
    ]


def test_the_demo_shows_every_model_and_every_flag(demo_accounts, demo_people, today) -> None:
    loaded = do_load_demo_relationships(demo_accounts, demo_people, seed=7, today=today)
    assert loaded.accounts == 8
    assert set(loaded.models) == {model.value for model in RelationshipModel}
    assert set(loaded.flags) == {kind.value for kind in RiskKind}
    assert Contact.objects.filter(account=demo_accounts[0]).count() == 60
    counts = [Contact.objects.filter(account=a).count() for a in demo_accounts]
    assert all(10 <= count <= 60 for count in counts)
    assert AccountAlignment.objects.count() == 8
    holders = set(Relationship.objects.values_list("supplier_person__username", flat=True))
    assert "viewer" not in holders


def test_demo_contacts_form_a_real_hierarchy(demo_accounts, demo_people, today) -> None:
    do_load_demo_relationships(demo_accounts[:1], demo_people, seed=7, today=today)
    contacts = Contact.objects.filter(account=demo_accounts[0])
    roots = [c for c in contacts if c.reports_to_id is None]
    assert len(roots) == 1
    assert roots[0].level == "executive"
    assert max(node.depth for node in org_chart(demo_accounts[0]).nodes) >= 3


def test_loading_the_demo_twice_changes_nothing(demo_accounts, demo_people, today) -> None:
    do_load_demo_relationships(demo_accounts, demo_people, seed=7, today=today)
    before = list(Contact.objects.order_by("pk").values_list("name", "reports_to__name"))
    again = do_load_demo_relationships(demo_accounts, demo_people, seed=7, today=today)
    assert again.contacts == 0
    assert list(Contact.objects.order_by("pk").values_list("name", "reports_to__name")) == before
