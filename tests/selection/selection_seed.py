"""A small portfolio written the way an import leaves it, for the selection tests."""

from datetime import date

from kam.accounts.models import Account
from kam.analytics.portfolio import add_months

AS_OF = date(2024, 6, 28)
REGIONS = ("EMEA", "Americas", "APAC")
SEGMENTS = ("Manufacturing", "Retail", "Energy", "Logistics")


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
        raw.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
        raw.executemany("INSERT INTO customer_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", months)
    Account.objects.bulk_create(
        [
            Account(customer_id=cid, name=name, country=country, region=region, segment=segment)
            for cid, name, _parent, country, region, segment in customers
        ]
    )
    return [c[0] for c in customers]
