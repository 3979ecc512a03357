"""Loading the bundled data sets — the demo company and TPC-H — through the same import
services a user's own files go through, so every row they bring is validated the same way.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.accounts.services import do_import_customers, do_import_transactions
from kam.analytics.account_figures import AccountListQuery, account_page, shift_months
from kam.analytics.demo import DEMO_PASSWORD, demo_end, generate_demo_company, write_demo_files
from kam.analytics.demo.programme import PROGRAMME_EFFECT, programme_uplift
from kam.analytics.ingest import ImportReport
from kam.analytics.progress import Progress
from kam.analytics.store import latest_transaction_date
from kam.analytics.tpch import generate_tpch, tpch_to_kam
from kam.audit import trail
from kam.audit.choices import Interface
from kam.audit.context import acting, quiet
from kam.engagement.demo import archetypes_by_account, do_load_demo_engagements
from kam.health.services import do_score_health
from kam.opportunities.demo import do_load_demo_opportunities
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import check_permission, do_ensure_user
from kam.performance.demo import do_load_demo_costs
from kam.plans.demo import do_load_demo_plans
from kam.relationships.demo import do_load_demo_relationships
from kam.selection.demo import do_load_demo_selection
from kam.selection.models import KeyAccount, SelectionCycle
from kam.stores import analytics_store

# The demo maps people and plans for this many of its largest accounts.
DEMO_KEY_ACCOUNTS = 40


@dataclass(frozen=True)
class LoadedDataset:
    """What a data-set load brought in: the two import reports, the people it created and
    the people of the data set who already existed and were left as they were."""

    name: str
    customers: ImportReport
    transactions: ImportReport
    users: tuple[str, ...] = ()
    kept_users: tuple[str, ...] = ()
    as_of: date | None = None
    """The latest transaction date in the store after the load."""


@dataclass(frozen=True)
class InstallContents:
    """How much data an install holds: accounts in the master, lines in the store."""

    accounts: int
    lines: int

    @property
    def empty(self) -> bool:
        """True for a fresh install (users alone are not data)."""
        return not (self.accounts or self.lines)

    def __str__(self) -> str:
        accounts = f"{self.accounts:,} account{'' if self.accounts == 1 else 's'}"
        return f"{accounts} and {self.lines:,} transaction line{'' if self.lines == 1 else 's'}"


class DemoRefusedInProduction(Exception):
    """``kam demo`` on a production install (KAM_ENV=production) without ``in_production``:
    its logins share one published password."""

    def __init__(self) -> None:
        super().__init__(
            "this is a production install (KAM_ENV=production), and the demo's logins all "
            "share one published password"
        )


class InstallNotEmpty(Exception):
    """The demo was asked for on an install that already holds data, without ``force``."""

    def __init__(self, contents: InstallContents) -> None:
        self.contents = contents
        super().__init__(
            f"this install already holds {contents}; loading the demo company would merge "
            "its customers, lines, people and plans into them"
        )


def install_contents() -> InstallContents:
    """What the install holds now (the question ``kam demo`` asks before it loads)."""
    with analytics_store().connect(read_only=True) as con:
        lines = int(con.table("transactions").count().to_pyarrow().as_py() or 0)
    return InstallContents(accounts=Account.objects.count(), lines=lines)


def do_load_demo(
    actor: User | None,
    *,
    seed: int = 7,
    customers: int = 3000,
    force: bool = False,
    end: date | None = None,
    in_production: bool = False,
    programme_effect: float = PROGRAMME_EFFECT,
    progress: Progress | None = None,
) -> LoadedDataset:
    """Generate the demo company for ``seed`` and load it: people as users, then its files.
    Once its first selection is published, its key accounts buy more: each of their
    invoices after the selection brings a repeat order with probability ``programme_effect``
    (0: a history where key account management changes nothing; see
    ``kam.analytics.demo.programme``).

    Its data ends at ``end``, by default the last month end before today, so that what
    counts from the wall clock (plan freshness, overdue actions) meets recent figures.

    On a fresh install ``actor`` may be None, the installer (``make run``). An install that
    already holds data is refused (InstallNotEmpty) unless ``force``, and then only for an
    ``actor`` allowed to load the demo; whoever acts needs LOAD_DEMO. The demo's people are
    created only when their username is free: an existing user keeps their password and
    roles. Loading the same seed twice changes nothing, because the imports are idempotent.
    The people it creates must choose their own password at their first sign-in; on a
    production install it is refused (DemoRefusedInProduction) unless ``in_production``.
    """
    if settings.PRODUCTION and not in_production:
        raise DemoRefusedInProduction()
    contents = install_contents()
    if not contents.empty:
        if not force:
            raise InstallNotEmpty(contents)
        if actor is None:
            raise PermissionDenied(
                "merging the demo into existing data needs a user allowed to load the demo"
            )
    if actor is not None:
        check_permission(actor, Permission.LOAD_DEMO)
    # One audit entry for the whole load (and one per imported file), not one per record.
    with acting(Interface.DEMO, actor), quiet():
        loaded = _load_demo_company(
            actor,
            seed=seed,
            customers=customers,
            end=end,
            effect=programme_effect,
            progress=progress,
        )
        trail.record_load(
            "demo",
            {
                "seed": seed,
                "programme_effect": programme_effect,
                "customers": loaded.customers.rows,
                "lines": loaded.transactions.rows,
                "users": list(loaded.users),
                "kept_users": list(loaded.kept_users),
            },
        )
    return loaded


def _load_demo_company(
    actor: User | None,
    *,
    seed: int,
    customers: int,
    end: date | None,
    effect: float,
    progress: Progress | None,
) -> LoadedDataset:
    _report(progress, "generating the demo company", 0.0)
    company = generate_demo_company(
        seed=seed, customers=customers, end=end or demo_end(timezone.localdate())
    )
    files = write_demo_files(company, Path(settings.DATA_DIR) / "demo" / f"seed-{seed}")
    with transaction.atomic():
        ensured = [
            do_ensure_user(
                None,
                person.username,
                password=DEMO_PASSWORD,
                roles={Role(person.role)},
                must_change_password=True,
                first_name=person.first_name,
                last_name=person.last_name,
                title=person.title,
            )
            for person in company.people
        ]
    people = [user for user, _ in ensured]
    installer = actor or _importer(people)
    customers_report = do_import_customers(
        installer, files.customers, progress=_stage(progress, "customers")
    )
    transactions_report = do_import_transactions(
        installer, files.transactions, progress=_stage(progress, "invoice lines")
    )
    _report(progress, "stakeholder maps and account plans", 0.95)
    largest = _largest_accounts(DEMO_KEY_ACCOUNTS)
    do_load_demo_relationships(largest, people, seed)
    with analytics_store().connect(read_only=True) as con:
        as_of = latest_transaction_date(con) or company.end
    do_load_demo_plans(largest, people, today=as_of, seed=seed)
    _report(progress, "key-account selection", 0.97)

    def programme_works(cycle: SelectionCycle) -> None:
        keys = KeyAccount.objects.values_list("account_id", flat=True)
        repeats = programme_uplift(company.transactions, keys, cycle.as_of, effect, seed)
        if repeats.num_rows:
            path = files.customers.parent / "programme_repeat_orders.parquet"
            pq.write_table(repeats, path, compression="zstd")
            do_import_transactions(installer, path)

    do_load_demo_selection(people, seed, after_publishing=programme_works)
    _report(progress, "two years of engagement history", 0.99)
    do_load_demo_engagements(
        people,
        company.archetypes,
        seed=seed,
        today=timezone.localdate(),
        directory=files.customers.parent,
    )
    do_load_demo_opportunities(
        people,
        archetypes_by_account(company.archetypes),
        seed=seed,
        today=timezone.localdate(),
        directory=files.customers.parent,
    )
    do_load_demo_costs(people, seed=seed, directory=files.customers.parent)
    _report(progress, "health scoring, month by month", 0.995)
    _score_demo_health(people)
    return LoadedDataset(
        "demo",
        customers_report,
        transactions_report,
        users=tuple(user.username for user, created in ensured if created),
        kept_users=tuple(user.username for user, created in ensured if not created),
        as_of=as_of,
    )


def do_load_tpch(
    actor: User,
    *,
    scale: float,
    work_dir: Path | None = None,
    progress: Progress | None = None,
) -> LoadedDataset:
    """Generate TPC-H at ``scale`` with tpchgen-cli and import it as customers and lines."""
    check_permission(actor, Permission.IMPORT_DATA)
    root = work_dir or Path(settings.DATA_DIR) / "tpch" / f"sf{scale:g}"
    raw = generate_tpch(scale, root / "raw", progress=_stage(progress, "generating TPC-H"))
    files = tpch_to_kam(raw, root / "kam", progress=_stage(progress, "mapping to kam columns"))
    customers_report = do_import_customers(
        actor, files.customers, progress=_stage(progress, "customers")
    )
    transactions_report = do_import_transactions(
        actor, files.transactions, progress=_stage(progress, "line items")
    )
    return LoadedDataset(f"TPC-H SF{scale:g}", customers_report, transactions_report)


def _largest_accounts(count: int) -> list[Account]:
    """The ``count`` accounts with the most revenue in the last 12 months, largest first."""
    with analytics_store().connect(read_only=True) as con:
        page = account_page(con, AccountListQuery(page_size=count))
    ids = [row.customer_id for row in page.rows]
    by_id = Account.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


DEMO_HEALTH_RUNS = 3
"""Portfolio health runs the demo ends with: as of the last day of each of the months
before the latest transaction's, then as of that transaction (what ``kam health score``
does), so each account's score history is a line and "defection risk rising" has two runs
to compare."""


def _score_demo_health(people: list[User]) -> None:
    """The demo's health scoring runs, oldest first, as its Head of KAM (the first allowed
    to run scorings); each run's P(alive) fit starts from the one before."""
    scorer = next((p for p in people if p.can(Permission.RUN_SELECTION)), None)
    if scorer is None:
        return
    with analytics_store().connect(read_only=True) as con:
        latest = latest_transaction_date(con)
    if latest is None:
        return
    month_start = latest.replace(day=1)
    ends = [shift_months(month_start, -k) - timedelta(days=1) for k in range(DEMO_HEALTH_RUNS - 1)]
    for day in [*sorted(ends), latest]:
        do_score_health(scorer, day)


def _importer(people: list[User]) -> User:
    """The demo person the installer's imports run as: its Administrator, or else the first
    allowed to import (an existing user of that name may hold another role)."""
    ranked = sorted(people, key=lambda person: Role.ADMINISTRATOR not in person.roles())
    for person in ranked:
        if person.can(Permission.IMPORT_DATA):
            return person
    raise PermissionDenied("none of the demo's people may import data (existing users kept)")


def _stage(progress: Progress | None, prefix: str) -> Progress | None:
    if progress is None:
        return None
    return lambda label, fraction: progress(f"{prefix}: {label}", fraction)


def _report(progress: Progress | None, label: str, fraction: float) -> None:
    if progress is not None:
        progress(label, fraction)
