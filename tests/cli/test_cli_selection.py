"""`kam score`, `kam cycle` and `kam policy`: selection from the command line, with --json."""

from cli_output import parse_json

from kam.cli import app
from kam.selection.models import CycleDecision, PolicyVersion, ScoreRun


def test_score_json_gives_the_run_and_its_tier_by_type_counts(runner, portfolio, head_of_kam):
    result = runner.invoke(app, ["score", "--as", "head", "--json"])
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    run = ScoreRun.objects.get()
    assert figures["run"] == run.pk
    assert figures["customers"] == run.customers == 20
    assert figures["as_of"] == run.as_of.isoformat()
    key_tiers = [t for t in figures["tiers"] if t["tier"] != "high_potential"]
    assert sum(t["all"] for t in key_tiers) == figures["key_accounts"] == run.key_accounts
    assert set(figures["types"]) == {"strategic", "status", "star", "streamline"}
    # No dated lines in this portfolio: the lifetime-value models cannot run, and say so.
    assert figures["future_value_model"] is None
    assert "bought more than once" in figures["future_value_note"]


def test_score_prints_the_same_counts_as_a_table(runner, portfolio, head_of_kam):
    result = runner.invoke(app, ["score", "--as", "head"])
    assert result.exit_code == 0, result.output
    run = ScoreRun.objects.get()
    assert f"{run.key_accounts:,} key accounts" in result.stdout
    assert "Tier 1" in result.stdout
    assert "Predicted future value missing" in result.stdout


def test_a_bad_as_of_is_a_usage_error_naming_the_value(runner, portfolio, head_of_kam):
    result = runner.invoke(app, ["score", "--as", "head", "--as-of", "2024-13-45"])
    assert result.exit_code == 2
    assert "'2024-13-45' is not a date; use YYYY-MM-DD" in result.output
    assert not ScoreRun.objects.exists()


def test_a_viewer_may_not_score(runner, portfolio, viewer):
    result = runner.invoke(app, ["score", "--as", "viewer"])
    assert result.exit_code == 3
    assert "viewer may not run selection" in result.stderr
    assert not ScoreRun.objects.exists()


def test_cycle_show_json_lists_every_decision(runner, portfolio, head_of_kam, viewer):
    proposed = runner.invoke(app, ["cycle", "new", "--as", "head", "--name", "FY25"])
    assert proposed.exit_code == 0, proposed.output
    result = runner.invoke(app, ["cycle", "show", "--as", "viewer", "--json"])
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    assert figures["name"] == "FY25"
    assert len(figures["decisions"]) == CycleDecision.objects.count() > 0
    assert figures["counts"]["key"] == sum(d["is_key"] for d in figures["decisions"])
    assert figures["counts"]["add"] == figures["counts"]["key"]  # nothing published before
    keys = [d for d in figures["decisions"] if d["is_key"]]
    assert [d["rank"] for d in keys] == sorted(d["rank"] for d in keys)
    assert all(d["reasons"] for d in keys)


def test_cycle_publish_makes_the_key_accounts(runner, portfolio, head_of_kam):
    assert runner.invoke(app, ["cycle", "new", "--as", "head"]).exit_code == 0
    result = runner.invoke(app, ["cycle", "publish", "--approve", "--as", "head", "--json"])
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    assert figures["status"] == "published"


def test_an_inactive_user_sees_no_cycle(runner, portfolio, head_of_kam, viewer):
    assert runner.invoke(app, ["cycle", "new", "--as", "head"]).exit_code == 0
    viewer.is_active = False
    viewer.save()
    result = runner.invoke(app, ["cycle", "show", "--as", "viewer"])
    assert result.exit_code == 3
    assert "Not allowed" in result.stderr
    assert result.stdout == ""


def test_policy_export_and_import_on_the_command_line(runner, db, head_of_kam, tmp_path):
    target = tmp_path / "policy.toml"
    exported = runner.invoke(app, ["policy", "export", str(target), "--as", "head"])
    assert exported.exit_code == 0, exported.output
    target.write_text(
        target.read_text().replace("key_account_share = 0.15", "key_account_share = 0.05")
    )
    result = runner.invoke(app, ["policy", "import", str(target), "--as", "head"])
    assert result.exit_code == 0, result.output
    assert PolicyVersion.objects.get(version=2).policy().key_account_share == 0.05
