"""Two people editing the same thing: the second save is refused, shows who changed what,
and loses nothing — on every edit form of the app.

Each test opens the form as Kim (the page carries the revision it shows), lets Olli save
first, then posts Kim's stale form: 409 (or the refreshed card for htmx) naming Olli, both
values side by side, Olli's save kept; Kim's text is still in the form, now based on
Olli's revision, so saving again is deliberate and succeeds.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.people.roles import Role
from kam.plans import services as plans
from kam.plans.models import PlanAction, PlanRisk, PlanTarget, PlanTemplate
from kam.relationships import services as relationships
from kam.relationships.models import AccountAlignment, Contact, Relationship
from kam.revisions import EditConflict, save_revision
from kam.selection import services as selection
from kam.selection.models import PolicyVersion, Rating

pytestmark = pytest.mark.usefixtures("managers_work_every_account")

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = date(2026, 6, 15)


def hidden(page: str, name: str) -> str:
    """The value of the hidden input ``name`` in a rendered form."""
    found = re.search(rf'<input type="hidden" name="{name}"(?: value="([^"]*)")?', page)
    assert found, f"no hidden {name} in the page"
    return found.group(1) or ""


def data_of(form) -> dict:
    """What a browser would post for an unbound form: its initial values."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
        del field
    return data


def refused_for_olli(response, *, theirs: str, yours: str, status: int = 409) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert "Not saved." in page
    assert "Olli Other" in page
    assert theirs in page
    assert yours in page
    return page


@pytest.fixture
def kim(make_user):
    return make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")


@pytest.fixture
def olli(make_user):
    return make_user(Role.HEAD_OF_KAM, "olli", first_name="Olli", last_name="Other")


@pytest.fixture
def account(db):
    return Account.objects.create(customer_id="C-7", name="Nordwind Logistics GmbH")


@pytest.fixture
def as_kim(client, kim):
    client.force_login(kim)
    return client


@pytest.fixture
def plan(kim, account):
    return plans.do_create_plan(kim, account, today=TODAY)


def test_a_contact_edited_by_two_people_keeps_the_first_save(as_kim, kim, olli, account):
    contact = relationships.do_add_contact(kim, account, name="Jonas Weber", title="Buyer")
    url = reverse("relationships:contact_edit", args=[account.customer_id, contact.pk])
    opened = as_kim.get(url).content.decode()
    assert hidden(opened, "revision") == "0"
    relationships.do_update_contact(olli, contact, title="Head of Logistics", expected_revision=0)

    stale = {"name": "Jonas Weber", "title": "Logistics Lead", "level": "operational"}
    stale |= {"influence": 3, "attitude": 0, "revision": 0}
    response = as_kim.post(url, stale)
    page = refused_for_olli(response, theirs="Head of Logistics", yours="Logistics Lead")
    assert Contact.objects.get(pk=contact.pk).title == "Head of Logistics"
    assert 'value="Logistics Lead"' in page  # Kim's input is still in the form
    assert hidden(page, "revision") == "1"

    again = as_kim.post(url, stale | {"revision": 1})
    assert again.status_code == 302
    saved = Contact.objects.get(pk=contact.pk)
    assert (saved.title, saved.revision, saved.updated_by) == ("Logistics Lead", 2, kim)


def test_two_saves_at_the_same_revision_cannot_both_pass(kim, olli, account):
    contact = relationships.do_add_contact(kim, account, name="Jonas Weber")
    first = Contact.objects.get(pk=contact.pk)
    second = Contact.objects.get(pk=contact.pk)
    save_revision(first, 0, {"title": "Kim's"}, what="Jonas", editor=kim)
    with pytest.raises(EditConflict, match="changed by Kim Keller") as conflict:
        save_revision(second, 0, {"title": "Olli's"}, what="Jonas", editor=olli)
    assert [(c.label, c.saved, c.yours) for c in conflict.value.changes] == [
        ("Title", "Kim's", "Olli's")
    ]
    assert Contact.objects.get(pk=contact.pk).title == "Kim's"


def test_the_alignment_level_set_meanwhile_is_not_overwritten(as_kim, kim, olli, account):
    url = reverse("relationships:map", args=[account.customer_id])
    opened = as_kim.get(url).content.decode()
    assert hidden(opened, "revision") == ""  # no level set yet
    relationships.do_set_alignment(olli, account, "partner", rationale="Board sponsor")

    response = as_kim.post(
        reverse("relationships:alignment", args=[account.customer_id]),
        {"level": "vendor", "rationale": "Price only", "revision": ""},
        **HTMX,
    )
    refused_for_olli(response, theirs="Partner", yours="Vendor", status=200)
    assert AccountAlignment.objects.get(account=account).level == "partner"


def test_a_relationship_recorded_meanwhile_is_not_overwritten(as_kim, kim, olli, account):
    contact = relationships.do_add_contact(kim, account, name="Jonas Weber")
    opened = as_kim.get(reverse("relationships:map", args=[account.customer_id])).content
    seen = hidden(opened.decode(), "seen")
    relationships.do_link_relationship(olli, contact, kim, strength=5, notes="Calls Kim first")

    response = as_kim.post(
        reverse("relationships:link", args=[account.customer_id]),
        {"contact": contact.pk, "supplier_person": kim.pk, "strength": 2, "seen": seen},
        **HTMX,
    )
    refused_for_olli(response, theirs="Calls Kim first", yours="—", status=200)
    assert Relationship.objects.get(contact=contact).strength == 5


def test_a_revenue_target_set_meanwhile_is_not_overwritten(as_kim, olli, plan):
    url = reverse("plans:detail", args=[plan.account_id, plan.pk])
    seen = hidden(as_kim.get(url).content.decode(), "seen")
    plans.do_set_target(olli, plan, year=2027, revenue=Decimal("2500000"))
    response = as_kim.post(
        reverse("plans:target_set", args=[plan.account_id, plan.pk]),
        {"year": 2027, "revenue": "1800000", "seen": seen},
        **HTMX,
    )
    refused_for_olli(response, theirs="2500000", yours="1800000", status=200)
    assert PlanTarget.objects.get(plan=plan, year=2027).revenue == Decimal("2500000")


@pytest.mark.parametrize(
    ("kind", "route", "theirs", "yours"),
    [
        ("risk", "plans:risk_status", ("mitigated", "Mitigated"), ("closed", "Closed")),
        ("action", "plans:action_status", ("cancelled", "Cancelled"), ("done", "Done")),
    ],
)
def test_a_status_changed_meanwhile_is_not_overwritten(
    as_kim, kim, olli, plan, kind, route, theirs, yours
):
    if kind == "risk":
        record = plans.do_add_risk(kim, plan, risk="Price war", likelihood=3, impact=4)
        plans.do_update_risk_status(olli, record, theirs[0], expected_revision=0)
        model = PlanRisk
    else:
        record = plans.do_add_action(kim, plan, action="Call the CFO", owner=kim, due_on=TODAY)
        plans.do_update_action_status(olli, record, theirs[0], expected_revision=0)
        model = PlanAction
    response = as_kim.post(
        reverse(route, args=[plan.account_id, plan.pk, record.pk]),
        {"status": yours[0], "revision": 0},
        **HTMX,
    )
    refused_for_olli(response, theirs=theirs[1], yours=yours[1], status=200)
    assert model.objects.get(pk=record.pk).status == theirs[0]


def test_a_plan_template_saved_meanwhile_is_not_overwritten(client, olli, make_user):
    head = make_user(Role.HEAD_OF_KAM, "hannah", first_name="Hannah", last_name="Head")
    client.force_login(head)
    url = reverse("plans:template_edit", args=["vendor"])
    revision = hidden(client.get(url).content.decode(), "revision")
    plans.do_save_template(
        olli,
        "vendor",
        required_sections=["objectives"],
        prompts={"objectives": "Olli's prompt"},
        expected_revision=int(revision),
    )
    response = client.post(
        url,
        {
            "required_sections": ["objectives"],
            "prompt_objectives": "Hannah's",
            "revision": revision,
        },
    )
    refused_for_olli(response, theirs="Olli&#x27;s prompt", yours="Hannah&#x27;s")
    assert PlanTemplate.objects.get(alignment_level="vendor").prompts["objectives"] == (
        "Olli's prompt"
    )


def test_a_policy_version_saved_meanwhile_is_not_undone(client, olli, make_user, store):
    from kam.selection.forms import PolicyForm

    head = make_user(Role.HEAD_OF_KAM, "hannah", first_name="Hannah", last_name="Head")
    client.force_login(head)
    current = selection.do_ensure_default_policy()
    opened = client.get(reverse("selection:policy")).content.decode()
    assert hidden(opened, "revision") == str(current.version)
    selection.do_save_policy(
        olli, current.policy(), note="growth counts double", expected_version=current.version
    )
    stale = data_of(PolicyForm(policy=current.policy())) | {"note": "margin first"}
    response = client.post(reverse("selection:policy"), stale)
    refused_for_olli(response, theirs="growth counts double", yours="margin first")
    assert PolicyVersion.objects.order_by("-version").first().note == "growth counts double"
    assert PolicyVersion.objects.count() == 2


def test_ratings_given_meanwhile_are_shown_before_saving_over_them(client, olli, make_user, store):
    Account.objects.create(customer_id="C1", name="Acme")
    rater = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    client.force_login(rater)
    url = reverse("selection:account", args=["C1"])
    assert hidden(client.get(url).content.decode(), "revision") == "0"
    key = selection.rated_keys(selection.do_ensure_default_policy().policy())[0]
    selection.do_rate_account(olli, "C1", {key: 5}, expected_latest=0)

    response = client.post(url, {key: "2", "revision": "0"})
    refused_for_olli(response, theirs="5", yours="2")
    assert list(Rating.objects.values_list("value", flat=True)) == [5]
    again = client.post(url, {key: "2", "revision": hidden(response.content.decode(), "revision")})
    assert again.status_code == 302
    assert Rating.objects.count() == 2
