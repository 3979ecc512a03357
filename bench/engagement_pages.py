"""Benchmark the engagement pages at the scale of TPC-H SF1's customer master, against a
baseline page measured in the same run.

    .venv/bin/python bench/engagement_pages.py            # 150,000 accounts
    .venv/bin/python bench/engagement_pages.py --accounts 20000 --json

A programme is built in a private data directory (/tmp/kam-bench/engagement-<N>): N
accounts in the customer master, 200 managers keeping 10 key accounts each (2,000 key
accounts over a published cycle), two years of engagements for them (about 16 each, 32,000
in all, with participants) and 24 months of sales per key account in the store. Then each
page is asked through Django's test client with every check on (sign-in, permissions, the
audit middleware), in turns, 15 rounds:

(a) the baseline: the account page of one key account (``accounts:detail``);
(b) a manager's *My accounts* (10 rows, every column provider);
(c) the Head of KAM's overview of every manager (cadence of all 2,000 key accounts);
(d) the overdue touchpoints per manager;
(e) one account's engagement log.

Quoted: the median time of each page, the median of its paired ratio to (a) in the same
round, its HTML size and its SQL queries. Targets: ≤ 100 ms p50 and ≤ 200 KB HTML for (b)
at 150k accounts. ``--json`` prints the figures and the load average as one document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path


def build(accounts: int, root: Path) -> None:
    """The programme described in the module doc, through bulk writes (a benchmark's data
    set, not a user's: the services are measured elsewhere)."""
    from django.core.management import call_command
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.analytics.account_figures import add_months
    from kam.engagement.models import Engagement
    from kam.people.models import User
    from kam.people.roles import Role
    from kam.people.services import do_create_user
    from kam.selection.models import KeyAccount, ScoreRun, SelectionCycle
    from kam.selection.services.scoring import do_ensure_default_policy
    from kam.stores import analytics_store

    call_command("migrate", verbosity=0)
    if Account.objects.count() >= accounts:
        return
    rng = random.Random(5)
    do_create_user(None, "head", password="pw-bench", roles={Role.HEAD_OF_KAM})
    managers = [
        do_create_user(None, f"kam{i:03}", password="pw-bench", roles={Role.KEY_ACCOUNT_MANAGER})
        for i in range(200)
    ]
    Account.objects.bulk_create(
        [Account(customer_id=f"C{i:07}", name=f"Customer {i:07}") for i in range(accounts)],
        batch_size=5000,
    )
    run = ScoreRun.objects.create(
        policy_version=do_ensure_default_policy(), status="done", snapshot_id="bench"
    )
    now = timezone.now()
    cycle = SelectionCycle.objects.create(
        name="Key accounts", as_of=date.today(), score_run=run, status="published",
        approved_at=now - timedelta(days=400), published_at=now - timedelta(days=400),
    )  # fmt: skip
    tiers = ["tier_1", "tier_2", "tier_3", "high_potential"]
    keys = [
        KeyAccount(account_id=f"C{i:07}", tier=tiers[i % 4], manager=managers[i // 10],
                   since_cycle=cycle, confirmed_cycle=cycle)
        for i in range(2000)
    ]  # fmt: skip
    KeyAccount.objects.bulk_create(keys, batch_size=2000)
    today = date.today()
    made = Engagement.objects.bulk_create(
        [
            Engagement(account_id=f"C{i:07}", kind=rng.choice(["qbr", "call", "visit"]),
                       status="held", date=today - timedelta(days=rng.randint(1, 730)))
            for i in range(2000)
            for _ in range(16)
        ],
        batch_size=5000,
    )  # fmt: skip
    through = Engagement.our_people.through
    by_account = {k.account_id: k.manager_id for k in keys}
    through.objects.bulk_create(
        [through(engagement_id=e.pk, user_id=by_account[e.account_id]) for e in made],
        batch_size=5000,
    )
    with analytics_store().connect() as con:
        raw = con.con
        raw.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
            [(f"C{i:07}", f"Customer {i:07}", None, "DE", "EMEA", "Retail") for i in range(2000)],
        )
        rows = []
        for i in range(2000):
            for k in range(24):
                month = add_months(today, -23 + k)
                revenue = 50_000 * rng.uniform(0.5, 1.5)
                rows.append((f"C{i:07}", month, revenue, revenue * 0.7, 10.0, 3, 2,
                             month.replace(day=3), month.replace(day=20)))  # fmt: skip
        raw.executemany("INSERT INTO customer_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    User.objects.update(must_change_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=150_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(f"/tmp/kam-bench/engagement-{args.accounts}")
    root.mkdir(parents=True, exist_ok=True)
    os.environ["KAM_DATA_DIR"] = str(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kam.people.models import User

    started = time.perf_counter()
    build(args.accounts, root)
    built = time.perf_counter() - started
    pages = {
        "a_account_page": ("kam000", "/accounts/C0000000/"),
        "b_my_accounts": ("kam000", "/my-accounts/"),
        "c_head_overview": ("head", "/my-accounts/"),
        "d_overdue": ("head", "/engagement/overdue/"),
        "e_account_log": ("kam000", "/accounts/C0000000/engagements/"),
    }
    clients = {}
    for username in {user for user, _ in pages.values()}:
        clients[username] = Client(HTTP_HOST="localhost")
        clients[username].force_login(User.objects.get(username=username))
    times: dict[str, list[float]] = {name: [] for name in pages}
    sizes, queries = {}, {}
    for name, (user, url) in pages.items():  # warm up: imports, caches, the reader copy
        with CaptureQueriesContext(connection) as captured:
            response = clients[user].get(url)
        assert response.status_code == 200, (url, response.status_code)
        sizes[name], queries[name] = len(response.content), len(captured)
    for _ in range(args.rounds):
        for name, (user, url) in pages.items():
            start = time.perf_counter()
            clients[user].get(url)
            times[name].append((time.perf_counter() - start) * 1000)
    figures = {
        "accounts": args.accounts,
        "build_seconds": round(built, 1),
        "load_average": os.getloadavg(),
        "pages": {
            name: {
                "median_ms": round(statistics.median(times[name]), 1),
                "ratio_to_baseline": round(
                    statistics.median(
                        t / b for t, b in zip(times[name], times["a_account_page"], strict=True)
                    ),
                    2,
                ),
                "html_kb": round(sizes[name] / 1024, 1),
                "queries": queries[name],
            }
            for name in pages
        },
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{args.accounts:,} accounts (built in {built:.0f}s), load {os.getloadavg()[0]:.1f}")
    for name, row in figures["pages"].items():
        print(f"  {name:18} {row['median_ms']:7.1f} ms  ×{row['ratio_to_baseline']:<5} "
              f"{row['html_kb']:6.1f} KB  {row['queries']:3} queries")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
