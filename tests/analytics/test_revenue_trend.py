"""The small revenue trends of *My accounts*: the same figures whether they are read from a
writer's connection (SQL over customer_month) or from a reader copy (the months kept sorted
by account, per copy)."""

from datetime import date

from store_rows import insert_rows

from kam.analytics.revenue_trend import revenue_trends
from kam.analytics.store import AnalyticsStore, reader_memo

# customer, month, revenue: C1 doubles on the year, C2 had nothing the year before, C3's
# sales are older than 24 months but for one, C4 has none in the last 24 months.
MONTHS = [
    ("C1", "2021-01-01", 200.0),
    ("C1", "2023-03-01", 500.0),
    ("C1", "2024-06-01", 1000.0),
    ("C2", "2023-09-01", 300.0),
    ("C2", "2024-02-01", 400.0),
    ("C3", "2020-05-01", 50.0),
    ("C3", "2022-10-01", 750.0),
    ("C4", "2021-05-01", 900.0),
]


def seed(con) -> None:
    customers = [
        (c, f"Customer {c}", None, "DE", "EMEA", "Retail") for c in ("C1", "C2", "C3", "C4")
    ]
    insert_rows(con.con, "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
    insert_rows(
        con.con,
        "INSERT INTO customer_month VALUES (?, ?::DATE, ?, NULL, 1, 1, 1, ?::DATE, ?::DATE)",
        [
            (c, month, revenue, month, "2024-06-18" if month == "2024-06-01" else month)
            for c, month, revenue in MONTHS
        ],
    )


def test_a_reader_copy_gives_the_writers_trends(store: AnalyticsStore):
    with store.connect() as con:
        seed(con)
        written = revenue_trends(con, ["C1", "C2", "C3", "C4", "C1"])
    with store.connect(read_only=True) as con:
        assert reader_memo(con) is not None  # read from the copy, not the live file
        read = revenue_trends(con, ["C1", "C2", "C3", "C4", "C1"])
    assert read == written
    c1 = read["C1"]
    assert (c1.as_of, c1.revenue_12m, c1.revenue_prev_12m) == (date(2024, 6, 18), 1000, 500)
    assert c1.growth_pct == 100
    assert c1.monthly[-1] == 1000
    assert len(c1.monthly) == 12
    assert read["C2"].revenue_12m == 700
    assert read["C2"].growth_pct is None
    assert read["C3"].revenue_prev_12m == 750
    assert read["C3"].revenue_12m == 0
    assert "C4" not in read  # no sales in the last 24 months
