"""`kam user add`: passwords asked for hidden and twice, or read from standard input, and
held to the password validators; and on a new install the database is set up first."""

import os
import sqlite3
import subprocess
import sys

import pytest
from cli_output import parse_json

from kam.cli import app
from kam.people.models import User
from kam.people.roles import Role

GOOD = "correct horse battery"


def test_the_password_is_asked_for_hidden_and_twice(runner, db):
    result = runner.invoke(
        app, ["user", "add", "kim", "--role", "Key Account Manager"], input=f"{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert "Repeat for confirmation:" in result.output
    assert GOOD not in result.output  # hidden: never echoed
    kim = User.objects.get(username="kim")
    assert kim.check_password(GOOD)
    assert kim.roles() == {Role.KEY_ACCOUNT_MANAGER}


def test_a_mistyped_confirmation_saves_nothing(runner, db):
    result = runner.invoke(
        app, ["user", "add", "kim", "--role", "Viewer"], input=f"{GOOD}\n{GOOD}x\n"
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert not User.objects.filter(username="kim").exists()


def test_scripts_give_the_password_on_standard_input(runner, db):
    result = runner.invoke(
        app,
        ["user", "add", "kim", "--role", "administrator", "--password-stdin"],
        input=f"{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    kim = User.objects.get(username="kim")
    assert kim.check_password(GOOD)
    assert kim.roles() == {Role.ADMINISTRATOR}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("k", "too short"),
        ("abc1234", "too short"),
        ("12345678901", "entirely numeric"),
        ("password123", "too common"),
        ("helena1234", "too similar"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(runner, db, password, reason):
    result = runner.invoke(
        app,
        [
            *("user", "add", "helena", "--role", "Viewer", "--password-stdin"),
            *("--first-name", "Helena", "--last-name", "Brandt"),
        ],
        input=f"{password}\n",
    )
    assert result.exit_code == 2
    assert "Password refused, nothing saved" in result.stderr
    assert reason in result.stderr
    assert not User.objects.filter(username="helena").exists()


def test_an_unknown_role_names_the_roles(runner, db):
    result = runner.invoke(
        app, ["user", "add", "kim", "--role", "Boss", "--password-stdin"], input=f"{GOOD}\n"
    )
    assert result.exit_code == 2
    assert "Unknown role 'Boss'" in result.stderr
    assert "Head of KAM" in result.stderr


def _kam(data_dir, *args, stdin=""):
    """Run the real `kam` command in a fresh data directory, as a newcomer would."""
    env = {
        **os.environ,
        "KAM_DATA_DIR": str(data_dir),
        "KAM_DATABASE_URL": f"sqlite:///{data_dir / 'kam.sqlite3'}",
        "KAM_ANALYTICS_URL": f"duckdb://{data_dir / 'analytics.duckdb'}",
    }
    env.pop("KAM_USER", None)
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_user_add_before_setup_sets_the_database_up(tmp_path):
    added = _kam(
        tmp_path, "user", "add", "boss", "--role", "Administrator", "--password-stdin",
        stdin=f"{GOOD}\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "no such table" not in added.stderr
    assert "setting up the database" in added.stderr
    assert "User boss created" in added.stdout

    # A database an upgrade left behind is not patched up silently: it says what to run.
    with sqlite3.connect(tmp_path / "kam.sqlite3") as con:
        con.execute("DELETE FROM django_migrations WHERE app = 'plans'")
    outdated = _kam(
        tmp_path, "user", "add", "kim", "--role", "Viewer", "--password-stdin", stdin=f"{GOOD}\n"
    )
    assert outdated.returncode == 2
    assert "needs upgrading" in outdated.stderr
    assert "Run `kam setup`" in outdated.stderr
    assert "no such table" not in outdated.stderr


def test_user_list_shows_each_users_roles(runner, make_user):
    make_user(Role.HEAD_OF_KAM, "head", first_name="Helena", last_name="Brandt")
    make_user(Role.ANALYST, "ana", must_change_password=True)
    gone = make_user(Role.VIEWER, "gone")
    gone.is_active = False
    gone.save()
    table = runner.invoke(app, ["user", "list"])
    assert table.exit_code == 0, table.output
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if line.count("│") > 3}
    assert "Head of KAM" in lines["head"]
    assert "Helena Brandt" in lines["head"]
    assert "Analyst" in lines["ana"]
    assert "must change password" in lines["ana"]
    assert "deactivated" in lines["gone"]

    listed = runner.invoke(app, ["user", "list", "--json"])
    rows = {row["username"]: row for row in parse_json(listed.stdout)}
    assert rows["head"]["roles"] == ["Head of KAM"]
    assert rows["ana"]["must_change_password"] is True
    assert rows["gone"]["active"] is False
    assert (rows["head"]["min_key_accounts"], rows["head"]["max_key_accounts"]) == (5, 10)


def test_user_list_on_an_install_without_users_says_how_to_add_one(runner, db):
    result = runner.invoke(app, ["user", "list"])
    assert result.exit_code == 0
    assert "kam user add" in result.stdout
    assert parse_json(runner.invoke(app, ["user", "list", "--json"]).stdout) == []
