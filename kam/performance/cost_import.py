"""Reading cost to serve from CSV or Excel: one row per account and period, every bad cell
named by line and column, nothing written unless the whole file is right.

The file passes the shared rules of every import (``kam.analytics.ingest.text``: encoding,
shape, required values) with its own cell rules in the same statement — a known account,
dates, a period in order, an amount that is a number not below zero — then one rule across
rows: an account and period at most once. Rows match what was imported before on account
and period, so importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

from kam.analytics.ingest.checks import Check
from kam.analytics.ingest.problems import ImportRefused
from kam.analytics.ingest.stage import ROWS
from kam.analytics.ingest.text import read_checked_csv
from kam.analytics.schema import Column, ColumnType
from kam.engagement.import_file import (
    EngagementImportRefused,
    ImportIssue,
    issue_of,
    known_accounts,
)
from kam.performance.models import CostToServe

COLUMNS: tuple[Column, ...] = (
    Column("customer_id", ColumnType.TEXT, True, "The account's customer_id.", True),
    Column("period_start", ColumnType.TEXT, True, "First day of the period, YYYY-MM-DD."),
    Column("period_end", ColumnType.TEXT, True, "Last day of the period, YYYY-MM-DD."),
    Column("amount", ColumnType.TEXT, True, "What serving the account cost then, ≥ 0."),
    Column("note", ColumnType.TEXT, False, "Where the figure comes from (up to 300 characters)."),
)
ISO_DATE = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"


class CostImportRefused(EngagementImportRefused):
    """The cost-to-serve file was refused whole; ``issues`` names every bad row."""


@dataclass(frozen=True)
class CostImportReport:
    """What an import did: rows read, periods created, updated and left unchanged."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _date_rule(header: str, name: str) -> Check:
    return Check(
        header,
        f"{name} IS NOT NULL AND (NOT regexp_full_match({name}, {ISO_DATE}) "
        f"OR TRY_CAST({name} AS DATE) IS NULL)",
        f"'''' || left({name}, 40) || ''' is not a YYYY-MM-DD date'",
        f"left({name}, 80)",
    )


def _rules(headers: Mapping[str, str]) -> list[Check]:
    return [
        Check(
            headers["customer_id"],
            "customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kam_known_accounts k "
            f"WHERE k.customer_id = {ROWS}.customer_id)",
            "'no account ''' || customer_id || ''''",
            "customer_id",
        ),
        _date_rule(headers["period_start"], "period_start"),
        _date_rule(headers["period_end"], "period_end"),
        Check(
            headers["period_end"],
            "TRY_CAST(period_end AS DATE) < TRY_CAST(period_start AS DATE)",
            "'the period ends before it starts (' || period_start || ')'",
            "period_end",
        ),
        Check(
            headers["amount"],
            "amount IS NOT NULL AND (TRY_CAST(amount AS DOUBLE) IS NULL "
            "OR NOT isfinite(TRY_CAST(amount AS DOUBLE)) OR TRY_CAST(amount AS DOUBLE) < 0)",
            "'''' || left(amount, 40) || ''' is not an amount of zero or more'",
            "left(amount, 80)",
        ),
        *(
            [
                Check(
                    headers["note"],
                    "length(note) > 300",
                    "'longer than 300 characters'",
                    "left(note, 80)",
                )
            ]
            if "note" in headers
            else []
        ),
    ]


def import_costs(path: Path, *, file_label: str) -> CostImportReport:
    """Check the whole file, then write it inside the caller's transaction; raises
    ``CostImportRefused`` with every problem, having written nothing."""
    try:
        checked = read_checked_csv(
            "cost to serve",
            path,
            COLUMNS,
            file_label=file_label,
            checks=_rules,
            tables={"kam_known_accounts": known_accounts()},
            excel=True,
        )
    except ImportRefused as refused:
        _refuse(file_label, [issue_of(problem) for problem in refused.report.problems])
    unit = "row" if path.suffix.lower() == ".xlsx" else "line"
    issues = [issue_of(problem) for problem in checked.problems]
    records = checked.rows.to_pylist()
    if not records and not issues:
        _refuse(file_label, [ImportIssue(2, "", "the file has a header but no rows", unit)])
    seen: dict[tuple[str, date, date], int] = {}
    rows = []
    for record in records:
        try:
            key = (
                record["customer_id"],
                date.fromisoformat(record["period_start"]),
                date.fromisoformat(record["period_end"]),
            )
        except (TypeError, ValueError):
            continue  # a bad date: already named by the cell rules
        if any(issue.line == record["line"] for issue in issues):
            continue
        if key in seen:
            issues.append(
                ImportIssue(
                    record["line"],
                    "period_start",
                    f"the same account and period as {unit} {seen[key]}",
                    unit,
                )
            )
        else:
            seen[key] = record["line"]
            rows.append((key, float(record["amount"]), record.get("note") or ""))
    if issues:
        _refuse(file_label, issues)
    return _write(file_label, rows)


def _write(
    file_label: str, rows: list[tuple[tuple[str, date, date], float, str]]
) -> CostImportReport:
    existing = {
        (c.account_id, c.period_start, c.period_end): c
        for c in CostToServe.objects.filter(account_id__in={key[0] for key, _, _ in rows})
    }
    created, changed = [], []
    for key, amount, note in rows:
        known = existing.get(key)
        if known is None:
            created.append(
                CostToServe(
                    account_id=key[0],
                    period_start=key[1],
                    period_end=key[2],
                    amount=amount,
                    note=note,
                )
            )
        elif (known.amount, known.note) != (amount, note):
            known.amount, known.note = amount, note
            changed.append(known)
    CostToServe.objects.bulk_create(created, batch_size=500)
    CostToServe.objects.bulk_update(changed, ["amount", "note"], batch_size=500)
    return CostImportReport(
        file_label, len(rows), len(created), len(changed), len(rows) - len(created) - len(changed)
    )


def _refuse(file_label: str, issues: list[ImportIssue]) -> NoReturn:
    raise CostImportRefused(file_label, sorted(issues, key=lambda i: (i.line, i.column)))
