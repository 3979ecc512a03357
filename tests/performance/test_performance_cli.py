"""`kam program …` through Typer's runner: the figures as JSON, the P&L refused to a
Viewer, a target set, a cost file imported and a bad one refused."""

import json

from typer.testing import CliRunner

from kam.cli import app

runner = CliRunner()


def test_program_show_prints_the_figures_as_json(programme):
    result = runner.invoke(app, ["program", "show", "--as", "head", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    latest = figures["concentration"]["points"][-1]
    assert latest["revenue_share"]["1"] > 0.2
    assert "margin_share" in latest
    assert [k["kpi"] for k in figures["kpis"]["kpis"]][:2] == ["revenue_growth", "gross_margin"]
    assert figures["post_launch"][-1]["answer"] == "not enough data"


def test_program_show_prints_shares_in_per_cent(programme):
    result = runner.invoke(app, ["program", "show", "--as", "head"])
    assert result.exit_code == 0, result.output
    figures = json.loads(runner.invoke(app, ["program", "show", "--as", "head", "--json"]).stdout)
    top1 = figures["concentration"]["points"][-1]["revenue_share"]["1"]
    assert f"Largest customer {top1 * 100:.1f}% of revenue" in result.stdout


def test_a_viewer_gets_no_margin_and_no_pnl(programme):
    shown = runner.invoke(app, ["program", "show", "--as", "viewer", "--json"])
    latest = json.loads(shown.stdout)["concentration"]["points"][-1]
    assert "margin_share" not in latest
    refused = runner.invoke(app, ["program", "pnl", "--as", "viewer", "--json"])
    assert refused.exit_code == 3
    assert "Not allowed" in refused.output


def test_pnl_and_a_target_on_the_command_line(programme):
    pnl = json.loads(runner.invoke(app, ["program", "pnl", "--as", "kim", "--json"]).stdout)
    assert pnl["programme"]["accounts"] == 12
    assert pnl["programme"]["estimated"] == 12
    assert {row["group"] for row in pnl["by_tier"]} == {"Tier 1", "Tier 2"}
    set_target = runner.invoke(
        app, ["program", "target", "retention", "99", "--scope", "tier", "--key", "tier_1",
              "--as", "head", "--json"],
    )  # fmt: skip
    assert json.loads(set_target.stdout)["target"] == 99.0
    refused = runner.invoke(app, ["program", "target", "retention", "99", "--as", "kim"])
    assert refused.exit_code == 3


def test_import_costs_from_the_command_line(programme, tmp_path):
    good = tmp_path / "costs.csv"
    good.write_text("customer_id,period_start,period_end,amount\nC00,2026-01-01,2026-06-30,500\n")
    result = runner.invoke(app, ["program", "import-costs", str(good), "--as", "head", "--json"])
    assert json.loads(result.stdout)["created"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,period_start,period_end,amount\nC00,2026-01-01,2026-06-30,x\n")
    refused = runner.invoke(app, ["program", "import-costs", str(bad), "--as", "head"])
    assert refused.exit_code == 1
    assert "line 2, column amount" in refused.output
