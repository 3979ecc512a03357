"""Reading a CSV of contacts for one account: every bad cell named, nothing half-written.

The file is read and its shape checked by the import rules every file passes
(``kam.analytics.ingest.text``: header width, encoding, NUL bytes, required values); the
contact rules below then check each row and the reports-to lines between them.

The caller (``services.do_import_contacts``) holds the transaction and the permission check.
The whole file is validated before anything is written; if any row is bad the import raises
:class:`ContactImportRefused` with every problem, each as line, column and reason.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

from kam.accounts.models import Account
from kam.analytics.ingest.problems import ImportRefused
from kam.analytics.ingest.text import read_checked_csv
from kam.analytics.schema import Column, ColumnType
from kam.relationships.mapping import would_create_cycle
from kam.relationships.models import Attitude, BuyingRole, Contact, Level

COLUMNS: tuple[Column, ...] = (
    Column("name", ColumnType.TEXT, True, "Full name; unique within the file."),
    Column("title", ColumnType.TEXT, False, "Job title."),
    Column("function", ColumnType.TEXT, False, "Business function, e.g. Procurement."),
    Column(
        "level",
        ColumnType.TEXT,
        False,
        "operational, middle management, senior or executive (default operational).",
    ),
    Column(
        "buying_roles",
        ColumnType.TEXT,
        False,
        "Any of decision maker, budget holder, influencer, gatekeeper, user, champion, "
        "detractor, separated by ';'.",
    ),
    Column("influence", ColumnType.TEXT, False, "Whole number 1–5 (default 3)."),
    Column(
        "attitude",
        ColumnType.TEXT,
        False,
        "strongly negative, negative, neutral, positive, strongly positive, or -2 to 2 "
        "(default neutral).",
    ),
    Column(
        "reports_to",
        ColumnType.TEXT,
        False,
        "Email, else name, of the manager: another row of the file or a contact already "
        "mapped for the account. Empty for none.",
    ),
    Column("last_contact_date", ColumnType.TEXT, False, "ISO date YYYY-MM-DD."),
    Column(
        "email",
        ColumnType.TEXT,
        False,
        "Email; unique within the account. Used to match existing contacts.",
    ),
    Column("phone", ColumnType.TEXT, False, "Phone number."),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
MAX_COLUMNS = 100
"""A header wider than this is refused before the file is read (no contacts file has it)."""


@dataclass(frozen=True)
class ImportIssue:
    """One reason the file was refused: where (line, column) and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ContactImportReport:
    """What an import did (or, when ``issues`` is not empty, why it did nothing)."""

    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: tuple[ImportIssue, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.issues)


class ContactImportRefused(Exception):
    """The file was refused whole; ``report.issues`` names every bad row."""

    def __init__(self, report: ContactImportReport) -> None:
        super().__init__(f"{report.file}: {len(report.issues)} problem(s), nothing imported")
        self.report = report


@dataclass
class _Row:
    line: int
    values: dict[str, object]
    manager_key: str
    existing: Contact | None = None
    contact: Contact | None = None


def _words(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())


_LEVELS = {_words(level.label): level.value for level in Level}
_ROLES = {_words(role.label): role.value for role in BuyingRole}
_ATTITUDES = {_words(a.label): a.value for a in Attitude} | {
    str(a.value): a.value for a in Attitude
}


def import_contacts(account: Account, path: Path, *, file_label: str) -> ContactImportReport:
    """Validate the whole file, then create or update the account's contacts (see module doc)."""
    issues: list[ImportIssue] = []
    try:
        checked = read_checked_csv(
            "contacts",
            path,
            COLUMNS,
            file_label=file_label,
            refuse_unknown_columns=True,
            max_columns=MAX_COLUMNS,
        )
    except ImportRefused as refused:
        _refuse(
            file_label,
            [
                ImportIssue(problem.line or 1, problem.column or "", problem.reason)
                for problem in refused.report.problems
            ],
        )

    existing = list(Contact.objects.filter(account=account))
    by_email = {c.email.lower(): c for c in existing if c.email}
    by_name: dict[str, list[Contact]] = {}
    for contact in existing:
        by_name.setdefault(contact.name.casefold(), []).append(contact)

    rows: list[_Row] = []
    seen_keys: dict[str, int] = {}
    issues += [
        ImportIssue(problem.line or 1, problem.column or "", problem.reason)
        for problem in checked.problems
    ]
    for record in checked.rows.to_pylist():
        line = int(record.pop("line"))
        cells = {key: str(value) for key, value in record.items() if value is not None}
        row = _parse_row(line, cells, issues)
        key = row.values["email"] or str(row.values["name"]).casefold()
        if key in seen_keys:
            where = "email" if row.values["email"] else "name"
            issues.append(ImportIssue(line, where, f"same contact as line {seen_keys[key]}"))
        seen_keys[str(key)] = line
        email = str(row.values["email"])
        named = by_name.get(str(row.values["name"]).casefold(), [])
        if email and email in by_email:
            row.existing = by_email[email]
        elif not email and len(named) == 1:
            row.existing = named[0]
        rows.append(row)
    if not rows and not issues:
        issues.append(ImportIssue(2, "", "the file has a header but no contacts"))

    managers = _resolve_managers(rows, existing, by_email, by_name, issues)
    if issues:
        _refuse(file_label, issues)
    return _write(account, file_label, rows, managers)


def _parse_row(line: int, cells: dict[str, str], issues: list[ImportIssue]) -> _Row:
    def bad(column: str, reason: str) -> None:
        issues.append(ImportIssue(line, column, reason))

    values: dict[str, object] = {
        "name": cells.get("name", ""),
        "title": cells.get("title", ""),
        "function": cells.get("function", ""),
        "phone": cells.get("phone", ""),
        "email": cells.get("email", "").lower(),
    }
    if values["email"] and "@" not in str(values["email"]):
        bad("email", f"{values['email']!r} is not an email address")
    level = cells.get("level", "")
    values["level"] = (
        _LEVELS.get(_words(level), Level.OPERATIONAL.value) if level else "operational"
    )
    if level and _words(level) not in _LEVELS:
        bad("level", f"{level!r} is not one of {', '.join(lv.label for lv in Level)}")
    roles = []
    for part in cells.get("buying_roles", "").replace("|", ";").replace(",", ";").split(";"):
        if not part.strip():
            continue
        if _words(part) in _ROLES:
            roles.append(_ROLES[_words(part)])
        else:
            bad("buying_roles", f"{part.strip()!r} is not a buying role")
    values["buying_roles"] = [role for role in BuyingRole.values if role in roles]
    values["influence"] = 3
    if cells.get("influence"):
        try:
            values["influence"] = int(cells["influence"])
        except ValueError:
            values["influence"] = 0
        if not 1 <= int(str(values["influence"])) <= 5:
            bad("influence", f"{cells['influence']!r} is not a whole number from 1 to 5")
    values["attitude"] = 0
    if cells.get("attitude"):
        raw = cells["attitude"]
        attitude = _ATTITUDES.get(raw, _ATTITUDES.get(_words(raw)) if raw[0] != "-" else None)
        if attitude is None:
            bad("attitude", f"{cells['attitude']!r} is not an attitude (strongly negative … 2)")
        values["attitude"] = attitude or 0
    values["last_contact_date"] = None
    if cells.get("last_contact_date"):
        try:
            values["last_contact_date"] = date.fromisoformat(cells["last_contact_date"])
        except ValueError:
            bad("last_contact_date", f"{cells['last_contact_date']!r} is not a YYYY-MM-DD date")
    return _Row(line, values, cells.get("reports_to", ""))


def _resolve_managers(
    rows: list[_Row],
    existing: list[Contact],
    by_email: dict[str, Contact],
    by_name: dict[str, list[Contact]],
    issues: list[ImportIssue],
) -> dict[int, _Row | Contact | None]:
    """Each row's manager (another row, an existing contact, or None); loops are issues."""
    row_by_email = {str(r.values["email"]): r for r in rows if r.values["email"]}
    rows_by_name: dict[str, list[_Row]] = {}
    for row in rows:
        rows_by_name.setdefault(str(row.values["name"]).casefold(), []).append(row)
    managers: dict[int, _Row | Contact | None] = {}
    for row in rows:
        key = row.manager_key
        target: _Row | Contact | None = None
        if key:
            named_rows = rows_by_name.get(key.casefold(), [])
            named = [c for c in by_name.get(key.casefold(), []) if c not in _claimed(rows)]
            if key.lower() in row_by_email:
                target = row_by_email[key.lower()]
            elif key.lower() in by_email:
                target = by_email[key.lower()]
            elif len(named_rows) + len(named) == 1:
                target = (named_rows or named)[0]
            elif len(named_rows) + len(named) > 1:
                issues.append(
                    ImportIssue(
                        row.line, "reports_to", f"{key!r} names several contacts; use the email"
                    )
                )
            else:
                issues.append(
                    ImportIssue(
                        row.line, "reports_to", f"no contact {key!r} in the file or the account"
                    )
                )
            if target is row or (isinstance(target, Contact) and target is row.existing):
                issues.append(
                    ImportIssue(row.line, "reports_to", "a contact cannot report to themselves")
                )
                target = None
        managers[row.line] = target

    # Loops are checked on the chart as it would be after the import.
    def node(item: _Row | Contact) -> int:
        if isinstance(item, _Row):
            return item.existing.pk if item.existing else -item.line
        return item.pk

    parents: dict[int, int | None] = {c.pk: c.reports_to_id for c in existing}
    for row in rows:
        target = managers[row.line]
        parents[node(row)] = node(target) if target is not None else None
    for row in rows:
        target = managers[row.line]
        if target is None or target is row:
            continue
        if would_create_cycle(parents, node(row), node(target)):
            issues.append(
                ImportIssue(
                    row.line, "reports_to", f"reporting to {row.manager_key!r} closes a loop"
                )
            )
    return managers


def _claimed(rows: list[_Row]) -> list[Contact]:
    return [row.existing for row in rows if row.existing is not None]


def _write(
    account: Account, file_label: str, rows: list[_Row], managers: dict[int, _Row | Contact | None]
) -> ContactImportReport:
    created = updated = unchanged = 0
    for row in rows:
        values = {k: v for k, v in row.values.items() if k != "email" or v}
        if row.existing is None:
            row.contact = Contact.objects.create(account=account, **values)
            created += 1
        else:
            row.contact = row.existing
    for row in rows:
        contact = row.contact
        assert contact is not None
        target = managers[row.line]
        manager = target.contact if isinstance(target, _Row) else target
        if row.existing is None:
            if manager is not None:
                contact.reports_to = manager
                contact.save(update_fields=["reports_to"])
            continue
        wanted = {**row.values, "reports_to_id": manager.pk if manager else None}
        if not wanted["email"]:
            wanted.pop("email")
        changed = {k: v for k, v in wanted.items() if getattr(contact, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(contact, key, value)
            contact.save()
            updated += 1
        else:
            unchanged += 1
    return ContactImportReport(file_label, created, updated, unchanged)


def _refuse(file_label: str, issues: list[ImportIssue]) -> NoReturn:
    raise ContactImportRefused(ContactImportReport(file_label, issues=tuple(issues)))
