"""Scoring with the lifetime-value models: predicted_clv feeds future_value; pages show it.

The `kam clv` commands are tested in tests/cli/test_cli_clv.py.
"""

import pyarrow as pa
import pytest
from django.urls import reverse
from selection_seed import seed_buyers

from kam.selection import queries, services


@pytest.fixture
def buying(db, store) -> list[str]:
    """300 simulated BG/NBD customers with dated invoice lines, in both stores."""
    return seed_buyers(store)


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
    page = client.get(reverse("selection:portfolio")).content.decode()
    # The scatter is asked for by the page once its card is on screen (htmx), not inlined.
    assert 'id="future-value-slot"' in page
    assert reverse("selection:future_value_chart") in page
    html = client.get(reverse("selection:future_value_chart")).content.decode()
    assert 'id="future-value-chart"' in html
    assert "&quot;type&quot;:&quot;log&quot;" in html


def test_future_value_table_has_one_row_per_buyer(buying, head_of_kam):
    from kam.stores import analytics_store

    run = services.do_run_scoring(head_of_kam)
    with analytics_store().connect(read_only=True) as con:
        table: pa.Table = con.table(run.future_value_table).to_pyarrow()
    assert table.num_rows == len(buying)
    assert set(table.column_names) >= {"clv", "clv_lower", "clv_upper", "p_alive"}
