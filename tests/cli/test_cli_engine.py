"""KAM_ANALYTICS_ENGINE=spark: the whole command-line path — import, score, clv fit — on a
local Spark over a lake in a temporary folder gives the embedded DuckDB run's figures; a
killed import leaves the lake as it was; `kam engine check` and `kam lake export`."""

import datetime as dt
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from cli_output import parse_json
from django.test import Client
from django.urls import reverse
from selection_seed import BUYERS_SPEND, BUYERS_TRUTH

from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.ingest import import_customers, import_transactions
from kam.analytics.ingest.lake import import_transactions_to_lake
from kam.analytics.lake import TABLE_COLUMNS, Lake
from kam.analytics.store import AnalyticsStore
from kam.audit.models import AuditEntry
from kam.cli import app
from kam.people.roles import Role

# Every test here may start a local Spark: they run in the process that runs the other Spark
# tests (conftest.py).
pytestmark = pytest.mark.xdist_group("spark")

AS_OF = dt.date(2023, 12, 31)
SPLIT = dt.date(2023, 7, 1)
TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.coalescePartitions.enabled": "false",
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
}


def _files(folder: Path, count: int = 120) -> tuple[Path, Path, Path]:
    """A customer master and its invoice lines in two files (before and after SPLIT)."""
    lines = simulate_transaction_lines(
        count, BUYERS_TRUTH, BUYERS_SPEND, start=dt.date(2022, 1, 1), end=AS_OF, seed=5
    )
    ids = sorted(set(lines.column("customer_id").to_pylist()))
    customers = pa.table(
        {
            "customer_id": ids,
            "name": [f"Customer {c}" for c in ids],
            "region": ["EMEA" if i % 2 else "Americas" for i in range(len(ids))],
            "segment": ["Retail" if i % 3 else "Energy" for i in range(len(ids))],
        }
    )
    rows = lines.to_pylist()
    table = pa.table(
        {
            "invoice_id": [f"{r['customer_id']}-{r['date']}" for r in rows],
            "line_id": ["1"] * len(rows),
            "customer_id": [r["customer_id"] for r in rows],
            "date": [r["date"] for r in rows],
            "quantity": [1.0] * len(rows),
            "revenue": [r["revenue"] for r in rows],
            "cost": [round(r["revenue"] * 0.7, 2) for r in rows],
        }
    )
    early = table.filter(pa.compute.less(table["date"], pa.scalar(SPLIT)))
    late = table.filter(pa.compute.greater_equal(table["date"], pa.scalar(SPLIT)))
    paths = folder / "customers.csv", folder / "lines-1.csv", folder / "lines-2.csv"
    for path, data in zip(paths, (customers, early, late), strict=True):
        pacsv.write_csv(data, path)
    return paths


@pytest.fixture(scope="session")
def local_spark():
    """One local Spark (2 cores) for the session, tuned for a few hundred rows."""
    from pyspark.sql import SparkSession

    from kam.analytics.spark import spark_session

    builder = SparkSession.builder
    for key, value in TEST_SPARK_CONF.items():
        builder = builder.config(key, value)
    builder.master("local[2]").getOrCreate()
    return spark_session("local[2]")


def _run(runner, *args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return parse_json(result.stdout)


def _whole_path(runner, files: tuple[Path, Path, Path]) -> tuple[int, dict, dict, list[dict]]:
    """Import both files (the second twice), score, fit: the lines imported, the figures
    and the snapshot."""
    customers, early, late = files
    _run(runner, "import", "customers", str(customers))
    first = _run(runner, "import", "transactions", str(early))
    second = _run(runner, "import", "transactions", str(late))
    again = _run(runner, "import", "transactions", str(late))
    assert first["inserted"] == first["rows"] > 0
    assert second["inserted"] == second["rows"] > 0
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, second["rows"])
    scored = _run(runner, "score", "--as-of", AS_OF.isoformat())
    fitted = _run(runner, "clv", "fit", "--as-of", AS_OF.isoformat())
    from kam.selection import snapshots
    from kam.stores import analytics_store

    with analytics_store().connect(read_only=True) as con:
        rows = snapshots.scores(con, scored["snapshot_id"]).to_pyarrow().to_pylist()
    return first["rows"] + second["rows"], scored, fitted, rows


def _assert_close(left, right, where=()):
    if isinstance(left, float) and isinstance(right, float):
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9), (where, left, right)
    elif isinstance(left, dict) and isinstance(right, dict):
        assert left.keys() == right.keys(), where
        for key in left:
            _assert_close(left[key], right[key], (*where, key))
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), where
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            _assert_close(a, b, (*where, index))
    else:
        assert left == right, (where, left, right)


@pytest.mark.spark
def test_import_score_and_fit_on_spark_equal_the_embedded_run(
    runner, store, admin, tmp_path, settings, local_spark
):
    files = _files(tmp_path)
    _lines, duck_scored, duck_fitted, duck_rows = _whole_path(runner, files)

    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'spark-install.duckdb'}"
    settings.ANALYTICS_ENGINE = "spark"
    settings.SPARK_MASTER = "local[2]"
    settings.LAKE_URL = str(tmp_path / "lake")
    lines, spark_scored, spark_fitted, spark_rows = _whole_path(runner, files)

    lake = Lake(tmp_path / "lake")
    sizes = {size.name: size for size in lake.sizes()}
    assert sizes["transactions"].rows == lines
    assert sizes["transactions"].partitions == 24  # two years of months
    # The customer master, then two imports; the re-import of the second file committed
    # nothing: three versions.
    assert lake.current().version == 3
    by_id = {row["customer_id"]: row for row in duck_rows}
    assert len(spark_rows) == len(duck_rows) > 100
    for row in spark_rows:
        _assert_close(row, by_id[row["customer_id"]], (row["customer_id"],))
    for figures in (duck_scored, spark_scored):
        for varying in ("run", "snapshot_id", "seconds"):
            figures.pop(varying)
    _assert_close(spark_scored, duck_scored)
    _assert_close(spark_fitted, duck_fitted)

    checked = _run(runner, "engine", "check")
    assert checked["engine"] == "spark"
    assert checked["engine_version"].startswith("Spark")
    assert checked["aggregate_groups"] == spark_scored["customers"]
    lake_tables = {row["table"]: row for row in checked["tables"]}
    assert lake_tables["transactions"]["rows"] == sizes["transactions"].rows


def _lake_install(tmp_path: Path, count: int) -> tuple[AnalyticsStore, Lake, Path]:
    """An install on the lake holding the customers and the first file's lines (written
    through the analytics layer: no operational database needed); the second file."""
    customers, early, late = _files(tmp_path, count=count)
    store = AnalyticsStore(f"duckdb://{tmp_path / 'data' / 'analytics.duckdb'}")
    lake = Lake(tmp_path / "lake")
    import_customers(store, customers)
    import_transactions_to_lake(store, lake, early)
    return store, lake, late


def _lake_rows(lake: Lake) -> dict[str, int]:
    """Every lake table's rows as a reader counts them (DuckDB over the committed files)."""
    with duckdb.connect() as con:
        return {
            table: con.execute(f"SELECT count(*) FROM ({lake.select(table)})").fetchone()[0]
            for table in TABLE_COLUMNS
        }


def test_a_killed_import_leaves_the_lake_readable_with_its_previous_content(tmp_path):
    """kill -9 in the middle of `kam import transactions`: readers see the lake as it was,
    and the next import goes through."""
    store, lake, late = _lake_install(tmp_path, count=400)
    before, rows_before = lake.current(), _lake_rows(lake)
    env = {
        **os.environ,
        "KAM_DATA_DIR": str(tmp_path / "data"),
        "KAM_ANALYTICS_ENGINE": "spark",
        "KAM_LAKE_URL": str(lake.root),
    }
    for name in ("KAM_DATABASE_URL", "KAM_ANALYTICS_URL", "KAM_USER"):
        env.pop(name, None)
    staging = lake.root / "_kam" / "staging"
    # A new install: the import sets up the database, acts as nobody yet... so give it
    # its Administrator first.
    subprocess.run(
        [sys.executable, "-m", "kam.cli", "user", "add", "admin", "--role", "Administrator",
         "--password-stdin"],
        env=env, input="a-long-password-1\n", capture_output=True, text=True, check=True,
    )  # fmt: skip
    importing = subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "import", "transactions", str(late)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any(staging.glob("*/scratch.duckdb")) and importing.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    importing.send_signal(signal.SIGKILL)
    assert importing.wait() == -signal.SIGKILL  # killed, not finished

    assert lake.current() == before
    assert _lake_rows(lake) == rows_before

    report = import_transactions_to_lake(store, lake, late)
    assert lake.current().version == before.version + 1
    assert _lake_rows(lake)["transactions"] == rows_before["transactions"] + report.inserted
    assert not any(staging.glob("*"))


def test_files_moved_into_place_without_the_commit_stay_invisible(tmp_path, monkeypatch):
    """The narrowest window: the new files are in their partitions, the manifest not yet
    replaced. Readers see the previous version; the next write deletes the strays."""
    store, lake, late = _lake_install(tmp_path, count=60)
    before, rows_before = lake.current(), _lake_rows(lake)
    real_replace = os.replace

    def killed_at_the_commit(source, target):
        if Path(target) == lake.root / "_kam" / "current.json":
            raise KeyboardInterrupt  # as abrupt as it gets inside Python
        real_replace(source, target)

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", killed_at_the_commit)
        with pytest.raises(KeyboardInterrupt):
            import_transactions_to_lake(store, lake, late)

    on_disk = {str(p.relative_to(lake.root)) for p in lake.root.glob("*/**/*.parquet")}
    assert on_disk > before.named()  # the strays are there ...
    assert lake.current() == before  # ... and named by no version
    assert _lake_rows(lake) == rows_before
    with AnalyticsStore(store.url).connect(read_only=True) as con:
        months = con.con.execute("SELECT count(*) FROM customer_month").fetchone()[0]
    assert months == rows_before["customer_month"]  # the store's rollups rolled back

    import_transactions_to_lake(store, lake, late)
    on_disk = {str(p.relative_to(lake.root)) for p in lake.root.glob("*/**/*.parquet")}
    assert on_disk == lake.current().named() | lake.current().kept


ROLE_MAY = {
    ("engine", "check"): {Role.ADMINISTRATOR, Role.HEAD_OF_KAM, Role.ANALYST},
    ("lake", "export"): {Role.ADMINISTRATOR},
}


@pytest.mark.parametrize("command", list(ROLE_MAY))
@pytest.mark.parametrize("role", list(Role))
def test_who_may_check_the_engine_and_export_to_the_lake(
    runner, store, make_user, settings, tmp_path, command, role
):
    """The commands' row of the permission matrix: allowed roles get through (and are
    written in the audit trail), the others are refused with exit 3 and nothing written."""
    settings.LAKE_URL = str(tmp_path / "lake")
    user = make_user(role, "someone")
    result = runner.invoke(app, [*command, "--as", user.username, "--json"])
    entries = AuditEntry.objects.filter(actor="someone", object_type__in=("engine", "lake"))
    if role in ROLE_MAY[command]:
        assert result.exit_code == 0, result.output
        assert entries.count() == 1
    else:
        assert result.exit_code == 3, result.output
        assert "Not allowed" in result.output
        assert not entries.exists()
        assert not (tmp_path / "lake" / "_kam" / "current.json").exists()


def test_lake_export_moves_the_embedded_lines_verified(runner, store, admin, tmp_path, settings):
    customers, early, _late = _files(tmp_path, count=60)
    _run(runner, "import", "customers", str(customers))
    imported = _run(runner, "import", "transactions", str(early))
    settings.LAKE_URL = str(tmp_path / "lake")

    exported = _run(runner, "lake", "export")

    tables = {row["table"]: row for row in exported["tables"]}
    assert tables["transactions"]["lake_rows"] == imported["rows"]
    assert all(row["matches"] and row["store_checksum"] == row["lake_checksum"]
               for row in tables.values())  # fmt: skip
    with AnalyticsStore(settings.ANALYTICS_URL).connect(read_only=True) as con:
        months = con.con.execute("SELECT count(*) FROM customer_month").fetchone()
    assert tables["customer_month"]["lake_rows"] == months[0]
    again = runner.invoke(app, ["lake", "export"])
    assert again.exit_code == 1
    assert "holds data already" in again.output


def test_engine_check_on_the_embedded_store_gives_sizes_and_a_timing(
    runner, store, admin, tmp_path
):
    customers, early, _late = _files(tmp_path, count=40)
    _run(runner, "import", "customers", str(customers))
    imported = _run(runner, "import", "transactions", str(early))

    checked = _run(runner, "engine", "check")

    assert checked["engine"] == "duckdb"
    assert checked["master"] is None
    assert checked["engine_version"].startswith("DuckDB")
    rows = {row["table"]: row["rows"] for row in checked["tables"]}
    assert rows["transactions"] == imported["rows"]
    assert rows["customers"] == 40
    assert checked["aggregate_groups"] <= 40
    assert checked["aggregate_seconds"] >= 0
    shown = runner.invoke(app, ["engine", "check"])
    assert "Engine duckdb" in shown.output
    assert f"{imported['rows']:,}" in shown.output


def test_the_lake_after_an_update_holds_what_the_embedded_store_holds(tmp_path):
    """A second file changes a line's revenue, moves another line to a new month and adds
    one: the lake's lines and rollups (and the store's copy of the rollups) are row for row
    the embedded store's after the same two imports."""
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name\nA1,Acme\nA2,Bolt\n", encoding="utf-8")
    header = "invoice_id,line_id,customer_id,date,quantity,revenue,document_type\n"
    first = tmp_path / "first.csv"
    first.write_text(
        header + "I1,1,A1,2024-01-05,2,100,invoice\nI1,2,A1,2024-01-05,1,40,invoice\n"
        "I2,1,A2,2024-02-05,1,50,invoice\nI3,1,A1,2024-02-07,-1,-20,credit_note\n",
        encoding="utf-8",
    )
    second = tmp_path / "second.csv"
    second.write_text(
        header + "I1,2,A1,2024-01-05,1,45,invoice\nI2,1,A2,2024-03-01,1,50,invoice\n"
        "I4,1,A2,2024-03-09,3,300,invoice\n",
        encoding="utf-8",
    )
    embedded = AnalyticsStore(f"duckdb://{tmp_path / 'embedded.duckdb'}")
    beside = AnalyticsStore(f"duckdb://{tmp_path / 'beside.duckdb'}")
    lake = Lake(tmp_path / "lake")
    for store in (embedded, beside):
        import_customers(store, customers)
    import_transactions(embedded, first)
    expected = import_transactions(embedded, second)
    import_transactions_to_lake(beside, lake, first)
    report = import_transactions_to_lake(beside, lake, second)

    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 0)
    assert (report.inserted, report.updated, report.unchanged) == (
        expected.inserted,
        expected.updated,
        expected.unchanged,
    )

    def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
        return sorted(con.execute(sql).fetchall(), key=repr)

    with (
        embedded.connect(read_only=True) as want,
        beside.connect(read_only=True) as mirror,
        duckdb.connect() as reader,
    ):
        for table in ("transactions", "customer_month", "customer_day"):
            stored = rows(want.con, f"SELECT * FROM {table}")
            assert rows(reader, lake.select(table)) == stored, table
            if table != "transactions":
                assert rows(mirror.con, f"SELECT * FROM {table}") == stored, table
    months = {key for key, files in lake.current().tables["transactions"].items() if files}
    assert months == {"line_month=2024-01-01", "line_month=2024-02-01", "line_month=2024-03-01"}


def _category_files(folder: Path) -> tuple[Path, Path, Path]:
    """Three customers and two files of lines with product categories (the second adds a
    category to A1 and changes a line)."""
    customers = folder / "customers.csv"
    customers.write_text(
        "customer_id,name,segment\nA1,Acme,Retail\nA2,Bolt,Retail\nA3,Cove,Retail\n",
        encoding="utf-8",
    )
    header = "invoice_id,line_id,customer_id,date,category,business_unit,quantity,revenue\n"
    first = folder / "first.csv"
    first.write_text(
        header
        + "I1,1,A1,2024-01-05,Pumps,Industry,2,100\nI1,2,A1,2024-01-05,Valves,Industry,1,40\n"
        "I2,1,A2,2024-02-05,Pumps,Industry,1,50\nI3,1,A2,2024-03-05,Seals,Marine,4,80\n"
        "I4,1,A3,2024-03-07,Valves,Marine,1,60\n",
        encoding="utf-8",
    )
    second = folder / "second.csv"
    second.write_text(
        header + "I1,2,A1,2024-01-05,Valves,Industry,1,45\nI5,1,A1,2024-04-02,Seals,Marine,2,90\n"
        "I6,1,A3,2024-04-09,Pumps,Industry,3,300\n",
        encoding="utf-8",
    )
    return customers, first, second


def _read_lines(runner) -> tuple[dict, list[dict]]:
    """What a user reads from the lines: A1's whitespace, A1's revenue by category."""
    from kam.analytics.account_figures import revenue_by_category
    from kam.stores import analytics_store

    whitespace = _run(runner, "whitespace", "A1")
    with analytics_store().connect(read_only=True) as con:
        categories = revenue_by_category(con, "A1").to_pylist()
    return whitespace, categories


def test_with_the_spark_engine_pages_and_commands_read_the_lakes_lines(
    runner, store, admin, tmp_path, settings
):
    """Whitespace and an account's revenue by category read the invoice lines: with the
    spark engine they read the lake's current version (what Spark reads), new lines
    included, and give what the embedded install gives."""
    customers, first, second = _category_files(tmp_path)
    for path in (customers, first, second):
        _run(runner, "import", "customers" if path == customers else "transactions", str(path))
    embedded = _read_lines(runner)

    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'spark-install.duckdb'}"
    settings.ANALYTICS_ENGINE = "spark"
    settings.LAKE_URL = str(tmp_path / "lake")
    _run(runner, "import", "customers", str(customers))
    _run(runner, "import", "transactions", str(first))
    whitespace, categories = _read_lines(runner)
    assert {row["category"]: row["revenue"] for row in categories} == {"Pumps": 100, "Valves": 40}
    assert whitespace["as_of"] == "2024-03-07"

    _run(runner, "import", "transactions", str(second))
    assert _read_lines(runner) == embedded
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("opportunities:whitespace", args=["A1"]))
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    # The page's share-of-wallet rows: the changed line (45) and the new category (Seals).
    assert "Seals 90 0 unknown" in text
    assert "Valves 45 0 unknown" in text
    whitespace, categories = embedded
    assert {row["category"]: row["revenue"] for row in categories} == {
        "Pumps": 100, "Valves": 45, "Seals": 90
    }  # fmt: skip
    assert whitespace["as_of"] == "2024-04-09"
    from kam.stores import embedded_store

    with embedded_store().connect(read_only=True) as con:  # the lines are in the lake only
        assert con.con.execute("SELECT count(*) FROM transactions").fetchone() == (0,)


def test_with_the_spark_engine_a_customer_import_updates_the_lakes_master(
    runner, store, admin, tmp_path, settings
):
    settings.ANALYTICS_ENGINE = "spark"
    settings.LAKE_URL = str(tmp_path / "lake")
    lake = Lake(tmp_path / "lake")
    customers, _first, _second = _category_files(tmp_path)
    _run(runner, "import", "customers", str(customers))
    assert lake.current().version == 1

    renamed = tmp_path / "renamed.csv"
    renamed.write_text("customer_id,name\nA2,Bolt Group\nA4,Dune\n", encoding="utf-8")
    report = _run(runner, "import", "customers", str(renamed))
    again = _run(runner, "import", "customers", str(renamed))

    assert (report["inserted"], report["updated"]) == (1, 1)
    assert (again["inserted"], again["updated"]) == (0, 0)  # nothing to commit
    assert lake.current().version == 2
    with duckdb.connect() as reader:
        names = dict(
            reader.execute(f"SELECT customer_id, name FROM ({lake.select('customers')})").fetchall()
        )
    assert names == {"A1": "Acme", "A2": "Bolt Group", "A3": "Cove", "A4": "Dune"}


def _health_path(runner, files: tuple[Path, Path, Path]) -> tuple[dict, dict]:
    """Import the customers and both files, score account health and backtest its policy:
    each account's score and components, and the backtest's figures."""
    from kam.health.models import HealthScore

    customers, early, late = files
    _run(runner, "import", "customers", str(customers))
    for lines in (early, late):
        _run(runner, "import", "transactions", str(lines))
    run = _run(runner, "health", "score", "--as-of", AS_OF.isoformat())["run"]
    scores = {
        score.account_id: {"score": score.score, "weight": score.weight_present,
                           "components": score.components}
        for score in HealthScore.objects.filter(run_id=run)
    }  # fmt: skip
    backtest = _run(runner, "health", "backtest", "--as-of", "2022-12-31", "--horizon", "6")
    return scores, backtest


@pytest.mark.spark
def test_health_score_and_backtest_on_spark_equal_the_embedded_run(
    runner, store, admin, tmp_path, settings, local_spark
):
    """`kam health score` and `kam health backtest` with the spark engine read the lake's
    purchase days on Spark, and give the embedded run's scores and figures."""
    files = _files(tmp_path, count=80)
    duck_scores, duck_backtest = _health_path(runner, files)

    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'spark-install.duckdb'}"
    settings.ANALYTICS_ENGINE = "spark"
    settings.SPARK_MASTER = "local[2]"
    settings.LAKE_URL = str(tmp_path / "lake")
    tracker = local_spark.sparkContext.statusTracker()
    jobs_before = len(tracker.getJobIdsForGroup(None))
    spark_scores, spark_backtest = _health_path(runner, files)

    assert len(tracker.getJobIdsForGroup(None)) > jobs_before  # computed on Spark
    assert len(spark_scores) == len(duck_scores) > 30
    _assert_close(spark_scores, duck_scores)
    _assert_close(spark_backtest, duck_backtest)


def test_readers_of_the_store_see_the_lines_a_lake_export_brings(
    runner, store, admin, tmp_path, settings
):
    """The engine switched before `kam lake export`, as the setup in docs/scale.md runs:
    the store's readers read an empty lake first, then the exported lines, though the
    store's lines have not changed (nothing kept from the empty lake is served)."""
    from kam.analytics.program.wallet import category_revenue
    from kam.stores import analytics_store

    customers, first, _second = _category_files(tmp_path)
    _run(runner, "import", "customers", str(customers))
    _run(runner, "import", "transactions", str(first))
    settings.ANALYTICS_ENGINE = "spark"
    settings.LAKE_URL = str(tmp_path / "lake")
    window = dt.date(2024, 1, 1), dt.date(2024, 4, 1), ["A1", "A2"]

    # A customer imported since the switch: the lake holds the master only, and the
    # export (which replaces it by the store's) goes through.
    added = tmp_path / "added.csv"
    added.write_text("customer_id,name\nA4,Dune\n", encoding="utf-8")
    _run(runner, "import", "customers", str(added))
    assert Lake(tmp_path / "lake").current().version == 1
    with analytics_store().connect(read_only=True) as con:
        assert category_revenue(con, *window) == {}  # the lake holds no lines yet
    exported = _run(runner, "lake", "export")
    assert {row["table"]: row["lake_rows"] for row in exported["tables"]}["customers"] == 4
    with analytics_store().connect(read_only=True) as con:
        assert category_revenue(con, *window) == {
            ("A1", "Pumps"): 100, ("A1", "Valves"): 40, ("A2", "Pumps"): 50, ("A2", "Seals"): 80
        }  # fmt: skip
