"""Each role through the API: the reads every role has, the writes only the roles that may
edit plans, map stakeholders and rate accounts — refused with the same reason as the web."""

from urllib.parse import quote

import pytest

from kam.people.roles import ROLE_PERMISSIONS, Permission, Role, requirement
from kam.plans.models import PlanSection
from kam.relationships.models import Contact
from kam.selection.models import Rating

WRITES = (Permission.EDIT_PLANS, Permission.EDIT_RELATIONSHIPS, Permission.RATE_ACCOUNTS)
EDITORS = [role for role in Role if set(WRITES) <= ROLE_PERMISSIONS[role]]
READERS = [role for role in Role if not set(WRITES) & ROLE_PERMISSIONS[role]]
ACME = quote("ACME%2F1")  # the id "ACME/1" as the customer-id converter writes it


def reads(acme):
    plan, contact = acme["plan"].pk, acme["contact"].pk
    return [
        "/api/accounts",
        f"/api/accounts/{ACME}",
        f"/api/accounts/{ACME}/plans",
        f"/api/plans/{plan}",
        f"/api/plans/{plan}/sections/swot",
        f"/api/accounts/{ACME}/contacts",
        f"/api/contacts/{contact}",
        "/api/ratings",
        "/api/designations",
        "/api/cycles",
    ]


def writes(acme):
    plan, contact = acme["plan"].pk, acme["contact"].pk
    return {
        "section": (
            "PUT",
            f"/api/plans/{plan}/sections/value_proposition",
            {"revision": 0, "content": {"text": "Cut their freight cost by 8 %."}},
        ),
        "contact_add": ("POST", f"/api/accounts/{ACME}/contacts", {"name": "Ida Falk"}),
        "contact_update": ("PATCH", f"/api/contacts/{contact}", {"revision": 0, "title": "CEO"}),
        "rating": ("POST", f"/api/accounts/{ACME}/ratings", {"values": {"harmony_fit": 4}}),
    }


def test_the_roles_split_into_editors_and_readers():
    assert {Role.KEY_ACCOUNT_MANAGER, Role.HEAD_OF_KAM} <= set(EDITORS)
    assert {Role.VIEWER, Role.EXECUTIVE_SPONSOR} <= set(READERS)
    assert set(EDITORS) | set(READERS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_every_resource(api_as, acme, role):
    api = api_as(role)
    for path in reads(acme):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content)


@pytest.mark.parametrize("role", EDITORS)
@pytest.mark.parametrize("write", ["section", "contact_add", "contact_update", "rating"])
def test_editors_write(api_as, acme, role, write):
    method, path, body = writes(acme)[write]
    response = api_as(role).send(method, path, body)
    assert response.status_code in (200, 201), response.content
    if write == "section":
        saved = PlanSection.objects.get(plan=acme["plan"], key="value_proposition")
        assert saved.content == {"text": "Cut their freight cost by 8 %."}
        assert saved.updated_by.username == role.name.lower()
    elif write == "contact_add":
        assert Contact.objects.filter(account=acme["account"], name="Ida Falk").exists()
    elif write == "contact_update":
        assert Contact.objects.get(pk=acme["contact"].pk).title == "CEO"
    else:
        rating = Rating.objects.get(account=acme["account"])
        assert (rating.value, rating.rated_by.username) == (4, role.name.lower())


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize(
    ("write", "reason"),
    [
        ("section", "Editing account plans needs the"),
        ("contact_add", "Editing stakeholders and relationships needs the"),
        ("contact_update", "Editing stakeholders and relationships needs the"),
        ("rating", "Rating accounts needs the"),
    ],
)
def test_readers_are_refused_every_write_with_the_reason(api_as, acme, role, write, reason):
    method, path, body = writes(acme)[write]
    response = api_as(role).send(method, path, body)
    assert response.status_code == 403
    assert response.json()["detail"].startswith(reason)
    assert not Rating.objects.exists()
    assert Contact.objects.get(pk=acme["contact"].pk).title == "CFO"
    assert Contact.objects.count() == 1
    assert PlanSection.objects.get(plan=acme["plan"], key="value_proposition").revision == 0


def test_a_refusal_does_not_reveal_whether_the_record_exists(api_as, acme):
    viewer = api_as(Role.VIEWER)
    body = {"revision": 0, "title": "CEO"}
    missing = viewer.send("PATCH", "/api/contacts/999999", body)
    there = viewer.send("PATCH", f"/api/contacts/{acme['contact'].pk}", body)
    assert missing.status_code == there.status_code == 403


def test_a_user_without_a_role_is_refused_everything(api_as, acme, make_user):
    from django.test import Client

    from kam.api.services import do_create_token

    nobody = make_user(Role.VIEWER, "nobody")
    _, token = do_create_token(nobody, name="tests")
    nobody.groups.clear()
    response = Client().get("/api/accounts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["detail"] == requirement(Permission.VIEW_ACCOUNTS)


def test_a_manager_off_the_account_team_is_refused_through_the_api_too(api_as, acme):
    outsider = api_as(Role.KEY_ACCOUNT_MANAGER, "lena", on_team=False)
    path = f"/api/plans/{acme['plan'].pk}/sections/swot"
    refused = outsider.send("PUT", path, {"revision": 0, "content": {"strengths": ["x"]}})
    assert refused.status_code == 403
    assert "Acme" in refused.json()["detail"]
    acme["plan"].refresh_from_db()
    assert acme["plan"].sections.get(key="swot").revision == 0
