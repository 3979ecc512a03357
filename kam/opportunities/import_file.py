"""Reading opportunities and wallet estimates from CSV or Excel: every bad cell named,
nothing half-written.

Each file goes through the reader and the shared rules every import passes
(``kam.analytics.ingest.text``: encoding, shape, NUL bytes, required values) with the
file's own cell rules in the same statement (known account, amounts, dates, stage,
probability); then the rules that span tables — the importer's right on each account, an
owner who exists, a lost opportunity's reason, one row per record. Only a file with no
problem at all is written, inside the caller's transaction; a refused one raises the
shared ``ImportRefused`` with every problem by line (row, for Excel) and column.

Opportunities match earlier imports by ``reference`` (else by account and name); wallet
estimates by account and category: importing the same file again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa

from kam.accounts.models import Account
from kam.analytics.ingest.checks import Check, length_checks
from kam.analytics.ingest.problems import ImportKind, ImportRefused, ImportReport, RowProblem
from kam.analytics.ingest.readers import sql_string
from kam.analytics.ingest.stage import ROWS
from kam.analytics.ingest.text import read_checked_csv
from kam.analytics.progress import Progress
from kam.analytics.schema import Column, ColumnType
from kam.opportunities.models import DEFAULT_PROBABILITY, Opportunity, Stage, WalletEstimate
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import has_permission

TEXT = ColumnType.TEXT
OPPORTUNITY_COLUMNS: tuple[Column, ...] = (
    Column("customer_id", TEXT, True, "The account's customer_id.", True),
    Column("name", TEXT, True, "What the opportunity is, in a few words."),
    Column("value", TEXT, True, "Its value in money, 0 or more (e.g. 125000 or 125000.50)."),
    Column("expected_close_date", TEXT, True, "When it is expected to close, YYYY-MM-DD."),
    Column("product_category", TEXT, True, "The product category, as on the invoice lines."),
    Column(
        "stage",
        TEXT,
        False,
        "prospecting (default), qualifying, proposal, negotiation, won or lost.",
    ),
    Column("probability", TEXT, False, "Chance of winning, 0–100; empty: the stage's default."),
    Column("business_unit", TEXT, False, "The customer's business unit or site."),
    Column("competitors", TEXT, False, "Competitors by name, separated by ';'."),
    Column("owner", TEXT, False, "A user name; empty: the account's manager, else you."),
    Column("closed_on", TEXT, False, "Won or lost: the day, YYYY-MM-DD (default: today)."),
    Column("close_reason", TEXT, False, "Won or lost: why (a lost one must say)."),
    Column("reference", TEXT, False, "The id your source system gives it.", True),
)
WALLET_COLUMNS: tuple[Column, ...] = (
    Column("customer_id", TEXT, True, "The account's customer_id.", True),
    Column("category", TEXT, True, "The product category, as on the invoice lines."),
    Column("amount", TEXT, True, "What the customer spends in it in a year, every supplier."),
    Column("source", TEXT, False, "Where the figure comes from (a survey, the customer)."),
)
MAX_COLUMNS = 40
NUMBER = "[+]?[0-9]{1,14}([.][0-9]{1,2})?"
STAGES = {stage.value: stage.value for stage in Stage} | {
    label.lower(): value for value, label in Stage.choices
}


def known_account(headers: Mapping[str, str]) -> Check:
    """A ``customer_id`` that names no account (the reader registers them)."""
    return Check(
        headers["customer_id"],
        "customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kam_known_accounts k "
        f"WHERE k.customer_id = {ROWS}.customer_id)",
        "'no account ''' || customer_id || ''''",
        "customer_id",
    )


def _amount(headers: Mapping[str, str], name: str) -> Check:
    return Check(
        headers[name],
        f"{name} IS NOT NULL AND NOT regexp_full_match(replace({name}, ',', ''), '{NUMBER}')",
        f"'''' || left({name}, 40) || ''' is not an amount of money (0 or more)'",
        f"left({name}, 80)",
    )


def day_check(headers: Mapping[str, str], name: str) -> Check:
    """A value of column ``name`` that is not a YYYY-MM-DD date."""
    return Check(
        headers[name],
        f"{name} IS NOT NULL AND (NOT regexp_full_match({name}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
        f" OR TRY_CAST({name} AS DATE) IS NULL)",
        f"'''' || left({name}, 40) || ''' is not a YYYY-MM-DD date'",
        f"left({name}, 80)",
    )


def _opportunity_rules(headers: Mapping[str, str]) -> list[Check]:
    checks = [
        known_account(headers),
        _amount(headers, "value"),
        day_check(headers, "expected_close_date"),
    ]
    if "closed_on" in headers:
        checks.append(day_check(headers, "closed_on"))
    if "stage" in headers:
        known = ", ".join(sql_string(key) for key in sorted(STAGES))
        checks.append(
            Check(
                headers["stage"],
                f"stage IS NOT NULL AND lower(trim(stage)) NOT IN ({known})",
                "'''' || left(stage, 40) || ''' is not a stage (prospecting, qualifying, "
                "proposal, negotiation, won, lost)'",
                "left(stage, 80)",
            )
        )
    if "probability" in headers:
        checks.append(
            Check(
                headers["probability"],
                "probability IS NOT NULL AND coalesce(NOT regexp_full_match(probability, "
                "'[0-9]{1,3}') OR TRY_CAST(probability AS INTEGER) > 100, true)",
                "'''' || left(probability, 40) || ''' is not a whole percentage 0–100'",
                "left(probability, 80)",
            )
        )
    limits = {"name": 200, "product_category": 128, "business_unit": 128, "reference": 120}
    return checks + length_checks(headers, limits)


def _wallet_rules(headers: Mapping[str, str]) -> list[Check]:
    return [
        known_account(headers),
        _amount(headers, "amount"),
        *length_checks(headers, {"category": 128, "source": 200}),
    ]


@dataclass
class Problems:
    """The problems found after the reader's rules, each naming its line (row) and column."""

    file: str
    unit: str
    found: list[RowProblem]

    def add(self, line: int, column: str, reason: str) -> None:
        self.found.append(RowProblem(self.file, line, column, reason, unit=self.unit))  # type: ignore[arg-type]


def refuse(kind: ImportKind, file: str, rows: int, problems: list[RowProblem]) -> NoReturn:
    """Raise ``ImportRefused`` with every problem, by line and column."""
    ordered = tuple(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    raise ImportRefused(
        ImportReport(kind, file, rows, problems=ordered[:1000], problem_count=len(ordered))
    )


def read_rows(
    kind: ImportKind,
    path: Path,
    columns: tuple[Column, ...],
    rules: Callable[[Mapping[str, str]], list[Check]],
    file_label: str,
) -> tuple[list[dict[str, Any]], Problems]:
    """The file's rows as records (each with its ``line``) after the reader's rules and
    ``rules`` passed; refuses the file otherwise, or when it has no row."""
    accounts = pa.table(
        {
            "customer_id": pa.array(
                list(Account.objects.values_list("customer_id", flat=True)), pa.string()
            )
        }
    )
    checked = read_checked_csv(
        kind,
        path,
        columns,
        file_label=file_label,
        checks=rules,
        tables={"kam_known_accounts": accounts},
        max_columns=MAX_COLUMNS,
        excel=True,
    )
    unit = "row" if path.suffix.lower() == ".xlsx" else "line"
    records = checked.rows.to_pylist()
    if checked.problems:
        refuse(kind, file_label, len(records), list(checked.problems))
    problems = Problems(file_label, unit, [])
    if not records:
        problems.add(2, "", "the file has a header but no rows")
        refuse(kind, file_label, 0, problems.found)
    return records, problems


def _may_edit(importer: User, account_ids: set[str]) -> dict[str, bool]:
    accounts = Account.objects.in_bulk(account_ids)
    return {
        cid: has_permission(importer, Permission.EDIT_OPPORTUNITIES, on=account)
        for cid, account in accounts.items()
    }


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", "")).quantize(Decimal("0.01"))


def import_opportunities(
    importer: User,
    path: Path,
    *,
    file_label: str,
    today: date,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole file, then write it (see the module doc)."""
    report = progress or (lambda label, fraction: None)
    report("reading the file", 0.0)
    records, problems = read_rows(
        "opportunities", path, OPPORTUNITY_COLUMNS, _opportunity_rules, file_label
    )
    report("checking owners and permissions", 0.4)
    account_ids = {str(r["customer_id"]) for r in records}
    may_edit = _may_edit(importer, account_ids)
    users = {u.username.lower(): u for u in User.objects.filter(is_active=True)}
    managers = dict(
        Account.objects.filter(
            customer_id__in=account_ids, key_account__manager__isnull=False
        ).values_list("customer_id", "key_account__manager_id")
    )
    existing: dict[tuple[str, str], Opportunity] = {}
    for stored in Opportunity.objects.filter(account_id__in=account_ids):
        existing.setdefault((stored.account_id, stored.reference or f"name:{stored.name}"), stored)
    seen: dict[tuple[str, str], int] = {}
    rows: list[tuple[Opportunity | None, dict[str, Any]]] = []
    for record in records:
        line = int(record["line"])
        account_id = str(record["customer_id"])
        if not may_edit.get(account_id, False):
            problems.add(line, "customer_id", f"you may not edit the opportunities of {account_id}")
        stage = STAGES[str(record.get("stage") or "prospecting").strip().lower()]
        closed = stage in (Stage.WON, Stage.LOST)
        reason = (record.get("close_reason") or "").strip()
        if stage == Stage.LOST and not reason:
            problems.add(line, "close_reason", "a lost opportunity says why it was lost")
        owner_name = (record.get("owner") or "").strip()
        owner_id = managers.get(account_id, importer.pk)
        if owner_name:
            owner = users.get(owner_name.lower())
            if owner is None:
                problems.add(line, "owner", f"no active user {owner_name!r}")
            else:
                owner_id = owner.pk
        probability = record.get("probability")
        values = {
            "name": str(record["name"]),
            "value": _money(str(record["value"])),
            "expected_close_date": date.fromisoformat(str(record["expected_close_date"])),
            "product_category": str(record["product_category"]),
            "stage": stage,
            "probability": int(probability) if probability else DEFAULT_PROBABILITY[stage],
            "business_unit": record.get("business_unit") or "",
            "competitors": [
                c.strip() for c in re.split(r"[;|]", record.get("competitors") or "") if c.strip()
            ],
            "owner_id": owner_id,
            "closed_on": (
                date.fromisoformat(str(record["closed_on"]))
                if closed and record.get("closed_on")
                else (today if closed else None)
            ),
            "close_reason": reason if closed else "",
            "reference": record.get("reference") or "",
        }
        key = (account_id, str(values["reference"] or f"name:{values['name']}"))
        if key in seen:
            column = "reference" if values["reference"] else "name"
            problems.add(line, column, f"same opportunity as {problems.unit} {seen[key]}")
        seen[key] = line
        rows.append((existing.get(key), {"account_id": account_id, **values}))
    if problems.found:
        refuse("opportunities", file_label, len(records), problems.found)
    report("writing the opportunities", 0.7)
    created = updated = 0
    for found, values in rows:
        if found is None:
            Opportunity.objects.create(created_by=importer, updated_by=importer, **values)
            created += 1
            continue
        differs = {k: v for k, v in values.items() if getattr(found, k) != v}
        if differs:
            for name, value in differs.items():
                setattr(found, name, value)
            found.revision += 1
            found.updated_by = importer
            found.save()
            updated += 1
    report("done", 1.0)
    return ImportReport(
        "opportunities", file_label, len(rows), created, updated, len(rows) - created - updated
    )


def import_wallets(
    importer: User, path: Path, *, file_label: str, progress: Progress | None = None
) -> ImportReport:
    """Check the whole file of wallet estimates, then write it (see the module doc)."""
    report = progress or (lambda label, fraction: None)
    report("reading the file", 0.0)
    records, problems = read_rows("wallets", path, WALLET_COLUMNS, _wallet_rules, file_label)
    account_ids = {str(r["customer_id"]) for r in records}
    existing = {
        (w.account_id, w.category): w
        for w in WalletEstimate.objects.filter(account_id__in=account_ids)
    }
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        key = (str(record["customer_id"]), str(record["category"]))
        if key in seen:
            again = f"{key[1]} of {key[0]} again (first on {problems.unit} {seen[key]})"
            problems.add(int(record["line"]), "category", again)
        seen[key] = int(record["line"])
    if problems.found:
        refuse("wallets", file_label, len(records), problems.found)
    report("writing the estimates", 0.6)
    created = updated = 0
    for record in records:
        key = (str(record["customer_id"]), str(record["category"]))
        amount, source = _money(str(record["amount"])), (record.get("source") or "")[:200]
        found = existing.get(key)
        if found is None:
            WalletEstimate.objects.create(
                account_id=key[0], category=key[1], amount=amount, source=source,
                updated_by=importer,
            )  # fmt: skip
            created += 1
        elif (found.amount, found.source) != (amount, source):
            found.amount, found.source, found.updated_by = amount, source, importer
            found.revision += 1
            found.save()
            updated += 1
    report("done", 1.0)
    return ImportReport(
        "wallets", file_label, len(records), created, updated, len(records) - created - updated
    )
