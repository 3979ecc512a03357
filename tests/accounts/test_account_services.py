"""Imports through the Django services: permissions, and both stores changing together or not."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from kam.accounts.models import Account
from kam.accounts.services import do_import_customers, do_import_transactions
from kam.analytics.ingest import ImportRefused
from kam.analytics.store import AnalyticsStore

CUSTOMERS = (
    "customer_id,name,parent_id,country,region,segment\n"
    "S1,Sub One,H1,DE,EMEA,Retail\n"  # the parent comes later in the file
    "H1,Holding One,,DE,EMEA,Manufacturing\n"
    "C3,Gamma,,US,Americas,\n"
)
LINES = (
    "invoice_id,line_id,customer_id,date,quantity,revenue\n"
    "I1,1,S1,2024-01-05,2,100\nI1,2,S1,2024-01-05,1,50\nI2,1,C3,2024-02-01,1,10\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def store_counts(store: AnalyticsStore) -> tuple[int, int, int]:
    with store.connect() as backend:
        return tuple(
            backend.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("customers", "transactions", "customer_month")
        )


def accounts() -> list[tuple]:
    return list(
        Account.objects.order_by("customer_id").values_list(
            "customer_id", "name", "parent_id", "country", "region", "segment"
        )
    )


@pytest.mark.django_db
def test_customers_land_in_both_stores_with_their_hierarchy(store, head_of_kam, tmp_path):
    report = do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))

    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    assert accounts() == [
        ("C3", "Gamma", None, "US", "Americas", ""),
        ("H1", "Holding One", None, "DE", "EMEA", "Manufacturing"),
        ("S1", "Sub One", "H1", "DE", "EMEA", "Retail"),
    ]
    assert list(Account.objects.get(pk="H1").subsidiaries.all()) == [Account.objects.get(pk="S1")]
    assert store_counts(store) == (3, 0, 0)


@pytest.mark.django_db
def test_reimporting_customers_changes_neither_store(store, head_of_kam, tmp_path):
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    do_import_customers(head_of_kam, path)
    stamps = dict(Account.objects.values_list("customer_id", "updated_at"))

    again = do_import_customers(head_of_kam, path)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert dict(Account.objects.values_list("customer_id", "updated_at")) == stamps
    assert store_counts(store) == (3, 0, 0)


@pytest.mark.django_db
def test_a_corrected_customer_file_updates_both_stores(store, head_of_kam, tmp_path):
    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))
    corrected = CUSTOMERS.replace("C3,Gamma,,US,Americas,", "C3,Gamma Corp,H1,US,Americas,Retail")

    report = do_import_customers(head_of_kam, write(tmp_path, "corrected.csv", corrected))

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert Account.objects.get(pk="C3").parent_id == "H1"
    with store.connect() as backend:
        row = backend.con.execute("SELECT name FROM customers WHERE customer_id = 'C3'").fetchone()
    assert row == ("Gamma Corp",)


def store_customers(store: AnalyticsStore) -> list[tuple]:
    with store.connect() as backend:
        return backend.con.execute(
            "SELECT customer_id, name, parent_id, country, region, segment "
            "FROM customers ORDER BY customer_id"
        ).fetchall()


@pytest.mark.django_db
def test_a_file_without_optional_columns_leaves_them_in_both_stores(store, head_of_kam, tmp_path):
    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))
    stamps = dict(Account.objects.values_list("customer_id", "updated_at"))
    partial = write(tmp_path, "partial.csv", "customer_id,name,region\nS1,Sub One,EMEA\n")

    same = do_import_customers(head_of_kam, partial)
    renamed = do_import_customers(
        head_of_kam, write(tmp_path, "renamed.csv", "customer_id,name,region\nS1,Sub 1,DACH\n")
    )

    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 1)
    assert (renamed.inserted, renamed.updated, renamed.unchanged) == (0, 1, 0)
    assert Account.objects.get(pk="H1").updated_at == stamps["H1"]
    assert accounts()[2] == ("S1", "Sub 1", "H1", "DE", "DACH", "Retail")
    assert store_customers(store)[2] == ("S1", "Sub 1", "H1", "DE", "DACH", "Retail")


@pytest.mark.django_db
def test_an_empty_cell_in_a_present_column_empties_both_stores(store, head_of_kam, tmp_path):
    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))
    emptied = "customer_id,name,parent_id,segment\nS1,Sub One,,\nN1,New One,H1,\n"

    report = do_import_customers(head_of_kam, write(tmp_path, "emptied.csv", emptied))

    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 0)
    assert accounts()[2:] == [
        ("N1", "New One", "H1", "", "", ""),
        ("S1", "Sub One", None, "DE", "EMEA", ""),
    ]
    assert store_customers(store)[2:] == [
        ("N1", "New One", "H1", None, None, None),
        ("S1", "Sub One", None, "DE", "EMEA", None),
    ]


@pytest.mark.django_db
def test_a_refused_customer_file_changes_neither_store(store, head_of_kam, tmp_path):
    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))
    before = (accounts(), store_counts(store))
    bad = CUSTOMERS + "C4,,H1,,,\nC5,Epsilon,C404,,,\n"

    with pytest.raises(ImportRefused) as refused:
        do_import_customers(
            head_of_kam, write(tmp_path, "tmp123.csv", bad), file_label="customers-2024.csv"
        )

    assert [str(p) for p in refused.value.report.problems] == [
        "customers-2024.csv, line 5, column name: empty required value",
        "customers-2024.csv, line 6, column parent_id: parent_id 'C404' not found "
        "(neither in this file nor imported before)",
    ]
    assert (accounts(), store_counts(store)) == before


@pytest.mark.django_db
def test_a_name_too_long_for_the_operational_database_is_a_problem(store, head_of_kam, tmp_path):
    path = write(tmp_path, "customers.csv", f"customer_id,name\nC1,{'x' * 300}\n")

    with pytest.raises(ImportRefused, match="column name: too long: 300 characters"):
        do_import_customers(head_of_kam, path)

    assert accounts() == []
    assert store_counts(store) == (0, 0, 0)


@pytest.mark.django_db
def test_when_the_operational_database_refuses_the_store_rolls_back(store, head_of_kam, tmp_path):
    # The store holds a parent the operational database lost: the mirror's foreign key
    # check fails, and the store must not keep the new subsidiary either.
    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))
    Account.objects.filter(pk="C3").delete()
    before = store_counts(store)

    with pytest.raises(Exception, match=r"(?i)foreign key|integrity"):
        do_import_customers(
            head_of_kam, write(tmp_path, "more.csv", "customer_id,name,parent_id\nC6,Zeta,C3\n")
        )

    assert store_counts(store) == before
    assert not Account.objects.filter(pk="C6").exists()


@pytest.mark.django_db
def test_transaction_lines_import_and_refuse_through_the_service(store, head_of_kam, tmp_path):
    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))

    report = do_import_transactions(head_of_kam, write(tmp_path, "lines.csv", LINES))
    bad = LINES + "I3,1,ZZ,2024-02-01,1,10\n"
    with pytest.raises(ImportRefused, match=r"lines\.csv, line 5, column customer_id: unknown"):
        do_import_transactions(head_of_kam, write(tmp_path, "lines.csv", bad))

    assert report.inserted == 3
    assert store_counts(store) == (3, 3, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("service", [do_import_customers, do_import_transactions])
def test_a_viewer_may_not_import(store, viewer, tmp_path, service):
    path = write(tmp_path, "customers.csv", CUSTOMERS)

    with pytest.raises(PermissionDenied, match="viewer may not import data"):
        service(viewer, path)

    assert accounts() == []
    assert store_counts(store) == (0, 0, 0)


@pytest.mark.django_db
def test_a_whole_bad_column_is_refused_by_both_stores_at_120k_rows(store, head_of_kam, tmp_path):
    import duckdb

    do_import_customers(head_of_kam, write(tmp_path, "customers.csv", CUSTOMERS))
    do_import_transactions(head_of_kam, write(tmp_path, "lines.csv", LINES))
    before = store_counts(store), accounts()
    nameless = tmp_path / "nameless.csv"
    lines = tmp_path / "bad-lines.csv"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'W' || i AS customer_id, NULL AS name FROM range(120000) t(i)) "
        f"TO '{nameless}' (HEADER)"
    )
    con.execute(
        "COPY (SELECT 'B' || i AS invoice_id, '1' AS line_id, 'NOPE' AS customer_id, "
        "'2026-13-45' AS date, 'abc' AS quantity, '1e999' AS revenue FROM range(120000) t(i)) "
        f"TO '{lines}' (HEADER)"
    )

    with pytest.raises(ImportRefused) as customers_refused:
        do_import_customers(head_of_kam, nameless)
    with pytest.raises(ImportRefused) as lines_refused:
        do_import_transactions(head_of_kam, lines)

    assert customers_refused.value.report.problem_count == 120_000
    assert lines_refused.value.report.problem_count == 4 * 120_000
    assert {p.column for p in lines_refused.value.report.problems[:4]} == {
        "customer_id", "date", "quantity", "revenue"
    }  # fmt: skip
    assert (store_counts(store), accounts()) == before
