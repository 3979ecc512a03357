"""Writes to the customer master: imports of customers and transaction lines.

The analytical store and the operational database change together or not at all: the
store's transaction stays open while the accounts are upserted here, and an error on
either side rolls both back.
"""

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from django.db import connection, transaction
from django.utils import timezone

from kam.accounts.access import across_programme
from kam.accounts.models import Account
from kam.analytics.ingest import (
    ColumnMapping,
    ImportReport,
    import_customers,
    import_transactions,
)
from kam.analytics.ingest.lake import import_customers_to_lake, import_transactions_to_lake
from kam.analytics.progress import Progress
from kam.audit import trail
from kam.audit.context import quiet
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import PermissionRefused, check_permission
from kam.stores import analytics_lake, analytics_store, on_spark

MIRRORED_FIELDS = ("name", "parent_id", "country", "region", "segment")
ACCOUNT_BATCH = 2_000


def _account_max_lengths() -> dict[str, int]:
    """The operational database's field sizes, so a value too long is a reported problem."""
    lengths = {}
    for name in ("customer_id", "name", "country", "region", "segment"):
        field = Account._meta.get_field(name)
        max_length = getattr(field, "max_length", None)
        if max_length:
            lengths[name] = int(max_length)
    lengths["parent_id"] = lengths["customer_id"]
    return lengths


def mirror_accounts(batches: pa.RecordBatchReader) -> None:
    """Upsert Account rows from Arrow batches of canonical customer rows, one batch at a time.

    Only the columns the batches carry are written: a column the file did not have keeps
    each existing account's value (a new account gets an empty one). Rows equal to the
    stored account in those columns are skipped, so a re-import keeps ``updated_at``.
    Parents may come later in the file than their subsidiaries; foreign keys are checked
    at the end (they are deferred on SQLite and PostgreSQL), so a broken reference fails
    here, before the analytical store commits.
    """
    present = tuple(f for f in MIRRORED_FIELDS if f in batches.schema.names)
    fields = ("customer_id", *present)
    upsert_sql = _account_upsert_sql(present)
    full_row = _full_row_maker(present)
    with connection.cursor() as cursor:
        for batch in batches:
            for start in range(0, batch.num_rows, ACCOUNT_BATCH):
                rows = list(zip(*(_column(batch, f, start) for f in fields), strict=True))
                stored = set(
                    Account.objects.filter(customer_id__in=[row[0] for row in rows]).values_list(
                        *fields
                    )
                )
                now = connection.ops.adapt_datetimefield_value(timezone.now())
                changed = [(*full_row(row), now, now) for row in rows if row not in stored]
                if changed:
                    cursor.executemany(upsert_sql, changed)
    connection.check_constraints(table_names=[Account._meta.db_table])


def _column(batch: pa.RecordBatch, field: str, start: int) -> list[str | None]:
    values = batch.column(field).slice(start, ACCOUNT_BATCH).to_pylist()
    if field in ("customer_id", "parent_id"):
        return values
    return [value or "" for value in values]  # Account keeps "no value" as '', not NULL


def _full_row_maker(present: tuple[str, ...]) -> Callable[[tuple], tuple]:
    """Pads a row of the file's fields to every mirrored field, as a new account has them."""
    if present == MIRRORED_FIELDS:
        return lambda row: row
    at = {field: i for i, field in enumerate(("customer_id", *present))}
    picks = [
        (at[f], None) if f in at else (None, None if f == "parent_id" else "")
        for f in ("customer_id", *MIRRORED_FIELDS)
    ]
    return lambda row: tuple(row[i] if i is not None else blank for i, blank in picks)


def _account_upsert_sql(present: tuple[str, ...]) -> str:
    # One INSERT ... ON CONFLICT statement run with executemany: the same SQL on SQLite and
    # PostgreSQL, and about ten times faster than bulk_create, whose per-row SQL compiling
    # dominated a 1.5M-customer import. On a conflict only the file's columns are updated.
    quote = connection.ops.quote_name
    column_of = {field.name: str(field.column) for field in Account._meta.concrete_fields}
    column_of["parent_id"] = column_of["parent"]
    columns = [column_of[name] for name in ("customer_id", *MIRRORED_FIELDS)]
    columns += [column_of["created_at"], column_of["updated_at"]]
    updated = [column_of[name] for name in present] + [column_of["updated_at"]]
    return (
        f"INSERT INTO {quote(Account._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote(columns[0])}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updated)
    )


@transaction.atomic
def do_import_customers(
    user: User,
    path: Path | str,
    *,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    file_label: str | None = None,
    problems_csv: Path | str | None = None,
) -> ImportReport:
    """Import the customer master into both stores; raises ImportRefused naming every bad row."""
    check_permission(user, Permission.IMPORT_DATA)
    store = analytics_store()

    def run() -> ImportReport:
        return import_customers(
            store,
            path,
            mapping=mapping,
            progress=progress,
            file_label=file_label,
            problems_csv=problems_csv,
            mirror=mirror_accounts,
            max_lengths=_account_max_lengths(),
        )

    with quiet():
        # With the spark engine the lake's copy of the master follows (docs/scale.md).
        report = import_customers_to_lake(store, analytics_lake(), run) if on_spark() else run()
    return _recorded(report, path)


@transaction.atomic
def do_import_transactions(
    user: User,
    path: Path | str,
    *,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    file_label: str | None = None,
    problems_csv: Path | str | None = None,
) -> ImportReport:
    """Import transaction lines into the analytical store; raises ImportRefused on any bad row."""
    check_permission(user, Permission.IMPORT_DATA)
    if on_spark():
        # The lines go to the lake; the same checks, errors and counts (docs/scale.md).
        report = import_transactions_to_lake(
            analytics_store(),
            analytics_lake(),
            path,
            mapping=mapping,
            progress=progress,
            file_label=file_label,
            problems_csv=problems_csv,
        )
        return _recorded(report, path)
    report = import_transactions(
        analytics_store(),
        path,
        mapping=mapping,
        progress=progress,
        file_label=file_label,
        problems_csv=problems_csv,
    )
    return _recorded(report, path)


def _recorded(report: ImportReport, path: Path | str) -> ImportReport:
    """The import's one audit entry (file, hash, counts); a refused file changed nothing."""
    if not report.refused:
        counts = {
            "rows": report.rows,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
        }
        trail.record_file(str(report.kind), path, file_label=report.file, counts=counts)
    return report


@transaction.atomic
def do_set_account_team(user: User, account: Account, members: list[User]) -> None:
    """Make ``members`` the people who work ``account`` with its key account manager; the Key
    Account Managers among them may then edit it (``kam.accounts.access``).

    Only the Head of KAM and the Administrator set a team: a manager cannot widen who edits an
    account, not even their own.
    """
    if not across_programme(user, Permission.EDIT_PLANS):
        raise PermissionRefused(
            user, Permission.EDIT_PLANS, "Setting who works an account needs the Head of KAM."
        )
    inactive = [member.username for member in members if not member.is_active]
    if inactive:
        raise ValueError(f"{inactive[0]} is not an active user and cannot join a team")
    account.team.set(members)
