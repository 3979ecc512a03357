"""Selection on a steady B2B base: monthly buyers, a few growers, decliners and stoppers.

Before the lifetime-value models learnt their limits, this base gave NaN for every
predicted value, "nan → 1.00 points" for every account, and no Tier 1 or high-potential
account at all. The company comes from the real generator and enters through the real
imports; the pages are rendered by Django's test client.
"""

import math
import re
from pathlib import Path

import pytest
from django.urls import reverse
from typer.testing import CliRunner

from kam.accounts.services import do_import_customers, do_import_transactions
from kam.analytics.demo import DemoCompany, generate_steady_company, write_demo_files
from kam.cli import app
from kam.people.roles import Role
from kam.selection import queries, services
from kam.selection.models import ScoreRun
from kam.stores import analytics_store

NOT_A_NUMBER = re.compile(r"\b(nan|NaN|inf|Infinity)\b")


@pytest.fixture
def steady(db, store, tmp_path: Path, make_user) -> DemoCompany:
    """1,000 steady-buyer customers (about 200,000 invoice lines) imported into both stores."""
    company = generate_steady_company(seed=7, customers=1000)
    files = write_demo_files(company, tmp_path / "steady")
    admin = make_user(Role.ADMINISTRATOR, "admin")
    do_import_customers(admin, files.customers)
    do_import_transactions(admin, files.transactions)
    return company


def truth(company: DemoCompany) -> dict[str, str]:
    return {r["customer_id"]: r["archetype"] for r in company.archetypes.to_pylist()}


def snapshot_rows(run: ScoreRun) -> list[dict]:
    with analytics_store().connect(read_only=True) as con:
        return con.table(f"score_snapshot_{run.snapshot_id}").to_pyarrow().to_pylist()


def test_steady_large_profitable_accounts_are_key_tier_1_or_2_when_nobody_has_rated_them(
    steady, head_of_kam
):
    run = services.do_run_scoring(head_of_kam)
    assert run.future_value, run.future_value_note
    assert run.future_value["missing"] == 0
    rows = snapshot_rows(run)
    assert all(r["raw__future_value"] is not None for r in rows if r["revenue_12m"] > 0)
    archetype = truth(steady)
    largest = sorted(rows, key=lambda r: -r["revenue_12m"])[: len(rows) // 20]  # top 5%
    steady_large_profitable = [
        r
        for r in largest
        if archetype[r["customer_id"]] == "steady"
        and abs(r["growth_slope"]) <= 0.05  # steady in the data too, not only by birth
        and r["margin_pct"] >= 20
    ]
    assert len(steady_large_profitable) >= 5
    # Key, and very high or high among the key accounts (seed 002); the largest Tier 1.
    assert all(r["is_key"] for r in steady_large_profitable)
    assert {r["tier"] for r in steady_large_profitable} <= {"tier_1", "tier_2"}
    assert steady_large_profitable[0]["tier"] == "tier_1"
    # Nobody rated: strategic importance is missing, never counted.
    assert all(r["raw__strategic_importance"] is None for r in rows)


def rate_relationships(company: DemoCompany, user, rows: list[dict], folder: Path) -> None:
    """The key accounts' relationship rated as their managers would: some strong, some weak."""
    keys = sorted((r for r in rows if r["is_key"]), key=lambda r: r["customer_id"])
    lines = ["customer_id,criterion,value"]
    for i, row in enumerate(keys):
        value = 1 + (i * 7) % 5  # a spread of 1..5 across the key accounts
        for criterion in (
            "relationship_position",
            "decision_maker_access",
            "willingness_to_collaborate",
        ):
            lines.append(f"{row['customer_id']},{criterion},{value}")
    ratings = folder / "ratings.csv"
    ratings.write_text("\n".join(lines) + "\n")
    services.do_import_ratings(user, ratings)


def test_every_tier_every_type_and_the_high_potential_track_are_reachable(
    steady, head_of_kam, tmp_path
):
    first = services.do_run_scoring(head_of_kam)
    tiers = {r["tier"] for r in snapshot_rows(first)}
    assert {"tier_1", "tier_2", "tier_3", "high_potential"} <= tiers
    rate_relationships(steady, head_of_kam, snapshot_rows(first), tmp_path)
    rated = services.do_run_scoring(head_of_kam)
    rows = snapshot_rows(rated)
    assert {"tier_1", "tier_2", "tier_3", "high_potential"} <= {r["tier"] for r in rows}
    assert {r["quadrant"] for r in rows if r["is_key"]} == {
        "strategic",
        "status",
        "star",
        "streamline",
    }


def no_value_that_is_not_a_number(html: str) -> list[str]:
    return [match.group(0) for match in NOT_A_NUMBER.finditer(html)]


def test_no_value_that_is_not_a_number_reaches_a_snapshot_a_page_or_the_cli(
    steady, head_of_kam, client
):
    run = services.do_run_scoring(head_of_kam)
    rows = snapshot_rows(run)
    for row in rows:
        for name, value in row.items():
            assert not (isinstance(value, float) and not math.isfinite(value)), (name, row)
    with analytics_store().connect(read_only=True) as con:
        table = con.table(run.future_value_table).to_pyarrow().to_pylist()
    assert all(math.isfinite(v) for row in table for v in row.values() if isinstance(v, float))

    client.force_login(head_of_kam)
    archetype = truth(steady)
    by_kind: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: -r["revenue_12m"]):
        by_kind.setdefault(row["tier"], row["customer_id"])
        by_kind.setdefault(archetype[row["customer_id"]], row["customer_id"])
    pages = [
        reverse("selection:portfolio"),
        reverse("selection:scores"),
        reverse("selection:scores") + "?sort=growth&desc=1",
        *(reverse("selection:account", args=[c]) for c in by_kind.values()),
        *(reverse("accounts:detail", args=[c]) for c in by_kind.values()),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert no_value_that_is_not_a_number(html) == [], url
    card = client.get(reverse("selection:account", args=[by_kind["tier_1"]])).content.decode()
    assert 'id="predicted-clv"' in card
    assert "one purchase rate" in card  # the model behind the figures, named
    found = queries.account_future_value(head_of_kam, by_kind["tier_1"])
    assert found is not None
    assert found.row is not None
    assert f"{round(found.row['clv']):,}" in card

    outputs = {}
    for args in (
        ["clv", "fit", "--holdout-weeks", "26", "--as", "head"],
        ["clv", "fit", "--as", "head", "--json"],
        ["clv", "show", by_kind["tier_1"], "--as", "head"],
        ["clv", "show", by_kind["tier_1"], "--as", "head", "--json"],
        ["score", "--as", "head"],
        ["score", "--as", "head", "--json"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert no_value_that_is_not_a_number(result.output) == [], args
        outputs[" ".join(a for a in args if a not in ("--as", "head"))] = result.output
    assert "Chosen" in outputs["clv fit --holdout-weeks 26"]
    assert "Predicted value" in outputs[f"clv show {by_kind['tier_1']}"]
