"""The selection pages: sign-in, who may write, and browsing a large snapshot in the engine."""

import pytest
from django.urls import reverse

from kam.selection import queries, services
from kam.selection.queries import ScoreQuery

READ_PAGES = ["selection:portfolio", "selection:policy", "selection:cycles", "selection:compare"]
WRITES = [
    ("selection:run_scoring", {}),
    ("selection:policy", {"name": "x"}),
    ("selection:cycles", {}),
]


@pytest.mark.parametrize("name", READ_PAGES)
def test_pages_need_a_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", READ_PAGES)
def test_a_viewer_reads_every_page(client, portfolio, viewer, head_of_kam, name):
    services.do_run_scoring(head_of_kam)
    client.force_login(viewer)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"Re-score all accounts" not in response.content


@pytest.mark.parametrize(("name", "data"), WRITES)
def test_a_viewer_may_not_write(client, portfolio, viewer, name, data):
    client.force_login(viewer)
    assert client.post(reverse(name), data).status_code == 403


def test_a_viewer_may_not_rate(client, portfolio, viewer):
    client.force_login(viewer)
    response = client.post(reverse("selection:account", args=["C001"]), {"harmony_fit": "4"})
    assert response.status_code == 403


def test_the_portfolio_page_draws_its_pictures(client, portfolio, head_of_kam):
    client.force_login(head_of_kam)
    assert client.post(reverse("selection:run_scoring")).status_code == 302
    html = client.get(reverse("selection:portfolio")).content.decode()
    for chart in ("pareto-chart", "heatmap-chart", "four-box-chart"):
        assert f'id="{chart}"' in html
    assert "plotly/plotly.min.js" in html
    assert 'id="top80"' in html


def test_the_score_table_searches_and_sorts(client, portfolio, head_of_kam):
    services.do_run_scoring(head_of_kam)
    client.force_login(head_of_kam)
    response = client.get(
        reverse("selection:scores"), {"q": "customer 01", "sort": "revenue", "dir": "desc"}
    )
    html = response.content.decode()
    assert "<strong>10</strong> accounts" in html
    assert html.index("Customer 010") < html.index("Customer 019")


def test_a_page_of_a_100k_snapshot_is_25_rows(store, head_of_kam):
    with store.connect() as con:
        con.con.execute(
            "INSERT INTO customers SELECT 'C' || lpad(i::VARCHAR, 6, '0'), 'Customer ' || i, "
            "NULL, 'DE', CASE WHEN i % 2 = 0 THEN 'EMEA' ELSE 'APAC' END, 'Retail' "
            "FROM range(100000) t(i)"
        )
        con.con.execute(
            "INSERT INTO customer_month SELECT 'C' || lpad(i::VARCHAR, 6, '0'), DATE '2024-06-01', "
            "1000 + i, 600 + i / 2, 1, 1, 1, DATE '2024-06-03', DATE '2024-06-20' "
            "FROM range(100000) t(i)"
        )
    run = services.do_run_scoring(head_of_kam)
    with store.connect(read_only=True) as con:
        page = queries.score_page(con, run.snapshot_id, ScoreQuery(region="APAC", page=7))
        found = queries.score_page(con, run.snapshot_id, ScoreQuery(search="c099999"))
    assert (page.total, len(page.rows), page.page_count) == (50_000, 25, 2_000)
    assert all(row["region"] == "APAC" for row in page.rows)
    assert page.rows[0]["key_rank"] < page.rows[-1]["key_rank"]
    assert [row["customer_id"] for row in found.rows] == ["C099999"]


def test_a_decision_changed_meanwhile_is_not_overridden_again(client, portfolio, make_user):
    from kam.people.roles import Role

    hannah = make_user(Role.HEAD_OF_KAM, "hannah", first_name="Hannah", last_name="Head")
    olli = make_user(Role.HEAD_OF_KAM, "olli", first_name="Olli", last_name="Other")
    cycle = services.do_create_cycle(hannah)
    decision = cycle.decisions.filter(proposal="add").first()
    client.force_login(hannah)
    page = client.get(reverse("selection:cycle", args=[cycle.pk])).content.decode()
    assert 'name="shown" value="1"' in page
    services.do_override_decision(
        olli, cycle, decision.account_id, is_key=False, reason="lapsed since May", shown_key=True
    )

    stale = {"customer_id": decision.account_id, "is_key": "0", "shown": "1"}
    response = client.post(
        reverse("selection:override", args=[cycle.pk]),
        stale | {"reason": "credit risk"},
        HTTP_HX_REQUEST="true",
    )
    row = response.content.decode()
    assert "changed by Olli Other" in row
    assert "lapsed since May" in row
    assert "credit risk" in row
    decision.refresh_from_db()
    assert decision.override_reason == "lapsed since May"
    assert decision.overridden_by == olli


def test_scoring_an_empty_store_says_there_is_nothing_to_score(client, db, store, head_of_kam):
    from kam.selection.models import ScoreRun

    with pytest.raises(services.SelectionError, match="nothing to score yet"):
        services.do_run_scoring(head_of_kam)
    client.force_login(head_of_kam)
    response = client.post(reverse("selection:run_scoring"), follow=True)
    assert response.status_code == 200
    assert "Not scored: nothing to score yet" in response.content.decode()
    assert not ScoreRun.objects.exists()  # no run at a made-up date


def test_the_cycle_page_lists_its_decisions_a_page_at_a_time(
    client, portfolio, head_of_kam, monkeypatch
):
    from kam.selection import views_cycles

    monkeypatch.setattr(views_cycles, "DECISIONS_A_PAGE", 2)
    cycle = services.do_create_cycle(head_of_kam)
    client.force_login(head_of_kam)
    url = reverse("selection:cycle", args=[cycle.pk])
    total = cycle.decisions.count()
    assert total > 2
    first = client.get(url).content.decode()
    assert first.count('id="decision-') == 2
    assert f"Decisions 1–2 of {total}" in first
    assert 'href="?page=2"' in first
    second = client.get(url, {"page": 2}).content.decode()
    assert f"Decisions 3–{min(4, total)} of {total}" in second
    added = [d for d in cycle.decisions.all() if d.proposal == "add"]
    listed = client.get(url, {"show": "add"}).content.decode()
    assert listed.count('id="decision-') == min(2, len(added))
    if len(added) > 2:
        assert 'href="?show=add&amp;page=2"' in listed


def test_the_cycle_pages_list_every_decision_once_in_review_order_with_the_counts(
    client, portfolio, head_of_kam, monkeypatch
):
    import re

    from kam.selection import queries, views_cycles

    monkeypatch.setattr(views_cycles, "DECISIONS_A_PAGE", 3)
    cycle = services.do_create_cycle(head_of_kam)
    removed = next(d for d in cycle.decisions.all() if d.is_key)
    services.do_override_decision(
        head_of_kam, cycle, removed.account_id, is_key=False, reason="Sold to a rival"
    )
    client.force_login(head_of_kam)
    url = reverse("selection:cycle", args=[cycle.pk])
    shown: list[str] = []
    for page in range(1, -(-cycle.decisions.count() // 3) + 1):
        html = client.get(url, {"page": page}).content.decode()
        shown += re.findall(r'id="decision-(\d+)"', html)
    review = queries.cycle_review(head_of_kam, cycle.pk)
    # Key accounts first by rank, then the rest by account id, the override moved down.
    assert shown == [str(d.pk) for d in review.decisions]
    assert shown.index(str(removed.pk)) >= sum(d.is_key for d in review.decisions)
    assert review.counts == {
        "add": sum(d.proposal == "add" for d in review.decisions),
        "keep": sum(d.proposal == "keep" for d in review.decisions),
        "remove": sum(d.proposal == "remove" for d in review.decisions),
        "overridden": 1,
        "moved": sum(d.quadrant_changed for d in review.decisions),
        "key": sum(d.is_key for d in review.decisions),
    }
    assert f'id="final-key">{review.counts["key"]}<' in html
