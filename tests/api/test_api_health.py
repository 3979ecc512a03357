"""Account health through the API: the latest score with its components, alerts and
history, read by every role that reads the account; null before any scoring run."""

from kam.health.services import do_score_health
from kam.people.roles import Role


def test_an_account_health_before_and_after_a_scoring_run(api_as, seeded, head_of_kam):
    viewer = api_as(Role.VIEWER, "vera")
    before = viewer.get("/api/accounts/C000/health")
    assert before.status_code == 200, before.content
    assert before.json()["score"] is None
    assert before.json()["history"] == []
    do_score_health(head_of_kam)
    body = viewer.get("/api/accounts/C000/health").json()
    assert 0 <= body["score"] <= 100
    keys = [component["key"] for component in body["components"]]
    assert keys[:3] == ["revenue_trend", "p_alive", "order_rhythm"]
    missing = [c for c in body["components"] if c["points"] is None]
    assert all("no data" in c["explanation"] or c["raw"] is None for c in missing)
    assert len(body["history"]) == 1
    assert all(alert["why"].endswith(".") for alert in body["alerts"])
    assert viewer.get("/api/accounts/NOPE/health").status_code == 404
