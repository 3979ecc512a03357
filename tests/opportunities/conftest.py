"""Fixtures of the opportunity tests: the engagement tests' programme (two Tier 1 accounts,
their managers, a sponsor, the Head of KAM, a viewer, an analyst) and a store with sales."""

from datetime import date

import pytest
from engagement.conftest import Programme, programme, today  # noqa: F401
from store_rows import insert_rows

AS_OF = date(2026, 5, 20)
LINES = [
    # (customer, category, business unit, revenue)
    ("C-OWN", "Pumps", "North", 12_000.0),
    ("C-OWN", "Pumps", "South", 3_000.0),
    ("C-OWN", "Seals", "North", 500.0),
    ("C-FOREIGN", "Valves", "Plant", 8_000.0),
]


@pytest.fixture
def sales(store, programme: Programme):  # noqa: F811
    """Invoice lines of both accounts in the store (as an import leaves them)."""
    with store.connect() as con:
        raw = con.con
        insert_rows(
            raw,
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', 'Logistics')",
            [("C-OWN", "Nordwind Logistics GmbH"), ("C-FOREIGN", "Borealis Foods Inc.")],
        )
        insert_rows(
            raw,
            "INSERT INTO transactions VALUES (?, '1', ?, ?, 'p', ?, ?, 1, ?, NULL, 'invoice')",
            [(f"I{n}", c, AS_OF, cat, unit, rev) for n, (c, cat, unit, rev) in enumerate(LINES)],
        )
        raw.execute(
            "INSERT INTO customer_month SELECT customer_id, date_trunc('month', date)::DATE, "
            "sum(revenue), 0, sum(quantity), count(*), count(*), min(date), max(date) "
            "FROM transactions GROUP BY ALL"
        )
    return store
