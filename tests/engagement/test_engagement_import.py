"""Importing an engagement log: CSV and Excel, all or nothing, every bad row named by line
and column, the same file twice changes nothing, and a file of 100,000 rows."""

import csv
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kam.engagement.import_file import EngagementImportRefused
from kam.engagement.models import Engagement
from kam.engagement.services import do_import_engagements

TODAY = date(2026, 6, 15)
HEADER = ["customer_id", "date", "kind", "status", "our_people", "contacts", "rating", "reference"]


def write(path: Path, rows: list[list[str]], header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


GOOD = [
    ["C-OWN", "2026-06-01", "QBR", "held", "kim", "petra@nordwind.example;Jonas Weber", "4",
     "crm-1"],
    ["C-OWN", "2026-07-01", "executive business review", "planned", "kim;sam", "", "", "crm-2"],
    ["C-FOREIGN", "2026-05-20", "call", "", "", "", "3", "crm-3"],
]  # fmt: skip


def test_a_good_file_is_imported_and_moves_last_contacted(programme, tmp_path):
    report = do_import_engagements(programme.head, write(tmp_path / "log.csv", GOOD), today=TODAY)
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    qbr = Engagement.objects.get(reference="crm-1")
    assert (qbr.kind, qbr.status, qbr.rating) == ("qbr", "held", 4)
    assert {c.name for c in qbr.contacts.all()} == {"Petra Roth", "Jonas Weber"}
    call = Engagement.objects.get(reference="crm-3")
    assert [p.username for p in call.our_people.all()] == ["kai"]  # the account's manager
    petra = programme.contacts[0]
    petra.refresh_from_db()
    assert petra.last_contact_date == date(2026, 6, 1)
    again = do_import_engagements(programme.head, tmp_path / "log.csv", today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Engagement.objects.count() == 3


def test_a_bad_file_is_refused_whole_naming_line_and_column(programme, tmp_path):
    rows = [
        *GOOD,
        ["C-NOPE", "2026-06-01", "qbr", "", "", "", "", ""],
        ["C-OWN", "2026-13-01", "lunch", "maybe", "", "", "7", ""],
        ["C-OWN", "2026-06-01", "qbr", "", "nobody", "Ida Falk", "", ""],
        ["C-OWN", "2026-08-01", "qbr", "held", "", "", "", ""],
    ]
    with pytest.raises(EngagementImportRefused) as refused:
        do_import_engagements(programme.head, write(tmp_path / "bad.csv", rows), today=TODAY)
    where = {(i.line, i.column) for i in refused.value.issues}
    assert {(5, "customer_id"), (6, "date"), (6, "kind"), (6, "status"), (6, "rating")} <= where
    assert not Engagement.objects.exists()
    # Once the cells are right, the rules across tables speak: people, contacts, the future.
    rows = [*GOOD, ["C-OWN", "2026-06-01", "qbr", "", "nobody", "Ida Falk", "", ""],
            ["C-OWN", "2026-08-01", "qbr", "held", "", "", "", ""]]  # fmt: skip
    with pytest.raises(EngagementImportRefused) as refused:
        do_import_engagements(programme.head, write(tmp_path / "bad2.csv", rows), today=TODAY)
    reasons = {(i.line, i.column): i.reason for i in refused.value.issues}
    assert "no active user 'nobody'" in reasons[(5, "our_people")]
    assert "'Ida Falk' is not a contact of C-OWN" in reasons[(5, "contacts")]
    assert "planned, not held" in reasons[(6, "date")]
    assert not Engagement.objects.exists()


def test_a_manager_may_import_only_for_the_accounts_they_keep(programme, tmp_path):
    with pytest.raises(EngagementImportRefused) as refused:
        do_import_engagements(programme.kam, write(tmp_path / "log.csv", GOOD), today=TODAY)
    assert [(i.line, i.column) for i in refused.value.issues] == [(4, "customer_id")]
    assert not Engagement.objects.exists()


def test_an_excel_file_names_rows_as_excel_does(programme, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD[0])
    sheet.append(["C-OWN", "2026-06-02", "qbr", "", "", "", "9", ""])
    book.save(tmp_path / "log.xlsx")
    with pytest.raises(EngagementImportRefused) as refused:
        do_import_engagements(programme.head, tmp_path / "log.xlsx", today=TODAY)
    assert [(i.unit, i.line, i.column) for i in refused.value.issues] == [("row", 3, "rating")]
    sheet.delete_rows(3)
    book.save(tmp_path / "log.xlsx")
    assert do_import_engagements(programme.head, tmp_path / "log.xlsx", today=TODAY).created == 1


def test_a_hundred_thousand_rows_import_and_one_bad_row_refuses_them_all(programme, tmp_path):
    rows = [
        ["C-OWN" if i % 2 else "C-FOREIGN", f"20{24 + i % 2}-0{1 + i % 9}-{1 + i % 28:02}",
         ("qbr", "call", "visit")[i % 3], "held", "", "", str(1 + i % 5), f"r{i}"]
        for i in range(100_000)
    ]  # fmt: skip
    rows[77_777][6] = "eleven"
    with pytest.raises(EngagementImportRefused) as refused:
        do_import_engagements(programme.head, write(tmp_path / "big.csv", rows), today=TODAY)
    assert [(i.line, i.column) for i in refused.value.issues] == [(77_779, "rating")]
    assert not Engagement.objects.exists()
    rows[77_777][6] = "4"
    report = do_import_engagements(programme.head, write(tmp_path / "big.csv", rows), today=TODAY)
    assert report.created == 100_000
    assert Engagement.objects.count() == 100_000


def test_the_command_imports_with_json_and_refuses_with_line_and_column(programme, tmp_path):
    import json

    from kam.cli import app

    runner = CliRunner()
    good = runner.invoke(
        app,
        ["engagement", "import", str(write(tmp_path / "log.csv", GOOD)), "--as", "head", "--json"],
    )
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["created"] == 3
    bad = write(tmp_path / "bad.csv", [["C-OWN", "2026-06-01", "qbr", "", "", "", "0", ""]])
    refused = runner.invoke(app, ["engagement", "import", str(bad), "--as", "head", "--json"])
    assert refused.exit_code == 1
    answer = json.loads(refused.stdout)
    assert answer["refused"] is True
    assert answer["problems"][0]["line"] == 2
    assert answer["problems"][0]["column"] == "rating"
    overdue = runner.invoke(app, ["engagement", "overdue", "--as", "head", "--json"])
    assert overdue.exit_code == 0, overdue.output
    assert {row["customer_id"] for row in json.loads(overdue.stdout)["overdue"]} >= {"C-FOREIGN"}
