"""A file without some optional columns leaves those columns as stored; an empty cell empties.

A column absent from the file says nothing about it; a column present with an empty cell
is the user saying "no value". Re-importing a partial file whose columns match the store
counts its rows as unchanged.
"""

import pytest

from kam.analytics.ingest import ImportRefused, import_customers, import_transactions
from kam.analytics.store import AnalyticsStore

FORMATS = ("csv", "parquet", "xlsx")
FULL_CUSTOMERS = ("customer_id", "name", "parent_id", "country", "region", "segment")
FULL_LINES = ("invoice_id", "line_id", "customer_id", "date", "product", "category",
              "business_unit", "quantity", "revenue", "cost", "document_type")  # fmt: skip
LINES: list[list[str | None]] = [
    ["I1", "1", "C1", "2024-01-05", "P1", "Pumps", "Plant A", "2", "100", "60", "invoice"],
    ["I1", "2", "C1", "2024-01-05", "P2", "Valves", "Plant B", "1", "50", "20", "invoice"],
    ["CN1", "1", "C1", "2024-01-20", "P1", "Pumps", "Plant A", "-1", "-50", "-30", "credit_note"],
]  # fmt: skip


def rows_of(store: AnalyticsStore, sql: str) -> list[tuple]:
    with store.connect() as backend:
        return backend.con.execute(sql).fetchall()


def counts(report) -> tuple[int, int, int]:
    return report.inserted, report.updated, report.unchanged


@pytest.fixture
def acme(store: AnalyticsStore, write_table) -> AnalyticsStore:
    """Customer A1 with every column, and its holding H1."""
    import_customers(
        store,
        write_table(
            "csv",
            FULL_CUSTOMERS,
            [["H1", "Holding", None, "Germany", "DACH", "Retail"],
             ["A1", "Acme", "H1", "Germany", "DACH", "Retail"]],
        ),
    )  # fmt: skip
    return store


def customer(store: AnalyticsStore, customer_id: str = "A1") -> tuple:
    return rows_of(
        store,
        "SELECT name, parent_id, country, region, segment FROM customers "
        f"WHERE customer_id = '{customer_id}'",
    )[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_customer_file_without_optional_columns_keeps_their_stored_values(
    acme, write_table, snapshot, fmt
):
    before = snapshot()
    report = import_customers(
        acme, write_table(fmt, ("customer_id", "name", "region"), [["A1", "Acme", "DACH"]])
    )

    assert counts(report) == (0, 0, 1)
    assert snapshot() == before

    report = import_customers(
        acme, write_table(fmt, ("customer_id", "name", "region"), [["A1", "Acme AG", "Central"]])
    )

    assert counts(report) == (0, 1, 0)
    assert customer(acme) == ("Acme AG", "H1", "Germany", "Central", "Retail")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_cell_in_a_column_the_file_has_empties_the_value(acme, write_table, fmt):
    header = ("customer_id", "name", "parent_id", "segment")
    report = import_customers(acme, write_table(fmt, header, [["A1", "Acme", None, None]]))

    assert counts(report) == (0, 1, 0)
    assert customer(acme) == ("Acme", None, "Germany", "DACH", None)


def test_a_new_customer_in_a_partial_file_has_no_value_in_the_absent_columns(acme, write_table):
    report = import_customers(
        acme, write_table("csv", ("customer_id", "name", "region"), [["B2", "Beta", "Nordics"]])
    )

    assert counts(report) == (1, 0, 0)
    assert customer(acme, "B2") == ("Beta", None, None, "Nordics", None)


@pytest.fixture
def lines(acme: AnalyticsStore, write_table) -> AnalyticsStore:
    """The store with LINES imported, every column filled."""
    import_customers(acme, write_table("csv", ("customer_id", "name"), [["C1", "Cargo"]]))
    import_transactions(acme, write_table("csv", FULL_LINES, LINES))
    return acme


def without(header: tuple[str, ...], rows, *dropped: str) -> tuple[tuple[str, ...], list]:
    keep = [i for i, name in enumerate(header) if name not in dropped]
    return tuple(header[i] for i in keep), [[row[i] for i in keep] for row in rows]


def stored_lines(store: AnalyticsStore) -> list[tuple]:
    return rows_of(
        store,
        "SELECT invoice_id, line_id, business_unit, revenue, cost, document_type "
        "FROM transactions ORDER BY invoice_id, line_id",
    )


def january(store: AnalyticsStore) -> tuple:
    return rows_of(
        store, "SELECT revenue, cost, lines FROM customer_month WHERE month = '2024-01-01'"
    )[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_lines_file_without_cost_or_business_unit_keeps_them(lines, write_table, snapshot, fmt):
    before = snapshot()
    header, rows = without(FULL_LINES, LINES, "cost", "business_unit", "document_type")

    report = import_transactions(lines, write_table(fmt, header, rows))

    assert counts(report) == (0, 0, 3)
    assert snapshot() == before

    rows[1][header.index("revenue")] = "55"
    report = import_transactions(lines, write_table(fmt, header, rows))

    assert counts(report) == (0, 1, 2)
    assert stored_lines(lines) == [
        ("CN1", "1", "Plant A", -50.0, -30.0, "credit_note"),
        ("I1", "1", "Plant A", 100.0, 60.0, "invoice"),
        ("I1", "2", "Plant B", 55.0, 20.0, "invoice"),
    ]
    assert january(lines) == (105.0, 50.0, 3)


def test_an_empty_cost_cell_empties_the_cost_and_the_rollup_follows(lines, write_table):
    header, rows = without(FULL_LINES, LINES, "business_unit")
    rows[1][header.index("cost")] = None

    report = import_transactions(lines, write_table("csv", header, rows))

    assert counts(report) == (0, 1, 2)
    assert [line[4] for line in stored_lines(lines)] == [-30.0, 60.0, None]
    assert january(lines) == (100.0, 30.0, 3)


def test_new_lines_in_a_partial_file_take_no_value_and_the_invoice_default(lines, write_table):
    header, rows = without(FULL_LINES, LINES, "cost", "business_unit", "document_type")
    rows.append(["I3", "1", "C1", "2024-01-25", "P3", "Seals", "1", "10"])

    report = import_transactions(lines, write_table("csv", header, rows))

    assert counts(report) == (1, 0, 3)
    assert stored_lines(lines)[-1] == ("I3", "1", None, 10.0, None, "invoice")


def test_a_negative_quantity_without_document_type_is_still_refused_on_an_invoice(
    lines, write_table, snapshot
):
    before = snapshot()
    header, rows = without(FULL_LINES, LINES, "document_type")
    rows[0][header.index("quantity")] = "-2"  # I1/1 is stored as an invoice
    # CN1/1 keeps its negative quantity: stored as a credit note, it stays one

    with pytest.raises(ImportRefused) as refused:
        import_transactions(lines, write_table("csv", header, rows))

    assert [str(p) for p in refused.value.report.problems] == [
        f"{refused.value.report.file}, line 2, column quantity: negative quantity -2 on an "
        "invoice line (only credit_note lines may be negative)"
    ]
    assert snapshot() == before
