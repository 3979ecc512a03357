"""Reading an engagement log from CSV or Excel: every bad cell named, nothing half-written.

The file goes through the reader and the shared rules every import passes
(``kam.analytics.ingest.text``: encoding, shape, NUL bytes, required values), with the
engagement's own cell rules in the same statement (known account, date, kind, status,
rating, duration, time); then the rules that span tables — people who exist, contacts of
the row's account, a held engagement not in the future, the importer's right to log on
the account, one row per engagement. Only a file with no problem at all is written, in
bulk, inside the caller's transaction.

Rows match engagements already logged by ``reference`` when the row has one, else by
account, kind, date and title: importing the same file again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa

from kam.accounts.models import Account
from kam.analytics.ingest.checks import Check, length_checks
from kam.analytics.ingest.problems import ImportRefused
from kam.analytics.ingest.readers import sql_string
from kam.analytics.ingest.stage import ROWS
from kam.analytics.ingest.text import read_checked_csv
from kam.analytics.progress import Progress
from kam.analytics.schema import Column, ColumnType
from kam.engagement.models import Engagement, EngagementKind, EngagementStatus
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import has_permission
from kam.relationships.models import Contact

COLUMNS: tuple[Column, ...] = (
    Column("customer_id", ColumnType.TEXT, True, "The account's customer_id.", True),
    Column("date", ColumnType.TEXT, True, "The day, YYYY-MM-DD."),
    Column(
        "kind",
        ColumnType.TEXT,
        True,
        "QBR, executive business review (EBR), steering committee, workshop, joint planning "
        "session, training, advisory board, call or visit.",
    ),
    Column(
        "status",
        ColumnType.TEXT,
        False,
        "planned, held or cancelled; empty: held up to today, planned after.",
    ),
    Column("start_time", ColumnType.TEXT, False, "Local start time HH:MM; empty: all day."),
    Column("duration_minutes", ColumnType.TEXT, False, "Whole minutes, 1–1440 (default 60)."),
    Column("title", ColumnType.TEXT, False, "A title; default: the kind."),
    Column("location", ColumnType.TEXT, False, "Where, or the video link."),
    Column(
        "our_people",
        ColumnType.TEXT,
        False,
        "User names from our side, separated by ';'; empty: the account's manager.",
    ),
    Column(
        "contacts",
        ColumnType.TEXT,
        False,
        "The customer's people, by email or name as on the stakeholder map, separated by ';'.",
    ),
    Column("notes", ColumnType.TEXT, False, "Agenda, minutes, anything worth keeping."),
    Column("outcome", ColumnType.TEXT, False, "What came out of it."),
    Column("rating", ColumnType.TEXT, False, "How it went, a whole number 1–5 (held only)."),
    Column(
        "reference",
        ColumnType.TEXT,
        False,
        "The id your source system gives it; a later import with the same id updates it.",
        True,
    ),
)
MAX_COLUMNS = 60

ALIASES: dict[str, str] = {
    **{kind.value.replace("_", " "): kind.value for kind in EngagementKind},
    **{kind.label.lower(): kind.value for kind in EngagementKind},
    "qbr": EngagementKind.QBR.value,
    "business review": EngagementKind.QBR.value,
    "ebr": EngagementKind.EXECUTIVE_REVIEW.value,
    "executive review": EngagementKind.EXECUTIVE_REVIEW.value,
    "steerco": EngagementKind.STEERING_COMMITTEE.value,
    "joint planning": EngagementKind.JOINT_PLANNING.value,
    "meeting": EngagementKind.VISIT.value,
}
"""Kinds as people write them, folded (lower case, single spaces) → stored value."""
STATUSES = {
    "planned": EngagementStatus.PLANNED.value,
    "held": EngagementStatus.HELD.value,
    "cancelled": EngagementStatus.CANCELLED.value,
    "canceled": EngagementStatus.CANCELLED.value,
}
FOLD = "regexp_replace(lower(trim({})), '[_\\-\\s]+', ' ', 'g')"


@dataclass(frozen=True)
class ImportIssue:
    """One reason the file was refused: where (line or row, column) and why."""

    line: int
    column: str
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        where = f"{self.unit} {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class EngagementImportReport:
    """What an import did: rows read, engagements created, updated and left unchanged."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    contacts_updated: int = 0


class EngagementImportRefused(Exception):
    """The file was refused whole; ``issues`` names every bad row (up to the first 1000)."""

    def __init__(self, file: str, issues: list[ImportIssue]) -> None:
        self.file = file
        self.issues = tuple(issues[:1000])
        self.issue_count = len(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:5])
        more = f"\n  ... and {len(issues) - 5} more" if len(issues) > 5 else ""
        super().__init__(
            f"{file}: refused, {len(issues)} problem(s); nothing was imported\n{shown}{more}"
        )


@dataclass
class _Row:
    line: int
    account_id: str
    values: dict[str, Any]
    people: list[int] = field(default_factory=list)
    contacts: list[int] = field(default_factory=list)
    existing: int | None = None


def _rules(headers: Mapping[str, str]) -> list[Check]:
    kinds = ", ".join(sql_string(key) for key in sorted(ALIASES))
    statuses = ", ".join(sql_string(key) for key in sorted(STATUSES))

    def whole(name: str, low: int, high: int, words: str) -> Check:
        return Check(
            headers[name],
            f"{name} IS NOT NULL AND coalesce(NOT regexp_full_match({name}, '[+-]?[0-9]{{1,9}}') "
            f"OR TRY_CAST({name} AS INTEGER) NOT BETWEEN {low} AND {high}, true)",
            f"'''' || left({name}, 40) || ''' is not {words}'",
            f"left({name}, 80)",
        )

    checks = [
        Check(
            headers["customer_id"],
            "customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kam_known_accounts k "
            f"WHERE k.customer_id = {ROWS}.customer_id)",
            "'no account ''' || customer_id || ''''",
            "customer_id",
        ),
        Check(
            headers["date"],
            "date IS NOT NULL AND (NOT regexp_full_match(date, '[0-9]{4}-[0-9]{2}-[0-9]{2}') "
            "OR TRY_CAST(date AS DATE) IS NULL)",
            "'''' || left(date, 40) || ''' is not a YYYY-MM-DD date'",
            "left(date, 80)",
        ),
        Check(
            headers["kind"],
            f"kind IS NOT NULL AND {FOLD.format('kind')} NOT IN ({kinds})",
            "'''' || left(kind, 40) || ''' is not a kind of engagement (QBR, executive business "
            "review, steering committee, workshop, joint planning session, training, advisory "
            "board, call, visit)'",
            "left(kind, 80)",
        ),
    ]
    if "status" in headers:
        checks.append(
            Check(
                headers["status"],
                f"status IS NOT NULL AND {FOLD.format('status')} NOT IN ({statuses})",
                "'''' || left(status, 40) || ''' is not planned, held or cancelled'",
                "left(status, 80)",
            )
        )
    if "rating" in headers:
        checks.append(whole("rating", 1, 5, "a whole number 1–5"))
    if "duration_minutes" in headers:
        checks.append(whole("duration_minutes", 1, 1440, "a whole number of minutes, 1–1440"))
    if "start_time" in headers:
        checks.append(
            Check(
                headers["start_time"],
                "start_time IS NOT NULL AND (NOT regexp_full_match(start_time, "
                "'[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?') OR TRY_CAST(start_time AS TIME) IS NULL)",
                "'''' || left(start_time, 40) || ''' is not a time HH:MM'",
                "left(start_time, 80)",
            )
        )
    return checks + length_checks(headers, {"title": 200, "location": 200, "reference": 120})


def _fold(text: str) -> str:
    return re.sub(r"[_\-\s]+", " ", text.strip().lower())


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[;|\n]", cell or "") if part.strip()]


def import_engagements(
    importer: User,
    path: Path,
    *,
    file_label: str,
    today: date,
    progress: Progress | None = None,
) -> EngagementImportReport:
    """Check the whole file, then write it (see the module doc); raises
    ``EngagementImportRefused`` with every problem, having written nothing."""
    report = progress or (lambda label, fraction: None)
    report("reading the file", 0.0)
    accounts = known_accounts()
    try:
        checked = read_checked_csv(
            "engagements",
            path,
            COLUMNS,
            file_label=file_label,
            checks=_rules,
            tables={"kam_known_accounts": accounts},
            max_columns=MAX_COLUMNS,
            excel=True,
        )
    except ImportRefused as refused:
        _refuse(file_label, [issue_of(problem) for problem in refused.report.problems])
    unit = "row" if path.suffix.lower() == ".xlsx" else "line"
    issues = [issue_of(problem) for problem in checked.problems]
    if issues:
        _refuse(file_label, issues)
    records = checked.rows.to_pylist()
    if not records:
        _refuse(file_label, [ImportIssue(2, "", "the file has a header but no engagements", unit)])
    report("checking people, contacts and permissions", 0.3)
    rows = _parse(importer, records, today, unit, issues)
    if issues:
        _refuse(file_label, issues)
    report("writing the engagements", 0.6)
    created, updated, unchanged = _write(importer, rows)
    report("updating when contacts were last contacted", 0.9)
    contacts_updated = _last_contacted({c for row in rows for c in row.contacts})
    report("done", 1.0)
    return EngagementImportReport(
        file_label, len(rows), created, updated, unchanged, contacts_updated
    )


def _time(text: str) -> time:
    hours, _, rest = text.partition(":")
    return time.fromisoformat(f"{int(hours):02d}:{rest}")


def known_accounts() -> pa.Table:
    """Every customer id of the master, as the table a file's ``customer_id`` is checked
    against (``kam_known_accounts``)."""
    ids = list(Account.objects.values_list("customer_id", flat=True))
    return pa.table({"customer_id": pa.array(ids, pa.string())})


def issue_of(problem: Any) -> ImportIssue:
    """A problem the shared import rules found, as an issue of this kind of import."""
    return ImportIssue(problem.line or 1, problem.column or "", problem.reason, problem.unit)


def _parse(
    importer: User, records: list[dict[str, Any]], today: date, unit: str, issues: list[ImportIssue]
) -> list[_Row]:
    account_ids = {str(record["customer_id"]) for record in records}
    accounts = Account.objects.in_bulk(account_ids)
    users = {u.username.lower(): u for u in User.objects.filter(is_active=True)}
    managers = dict(
        Account.objects.filter(
            customer_id__in=account_ids, key_account__manager__isnull=False
        ).values_list("customer_id", "key_account__manager_id")
    )
    may_log = {
        customer_id: has_permission(importer, Permission.LOG_ENGAGEMENTS, on=account)
        for customer_id, account in accounts.items()
    }
    by_email: dict[tuple[str, str], int] = {}
    by_name: dict[tuple[str, str], list[int]] = {}
    for pk, account_id, name, email in Contact.objects.filter(
        account_id__in=account_ids
    ).values_list("pk", "account_id", "name", "email"):
        if email:
            by_email[(account_id, email.lower())] = pk
        by_name.setdefault((account_id, name.casefold()), []).append(pk)
    existing_by_ref: dict[tuple[str, str], int] = {}
    existing_by_key: dict[tuple[str, str, date, str], int] = {}
    for pk, account_id, reference, kind, day, title in Engagement.objects.filter(
        account_id__in=account_ids
    ).values_list("pk", "account_id", "reference", "kind", "date", "title"):
        if reference:
            existing_by_ref[(account_id, reference)] = pk
        existing_by_key.setdefault((account_id, kind, day, title), pk)

    rows: list[_Row] = []
    seen: dict[tuple[Any, ...], int] = {}
    for record in records:
        line = int(record["line"])

        def bad(column: str, reason: str, line: int = line) -> None:
            issues.append(ImportIssue(line, column, reason, unit))

        account_id = str(record["customer_id"])
        if not may_log.get(account_id, False):
            bad(
                "customer_id",
                f"you may not log engagements of {account_id}: that is for its key account "
                "manager or its account team, and the Head of KAM",
            )
        day = date.fromisoformat(str(record["date"]))
        status_cell = record.get("status")
        status = (
            STATUSES[_fold(status_cell)]
            if status_cell
            else (EngagementStatus.HELD.value if day <= today else EngagementStatus.PLANNED.value)
        )
        if status == EngagementStatus.HELD and day > today:
            bad("date", f"{day} is after today ({today}): an engagement ahead is planned, not held")
        rating = int(record["rating"]) if record.get("rating") else None
        if rating is not None and status != EngagementStatus.HELD:
            bad("rating", f"only a held engagement is rated; this one is {status}")
        start = record.get("start_time")
        values = {
            "kind": ALIASES[_fold(str(record["kind"]))],
            "status": status,
            "date": day,
            "start_time": _time(start) if start else None,
            "duration_minutes": int(record["duration_minutes"])
            if record.get("duration_minutes")
            else 60,
            "title": record.get("title") or "",
            "location": record.get("location") or "",
            "notes": record.get("notes") or "",
            "outcome": record.get("outcome") or "",
            "rating": rating,
            "reference": record.get("reference") or "",
        }
        row = _Row(line, account_id, values)
        for name in _split(record.get("our_people")):
            user = users.get(name.lower())
            if user is None:
                bad("our_people", f"no active user {name!r}")
            else:
                row.people.append(user.pk)
        if not row.people:
            manager = managers.get(account_id)
            row.people.append(manager if manager is not None else importer.pk)
        for name in _split(record.get("contacts")):
            found = by_email.get((account_id, name.lower()))
            named = by_name.get((account_id, name.casefold()), [])
            if found is None and len(named) == 1:
                found = named[0]
            if found is not None:
                row.contacts.append(found)
            elif len(named) > 1:
                bad("contacts", f"{name!r} names several contacts of {account_id}; use the email")
            else:
                bad("contacts", f"{name!r} is not a contact of {account_id} (by email or name)")
        key: tuple[Any, ...] = (
            (account_id, values["reference"])
            if values["reference"]
            else (account_id, values["kind"], day, values["title"])
        )
        if key in seen:
            bad(
                "reference" if values["reference"] else "date",
                f"same engagement as {unit} {seen[key]}",
            )
        seen[key] = line
        reference, kind, title = str(values["reference"]), str(values["kind"]), str(values["title"])
        row.existing = (
            existing_by_ref.get((account_id, reference))
            if reference
            else existing_by_key.get((account_id, kind, day, title))
        )
        rows.append(row)
    return rows


BATCH = 2000


def _write(importer: User, rows: list[_Row]) -> tuple[int, int, int]:
    through_people = Engagement.our_people.through
    through_contacts = Engagement.contacts.through
    new = [row for row in rows if row.existing is None]
    old: dict[int, _Row] = {row.existing: row for row in rows if row.existing is not None}
    made = Engagement.objects.bulk_create(
        [
            Engagement(
                account_id=row.account_id, created_by=importer, updated_by=importer, **row.values
            )
            for row in new
        ],
        batch_size=BATCH,
    )
    for row, engagement in zip(new, made, strict=True):
        row.existing = engagement.pk
    stored = Engagement.objects.in_bulk(list(old))
    people = _members(through_people, "user_id", list(old))
    contacts = _members(through_contacts, "contact_id", list(old))
    changed = []
    for pk, row in old.items():
        engagement = stored[pk]
        differs = [name for name, value in row.values.items() if getattr(engagement, name) != value]
        if (
            differs
            or people.get(pk, set()) != set(row.people)
            or contacts.get(pk, set()) != set(row.contacts)
        ):
            for name in differs:
                setattr(engagement, name, row.values[name])
            engagement.revision += 1
            engagement.updated_by = importer
            changed.append(engagement)
    if changed:
        Engagement.objects.bulk_update(
            changed, [*rows[0].values.keys(), "revision", "updated_by"], batch_size=BATCH
        )
        ids = [engagement.pk for engagement in changed]
        through_people.objects.filter(engagement_id__in=ids).delete()
        through_contacts.objects.filter(engagement_id__in=ids).delete()
    rewrite = {int(row.existing or 0) for row in new} | {engagement.pk for engagement in changed}
    by_pk = {int(row.existing or 0): row for row in rows}
    through_people.objects.bulk_create(
        [
            through_people(engagement_id=pk, user_id=user)
            for pk in rewrite
            for user in set(by_pk[pk].people)
        ],
        batch_size=BATCH,
    )
    through_contacts.objects.bulk_create(
        [
            through_contacts(engagement_id=pk, contact_id=contact)
            for pk in rewrite
            for contact in set(by_pk[pk].contacts)
        ],
        batch_size=BATCH,
    )
    return len(new), len(changed), len(old) - len(changed)


def _members(through: Any, column: str, ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for start in range(0, len(ids), BATCH):
        for engagement_id, member in through.objects.filter(
            engagement_id__in=ids[start : start + BATCH]
        ).values_list("engagement_id", column):
            found.setdefault(engagement_id, set()).add(member)
    return found


def _last_contacted(contact_ids: set[int]) -> int:
    """Move each contact's last contacted date forward to their latest held engagement;
    returns how many contacts changed."""
    from django.db.models import Max

    if not contact_ids:
        return 0
    changed = []
    ids = sorted(contact_ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        latest = dict(
            Engagement.objects.filter(contacts__in=chunk, status=EngagementStatus.HELD)
            .values("contacts")
            .annotate(last=Max("date"))
            .values_list("contacts", "last")
        )
        for contact in Contact.objects.filter(pk__in=chunk):
            logged = latest.get(contact.pk)
            if logged is not None and (
                contact.last_contact_date is None or logged > contact.last_contact_date
            ):
                contact.last_contact_date = logged
                contact.revision += 1
                changed.append(contact)
    Contact.objects.bulk_update(changed, ["last_contact_date", "revision"], batch_size=BATCH)
    return len(changed)


def _refuse(file_label: str, issues: list[ImportIssue]) -> NoReturn:
    raise EngagementImportRefused(file_label, sorted(issues, key=lambda i: (i.line, i.column)))
