"""`kam export` and `kam restore`: the demo company out and back into an empty install
compares equal — every model's rows, every store table and the score snapshots — and a
restore refuses a non-empty install without --force, a changed or missing file (naming it)
and a user who is not an Administrator."""

import json
from pathlib import Path

import duckdb
import pytest
from cli_output import parse_json
from django.core.management import call_command

from kam.accounts.models import Account
from kam.backup import _serialised, backed_up_models
from kam.cli import app
from kam.people.models import User
from kam.people.roles import Role

DEMO = ["demo", "--customers", "60", "--seed", "5", "--as-of", "2026-06-30"]


def operational_rows() -> dict[str, list]:
    """Every backed-up model's rows as the export serialises them (many-to-many links
    included), and as the database gives them back, to the microsecond."""
    rows = {
        model._meta.label_lower: [
            list(_serialised(model)),
            list(model._base_manager.order_by("pk").values()),
        ]
        for model in backed_up_models()
    }
    # A role is its name (exported by natural key): the install's own groups keep their ids.
    if "auth.group" in rows:
        dumped, stored = rows["auth.group"]
        rows["auth.group"] = [dumped, sorted(g["name"] for g in stored)]
    return rows


def store_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table and view of the store at ``path``, all rows, in a fixed order."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() UNION ALL "
                "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in names
        }
    finally:
        con.close()


def store_path(settings) -> Path:
    return Path(settings.ANALYTICS_URL.removeprefix("duckdb://"))


@pytest.fixture
def exported(runner, store, admin, portfolio, tmp_path) -> Path:
    """A small install (twenty accounts and their months) exported by its Administrator."""
    result = runner.invoke(app, ["export", str(tmp_path / "export"), "--as", "admin"])
    assert result.exit_code == 0, result.output
    return tmp_path / "export"


def test_the_demo_company_exported_and_restored_into_an_empty_install_compares_equal(
    runner, store, settings, make_user, tmp_path, transactional_db
):
    assert runner.invoke(app, DEMO).exit_code == 0
    before_rows, before_store = operational_rows(), store_rows(store_path(settings))
    before_ids = list(User.objects.values_list("pk", flat=True))
    assert before_store["score_snapshots"], "the demo scores its accounts"

    result = runner.invoke(app, ["export", str(tmp_path / "export"), "--json"])
    assert result.exit_code == 0, result.output
    exported = parse_json(result.stdout)
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert exported["rows"] == sum(entry["rows"] for entry in manifest["files"])
    users = next(e for e in manifest["files"] if e["name"] == "people.user")
    assert users["rows"] == User.objects.count()
    assert "people" in manifest["migrations"]
    assert {e["kind"] for e in manifest["files"]} >= {"model", "store_table", "snapshot"}

    # An empty install: a new database and a new store file.
    call_command("flush", interactive=False, verbosity=0)
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'elsewhere' / 'analytics.duckdb'}"
    assert not User.objects.exists()

    result = runner.invoke(app, ["restore", str(tmp_path / "export"), "--json"])
    assert result.exit_code == 0, result.output
    assert parse_json(result.stdout)["replaced"] is False
    after_rows = operational_rows()
    # The restored trail is the export's, and then one entry saying the restore happened.
    dumped, stored = after_rows.pop("audit.auditentry")
    before_dumped, before_stored = before_rows.pop("audit.auditentry")
    assert [row for row in stored if row["action"] == "restored"] == [stored[-1]]
    assert stored[:-1] == before_stored
    assert [line for line in dumped if '"action": "restored"' not in line] == before_dumped
    assert after_rows == before_rows
    assert store_rows(store_path(settings)) == before_store
    # The ids go on from the restored rows (PostgreSQL's sequences are reset to them).
    assert make_user(Role.VIEWER, "after-restore").pk > max(before_ids)


def test_a_restore_into_an_install_holding_data_needs_force(
    runner, exported, settings, tmp_path, transactional_db
):
    Account.objects.create(customer_id="LATER-1", name="Added after the export")
    result = runner.invoke(app, ["restore", str(exported), "--as", "admin"])
    assert result.exit_code == 1
    assert "already holds data" in result.stderr
    assert "--force" in result.stderr
    assert Account.objects.filter(customer_id="LATER-1").exists()

    result = runner.invoke(app, ["restore", str(exported), "--as", "admin", "--force", "--json"])
    assert result.exit_code == 0, result.output
    assert parse_json(result.stdout)["replaced"] is True
    assert not Account.objects.filter(customer_id="LATER-1").exists()
    assert Account.objects.count() == 20


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("operational/people.user.jsonl", "edit"),
        ("store/customer_month.parquet", "edit"),
        ("store/customers.parquet", "delete"),
        ("store/schema.json", "edit"),
    ],
)
def test_a_changed_or_missing_file_is_refused_by_name_and_nothing_changes(
    runner, exported, settings, path, change
):
    file = exported / path
    if change == "edit":
        file.write_bytes(file.read_bytes().replace(b"e", b"E", 1))
    else:
        file.unlink()
    User.objects.filter(username="admin").update(first_name="Still here")
    before = store_rows(store_path(settings))

    result = runner.invoke(app, ["restore", str(exported), "--as", "admin", "--force"])
    assert result.exit_code == 1
    assert path in result.stderr
    assert ("missing" if change == "delete" else "checksum") in result.stderr
    assert User.objects.get(username="admin").first_name == "Still here"
    assert store_rows(store_path(settings)) == before


def test_an_export_without_its_manifest_is_refused(runner, exported):
    (exported / "manifest.json").unlink()
    result = runner.invoke(app, ["restore", str(exported), "--force"])
    assert result.exit_code == 1
    assert "manifest.json is missing" in result.stderr


def test_only_an_administrator_exports_or_restores(runner, exported, make_user, tmp_path):
    make_user(Role.HEAD_OF_KAM, "hannah")
    result = runner.invoke(app, ["export", str(tmp_path / "theirs"), "--as", "hannah"])
    assert result.exit_code == 3
    assert "hannah may not export kam" in result.stderr
    assert not (tmp_path / "theirs" / "manifest.json").exists()

    result = runner.invoke(app, ["restore", str(exported), "--as", "hannah", "--force"])
    assert result.exit_code == 3
    assert "hannah may not restore kam" in result.stderr
    assert User.objects.filter(username="hannah").exists()


def test_an_export_never_writes_into_a_directory_that_holds_files(runner, exported):
    result = runner.invoke(app, ["export", str(exported), "--as", "admin"])
    assert result.exit_code == 1
    assert "not an empty directory" in result.stderr
