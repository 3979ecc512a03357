"""Every refusal is JSON with a message: 400, 401, 403, 404, 409 and 422, never a 500."""

import json

import pytest

from kam.people.roles import Role
from kam.relationships.models import Contact


@pytest.fixture
def kim(api_as, acme):
    return api_as(Role.KEY_ACCOUNT_MANAGER, "kim")


def test_a_stale_section_edit_is_a_409_with_the_revision_saved_now(kim, acme):
    path = f"/api/plans/{acme['plan'].pk}/sections/swot"
    first = kim.send("PUT", path, {"revision": 0, "content": {"strengths": ["Local stock"]}})
    assert first.status_code == 200
    assert first.json()["revision"] == 1
    stale = kim.send("PUT", path, {"revision": 0, "content": {"threats": ["A new rival"]}})
    body = stale.json()
    assert stale.status_code == 409
    assert body["field"] == "revision"
    assert body["revision"] == 1
    assert "was changed by" in body["detail"]
    assert "nothing was saved" in body["detail"]
    assert {"label": "Strengths", "saved": "Local stock", "yours": ""} in body["changes"]
    assert kim.get(path).json()["content"]["strengths"] == ["Local stock"]


def test_a_stale_contact_edit_is_a_409_and_writes_nothing(kim, acme):
    path = f"/api/contacts/{acme['contact'].pk}"
    assert kim.send("PATCH", path, {"revision": 0, "title": "CEO"}).status_code == 200
    stale = kim.send("PATCH", path, {"revision": 0, "title": "CTO"})
    assert stale.status_code == 409
    assert stale.json()["revision"] == 1
    assert Contact.objects.get(pk=acme["contact"].pk).title == "CEO"


def test_a_rating_filed_after_someone_elses_is_a_409(kim, acme, api_as):
    path = "/api/accounts/ACME%252F1/ratings"
    assert kim.send("POST", path, {"values": {"harmony_fit": 3}}).status_code == 201
    stale = api_as(Role.HEAD_OF_KAM, "head").send(
        "POST", path, {"values": {"harmony_fit": 5}, "expected_latest": 0}
    )
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field", "says"),
    [
        ("GET", "/api/accounts/NOPE", None, 404, None, "No account with id 'NOPE'."),
        ("GET", "/api/plans/99999", None, 404, None, "No plan 99999."),
        ("GET", "/api/plans/0", None, 422, "plan_id", "greater than or equal to 1"),
        ("GET", "/api/plans/abc", None, 422, "plan_id", "valid integer"),
        ("GET", "/api/plans/99999999999999999999", None, 422, "plan_id", "less than"),
        ("GET", "/api/cycles?offset=-1", None, 422, "offset", "greater than or equal"),
        ("GET", "/api/accounts?q=%00", None, 422, "q", "match pattern"),
        ("GET", "/api/accounts?key=maybe", None, 422, "key", "valid boolean"),
        ("GET", "/api/nowhere", None, 404, None, "No API route /api/nowhere"),
        ("PUT", "/api/plans/{plan}/sections/swot", "{not json", 400, "body", "not valid JSON"),
        ("PUT", "/api/plans/{plan}/sections/swot", {"content": {}}, 422, "revision", "required"),
        ("PUT", "/api/plans/{plan}/sections/risks", {"revision": 0, "content": {}}, 422, "key", ""),
        (
            "PUT",
            "/api/plans/{plan}/sections/swot",
            {"revision": 0, "content": {"text": "x"}},
            422,
            "content.text",
            "SWOT analysis has the parts strengths",
        ),
        (
            "PUT",
            "/api/plans/{plan}/sections/value_proposition",
            {"revision": 0, "content": {"text": ["x"]}},
            422,
            "content.text",
            "is one text",
        ),
        ("POST", "/api/accounts/ACME%252F1/contacts", {"name": ""}, 422, "name", "at least 1"),
        (
            "POST",
            "/api/accounts/ACME%252F1/contacts",
            {"name": "A", "email": "nope"},
            422,
            "email",
            "not an email address",
        ),
        (
            "POST",
            "/api/accounts/ACME%252F1/contacts",
            {"name": "A", "reports_to": 99999},
            422,
            "reports_to",
            "No contact 99999 at this account.",
        ),
        (
            "POST",
            "/api/accounts/ACME%252F1/contacts",
            {"name": "A", "influence": 9},
            422,
            "influence",
            "less than or equal to 5",
        ),
        (
            "POST",
            "/api/accounts/ACME%252F1/ratings",
            {"values": {"harmony_fit": 9}},
            400,
            None,
            "ratings run from 1 to 5",
        ),
        (
            "POST",
            "/api/accounts/ACME%252F1/ratings",
            {"values": {"made_up": 3}},
            400,
            None,
            "'made_up' is not a rated criterion",
        ),
    ],
)
def test_bad_input_gets_a_clear_message(kim, acme, method, path, body, status, field, says):
    path = path.replace("{plan}", str(acme["plan"].pk))
    if method == "GET":
        response = kim.get(path)
    else:
        raw = body if isinstance(body, str) else json.dumps(body)
        response = kim.send(method, path, raw)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["field"] == field
    assert says in answer["detail"]


def test_an_archived_plan_refuses_edits_with_a_400(kim, acme, head_of_kam):
    from kam.plans.services import do_archive_plan

    do_archive_plan(head_of_kam, acme["plan"])
    response = kim.send(
        "PUT",
        f"/api/plans/{acme['plan'].pk}/sections/swot",
        {"revision": 0, "content": {"strengths": ["x"]}},
    )
    assert response.status_code == 400
    assert "archived" in response.json()["detail"]


def test_the_docs_load_with_no_asset_from_another_host(client, db):
    import re

    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(a.startswith("/static/") for a in assets), assets
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    schema = client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert "/api/plans/{plan_id}/sections/{key}" in schema["paths"]
