"""`kam demo`: loads a fresh install, refuses to merge into data unless forced by someone
allowed to, and never changes the password of a user who already exists."""

import pytest
from cli_output import parse_json

from kam.accounts.models import Account
from kam.analytics.demo import DEMO_PASSWORD
from kam.cli import app
from kam.people.models import User
from kam.people.roles import Role

DEMO = ["demo", "--customers", "12", "--seed", "5"]
OWN_PASSWORD = "Our own admin passphrase"


@pytest.fixture
def existing_data(runner, store, make_user, tmp_path):
    """An install that holds one customer of its own, imported by its Administrator."""
    admin = make_user(Role.ADMINISTRATOR, "admin")
    admin.set_password(OWN_PASSWORD)
    admin.save()
    file = tmp_path / "ours.csv"
    file.write_text("customer_id,name\nOURS-1,Our Customer\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "customers", str(file)]).exit_code == 0
    return admin


def test_demo_refuses_an_install_that_holds_data(runner, existing_data, transactional_db):
    result = runner.invoke(app, DEMO)
    assert result.exit_code == 1
    assert "already holds 1 account and 0 transaction lines" in result.stderr
    assert "--force" in result.stderr
    assert list(Account.objects.values_list("customer_id", flat=True)) == ["OURS-1"]
    assert not User.objects.filter(username="head").exists()


def test_demo_force_is_refused_for_a_viewer(runner, existing_data, make_user, transactional_db):
    make_user(Role.VIEWER, "vera")
    result = runner.invoke(app, [*DEMO, "--force", "--as", "vera"])
    assert result.exit_code == 3
    assert "vera may not load demo" in result.stderr
    assert Account.objects.count() == 1
    assert not User.objects.filter(username="head").exists()


def test_demo_force_merges_for_an_administrator_and_keeps_their_password(
    runner, existing_data, transactional_db
):
    result = runner.invoke(
        app, [*DEMO, "--force", "--as", "admin", "--as-of", "2026-06-30", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    assert figures["as_of"] <= "2026-06-30"  # the last business day up to the date asked
    assert figures["as_of"] >= "2026-06-26"
    assert figures["customers"]["inserted"] == 12
    assert figures["users_kept"] == ["admin"]
    assert "head" in figures["users_created"]
    assert Account.objects.count() == 13
    admin = User.objects.get(username="admin")
    assert admin.check_password(OWN_PASSWORD)
    assert not admin.check_password(DEMO_PASSWORD)


def test_demo_loads_an_empty_store_once_and_leaves_existing_users_as_they_were(
    runner, store, make_user, transactional_db
):
    # Users alone are no data: the demo loads, but the people already there keep everything.
    admin = make_user(Role.ADMINISTRATOR, "admin")
    admin.set_password(OWN_PASSWORD)
    admin.save()
    head = make_user(Role.HEAD_OF_KAM, "head", first_name="Our", last_name="Head")
    first = runner.invoke(app, [*DEMO, "--if-empty"])
    assert first.exit_code == 0, first.output
    assert Account.objects.count() == 12
    assert "passwords unchanged" in first.stdout
    assert "admin" in first.stdout
    admin.refresh_from_db()
    head.refresh_from_db()
    assert admin.check_password(OWN_PASSWORD)
    assert head.check_password("pw-for-tests")
    assert (head.first_name, head.last_name) == ("Our", "Head")
    markus = User.objects.get(username="markus.hofmann")
    assert markus.check_password(DEMO_PASSWORD)
    assert markus.must_change_password  # the published password is for the first sign-in only
    assert not admin.must_change_password
    assert "changed at the first sign-in" in first.stdout

    second = runner.invoke(app, [*DEMO, "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "already has data" in second.output
    assert Account.objects.count() == 12


def test_demo_is_refused_on_a_production_install(runner, store, settings, transactional_db):
    settings.PRODUCTION = True
    refused = runner.invoke(app, DEMO)
    assert refused.exit_code == 1
    assert "production install" in refused.stderr
    assert "--in-production" in refused.stderr
    assert not User.objects.exists()
    assert Account.objects.count() == 0

    loaded = runner.invoke(app, [*DEMO, "--in-production", "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert "head" in parse_json(loaded.stdout)["users_created"]
    assert all(user.must_change_password for user in User.objects.all())
