"""Relationship coverage in the health score: single-threaded, no decision-maker access,
champion gone quiet (from the stakeholder map and the engagement log), each in words; an
account with no contact mapped is missing."""

import datetime as dt

import pytest

from kam.accounts.models import Account
from kam.analytics.health.score import external_component
from kam.engagement.models import EngagementKind
from kam.engagement.services import do_log_engagement
from kam.health import queries
from kam.people.roles import Role
from kam.relationships.mapping import ContactView, RelationshipView, RiskKind, coverage
from kam.relationships.models import Contact, Relationship

TODAY = dt.date(2026, 6, 30)


def test_coverage_flags_on_maps_built_by_hand():
    buyer = ContactView(1, "Bea Buyer", buying_roles=("decision_maker",))
    champ = ContactView(2, "Carl Champion", buying_roles=("champion",), last_contact_date=TODAY)
    user = ContactView(3, "Uma User")
    ours = [RelationshipView(1, 10, "Kim"), RelationshipView(2, 11, "Olli")]

    healthy = coverage([buyer, champ, user], ours, today=TODAY)
    alone = coverage([buyer, champ], [RelationshipView(2, 10, "Kim")], today=TODAY)
    quiet = coverage(
        [buyer, ContactView(2, "Carl Champion", buying_roles=("champion",))], ours, today=TODAY
    )
    unknown = coverage([user], [], today=TODAY)

    assert healthy is not None
    assert healthy.kinds == ()
    assert "a decision maker is reached" in healthy.explanation
    assert alone is not None
    assert alone.kinds == (
        RiskKind.SINGLE_THREADED,
        RiskKind.NO_DECISION_MAKER_ACCESS,
    )
    assert "Kim holds every relationship" in alone.explanation
    assert quiet is not None
    assert quiet.kinds == (RiskKind.STALE_CHAMPION,)
    assert "Champion Carl Champion has never been contacted." in quiet.explanation
    assert unknown is not None
    assert RiskKind.SINGLE_THREADED in unknown.kinds
    assert coverage([], ours, today=TODAY) is None


@pytest.fixture
def mapped(db, make_user):
    account = Account.objects.create(customer_id="C1", name="Customer C1")
    Account.objects.create(customer_id="C2", name="Customer C2")
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    buyer = Contact.objects.create(
        account=account, name="Bea Buyer", level="executive", buying_roles=["decision_maker"]
    )
    champion = Contact.objects.create(
        account=account,
        name="Carl Champion",
        buying_roles=["champion"],
        last_contact_date=TODAY - dt.timedelta(days=200),
    )
    Relationship.objects.create(contact=buyer, supplier_person=kim, strength=4)
    Relationship.objects.create(contact=champion, supplier_person=kim, strength=3)
    return account, champion, kim


def test_the_component_reads_the_map_and_the_meetings_held(mapped, head_of_kam):
    account, champion, kim = mapped

    before = queries.app_components(TODAY)["C1"]["coverage"]
    do_log_engagement(
        head_of_kam,
        account,
        kind=EngagementKind.QBR,
        date=TODAY - dt.timedelta(days=10),
        today=TODAY,
        our_people=[kim],
        contacts=[champion],
    )
    after = queries.app_components(TODAY)["C1"]["coverage"]

    # single-threaded (Kim alone) and the champion quiet for 200 days: two of three flags
    assert before.raw == 2
    assert "kim holds every relationship with this customer" in before.explanation
    assert "Champion Carl Champion not contacted for 200 days" in before.explanation
    assert external_component("coverage", before).points == pytest.approx(100 / 3)
    # the QBR with the champion, logged in the engagement log, answers the quiet champion
    assert after.raw == 1
    assert "Champion" not in after.explanation
    # an account with no contact mapped has no coverage: missing, not a value
    assert "coverage" not in queries.app_components(TODAY).get("C2", {})
    assert external_component("coverage", None).points is None
