"""The `kam` command, driven through Typer's runner against the test databases."""

import pytest
from typer.testing import CliRunner

from kam.accounts.models import Account
from kam.cli import app
from kam.people.roles import Role

runner = CliRunner()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, "admin")


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_import_with_a_column_mapping_creates_the_accounts(store, admin, tmp_path):
    file = _write(tmp_path / "crm.csv", "Cust,Company\nA1,Acme\nA2,Bolt\n")
    result = runner.invoke(
        app, ["import", "customers", str(file), "--map", "customer_id=Cust", "-m", "name=Company"]
    )
    assert result.exit_code == 0, result.output
    assert "inserted" in result.output
    assert set(Account.objects.values_list("name", flat=True)) == {"Acme", "Bolt"}


def test_a_refused_file_names_line_and_column_and_exits_non_zero(store, admin, tmp_path):
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


def test_a_user_without_the_right_is_told_so(store, make_user, tmp_path):
    make_user(Role.VIEWER, "vera")
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--as", "vera"])
    assert result.exit_code == 3
    assert "vera may not import data" in result.output
    assert not Account.objects.exists()


def test_an_unknown_acting_user_gets_a_hint(store, db, tmp_path):
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--as", "nobody"])
    assert result.exit_code == 2
    assert "No user 'nobody'" in result.output


def test_a_malformed_mapping_is_refused_before_reading(store, admin, tmp_path):
    file = _write(tmp_path / "c.csv", "customer_id,name\nA1,Acme\n")
    result = runner.invoke(app, ["import", "customers", str(file), "--map", "oops"])
    assert result.exit_code == 2
    assert "canonical=Header" in result.output


def test_demo_if_empty_loads_a_fresh_install_once(store, transactional_db):
    first = runner.invoke(app, ["demo", "--if-empty", "--customers", "60", "--seed", "5"])
    assert first.exit_code == 0, first.output
    assert Account.objects.count() == 60
    second = runner.invoke(app, ["demo", "--if-empty", "--customers", "60", "--seed", "5"])
    assert second.exit_code == 0, second.output
    assert "already has data" in second.output
