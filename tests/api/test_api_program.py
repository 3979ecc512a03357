"""The programme view through the API: its figures for every role (money figures only for
those who see financial figures), the P&L refused to a Viewer, a KPI target set by the Head
of KAM and refused to a manager."""

from programme_data import seed_programme

from kam.people.roles import Role


def test_the_programme_figures_and_a_target_through_the_api(db, store, make_user, api_as):
    seed_programme(store, make_user)
    head = api_as(Role.HEAD_OF_KAM, "api-head")
    figures = head.get("/api/program").json()
    assert figures["concentration"]["points"][-1]["revenue_share"]["1"] > 0.2
    assert "margin_share" in figures["concentration"]["points"][-1]
    assert head.get("/api/program/pnl").json()["programme"]["accounts"] == 12
    tiers = head.get("/api/program/kpis", scope="tier").json()
    assert {group["label"] for group in tiers} == {"Tier 1", "Tier 2"}

    saved = head.send("PUT", "/api/program/targets", {"kpi": "retention", "target": 99.5})
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 1
    stale = head.send("PUT", "/api/program/targets", {"kpi": "retention", "target": 98})
    assert stale.status_code == 409  # the target exists now: the caller must say it saw it
    bad = head.send("PUT", "/api/program/targets", {"kpi": "nonsense", "target": 1})
    assert (bad.status_code, bad.json()["field"]) == (400, "kpi")

    viewer = api_as(Role.VIEWER, "api-viewer")
    seen = viewer.get("/api/program").json()
    assert "margin_share" not in seen["concentration"]["points"][-1]
    assert viewer.get("/api/program/pnl").status_code == 403
    manager = api_as(Role.KEY_ACCOUNT_MANAGER, "api-kim")
    refused = manager.send("PUT", "/api/program/targets", {"kpi": "retention", "target": 1})
    assert refused.status_code == 403
    assert "needs the Head of KAM or Administrator role" in refused.json()["detail"]
