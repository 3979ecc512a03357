"""Reading a CSV of ratings: every row checked by the import rules, every bad cell named.

The file goes through the same reader and checks as every import
(``kam.analytics.ingest.text``): read as text, malformed lines, NUL bytes and control
characters refused, then the ratings' own rules, all in one statement. The caller
(``services.do_import_ratings``) holds the transaction and the permission check.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from kam.analytics.ingest.checks import Check
from kam.analytics.ingest.problems import ImportRefused
from kam.analytics.ingest.readers import sql_string
from kam.analytics.ingest.stage import ROWS
from kam.analytics.ingest.text import read_checked_csv
from kam.analytics.schema import Column, ColumnType
from kam.people.models import User
from kam.people.roles import Permission

COLUMNS: tuple[Column, ...] = (
    Column("customer_id", ColumnType.TEXT, True, "the rated account's customer_id", True),
    Column("criterion", ColumnType.TEXT, True, "a rated criterion of the current policy"),
    Column("value", ColumnType.TEXT, True, "a whole number from 1 to 5"),
    Column("rated_by", ColumnType.TEXT, False, "a user name; the importing user if empty", True),
)


@dataclass(frozen=True)
class RatingRow:
    """One checked row of a ratings file."""

    line: int
    customer_id: str
    criterion: str
    value: int
    rated_by: str | None


@dataclass(frozen=True)
class RatingProblem:
    """One reason a ratings file was refused: where (line, column) and why."""

    line: int
    column: str
    reason: str


def read_ratings(
    path: Path,
    *,
    file_label: str,
    criteria: Collection[str],
    accounts: Collection[str],
    users: Collection[str],
) -> list[RatingRow] | list[RatingProblem]:
    """The file's ratings, or every problem with it (a list of RatingProblem)."""
    tables = {
        "kam_known_accounts": pa.table({"customer_id": pa.array(list(accounts), pa.string())}),
        "kam_known_users": pa.table({"username": pa.array(list(users), pa.string())}),
    }
    allowed = ", ".join(sql_string(key) for key in sorted(criteria)) or "NULL"
    listed = ", ".join(sorted(criteria))

    def rules(headers: Mapping[str, str]) -> list[Check]:
        checks = [
            Check(
                headers["customer_id"],
                "customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kam_known_accounts k "
                f"WHERE k.customer_id = {ROWS}.customer_id)",
                "'no account ''' || customer_id || ''''",
                "customer_id",
            ),
            Check(
                headers["criterion"],
                f"criterion IS NOT NULL AND criterion NOT IN ({allowed})",
                f"'''' || criterion || ''' is not one of {listed}'",
                "criterion",
            ),
            Check(
                headers["value"],
                "value IS NOT NULL AND coalesce(NOT regexp_full_match(value, '[+-]?[0-9]{1,9}') "
                "OR TRY_CAST(value AS INTEGER) NOT BETWEEN 1 AND 5, true)",
                "'''' || left(value, 40) || ''' is not a whole number 1–5'",
                "left(value, 80)",
            ),
        ]
        if "rated_by" in headers:
            checks.append(
                Check(
                    headers["rated_by"],
                    "rated_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kam_known_users u "
                    f"WHERE u.username = {ROWS}.rated_by)",
                    "'no user ''' || rated_by || ''''",
                    "rated_by",
                )
            )
        return checks

    try:
        checked = read_checked_csv(
            "ratings",
            path,
            COLUMNS,
            file_label=file_label,
            checks=rules,
            tables=tables,
            max_columns=len(COLUMNS) + 20,
        )
    except ImportRefused as refused:
        return [
            RatingProblem(problem.line or 1, problem.column or "", problem.reason)
            for problem in refused.report.problems
        ]
    if checked.problems:
        return [
            RatingProblem(problem.line or 1, problem.column or "", problem.reason)
            for problem in checked.problems
        ]
    table = checked.rows
    if table.num_rows == 0:
        return [RatingProblem(2, "", "the file has no ratings")]
    return [
        RatingRow(
            line=int(row["line"]),
            customer_id=str(row["customer_id"]),
            criterion=str(row["criterion"]),
            value=int(str(row["value"])),
            rated_by=row["rated_by"],
        )
        for row in table.to_pylist()
    ]


def refusals(
    importer: User, rows: list[RatingRow], raters: Mapping[str, User]
) -> list[RatingProblem]:
    """The rows ``importer`` may not file: a rating in someone else's name (only the Head of
    KAM and the Administrator file for others), or of an account its rater may not rate."""
    from kam.accounts.access import across_programme
    from kam.accounts.models import Account
    from kam.people.services import has_permission

    for_others = across_programme(importer, Permission.RATE_ACCOUNTS)
    accounts = Account.objects.in_bulk({row.customer_id for row in rows})
    allowed: dict[tuple[int, str], bool] = {}
    problems = []
    for row in rows:
        rater = raters.get(row.rated_by or "", importer)
        if rater.pk != importer.pk and not for_others:
            problems.append(
                RatingProblem(
                    row.line,
                    "rated_by",
                    f"you may file ratings only in your own name, not {rater.username}'s "
                    "(filing for others is for the Head of KAM)",
                )
            )
            continue
        key = (rater.pk, row.customer_id)
        if key not in allowed:
            allowed[key] = has_permission(
                rater, Permission.RATE_ACCOUNTS, on=accounts[row.customer_id]
            )
        if not allowed[key]:
            whose = "you" if rater.pk == importer.pk else rater.username
            problems.append(
                RatingProblem(
                    row.line,
                    "customer_id" if rater.pk == importer.pk else "rated_by",
                    f"{whose} may not rate {row.customer_id}: rating an account is for its key "
                    "account manager or its account team, and the Head of KAM",
                )
            )
    return problems
