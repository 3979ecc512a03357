"""`kam import`: files in through the import services, as a user, with --json."""

from cli_output import parse_json

from kam.accounts.models import Account
from kam.cli import app
from kam.people.roles import Role


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_import_with_a_column_mapping_creates_the_accounts(runner, store, admin, tmp_path):
    file = _write(tmp_path / "crm.csv", "Cust,Company\nA1,Acme\nA2,Bolt\n")
    result = runner.invoke(
        app, ["import", "customers", str(file), "--map", "customer_id=Cust", "-m", "name=Company"]
    )
    assert result.exit_code == 0, result.output
    assert "inserted" in result.output
    assert set(Account.objects.values_list("name", flat=True)) == {"Acme", "Bolt"}


def test_import_json_gives_the_report_figures(runner, store, admin, tmp_path):
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\nA2,Bolt\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--json"])
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    assert figures["kind"] == "customers"
    assert (figures["rows"], figures["inserted"], figures["updated"]) == (2, 2, 0)


def test_a_refused_file_names_line_and_column_and_exits_non_zero(runner, store, admin, tmp_path):
    good = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    assert runner.invoke(app, ["import", "customers", str(good)]).exit_code == 0
    bad = _write(
        tmp_path / "lines.csv",
        "invoice_id,line_id,customer_id,date,quantity,revenue\n"
        "I1,1,A1,2024-01-05,2,100\n"
        "I1,2,ZZ,2024-13-05,2,100\n",
    )
    problems = tmp_path / "problems.csv"
    result = runner.invoke(
        app, ["import", "transactions", str(bad), "--problems-out", str(problems)]
    )
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "line 3" in result.output
    assert "customer_id" in result.output
    assert "date" in result.output
    assert problems.read_text().count("lines.csv") >= 2

    as_json = runner.invoke(app, ["import", "transactions", str(bad), "--json"])
    assert as_json.exit_code == 1
    refused = parse_json(as_json.stdout)
    assert refused["refused"] is True
    assert {(p["line"], p["column"]) for p in refused["problems"]} >= {
        (3, "customer_id"),
        (3, "date"),
    }


def test_a_user_without_the_right_is_told_so(runner, store, make_user, tmp_path):
    make_user(Role.VIEWER, "vera")
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--as", "vera"])
    assert result.exit_code == 3
    assert "vera may not import data" in result.output
    assert not Account.objects.exists()


def test_an_unknown_acting_user_gets_a_hint(runner, store, db, tmp_path):
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--as", "nobody"])
    assert result.exit_code == 2
    assert "No user 'nobody'" in result.output


def test_without_as_the_first_administrator_acts_whatever_their_name(
    runner, store, make_user, tmp_path, monkeypatch
):
    monkeypatch.delenv("KAM_USER", raising=False)
    make_user(Role.HEAD_OF_KAM, "hannah")
    make_user(Role.ADMINISTRATOR, "boss")
    make_user(Role.ADMINISTRATOR, "second")
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file)])
    assert result.exit_code == 0, result.output
    assert "Acting as boss" in result.stderr
    assert Account.objects.filter(customer_id="A1").exists()


def test_kam_user_picks_the_acting_user(runner, store, make_user, tmp_path, monkeypatch):
    make_user(Role.ADMINISTRATOR, "boss")
    make_user(Role.VIEWER, "vera")
    monkeypatch.setenv("KAM_USER", "vera")
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file)])
    assert result.exit_code == 3
    assert "vera may not import data" in result.output


def test_without_any_administrator_the_message_says_what_to_do(
    runner, store, make_user, tmp_path, monkeypatch
):
    monkeypatch.delenv("KAM_USER", raising=False)
    make_user(Role.HEAD_OF_KAM, "hannah")
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file)])
    assert result.exit_code == 2
    assert "no Administrator yet" in result.stderr
    assert "kam user add NAME --role Administrator" in result.stderr
    assert not Account.objects.exists()


def test_a_malformed_mapping_is_refused_before_reading(runner, store, admin, tmp_path):
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--map", "oops"])
    assert result.exit_code == 2
    assert "canonical=Header" in result.output
