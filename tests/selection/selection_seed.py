"""A small portfolio written the way an import leaves it, for the selection tests."""

import datetime as dt
from datetime import date

from store_rows import insert_rows

from kam.accounts.models import Account
from kam.analytics.account_figures import add_months
from kam.analytics.clv.simulate_lines import simulate_transaction_lines
from kam.analytics.ingest.load import refresh_customer_month

AS_OF = date(2024, 6, 28)
REGIONS = ("EMEA", "Americas", "APAC")
SEGMENTS = ("Manufacturing", "Retail", "Energy", "Logistics")


BUYERS_AS_OF = date(2023, 12, 31)
BUYERS_TRUTH = {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0}
BUYERS_SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}


def customer_id(index: int) -> str:
    return f"C{index:03}"


def seed_portfolio(store, count: int = 20) -> list[str]:
    """``count`` customers, 30 months each, a heavy tail: C000 buys most, C{count-1} least.

    Every third customer grows, the others decline; C005 stopped buying a year ago.
    Written the way an import leaves them: customers + customer_month, and Account rows.
    """
    with store.connect() as con:
        raw = con.con
        customers, months = [], []
        for i in range(count):
            cid = customer_id(i)
            region, segment = REGIONS[i % 3], SEGMENTS[i % 4]
            customers.append((cid, f"Customer {i:03}", None, "DE", region, segment))
            size = 100_000 / (i + 1)
            growth = 0.02 if i % 3 == 0 else -0.01
            for k in range(30):
                month = add_months(AS_OF, -29 + k)
                if i == 5 and k > 17:
                    continue
                revenue = size * (1 + growth) ** k
                last_day = AS_OF if k == 29 else add_months(month, 1).replace(day=1)
                last_day = min(last_day, AS_OF) if k == 29 else month.replace(day=20)
                months.append(
                    (cid, month, revenue, revenue * (0.6 + 0.01 * (i % 5)), 10.0, 3, 2,
                     month.replace(day=3), last_day)
                )  # fmt: skip
        insert_rows(raw, "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
        insert_rows(raw, "INSERT INTO customer_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", months)
    Account.objects.bulk_create(
        [
            Account(customer_id=cid, name=name, country=country, region=region, segment=segment)
            for cid, name, _parent, country, region, segment in customers
        ]
    )
    return [c[0] for c in customers]


def seed_buyers(store, count: int = 300) -> list[str]:
    """``count`` simulated BG/NBD customers with dated invoice lines, in both stores."""
    lines = simulate_transaction_lines(
        count, BUYERS_TRUTH, BUYERS_SPEND, start=dt.date(2022, 1, 1), end=BUYERS_AS_OF, seed=3
    )
    ids = sorted(set(lines.column("customer_id").to_pylist()))
    with store.connect() as con:
        raw = con.con
        insert_rows(
            raw,
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', 'Retail')",
            [(c, f"Customer {c}") for c in ids],
        )
        raw.register("_lines", lines)
        raw.execute(
            "INSERT INTO transactions (invoice_id, line_id, customer_id, date, quantity, revenue, "
            "cost, document_type) SELECT customer_id || date::VARCHAR, '1', customer_id, date, "
            "1, revenue, revenue * 0.7, 'invoice' FROM _lines"
        )
        raw.unregister("_lines")
        refresh_customer_month(raw)
    Account.objects.bulk_create(
        [Account(customer_id=c, name=f"Customer {c}", region="EMEA", segment="Retail") for c in ids]
    )
    return ids
