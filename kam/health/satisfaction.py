"""Reading NPS and CSAT answers from CSV or Excel: every bad cell named, nothing
half-written.

The file goes through the reader and the shared rules every import passes (encoding,
shape, required values) with its own cell rules in the same statement (known account,
date, survey, a whole-number answer on the survey's scale); then the rules that span rows
— an answer not dated after today, one row per answer. Only a file with no problem at all
is written, inside the caller's transaction; a refused one raises ``ImportRefused`` with
every problem by line (row, for Excel) and column.

An answer matches an earlier import by its ``reference`` when it has one, else by account,
survey, day and respondent: importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from kam.analytics.ingest.checks import Check, length_checks
from kam.analytics.ingest.problems import ImportReport
from kam.analytics.progress import Progress
from kam.analytics.schema import Column, ColumnType
from kam.health.models import SCALES, SatisfactionAnswer, Survey
from kam.opportunities.import_file import day_check, known_account, read_rows, refuse
from kam.people.models import User

TEXT = ColumnType.TEXT
COLUMNS: tuple[Column, ...] = (
    Column("customer_id", TEXT, True, "The account's customer_id.", True),
    Column("date", TEXT, True, "The day the answer was given, YYYY-MM-DD."),
    Column("survey", TEXT, True, "nps (answers 0–10) or csat (answers 1–5)."),
    Column("score", TEXT, True, "The answer, a whole number on the survey's scale."),
    Column("respondent", TEXT, False, "Who answered (a name or an email address)."),
    Column("comment", TEXT, False, "What they wrote."),
    Column("reference", TEXT, False, "The id your survey tool gives the answer.", True),
)


def _rules(headers: Mapping[str, str]) -> list[Check]:
    surveys = " OR ".join(
        f"(lower(trim(survey)) = '{survey}' AND TRY_CAST(score AS INTEGER) "
        f"BETWEEN {low} AND {high})"
        for survey, (low, high) in SCALES.items()
    )
    return [
        known_account(headers),
        day_check(headers, "date"),
        Check(
            headers["survey"],
            "survey IS NOT NULL AND lower(trim(survey)) NOT IN ('nps', 'csat')",
            "'''' || left(survey, 40) || ''' is not a survey (nps or csat)'",
            "left(survey, 80)",
        ),
        Check(
            headers["score"],
            "score IS NOT NULL AND lower(trim(survey)) IN ('nps', 'csat') AND NOT "
            f"(regexp_full_match(score, '[0-9]{{1,2}}') AND ({surveys}))",
            "'''' || left(score, 40) || ''' is not a whole number ' || CASE WHEN "
            "lower(trim(survey)) = 'nps' THEN '0–10 (NPS)' ELSE '1–5 (CSAT)' END",
            "left(score, 80)",
        ),
        *length_checks(headers, {"respondent": 200, "comment": 4000, "reference": 120}),
    ]


def _key(account_id: str, values: Mapping[str, object]) -> tuple[str, ...]:
    if values["reference"]:
        return (account_id, "reference", str(values["reference"]))
    return (
        account_id,
        str(values["survey"]),
        str(values["answered_on"]),
        str(values["respondent"]).lower(),
    )


def import_satisfaction(
    importer: User,
    path: Path,
    *,
    file_label: str,
    today: date,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole file of NPS / CSAT answers, then write it (see the module doc)."""
    report = progress or (lambda label, fraction: None)
    report("reading the file", 0.0)
    records, problems = read_rows("satisfaction", path, COLUMNS, _rules, file_label)
    account_ids = {str(r["customer_id"]) for r in records}
    existing: dict[tuple[str, ...], SatisfactionAnswer] = {}
    for stored in SatisfactionAnswer.objects.filter(account_id__in=account_ids):
        existing.setdefault(_key(stored.account_id, vars(stored)), stored)
    seen: dict[tuple[str, ...], int] = {}
    rows: list[tuple[SatisfactionAnswer | None, dict[str, object]]] = []
    for record in records:
        line = int(record["line"])
        account_id = str(record["customer_id"])
        answered_on = date.fromisoformat(str(record["date"]))
        if answered_on > today:
            problems.add(line, "date", f"{answered_on} is after today: an answer not given yet")
        values: dict[str, object] = {
            "survey": Survey(str(record["survey"]).strip().lower()),
            "answered_on": answered_on,
            "score": int(str(record["score"])),
            "respondent": (record.get("respondent") or "").strip(),
            "comment": record.get("comment") or "",
            "reference": (record.get("reference") or "").strip(),
        }
        key = _key(account_id, values)
        if key in seen:
            column = "reference" if values["reference"] else "respondent"
            problems.add(line, column, f"the same answer as {problems.unit} {seen[key]}")
        seen[key] = line
        rows.append((existing.get(key), {"account_id": account_id, **values}))
    if problems.found:
        refuse("satisfaction", file_label, len(records), problems.found)
    report("writing the answers", 0.6)
    created = updated = 0
    new = []
    for found, values in rows:
        if found is None:
            new.append(SatisfactionAnswer(imported_by=importer, **values))
            continue
        differs = {k: v for k, v in values.items() if getattr(found, k) != v}
        if differs:
            for name, value in differs.items():
                setattr(found, name, value)
            found.save()
            updated += 1
    created = len(SatisfactionAnswer.objects.bulk_create(new, batch_size=2000))
    report("done", 1.0)
    return ImportReport(
        "satisfaction", file_label, len(rows), created, updated, len(rows) - created - updated
    )
