"""Scoring with the lifetime-value models: predicted_clv feeds future_value; pages, CLI show it."""

import datetime as dt

import pyarrow as pa
import pytest
import typer
from django.urls import reverse
from typer.testing import CliRunner

from kam.accounts.models import Account
from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.ingest.load import refresh_customer_month
from kam.selection import queries, services
from kam.selection.clv_cli import register

AS_OF = dt.date(2023, 12, 31)
TRUTH = {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture
def buying(db, store) -> list[str]:
    """300 simulated BG/NBD customers with dated invoice lines, in both stores."""
    lines = simulate_transaction_lines(
        300, TRUTH, SPEND, start=dt.date(2022, 1, 1), end=AS_OF, seed=3
    )
    ids = sorted(set(lines.column("customer_id").to_pylist()))
    with store.connect() as con:
        raw = con.con
        raw.executemany(
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', 'Retail')",
            [(c, f"Customer {c}") for c in ids],
        )
        raw.register("_lines", lines)
        raw.execute(
            "INSERT INTO transactions (invoice_id, line_id, customer_id, date, quantity, revenue, "
            "cost, document_type) SELECT customer_id || date::VARCHAR, '1', customer_id, date, "
            "1, revenue, revenue * 0.7, 'invoice' FROM _lines"
        )
        raw.unregister("_lines")
        refresh_customer_month(raw, everyone=True)
    Account.objects.bulk_create(
        [Account(customer_id=c, name=f"Customer {c}", region="EMEA", segment="Retail") for c in ids]
    )
    return ids


def explained(run, customer_id):
    from kam.selection import snapshots
    from kam.stores import analytics_store

    with analytics_store().connect(read_only=True) as con:
        rows = snapshots.explanation(con, run.snapshot_id, customer_id)
    return {r["criterion_key"]: r for r in rows}


def test_scoring_fills_the_future_value_criterion(buying, head_of_kam):
    run = services.do_run_scoring(head_of_kam)
    assert run.future_value["model"] == "bgnbd"
    assert run.future_value["table"] == f"clv_{run.snapshot_id}"
    assert run.future_value_note == ""
    future = explained(run, buying[0])["future_value"]
    assert not future["missing"]
    assert 1.0 <= future["points"] <= 5.0
    assert future["weighted_points"] > 0


def test_without_repeat_buyers_the_criterion_stays_missing_and_the_run_says_why(
    portfolio, head_of_kam
):
    run = services.do_run_scoring(head_of_kam)
    assert run.future_value == {}
    assert "bought more than once" in run.future_value_note
    assert explained(run, portfolio[0])["future_value"]["missing"]


def test_the_account_page_shows_the_value_with_its_interval(client, buying, head_of_kam):
    services.do_run_scoring(head_of_kam)
    client.force_login(head_of_kam)
    customer = buying[0]
    found = queries.account_future_value(head_of_kam, customer)
    assert found is not None
    assert found.row is not None
    assert found.history
    html = client.get(reverse("selection:account", args=[customer])).content.decode()
    assert 'id="future-value"' in html
    assert 'id="alive-chart"' in html
    lower, upper = round(found.row["clv_lower"]), round(found.row["clv_upper"])
    assert f"90% range {lower:,}" in html
    assert f"{upper:,}" in html


def test_the_portfolio_draws_today_against_tomorrow(client, buying, head_of_kam):
    services.do_run_scoring(head_of_kam)
    client.force_login(head_of_kam)
    html = client.get(reverse("selection:portfolio")).content.decode()
    assert 'id="future-value-chart"' in html
    assert "&quot;type&quot;:&quot;log&quot;" in html


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_kam_clv_fit_prints_both_models_and_the_holdout(buying, cli):
    result = CliRunner().invoke(cli, ["clv", "fit", "--holdout-weeks", "26"])
    assert result.exit_code == 0, result.output
    for text in ("BG/NBD", "Pareto/NBD", "Gamma-Gamma", "holdout", "MAE", "Chosen"):
        assert text in result.output
    assert "frequency/spend correlation" in result.output


def test_kam_clv_show_prints_one_account(buying, head_of_kam, cli):
    services.do_run_scoring(head_of_kam)
    result = CliRunner().invoke(cli, ["clv", "show", buying[0]])
    assert result.exit_code == 0, result.output
    assert "Predicted value" in result.output
    assert "90% range" in result.output
    missing = CliRunner().invoke(cli, ["clv", "show", "nobody"])
    assert missing.exit_code == 1


def test_kam_clv_fit_says_why_it_cannot(portfolio, cli):
    result = CliRunner().invoke(cli, ["clv", "fit"])
    assert result.exit_code == 1
    assert "bought more than once" in result.output


def test_future_value_table_has_one_row_per_buyer(buying, head_of_kam):
    from kam.stores import analytics_store

    run = services.do_run_scoring(head_of_kam)
    with analytics_store().connect(read_only=True) as con:
        table: pa.Table = con.table(run.future_value_table).to_pyarrow()
    assert table.num_rows == len(buying)
    assert set(table.column_names) >= {"clv", "clv_lower", "clv_upper", "p_alive"}
