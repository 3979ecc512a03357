"""Engagements through the API: the same rules as the pages — a manager logs on the accounts
they keep, the sponsor only comments, a Viewer reads — with 409 on a stale revision."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kam.engagement.models import Engagement
from kam.people.roles import Role
from kam.plans.models import PlanAction


@pytest.fixture
def acme(seeded):
    return seeded


def test_a_manager_logs_a_qbr_with_a_follow_up_and_reads_it_back(api_as, acme):
    kim = api_as(Role.KEY_ACCOUNT_MANAGER, "kim")
    today = timezone.localdate()
    created = kim.send(
        "POST",
        "/api/accounts/C000/engagements",
        {
            "kind": "qbr",
            "date": today.isoformat(),
            "contacts": [acme["contact"].pk],
            "rating": 4,
            "outcome": "Good quarter.",
            "follow_ups": [{"action": "Send the minutes", "due_on": str(today + timedelta(7))}],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["our_people"] == ["kim"]
    assert body["status"] == "held"
    assert len(body["follow_up_actions"]) == 1
    assert PlanAction.objects.get().action == "Send the minutes"
    listed = kim.get("/api/accounts/C000/engagements").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == body["id"]
    stale = kim.send("PATCH", f"/api/engagements/{body['id']}", {"revision": 99, "outcome": "x"})
    assert stale.status_code == 409
    fixed = kim.send(
        "PATCH",
        f"/api/engagements/{body['id']}",
        {"revision": body["revision"], "outcome": "Minutes sent."},
    )
    assert fixed.status_code == 200
    assert fixed.json()["outcome"] == "Minutes sent."
    timeline = kim.get("/api/accounts/C000/timeline").json()
    assert any(event["source"] == "engagements" for event in timeline)
    assert kim.get("/api/cadence-policy").json()["version"] == 0


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EXECUTIVE_SPONSOR, Role.ANALYST])
def test_readers_may_not_log(api_as, acme, role):
    api = api_as(role)
    refused = api.send(
        "POST", "/api/accounts/C000/engagements", {"kind": "call", "date": "2026-01-05"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Logging and editing engagements needs the")
    assert not Engagement.objects.exists()


def test_a_held_engagement_in_the_future_is_refused_naming_the_field(api_as, acme):
    ahead = timezone.localdate() + timedelta(days=5)
    answer = api_as(Role.HEAD_OF_KAM, "head").send(
        "POST",
        "/api/accounts/C000/engagements",
        {"kind": "qbr", "date": str(ahead), "status": "held"},
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "date"


def test_a_start_time_with_a_time_zone_is_refused_not_a_server_error(api_as, acme):
    answer = api_as(Role.HEAD_OF_KAM, "head").send(
        "POST",
        "/api/accounts/C000/engagements",
        {"kind": "call", "date": str(timezone.localdate()), "start_time": "09:30:00Z"},
    )
    assert answer.status_code == 422
    assert "without a time zone" in answer.content.decode()


def test_a_manager_off_the_team_may_not_log_nor_read(api_as, acme):
    lena = api_as(Role.KEY_ACCOUNT_MANAGER, "lena", on_team=False)
    assert lena.get("/api/accounts/C000/engagements").status_code == 403
    refused = lena.send(
        "POST", "/api/accounts/C000/engagements", {"kind": "call", "date": "2026-01-05"}
    )
    assert refused.status_code == 403
