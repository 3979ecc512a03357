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
from kam.audit.models import AuditEntry
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


# --- The spark engine: the invoice lines live in the lake (KAM_ANALYTICS_ENGINE=spark).
# These tests run in the process that runs the other Spark tests (conftest.py).

ON_SPARK = pytest.mark.xdist_group("spark")

LINES = [
    # invoice, line, customer, date, quantity, revenue, cost
    ("I-1", "1", "C1", "2025-01-15", 2.0, 120.0, 80.0),
    ("I-1", "2", "C1", "2025-01-15", 1.0, 30.5, 20.0),
    ("I-2", "1", "C2", "2025-02-03", 5.0, 500.0, 350.0),
    ("I-3", "1", "C1", "2025-03-28", 1.0, 75.25, 50.0),
    ("I-4", "1", "C3", "2025-03-30", 3.0, 210.0, 140.0),
]
MONTHLY_TABLES = ("transactions", "customer_month", "customer_day")


def _line_files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    customers = folder / "customers.csv"
    customers.write_text(
        "customer_id,name,region,segment\n"
        "C1,Acme,EMEA,Retail\nC2,Bolt,Americas,Energy\nC3,Crane,EMEA,Retail\n"
    )
    lines = folder / "lines.csv"
    lines.write_text(
        "invoice_id,line_id,customer_id,date,quantity,revenue,cost\n"
        + "".join(",".join(map(str, row)) + "\n" for row in LINES)
    )
    return customers, lines


def _import_lines(runner, folder: Path) -> None:
    """The customers and ``LINES`` imported through ``kam import``, as the administrator."""
    for kind, file in zip(("customers", "transactions"), _line_files(folder), strict=True):
        result = runner.invoke(app, ["import", kind, str(file), "--as", "admin"])
        assert result.exit_code == 0, result.output


def _engine(settings, engine: str, folder: Path) -> None:
    """Point the install at a new store file (and, on spark, a new lake) under ``folder``."""
    settings.ANALYTICS_URL = f"duckdb://{folder / 'analytics.duckdb'}"
    settings.ANALYTICS_ENGINE = engine
    settings.LAKE_URL = str(folder / "lake")


def _lines_figures(engine: str, settings) -> dict[str, tuple[int, str]]:
    """Rows and the order-free checksum of the install's lines and rollups: the lake's on
    spark, the store's own tables embedded."""
    from kam.analytics.lake import Lake
    from kam.analytics.lake_export import checksum_sql

    con = duckdb.connect()
    try:
        figures = {}
        for table in MONTHLY_TABLES:
            if engine == "spark":
                select = Lake(Path(settings.LAKE_URL)).select(table)
            else:
                con.execute(f"ATTACH IF NOT EXISTS '{store_path(settings)}' AS s (READ_ONLY)")
                select = f"SELECT * FROM s.main.{table}"
            rows, total = con.execute(checksum_sql(select, table)).fetchone()
            figures[table] = (int(rows), f"{int(total):016x}")
        return figures
    finally:
        con.close()


@ON_SPARK
@pytest.mark.parametrize(
    ("exported_on", "restored_on"), [("spark", "spark"), ("spark", "duckdb"), ("duckdb", "spark")]
)
def test_the_invoice_lines_go_back_where_the_restoring_install_keeps_them(
    runner, make_user, settings, tmp_path, transactional_db, exported_on, restored_on
):
    make_user(Role.ADMINISTRATOR, "admin")
    _engine(settings, exported_on, tmp_path / "before")
    _import_lines(runner, tmp_path / "files")
    before = _lines_figures(exported_on, settings)
    assert before["transactions"][0] == len(LINES)
    if exported_on == "spark":  # the lake holds the lines, the store's own table none
        assert _lines_figures("duckdb", settings)["transactions"][0] == 0

    result = runner.invoke(app, ["export", str(tmp_path / "export"), "--as", "admin", "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["lines_from"] == ("lake" if exported_on == "spark" else "store")
    entry = next(e for e in manifest["files"] if e["name"] == "transactions")
    assert (entry["path"], entry["rows"]) == ("store/transactions.parquet", len(LINES))

    call_command("flush", interactive=False, verbosity=0)
    _engine(settings, restored_on, tmp_path / "after")
    result = runner.invoke(app, ["restore", str(tmp_path / "export"), "--json"])
    assert result.exit_code == 0, result.output
    restored = parse_json(result.stdout)

    assert _lines_figures(restored_on, settings) == before
    if restored_on == "spark":
        assert restored["lake_version"] == 1
        # The lines are in the lake only, as an import on the lake leaves them.
        assert _lines_figures("duckdb", settings)["transactions"] == (0, "0" * 16)
        assert _lines_figures("duckdb", settings)["customer_month"] == before["customer_month"]
    else:
        assert restored["lake_version"] is None
        assert not (tmp_path / "after" / "lake").exists()
    entry = AuditEntry.objects.order_by("pk").last()
    assert entry.action == "restored"
    assert entry.detail["lake"] == (
        str(tmp_path / "after" / "lake") if restored_on == "spark" else None
    )
    # The restored trail holds the import entries of the exporting install.
    assert AuditEntry.objects.filter(action="imported").count() == 2


@ON_SPARK
def test_a_forced_restore_replaces_the_lake_and_a_failed_one_leaves_it_as_it_was(
    runner, make_user, settings, tmp_path, transactional_db, monkeypatch
):
    make_user(Role.ADMINISTRATOR, "admin")
    _engine(settings, "spark", tmp_path / "install")
    _import_lines(runner, tmp_path / "files")
    exported = _lines_figures("spark", settings)
    assert runner.invoke(app, ["export", str(tmp_path / "export"), "--as", "admin"]).exit_code == 0
    later = tmp_path / "files" / "later.csv"
    later.write_text(
        "invoice_id,line_id,customer_id,date,quantity,revenue,cost\n"
        "I-9,1,C2,2025-04-02,1,999.0,500.0\nI-1,1,C1,2025-01-15,2,121.0,80.0\n"
    )
    assert (
        runner.invoke(app, ["import", "transactions", str(later), "--as", "admin"]).exit_code == 0
    )
    grown = _lines_figures("spark", settings)
    assert grown["transactions"][0] == len(LINES) + 1

    # The database's commit fails after the lake's: the lake goes back to what it held.
    from kam.analytics.lake import LakeWrite

    commit = LakeWrite.commit

    def commit_then_fail(self, replaced):
        commit(self, replaced)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(LakeWrite, "commit", commit_then_fail)
    with pytest.raises(RuntimeError, match="went away"):
        runner.invoke(
            app, ["restore", str(tmp_path / "export"), "--as", "admin", "--force"],
            catch_exceptions=False,
        )  # fmt: skip
    monkeypatch.undo()
    assert _lines_figures("spark", settings) == grown
    assert AuditEntry.objects.filter(action="restored").count() == 0

    result = runner.invoke(app, ["restore", str(tmp_path / "export"), "--as", "admin", "--force"])
    assert result.exit_code == 0, result.output
    assert _lines_figures("spark", settings) == exported
    assert _lines_figures("duckdb", settings)["customer_month"] == exported["customer_month"]


@ON_SPARK
def test_a_lake_line_file_changed_after_the_export_is_refused_and_the_lake_kept(
    runner, make_user, settings, tmp_path, transactional_db
):
    make_user(Role.ADMINISTRATOR, "admin")
    _engine(settings, "spark", tmp_path / "install")
    _import_lines(runner, tmp_path / "files")
    assert runner.invoke(app, ["export", str(tmp_path / "export"), "--as", "admin"]).exit_code == 0
    before = _lines_figures("spark", settings)
    file = tmp_path / "export" / "store" / "transactions.parquet"
    file.write_bytes(file.read_bytes()[:-8] + b"kamkamka")

    result = runner.invoke(app, ["restore", str(tmp_path / "export"), "--as", "admin", "--force"])
    assert result.exit_code == 1
    assert "store/transactions.parquet" in result.stderr
    assert _lines_figures("spark", settings) == before
