"""`kam clv fit` and `kam clv show`: both fits of every model, the spend model's likelihood,
JSON without NaN, and tables that keep every column when piped."""

import dataclasses
import datetime as dt

from cli_output import parse_json

from kam.cli import app
from kam.selection import services


def test_clv_fit_prints_both_models_and_the_holdout(runner, buying, head_of_kam):
    result = runner.invoke(app, ["clv", "fit", "--holdout-weeks", "26", "--as", "head"])
    assert result.exit_code == 0, result.output
    for text in ("BG/NBD", "Pareto/NBD", "Gamma-Gamma", "holdout", "MAE", "Chosen"):
        assert text in result.stdout
    assert "frequency/spend correlation" in result.stdout
    assert "None" not in result.stdout
    assert "nan" not in result.stdout.lower()


def test_clv_fit_prints_the_calibration_fit_and_the_spend_likelihood(runner, buying, head_of_kam):
    text = runner.invoke(app, ["clv", "fit", "--as", "head"])
    as_json = runner.invoke(app, ["clv", "fit", "--as", "head", "--json"])
    assert text.exit_code == as_json.exit_code == 0, text.output + as_json.output
    figures = parse_json(as_json.stdout)
    as_of = dt.date.fromisoformat(figures["as_of"])
    calibration_end = (as_of - dt.timedelta(weeks=26)).isoformat()
    assert figures["calibration_end"] == calibration_end
    lines = text.stdout.splitlines()
    for model in figures["purchase_models"]:
        whole, calibration = model["fit"], model["calibration_fit"]
        assert calibration is not None
        assert calibration["params"].keys() == whole["params"].keys()
        assert calibration["params"] != whole["params"]
        for fit in (whole, calibration):
            estimate = f"{next(iter(fit['params'].values())):.4g}"
            assert any(estimate in line for line in lines), estimate
    assert sum(f"calibration to {calibration_end}" in line for line in lines) >= 2
    spend = figures["spend"]
    assert spend["log_likelihood"] < 0
    gamma_gamma = [line for line in lines if line.strip("│ ").startswith("Gamma-Gamma")]
    assert any(f"{spend['log_likelihood']:,.1f}" in line for line in gamma_gamma)


def test_clv_fit_json_has_the_same_choice_and_no_nan(runner, buying, head_of_kam):
    result = runner.invoke(app, ["clv", "fit", "--as", "head", "--json"])
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    assert figures["chosen"] in {"bgnbd", "pareto_nbd"}
    assert figures["chosen_label"] in ("BG/NBD", "Pareto/NBD")
    assert figures["reason"]
    assert figures["customers"] == len(buying)
    assert {m["model"] for m in figures["purchase_models"]} == {"bgnbd", "pareto_nbd"}
    for model in figures["purchase_models"]:
        assert model["holdout"]["by_frequency"]
        assert model["holdout"]["mae"] >= 0
    assert figures["settings"]["holdout_weeks"] == 26


def test_without_a_holdout_the_title_says_so(runner, buying, head_of_kam):
    result = runner.invoke(app, ["clv", "fit", "--holdout-weeks", "0", "--as", "head"])
    assert result.exit_code == 0, result.output
    assert "no holdout check: none asked for" in result.stdout
    assert "fitted to None" not in result.stdout
    assert "None" not in result.stdout
    figures = parse_json(
        runner.invoke(app, ["clv", "fit", "--holdout-weeks", "0", "--as", "head", "--json"]).stdout
    )
    assert figures["calibration_end"] is None
    assert all(m["calibration_fit"] is None for m in figures["purchase_models"])


def test_piped_tables_keep_every_column(runner, buying, head_of_kam, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    result = runner.invoke(app, ["clv", "fit", "--as", "head"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "log-likelihood" in line)
    for column in ("model", "calibration LL", "converged", "MAE", "RMSE", "correlation"):
        assert column in header  # one line: no column cut or wrapped at 80
    assert max(len(line) for line in lines) > 80


def test_clv_fit_says_why_it_cannot(runner, portfolio, head_of_kam):
    result = runner.invoke(app, ["clv", "fit", "--as", "head"])
    assert result.exit_code == 1
    assert "bought more than once" in result.output


def test_clv_show_prints_one_account(runner, buying, head_of_kam):
    services.do_run_scoring(head_of_kam)
    result = runner.invoke(app, ["clv", "show", buying[0], "--as", "head"])
    assert result.exit_code == 0, result.output
    assert "Predicted value" in result.stdout
    assert "90% range" in result.stdout
    missing = runner.invoke(app, ["clv", "show", "nobody", "--as", "head"])
    assert missing.exit_code == 1


def test_clv_show_json_matches_the_account_page_query(runner, buying, head_of_kam):
    from kam.selection.queries import account_future_value

    services.do_run_scoring(head_of_kam)
    result = runner.invoke(app, ["clv", "show", buying[0], "--as", "head", "--json"])
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    found = account_future_value(head_of_kam, buying[0])
    assert found is not None
    assert found.row is not None
    assert figures["clv"] == found.row["clv"]
    assert figures["clv_lower"] <= figures["clv"] <= figures["clv_upper"]
    assert 0 <= figures["p_alive"] <= 1
    assert len(figures["p_alive_history"]) == len(found.history)


def test_a_viewer_gets_no_money_from_clv_show(runner, buying, head_of_kam, viewer):
    """Lifetime value in money is a financial figure: absent for a Viewer, --json included."""
    services.do_run_scoring(head_of_kam)
    figures = parse_json(
        runner.invoke(app, ["clv", "show", buying[0], "--as", "viewer", "--json"]).stdout
    )
    assert not {"clv", "clv_lower", "clv_upper", "expected_spend"} & set(figures)
    assert 0 <= figures["p_alive"] <= 1  # what is not money stays
    printed = runner.invoke(app, ["clv", "show", buying[0], "--as", "viewer"])
    assert printed.exit_code == 0, printed.output
    assert "Predicted value" not in printed.stdout
    assert "P(alive) now" in printed.stdout


def test_clv_show_checks_the_acting_users_permission(runner, buying, head_of_kam, viewer):
    services.do_run_scoring(head_of_kam)
    viewer.is_active = False
    viewer.save()
    result = runner.invoke(app, ["clv", "show", buying[0], "--as", "viewer"])
    assert result.exit_code == 3
    assert "Not allowed" in result.stderr
    assert "Predicted value" not in result.stdout


def test_a_field_the_result_gains_reaches_json_and_the_terminal(buying, head_of_kam, capsys):
    from kam.analytics.clv.future_value import FutureValue
    from kam.cli.clv import fit_figures, print_fit
    from kam.selection.queries import future_value_check

    @dataclasses.dataclass(frozen=True)
    class WithFallback(FutureValue):
        fallback: str = ""

    result = future_value_check(head_of_kam)
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    noted = WithFallback(**fields, fallback="Pareto/NBD did not converge; BG/NBD used")
    figures = fit_figures(noted)
    assert figures["fallback"] == "Pareto/NBD did not converge; BG/NBD used"
    print_fit(figures)
    assert "Fallback: Pareto/NBD did not converge; BG/NBD used" in capsys.readouterr().out


def imported(company, tmp_path, admin) -> None:
    from kam.accounts.services import do_import_customers, do_import_transactions
    from kam.analytics.demo import write_demo_files

    files = write_demo_files(company, tmp_path / "files")
    do_import_customers(admin, files.customers)
    do_import_transactions(admin, files.transactions)


def test_clv_fit_says_which_limit_it_used_and_why(runner, db, store, tmp_path, admin, head_of_kam):
    from kam.analytics.demo import generate_steady_company

    imported(generate_steady_company(seed=7, customers=600), tmp_path, admin)
    text = runner.invoke(app, ["clv", "fit", "--as", "head"], env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())  # the notes wrap at the terminal's width
    assert "at its limit" in out  # the checks table's status column
    assert "ran off" in out  # the parameters the optimiser ran off to, beside the limit's
    assert "BG/NBD: The BG/NBD ran to the edge of its parameter space: r and alpha ran off" in out
    assert "kam uses its limit, the BG/NBD with one purchase rate" in out
    assert "Chosen:" in out
    assert "A scoring run (kam score, Re-score) fits BG/NBD only" in out
    assert "nan" not in out.lower()
    figures = parse_json(runner.invoke(app, ["clv", "fit", "--as", "head", "--json"]).stdout)
    bgnbd = next(m for m in figures["purchase_models"] if m["model"] == "bgnbd")
    assert bgnbd["status"] == "limit"
    assert bgnbd["usable"] is True
    assert bgnbd["fit_label"] == "BG/NBD with one purchase rate and one dropout probability"
    assert bgnbd["fit"]["model"] == "bgnbd_one_rate_one_p"
    assert bgnbd["own_fit"]["params"]["r"] > 1e5
    assert "r and alpha ran off together" in bgnbd["note"]
    assert "one purchase rate" in figures["chosen_label"]
    assert figures["missing"] == 0


def test_clv_fit_never_chooses_a_model_that_did_not_converge(
    runner, db, store, tmp_path, admin, head_of_kam
):
    from kam.analytics.demo import generate_demo_company

    imported(generate_demo_company(seed=7, customers=500), tmp_path, admin)
    text = runner.invoke(app, ["clv", "fit", "--as", "head"], env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())
    assert "no: not used" in out
    assert "Pareto/NBD: The Pareto/NBD did not converge: s and beta ran off together" in out
    assert "Chosen: BG/NBD —" in out
    figures = parse_json(runner.invoke(app, ["clv", "fit", "--as", "head", "--json"]).stdout)
    pareto = next(m for m in figures["purchase_models"] if m["model"] == "pareto_nbd")
    assert pareto["status"] == "failed"
    assert pareto["usable"] is False
    assert figures["chosen"] == "bgnbd"
    assert "not used" in figures["reason"]


def test_score_names_the_model_behind_the_predicted_values(
    runner, db, store, tmp_path, admin, head_of_kam
):
    from kam.analytics.demo import generate_steady_company

    imported(generate_steady_company(seed=7, customers=400), tmp_path, admin)
    text = runner.invoke(app, ["score", "--as", "head"], env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())
    assert "Predicted future value from BG/NBD with one purchase rate" in out
    assert "ran to the edge of its parameter space" in out
    figures = parse_json(runner.invoke(app, ["score", "--as", "head", "--json"]).stdout)
    assert figures["future_value_model"] == "bgnbd_one_rate_one_p"
    assert "one purchase rate" in figures["future_value_label"]
    assert figures["future_value_missing"] == 0
