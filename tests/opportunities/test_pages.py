"""The pages: an account's opportunities and pipeline, opening and qualifying one through
the forms, the whitespace grid turning a cell *in pipeline*, wallets, the programme's
pipeline, and what the app adds to My accounts and the timeline."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from kam.opportunities import queries, services
from kam.opportunities.models import Opportunity, Qualification
from kam.opportunities.verdict import Question
from opportunities.conftest import AS_OF


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cell(page: str, category: str, unit: str) -> str:
    row = page.split(f'<tr data-category="{category}"><th scope="row" class="op-rowhead">')[
        1
    ].split("</tr>")[0]
    return row.split(f'data-unit="{unit}" data-state="')[1].split('"')[0]


def test_opening_an_opportunity_turns_the_whitespace_cell_in_pipeline(programme, sales):
    kim = client_for(programme.kam)
    url = reverse("opportunities:whitespace", args=["C-OWN"])
    before = kim.get(url).content.decode()
    assert [cell(before, "Valves", u) for u in ("North", "South")] == ["open", "open"]
    assert cell(before, "Pumps", "North") == "bought"
    response = kim.post(
        reverse("opportunities:new", args=["C-OWN"]),
        {"name": "Valve frame", "value": "40000", "expected_close_date": "2026-10-01",
         "stage": "qualifying", "product_category": "Valves", "business_unit": "North",
         "competitors": "Acme, Globex", "owner": programme.kam.pk},
    )  # fmt: skip
    made = Opportunity.objects.get()
    assert response["Location"] == reverse("opportunities:qualify", args=["C-OWN", made.pk])
    after = kim.get(url).content.decode()
    assert [cell(after, "Valves", u) for u in ("North", "South")] == ["in_pipeline", "open"]


def test_qualifying_through_the_form_shows_the_verdict_and_the_weakest(programme, sales):
    made = services.do_create_opportunity(
        programme.kam, programme.own, name="Seals", value="9000",
        expected_close_date=date(2026, 9, 1), product_category="Seals",
    )  # fmt: skip
    kim = client_for(programme.kam)
    form = kim.get(reverse("opportunities:qualify", args=["C-OWN", made.pk])).content.decode()
    assert "No champion." in form  # the stakeholder map's evidence for "Can we win?"
    response = kim.post(
        reverse("opportunities:qualify", args=["C-OWN", made.pk]),
        {"revision": 0, "real_score": 5, "real_evidence": "Budget signed", "compete_score": 5,
         "win_score": 1, "win_evidence": "Nobody inside", "worth_score": 5},
    )  # fmt: skip
    assert response.status_code == 302
    assert Qualification.objects.get().verdict == "walk_away"
    page = kim.get(response["Location"]).content.decode()
    weakest = page.split('class="op-question op-weakest" data-question="')[1]
    assert weakest.startswith("win")
    assert "we cannot win it" in page


def test_the_account_page_shows_the_pipeline_weighted(programme, sales):
    for value, stage in (("100000", "proposal"), ("20000", "negotiation")):
        services.do_create_opportunity(
            programme.kam, programme.own, name=f"Deal {value}", value=value, stage=stage,
            expected_close_date=date(2026, 9, 1), product_category="Pumps",
        )  # fmt: skip
    page = client_for(programme.sponsor).get(reverse("opportunities:account", args=["C-OWN"]))
    text = page.content.decode()
    assert 'id="pipeline-value">120,000<' in text
    assert 'id="pipeline-weighted">65,000<' in text
    assert 'id="stage-chart"' in text


def test_a_wallet_entered_on_the_page_shows_share_of_wallet(programme, sales):
    kim = client_for(programme.kam)
    kim.post(
        reverse("opportunities:wallet", args=["C-OWN"]),
        {"category": "Pumps", "amount": "60000", "source": "customer"},
    )
    page = kim.get(reverse("opportunities:whitespace", args=["C-OWN"])).content.decode()
    row = page.split('id="wallet-table"')[1].split('<tr data-category="Pumps">')[1]
    assert "25%" in row.split("</tr>")[0]  # 15,000 bought of 60,000
    assert "45,000" in page.split('id="gaps"')[1]


def test_the_pipeline_page_lists_per_manager_for_the_head(programme, sales):
    for who, account in ((programme.kam, programme.own), (programme.keeper, programme.foreign)):
        services.do_create_opportunity(
            who, account, name=f"Deal of {who.username}", value="1000",
            expected_close_date=date(2026, 9, 1), product_category="Pumps",
        )  # fmt: skip
    page = client_for(programme.head).get(reverse("opportunities:pipeline")).content.decode()
    assert ("Kim Keller" in page, "Kai Other" in page) == (True, True)
    own = client_for(programme.kam).get(reverse("opportunities:pipeline")).content.decode()
    assert ("Deal of kim" in own, "Deal of kai" in own) == (True, False)


def test_my_accounts_shows_the_open_pipeline_and_the_biggest_gap(programme, sales):
    services.do_create_opportunity(
        programme.kam, programme.own, name="Valves", value="40000",
        expected_close_date=date(2026, 9, 1), product_category="Valves",
    )  # fmt: skip
    services.do_set_wallet_estimate(programme.kam, programme.own, category="Pumps", amount="60000")
    page = client_for(programme.kam).get(reverse("engagement:my_accounts")).content.decode()
    own = page.split('<tr data-customer="C-OWN"')[1].split("</tr>")[0]
    assert "40k" in own.split('data-column="pipeline"')[1]
    assert "45k open · up-sell" in own.split('data-column="whitespace"')[1]


def test_a_wallet_entered_after_a_visit_changes_the_next_visit(programme, sales):
    """The pages answer whitespace from tables derived once per reader copy of the store; a
    wallet lives in the database and must count on the next visit, with the copy unchanged."""
    kim = client_for(programme.kam)
    pointer = sales.readers_dir / "current.json"

    def whitespace_column() -> str:
        page = kim.get(reverse("engagement:my_accounts")).content.decode()
        own = page.split('<tr data-customer="C-OWN"')[1].split("</tr>")[0]
        return own.split('data-column="whitespace"')[1].split("</td>")[0]

    first = whitespace_column()
    copy = pointer.read_text()
    services.do_set_wallet_estimate(programme.kam, programme.own, category="Pumps", amount="60000")
    assert ("open" in first, "45k open · up-sell" in whitespace_column()) == (False, True)
    services.do_set_wallet_estimate(programme.kam, programme.own, category="Pumps", amount="30000")
    assert "15k open · up-sell" in whitespace_column()
    assert pointer.read_text() == copy


def test_the_page_names_the_peers_that_spend_most_and_counts_the_rest(
    programme, sales, monkeypatch
):
    """Three customers of C-OWN's segment and size band buy Valves; with two named, the
    estimate lists the two that spend most and says one more is behind it."""
    peers = [(f"X{i}", "Valves", 20_000.0 + 1_000 * i) for i in range(1, 4)]
    small = [(f"Y{i}", "Pumps", 10.0 * i) for i in range(1, 8)]
    with sales.connect() as con:
        raw = con.con
        raw.executemany(
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', 'Logistics')",
            [(c, f"Customer {c}") for c, _, _ in peers + small],
        )
        raw.executemany(
            "INSERT INTO transactions VALUES (?, '1', ?, ?, 'p', ?, 'HQ', 1, ?, NULL, 'invoice')",
            [(f"J{n}", c, AS_OF, cat, rev) for n, (c, cat, rev) in enumerate(peers + small)],
        )
        raw.execute(
            "INSERT INTO customer_month SELECT customer_id, date_trunc('month', date)::DATE, "
            "sum(revenue), 0, sum(quantity), count(*), count(*), min(date), max(date) "
            "FROM transactions WHERE invoice_id LIKE 'J%' GROUP BY ALL"
        )
    monkeypatch.setattr(queries, "PEERS_NAMED", 2)
    page = client_for(programme.kam).get(reverse("opportunities:whitespace", args=["C-OWN"]))
    table = page.content.decode().split('id="wallet-table"')[1]
    valves = table.split('<tr data-category="Valves">')[1].split("</tr>")[0]
    assert "3 peers" in valves
    named = valves.split("<ul>")[1].split("</ul>")[0]
    assert [item.split(" ·")[0] for item in named.split("<li>")[1:3]] == ["X3", "X2"]
    assert "X1" not in named
    assert "and 1 more" in named


def test_won_and_lost_are_on_the_timeline(programme, sales):
    made = services.do_create_opportunity(
        programme.kam, programme.own, name="Seal retrofit", value="9000",
        expected_close_date=date(2026, 3, 1), product_category="Seals",
    )  # fmt: skip
    services.do_close_opportunity(
        programme.kam, made, won=False, reason="Price", closed_on=date(2026, 3, 2)
    )
    page = client_for(programme.kam).get(reverse("engagement:timeline", args=["C-OWN"]))
    assert "Lost: Seal retrofit" in page.content.decode()


@pytest.mark.parametrize("who", ["viewer", "sponsor"])
def test_readers_see_no_edit_buttons(programme, sales, who):
    made = services.do_create_opportunity(
        programme.kam, programme.own, name="Seals", value="9000",
        expected_close_date=date(2026, 9, 1), product_category="Seals",
    )  # fmt: skip
    services.do_qualify_opportunity(
        programme.kam, made, scores=dict.fromkeys(Question, 4), evidence={},
        expected_margin_pct="31.5",
    )  # fmt: skip
    page = client_for(getattr(programme, who)).get(
        reverse("opportunities:detail", args=["C-OWN", made.pk])
    )
    text = page.content.decode()
    assert "Requalify" not in text
    assert ("31.5%" in text) == (who == "sponsor")  # margin is a financial figure
