"""The commands: `kam opportunities import|pipeline`, `kam import wallet`, `kam whitespace`."""

import json

from typer.testing import CliRunner

from kam.cli import app

OPPORTUNITIES = (
    "customer_id,name,value,expected_close_date,product_category,stage,business_unit\n"
    "C-OWN,Valve frame,40000,2026-10-01,Valves,qualifying,North\n"
)
WALLETS = "customer_id,category,amount\nC-OWN,Pumps,60000\n"


def run(*arguments):
    return CliRunner().invoke(app, [*arguments, "--as", "head", "--json"])


def test_import_pipeline_wallet_and_whitespace(programme, sales, tmp_path):
    (tmp_path / "o.csv").write_text(OPPORTUNITIES)
    (tmp_path / "w.csv").write_text(WALLETS)
    imported = run("opportunities", "import", str(tmp_path / "o.csv"))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["inserted"] == 1
    assert run("import", "wallet", str(tmp_path / "w.csv")).exit_code == 0
    total = json.loads(run("opportunities", "pipeline").stdout)["total"]
    assert (total["value"], total["weighted"]) == (40000.0, 10000.0)
    found = json.loads(run("whitespace", "C-OWN").stdout)
    cells = {(c["category"], c["business_unit"]): c["state"] for c in found["cells"]}
    assert cells[("Valves", "North")] == "in_pipeline"
    pumps = next(c for c in found["categories"] if c["category"] == "Pumps")
    assert (pumps["wallet_source"], pumps["share_of_wallet"]) == ("entered", 0.25)


def test_a_refused_file_names_line_and_column(programme, sales, tmp_path):
    (tmp_path / "w.csv").write_text("customer_id,category,amount\nC-OWN,Pumps,lots\n")
    refused = run("import", "wallet", str(tmp_path / "w.csv"))
    assert refused.exit_code == 1
    problem = json.loads(refused.stdout)["problems"][0]
    assert (problem["line"], problem["column"]) == (2, "amount")
