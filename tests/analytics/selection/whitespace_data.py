"""A hand-built portfolio for whitespace with known answers.

Twelve customers in three size bands of four (by revenue over the 12 months to AS_OF):
four tiny ones, four of about a thousand — the account ``A`` and its three Retail peers
``P1``–``P3`` — and four large. ``A`` buys Pumps in two business units and has a wallet
entered for Pumps; its peers buy Valves (``P3``'s Valves figure is its entered wallet, 900),
so ``A``'s Valves wallet is estimated from peers at the median of 300, 500 and 900.
Seals are sold only to ``L1``, a large customer: no peer of ``A`` buys them, no estimate.
"""

from datetime import date

import pyarrow as pa
from store_rows import insert_rows

from kam.analytics.whitespace import pipeline_table, wallet_table

AS_OF = date(2024, 6, 30)

CUSTOMERS = [
    ("A", "Account A", None, "DE", "EMEA", "Retail"),
    ("P1", "Peer One", None, "DE", "EMEA", "Retail"),
    ("P2", "Peer Two", None, "DE", "EMEA", "Retail"),
    ("P3", "Peer Three", None, "DE", "EMEA", "Retail"),
    *[(f"S{i}", f"Small {i}", None, "DE", "EMEA", "Retail") for i in range(1, 5)],
    *[(f"L{i}", f"Large {i}", None, "DE", "EMEA", "Retail") for i in range(1, 5)],
]

# (customer, category, business unit, revenue) on 2024-03-15 (inside the window) ...
LINES = [
    ("A", "Pumps", "North", 1000.0),
    ("A", "Pumps", "South", 200.0),
    ("P1", "Valves", "Plant 1", 300.0),
    ("P1", "Pumps", "Plant 1", 800.0),
    ("P2", "Valves", None, 500.0),
    ("P2", "Pumps", None, 600.0),
    ("P3", "Valves", "HQ", 700.0),
    ("P3", "Pumps", "HQ", 500.0),
    *[(f"S{i}", "Pumps", None, 10.0 * i) for i in range(1, 5)],
    ("L1", "Seals", None, 100_000.0),
    *[(f"L{i}", "Pumps", None, 90_000.0 + i) for i in range(2, 5)],
]
# ... and one line from before the window, which counts for nothing.
OLD_LINES = [("A", "Valves", "North", 5000.0)]

WALLETS = wallet_table(
    [
        {"customer_id": "A", "category": "Pumps", "amount": 4800.0},
        {"customer_id": "P3", "category": "Valves", "amount": 900.0},
    ]
)
PIPELINE = pipeline_table(
    [{"customer_id": "A", "category": "Valves", "business_unit": "North", "value": 400.0}]
)
NO_PIPELINE = pipeline_table([])


def seed(con) -> None:
    """Customers, lines and their customer_month rows, straight into the store."""
    raw = con.con
    insert_rows(raw, "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", CUSTOMERS)
    rows = []
    for number, (customer, category, unit, revenue) in enumerate(LINES + OLD_LINES, start=1):
        day = "2024-03-15" if number <= len(LINES) else "2022-01-15"
        rows.append(
            (f"I{number}", "1", customer, day, "p", category, unit, 1.0, revenue, None, "invoice")
        )
    insert_rows(
        raw, "INSERT INTO transactions VALUES (?, ?, ?, ?::DATE, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    raw.execute(
        "INSERT INTO customer_month SELECT customer_id, date_trunc('month', date)::DATE, "
        "sum(revenue), sum(coalesce(cost, 0)), sum(quantity), count(*), count(DISTINCT "
        "invoice_id), min(date), max(date) FROM transactions GROUP BY ALL"
    )


def by_key(table: pa.Table, *keys: str) -> dict[tuple, dict]:
    return {tuple(row[k] for k in keys): row for row in table.to_pylist()}
