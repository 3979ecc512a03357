"""Opportunities, qualification, pipeline, whitespace and wallets through the API: the same
rules and audit trail as the pages; the margin absent for those who see no financials."""

import pytest
from django.test import Client

from kam.api.services import do_create_token
from kam.audit.models import AuditEntry
from kam.opportunities.models import Opportunity

NEW = {
    "name": "Valve frame",
    "value": 40000,
    "expected_close_date": "2026-10-01",
    "product_category": "Valves",
    "business_unit": "North",
    "stage": "qualifying",
    "competitors": ["Acme"],
}


class Api:
    def __init__(self, user):
        _, token = do_create_token(user, name="tests")
        self.client, self.headers = Client(), {"Authorization": f"Bearer {token}"}

    def get(self, path):
        return self.client.get(path, headers=self.headers)

    def send(self, method, path, body):
        call = getattr(self.client, method.lower())
        return call(path, body, content_type="application/json", headers=self.headers)


def test_a_manager_opens_qualifies_and_closes_through_the_api(programme, sales):
    kim = Api(programme.kam)
    made = kim.send("POST", "/api/accounts/C-OWN/opportunities", NEW)
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert (made.json()["probability"], made.json()["owner"]) == (25, "kim")
    verdict = kim.send(
        "PUT",
        f"/api/opportunities/{pk}/qualification",
        {"scores": {"real": 5, "compete": 4, "win": 4, "worth": 2}, "expected_margin_pct": 8},
    )
    assert verdict.status_code == 200, verdict.content
    assert (verdict.json()["verdict"], verdict.json()["weakest"]) == ("walk_away", "worth")
    lost = kim.send(
        "POST", f"/api/opportunities/{pk}/close", {"outcome": "lost", "closed_on": "2026-06-01"}
    )
    assert (lost.status_code, lost.json()["field"]) == (400, "reason")
    entry = AuditEntry.objects.filter(object_type="opportunities.opportunity").first()
    assert entry.interface == "api"


def test_the_whitespace_cell_is_in_pipeline_through_the_api(programme, sales):
    kim = Api(programme.kam)
    kim.send("POST", "/api/accounts/C-OWN/opportunities", NEW)
    body = kim.get("/api/accounts/C-OWN/whitespace").json()
    states = {(c["category"], c["business_unit"]): c["state"] for c in body["cells"]}
    assert (states[("Valves", "North")], states[("Pumps", "North")]) == ("in_pipeline", "bought")


@pytest.mark.parametrize("who", ["viewer", "sponsor", "keeper"])
def test_others_may_not_write(programme, sales, who):
    refused = Api(getattr(programme, who)).send("POST", "/api/accounts/C-OWN/opportunities", NEW)
    assert refused.status_code == 403
    assert not Opportunity.objects.exists()


def test_the_margin_is_absent_for_a_viewer(programme, sales):
    kim = Api(programme.kam)
    pk = kim.send("POST", "/api/accounts/C-OWN/opportunities", NEW).json()["id"]
    kim.send("PUT", f"/api/opportunities/{pk}/qualification", {"expected_margin_pct": 31.5})
    seen = Api(programme.viewer).get(f"/api/opportunities/{pk}").json()["qualification"]
    assert "expected_margin_pct" not in seen
    assert (
        kim.get(f"/api/opportunities/{pk}").json()["qualification"]["expected_margin_pct"] == 31.5
    )


def test_wallets_and_the_pipeline(programme, sales):
    kim = Api(programme.kam)
    kim.send("POST", "/api/accounts/C-OWN/opportunities", NEW)
    saved = kim.send("POST", "/api/accounts/C-OWN/wallets", {"category": "Pumps", "amount": 60000})
    assert [w["amount"] for w in saved.json()] == [60000.0]
    pumps = next(
        c for c in kim.get("/api/accounts/C-OWN/whitespace").json()["categories"]
        if c["category"] == "Pumps"
    )  # fmt: skip
    assert (pumps["wallet_source"], pumps["share_of_wallet"]) == ("entered", 0.25)
    total = Api(programme.head).get("/api/pipeline").json()["total"]
    assert (total["value"], total["weighted"]) == (40000.0, 10000.0)
