"""The programme tests' data: a store with three years of monthly sales for twenty
customers, twelve of them key accounts kept by two managers (shared with the browser test)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from store_rows import insert_rows

from kam.accounts.models import Account
from kam.analytics.account_figures import add_months
from kam.people.roles import Role

AS_OF = date(2026, 6, 30)
CUSTOMERS = 20
KEYS = 12


@dataclass
class Programme:
    head: Any
    kim: Any
    olli: Any
    viewer: Any
    accounts: list[Account]


def monthly_rows(customers: int, as_of: date) -> list[tuple]:
    """36 months per customer: C00 the largest by far; key accounts (C00–C11) grow."""
    rows = []
    for i in range(customers):
        base = 60_000.0 if i == 0 else 10_000.0 / (1 + i * 0.1)
        growth = 1.01 if i < KEYS else 0.998
        for k in range(36):
            month = add_months(as_of, -35 + k)
            revenue = base * growth**k
            rows.append(
                (f"C{i:02d}", month, revenue, revenue * 0.7, 1.0, 2, 1,
                 month.replace(day=3), month.replace(day=20))
            )  # fmt: skip
    return rows


def seed_programme(store: Any, make_user: Any) -> Programme:
    """Write the store's sales and the operational database's accounts, people and key
    accounts."""
    from kam.selection.models import KeyAccount, ScoreRun, SelectionCycle
    from kam.selection.services.scoring import do_ensure_default_policy

    head = make_user(Role.HEAD_OF_KAM, "head", first_name="Hannah", last_name="Head")
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    olli = make_user(Role.KEY_ACCOUNT_MANAGER, "olli", first_name="Olli", last_name="Ort")
    viewer = make_user(Role.VIEWER, "viewer")
    with store.connect() as con:
        insert_rows(
            con.con,
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', ?)",
            [(f"C{i:02d}", f"Customer {i:02d}", "Retail" if i % 2 else "Energy")
             for i in range(CUSTOMERS)],
        )  # fmt: skip
        insert_rows(
            con.con,
            "INSERT INTO customer_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            monthly_rows(CUSTOMERS, AS_OF),
        )
    accounts = [
        Account.objects.create(customer_id=f"C{i:02d}", name=f"Customer {i:02d}")
        for i in range(CUSTOMERS)
    ]
    run = ScoreRun.objects.create(
        policy_version=do_ensure_default_policy(),
        status="done",
        as_of=AS_OF,
        snapshot_id="s-1",
        finished_at=timezone.now(),
    )
    now = timezone.now()
    cycle = SelectionCycle.objects.create(
        name="Cycle 1", as_of=AS_OF, score_run=run, status="published", approved_at=now,
        published_at=now,
    )  # fmt: skip
    for i, account in enumerate(accounts[:KEYS]):
        KeyAccount.objects.create(
            account=account,
            tier="tier_1" if i < 4 else "tier_2",
            manager=kim if i % 2 == 0 else olli,
            since_cycle=cycle,
            confirmed_cycle=cycle,
        )
    return Programme(head, kim, olli, viewer, accounts)
