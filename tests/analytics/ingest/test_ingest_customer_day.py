"""customer_day, the purchase days the future-value step reads, follows every import."""

from datetime import date
from pathlib import Path

import pytest

from kam.analytics.ingest import import_customers, import_transactions, refresh_customer_day
from kam.analytics.store import AnalyticsStore

HEADER = ("invoice_id", "line_id", "customer_id", "date", "quantity", "revenue", "document_type")
GOOD: list[list[str | None]] = [
    ["I1", "1", "C1", "2024-01-05", "2", "100", "invoice"],
    ["I1", "2", "C1", "2024-01-05", "1", "50.5", None],
    ["I4", "1", "C1", "2024-01-05", "1", "-5", "invoice"],  # a negative invoice line counts
    ["I2", "1", "C2", "2024-02-10", "3", "30", "invoice"],
    ["CN1", "1", "C1", "2024-02-11", "-1", "-50", "credit_note"],  # no purchase day
]
GOOD_DAYS = [
    ("C1", date(2024, 1, 5), 145.5, 3),
    ("C2", date(2024, 2, 10), 30.0, 1),
]
# What portfolio.purchase_days computes from the lines, in SQL.
FROM_LINES = """
    SELECT customer_id, date, sum(revenue), count(*) FROM transactions
    WHERE document_type IS NULL OR document_type = 'invoice'
    GROUP BY ALL ORDER BY ALL
"""


@pytest.fixture
def customers(store: AnalyticsStore, tmp_path: Path) -> AnalyticsStore:
    """The store with customers C1 and C2 imported."""
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name\nC1,Acme\nC2,Beta\n", encoding="utf-8")
    import_customers(store, path)
    return store


def days(store: AnalyticsStore) -> list[tuple]:
    """customer_day, checked against the grouping of the lines it stands for."""
    with store.connect(read_only=True) as backend:
        stored = backend.con.execute(
            "SELECT customer_id, date, revenue, lines FROM customer_day ORDER BY ALL"
        ).fetchall()
        grouped = backend.con.execute(FROM_LINES).fetchall()
    assert stored == grouped
    return stored


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_first_import_and_a_reimport_leave_one_row_per_purchase_day(customers, write_table, fmt):
    path = write_table(fmt, HEADER, GOOD)

    import_transactions(customers, path)
    assert days(customers) == GOOD_DAYS

    import_transactions(customers, path)
    assert days(customers) == GOOD_DAYS


CORRECTIONS = [
    pytest.param(
        [["I2", "1", "C2", "2024-02-10", "3", "45", "invoice"]],
        [GOOD_DAYS[0], ("C2", date(2024, 2, 10), 45.0, 1)],
        id="revenue-corrected",
    ),
    pytest.param(
        [["I2", "1", "C1", "2024-02-10", "3", "30", "invoice"]],
        [GOOD_DAYS[0], ("C1", date(2024, 2, 10), 30.0, 1)],
        id="line-moved-to-another-customer",
    ),
    pytest.param(
        [["I2", "1", "C2", "2024-02-10", "-3", "-30", "credit_note"]],
        [GOOD_DAYS[0]],
        id="invoice-turned-credit-note",
    ),
    pytest.param(
        [["I1", "2", "C1", "2024-01-06", "1", "50.5", None]],
        [("C1", date(2024, 1, 5), 95.0, 2), ("C1", date(2024, 1, 6), 50.5, 1), GOOD_DAYS[1]],
        id="line-moved-to-another-day",
    ),
    pytest.param(
        [["I3", "1", "C2", "2024-03-01", "1", "7", None]],
        [*GOOD_DAYS, ("C2", date(2024, 3, 1), 7.0, 1)],
        id="new-line",
    ),
]


@pytest.mark.parametrize(("changed", "expected"), CORRECTIONS)
def test_a_corrected_file_moves_the_purchase_days_with_it(
    customers, write_table, changed, expected
):
    import_transactions(customers, write_table("csv", HEADER, GOOD))
    keys = {(row[0], row[1]) for row in changed}
    corrected = [row for row in GOOD if (row[0], row[1]) not in keys] + changed

    import_transactions(customers, write_table("parquet", HEADER, corrected))

    assert days(customers) == expected


def test_a_partial_file_keeps_the_document_type_and_updates_the_revenue(customers, write_table):
    import_transactions(customers, write_table("csv", HEADER, GOOD))
    partial = [[*row[:5], "60" if row[0] == "I2" else row[5]] for row in GOOD]

    import_transactions(customers, write_table("csv", HEADER[:6], partial))

    # The credit note stays one (the file has no document_type): still no purchase day.
    assert days(customers) == [GOOD_DAYS[0], ("C2", date(2024, 2, 10), 60.0, 1)]


def test_a_store_written_before_the_table_existed_is_rebuilt(customers, write_table):
    import_transactions(customers, write_table("csv", HEADER, GOOD))
    with customers.connect() as backend:
        backend.con.execute("DELETE FROM customer_day")
        refresh_customer_day(backend.con)

    assert days(customers) == GOOD_DAYS
