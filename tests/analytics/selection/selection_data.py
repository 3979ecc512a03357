"""The small hand-built portfolio the selection tests share."""

from datetime import date

from ibis.backends.duckdb import Backend as DuckDBBackend
from store_rows import insert_rows

AS_OF = date(2024, 6, 18)
"""Windows: last 12 months = Jul 2023–Jun 2024, previous 12 = Jul 2022–Jun 2023."""

CUSTOMERS = [
    ("C1", "Alpha Holding", None, "DE", "EMEA", "Manufacturing"),
    ("C2", "Beta GmbH", None, "DE", "EMEA", "Retail"),
    ("C3", "Gamma Inc", None, "US", "Americas", "Manufacturing"),
    ("C4", "Delta Ltd", None, "AU", "APAC", "Retail"),
    ("C5", "Epsilon SA", None, "FR", "EMEA", None),
    ("C6", "Zeta Lapsed", None, "US", "Americas", "Retail"),
    ("C7", "Eta Prospect", None, "US", "Americas", "Retail"),
]

# customer, month, revenue, cost, orders, first_date, last_date
MONTHS = [
    ("C1", "2021-01-01", 100.0, 60.0, 1, "2021-01-10", "2021-01-10"),
    ("C1", "2023-03-01", 400.0, 240.0, 1, "2023-03-02", "2023-03-02"),
    ("C1", "2024-06-01", 550.0, 330.0, 2, "2024-06-03", "2024-06-18"),
    ("C1", "2024-07-01", 9999.0, 0.0, 1, "2024-07-02", "2024-07-02"),  # after AS_OF
    ("C2", "2024-01-01", 240.0, None, 1, "2024-01-15", "2024-01-15"),
    ("C3", "2023-06-01", 70.0, 35.0, 1, "2023-06-30", "2023-06-30"),  # last month before
    ("C3", "2023-07-01", 110.0, 55.0, 1, "2023-07-01", "2023-07-01"),  # first month in
    ("C4", "2024-06-01", 60.0, 60.0, 1, "2024-06-10", "2024-06-10"),
    ("C5", "2023-12-01", 40.0, 10.0, 1, "2023-12-05", "2023-12-05"),
    ("C6", "2022-09-01", 500.0, 250.0, 1, "2022-09-09", "2022-09-09"),
]


def seed(con: DuckDBBackend, customers=CUSTOMERS, months=MONTHS) -> None:
    """Write customers and customer_month rows straight into the store."""
    raw = con.con
    insert_rows(raw, "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", list(customers))
    if months:
        insert_rows(
            raw,
            "INSERT INTO customer_month VALUES (?, ?::DATE, ?, ?, 1, 1, ?, ?::DATE, ?::DATE)",
            list(months),
        )


def monthly(customer: str, revenues: list[float], first_month: date) -> list[tuple]:
    """customer_month rows for consecutive months from ``first_month`` (zeros are skipped)."""
    rows = []
    for k, revenue in enumerate(revenues):
        index = first_month.year * 12 + first_month.month - 1 + k
        month = date(index // 12, index % 12 + 1, 1)
        if revenue:
            day = month.replace(day=10).isoformat()
            rows.append((customer, month.isoformat(), revenue, revenue / 2, 1, day, day))
    return rows
