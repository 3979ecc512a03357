"""Importing opportunities and wallet estimates: all or nothing, every bad row named by line
and column, the same file twice changes nothing."""

from datetime import date

import pytest
from openpyxl import Workbook

from kam.analytics.ingest.problems import ImportRefused
from kam.audit.models import AuditEntry
from kam.opportunities.models import Opportunity, WalletEstimate
from kam.opportunities.services import do_import_opportunities, do_import_wallets

TODAY = date(2026, 6, 15)
HEADER = (
    "customer_id,name,value,expected_close_date,product_category,stage,owner,close_reason,"
    "reference\n"
)
GOOD = HEADER + (
    "C-OWN,Cold-chain pumps,120000,2026-09-30,Pumps,proposal,kim,,OPP-1\n"
    "C-OWN,Seal retrofit,8000.50,2026-03-01,Seals,lost,,Price: Acme 12% lower,OPP-2\n"
    "C-FOREIGN,Valve frame,50000,2026-12-01,Valves,,,,OPP-3\n"
)


def write(tmp_path, text, name="opportunities.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_is_imported(programme, tmp_path):
    report = do_import_opportunities(programme.head, write(tmp_path, GOOD), today=TODAY)
    lost = Opportunity.objects.get(reference="OPP-2")
    assert (report.rows, report.inserted) == (3, 3)
    assert (lost.stage, lost.closed_on, lost.probability) == ("lost", TODAY, 0)
    assert Opportunity.objects.get(reference="OPP-1").probability == 50


def test_the_same_file_twice_changes_nothing(programme, tmp_path):
    path = write(tmp_path, GOOD)
    do_import_opportunities(programme.head, path, today=TODAY)
    again = do_import_opportunities(programme.head, path, today=TODAY)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_an_import_is_one_audit_entry(programme, tmp_path):
    do_import_opportunities(programme.head, write(tmp_path, GOOD), today=TODAY)
    entries = AuditEntry.objects.filter(object_type__icontains="opportunit")
    assert entries.count() == 1


BAD = HEADER + (
    "C-OWN,Fine,100,2026-09-30,Pumps,,,,A\n"
    "C-NONE,Nowhere,100,2026-09-30,Pumps,,,,B\n"
    "C-OWN,Cheap,lots,2026-13-01,Pumps,maybe,,,C\n"
    "C-OWN,Gone,100,2026-09-30,Pumps,lost,nobody,,D\n"
    "C-OWN,Twice,100,2026-09-30,Pumps,,,,A\n"
)


def problems_of(refused):
    return {(p.line, p.column) for p in refused.value.report.problems}


def test_a_bad_file_is_refused_whole_naming_lines_and_columns(programme, tmp_path):
    with pytest.raises(ImportRefused) as refused:
        do_import_opportunities(programme.head, write(tmp_path, BAD), today=TODAY)
    assert problems_of(refused) == {
        (3, "customer_id"), (4, "value"), (4, "expected_close_date"), (4, "stage"),
    }  # fmt: skip
    assert not Opportunity.objects.exists()


def test_rules_across_tables_are_checked_once_the_cells_are_clean(programme, tmp_path):
    text = "\n".join(
        line for line in BAD.splitlines() if "C-NONE" not in line and "lots" not in line
    )
    with pytest.raises(ImportRefused) as refused:
        do_import_opportunities(programme.head, write(tmp_path, text + "\n"), today=TODAY)
    assert problems_of(refused) == {(3, "close_reason"), (3, "owner"), (4, "reference")}
    assert not Opportunity.objects.exists()


def test_a_manager_may_not_import_into_another_managers_account(programme, tmp_path):
    with pytest.raises(ImportRefused) as refused:
        do_import_opportunities(programme.kam, write(tmp_path, GOOD), today=TODAY)
    assert problems_of(refused) == {(4, "customer_id")}


def test_an_excel_file_names_rows(programme, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["customer_id", "name", "value", "expected_close_date", "product_category"])
    sheet.append(["C-OWN", "Pumps", "-1", "2026-09-30", "Pumps"])
    book.save(tmp_path / "opportunities.xlsx")
    with pytest.raises(ImportRefused) as refused:
        do_import_opportunities(programme.head, tmp_path / "opportunities.xlsx", today=TODAY)
    assert [(p.unit, p.line, p.column) for p in refused.value.report.problems] == [
        ("row", 2, "value")
    ]


WALLETS = "customer_id,category,amount,source\nC-OWN,Pumps,50000,survey 2026\nC-OWN,Valves,9000,\n"


def test_wallets_are_imported_and_matched(programme, tmp_path):
    path = write(tmp_path, WALLETS, "wallets.csv")
    first = do_import_wallets(programme.head, path)
    again = do_import_wallets(programme.head, path)
    assert (first.inserted, again.unchanged) == (2, 2)
    assert WalletEstimate.objects.get(category="Pumps").source == "survey 2026"


def test_a_bad_wallet_file_is_refused_whole(programme, tmp_path):
    text = WALLETS + "C-OWN,Seals,-3,\nC-OWN,Pumps,1,\n"
    with pytest.raises(ImportRefused) as refused:
        do_import_wallets(programme.head, write(tmp_path, text, "wallets.csv"))
    assert problems_of(refused) == {(4, "amount")}
    assert not WalletEstimate.objects.exists()


def test_a_duplicate_wallet_row_is_named(programme, tmp_path):
    text = WALLETS + "C-OWN,Pumps,1,\n"
    with pytest.raises(ImportRefused) as refused:
        do_import_wallets(programme.head, write(tmp_path, text, "wallets.csv"))
    assert problems_of(refused) == {(4, "category")}
