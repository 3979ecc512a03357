"""*What if this contact leaves*: the relationship model, the coverage flags and the health
score recomputed without each contact, the departure that would hurt most first; read
only, and shown only to those who may read the stakeholder map."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kam.accounts.models import Account
from kam.audit.models import AuditEntry
from kam.health import queries
from kam.health.models import HealthRun, HealthScore
from kam.health.services import do_ensure_health_policy
from kam.people.roles import Role
from kam.relationships.mapping import RelationshipModel, RiskKind
from kam.relationships.models import Contact, Relationship

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def mapped(db, make_user, head_of_kam):
    """Kim knows only Bea, the decision maker; Olli knows Carl (the champion) and Uma."""
    account = Account.objects.create(customer_id="C1", name="Customer C1")
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    olli = make_user(Role.KEY_ACCOUNT_MANAGER, "olli")
    account.team.add(kim)
    recent = TODAY - dt.timedelta(days=5)
    bea = Contact.objects.create(
        account=account, name="Bea Buyer", level="executive", buying_roles=["decision_maker"]
    )
    carl = Contact.objects.create(
        account=account, name="Carl Champion", buying_roles=["champion"], last_contact_date=recent
    )
    uma = Contact.objects.create(account=account, name="Uma User", reports_to=bea)
    Relationship.objects.create(contact=bea, supplier_person=kim, strength=4)
    Relationship.objects.create(contact=carl, supplier_person=olli, strength=4)
    Relationship.objects.create(contact=uma, supplier_person=olli, strength=2)
    run = HealthRun.objects.create(policy=do_ensure_health_policy(head_of_kam), as_of=TODAY)
    HealthScore.objects.create(
        run=run,
        account=account,
        score=72.2,
        weight_present=0.5,
        components=[
            {"key": "revenue_trend", "points": 50.0, "raw": 0.0, "explanation": "flat"},
            {"key": "p_alive", "points": 80.0, "raw": 0.8, "explanation": "80% alive"},
            {"key": "satisfaction", "points": None, "raw": None, "explanation": "no data"},
            {"key": "coverage", "points": 100.0, "raw": 0.0, "explanation": "covered"},
        ],
    )
    return account, kim, bea, carl, uma


def test_the_departure_that_would_hurt_most_comes_first(mapped, head_of_kam):
    account, _, bea, carl, uma = mapped

    found = queries.what_if(head_of_kam, account, TODAY)

    # weights 15 (trend), 25 (P(alive)), 5 (coverage); satisfaction missing, left out
    assert found.now.score == pytest.approx((15 * 50 + 25 * 80 + 5 * 100) / 45)
    assert found.now.model is RelationshipModel.DIAMOND
    assert found.now.flags == ()
    assert found.departures[0].contact.id == bea.pk
    worst = found.worst
    assert worst is not None
    assert worst.raised == (RiskKind.SINGLE_THREADED, RiskKind.NO_DECISION_MAKER_ACCESS)
    assert worst.after.model is RelationshipModel.ONE_ON_MANY
    assert worst.change == pytest.approx(5 * (100 / 3 - 100) / 45)
    # the champion leaving raises the champion flag: gone is no better than quiet
    assert found.of(carl.pk).raised == (RiskKind.STALE_CHAMPION,)
    # Uma leaving raises nothing and costs no points
    assert (found.of(uma.pk).raised, found.of(uma.pk).change) == ((), 0.0)


def test_the_page_shows_it_to_the_map_readers_and_saves_nothing(mapped, make_user):
    account, kim, bea, _, _ = mapped
    stranger = make_user(Role.KEY_ACCOUNT_MANAGER, "stranger")
    entries = AuditEntry.objects.count()
    client = Client()
    client.force_login(kim)
    url = reverse("health:what_if", args=[account.customer_id])

    stakeholders = client.get(reverse("relationships:map", args=[account.customer_id]))
    page = client.get(url, {"without": bea.pk})
    client.force_login(stranger)
    refused = client.get(url)

    assert f"{url}?without={bea.pk}" in stakeholders.content.decode()
    assert page.status_code == 200
    text = page.content.decode()
    assert "Without Bea Buyer" in text
    assert "Losing <strong>Bea Buyer</strong> would hurt most: health -7.4" in text
    assert refused.status_code == 403
    assert AuditEntry.objects.count() == entries
    assert Contact.objects.filter(account=account).count() == 3
