"""Writes of the programme view: settings, KPI targets, checklist answers and the
cost-to-serve import — who may, edit conflicts, atomic imports, the audit trail."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from kam.audit.models import AuditEntry
from kam.performance import services
from kam.performance.cost_import import CostImportRefused
from kam.performance.models import ChecklistAnswer, CostToServe, KpiTarget
from kam.revisions import EditConflict


def test_settings_save_at_the_revision_seen_and_refuse_a_stale_one(programme):
    saved = services.do_update_program_settings(programme.head, 0, {"hhi_alert": 1000.0})
    assert (saved.hhi_alert, saved.revision) == (1000.0, 1)
    with pytest.raises(EditConflict):
        services.do_update_program_settings(programme.head, 0, {"hhi_alert": 2000.0})
    with pytest.raises(PermissionDenied, match="needs the Head of KAM or Administrator role"):
        services.do_update_program_settings(programme.kim, 1, {"hhi_alert": 2000.0})


def test_a_kpi_target_is_set_changed_and_audited(programme):
    target = services.do_set_kpi_target(programme.head, "revenue_growth", 8.0)
    assert (target.scope, target.scope_key, target.target) == ("program", "", 8.0)
    changed = services.do_set_kpi_target(
        programme.head, "revenue_growth", 9.0, revision=target.revision
    )
    assert changed.target == 9.0
    with pytest.raises(EditConflict):
        services.do_set_kpi_target(programme.head, "revenue_growth", 10.0, revision=target.revision)
    tier = services.do_set_kpi_target(
        programme.head, "retention", 99.0, scope="tier", scope_key="tier_1"
    )
    assert tier.scope_key == "tier_1"
    assert KpiTarget.objects.count() == 2
    assert AuditEntry.objects.filter(object_type__icontains="kpi").exists()


@pytest.mark.parametrize(
    ("kpi", "scope", "scope_key", "message"),
    [
        ("nonsense", "program", "", "no KPI named"),
        ("retention", "galaxy", "", "no scope named"),
        ("retention", "tier", "", "say which tier"),
    ],
)
def test_a_bad_target_is_refused_with_the_reason(programme, kpi, scope, scope_key, message):
    with pytest.raises(services.ProgramError, match=message):
        services.do_set_kpi_target(programme.head, kpi, 1.0, scope=scope, scope_key=scope_key)


def test_a_checklist_answer_is_kept_beside_the_earlier_ones(programme):
    services.do_answer_checklist_item(programme.head, "pilot", "no")
    services.do_answer_checklist_item(
        programme.head, "pilot", "yes", evidence="Six accounts, 2025", owner=programme.kim
    )
    assert list(ChecklistAnswer.objects.values_list("answer", flat=True)) == ["yes", "no"]
    with pytest.raises(PermissionDenied):
        services.do_answer_checklist_item(programme.viewer, "pilot", "yes")
    with pytest.raises(services.ProgramError, match="answer yes, partly or no"):
        services.do_answer_checklist_item(programme.head, "pilot", "maybe")


GOOD = """customer_id,period_start,period_end,amount,note
C00,2026-01-01,2026-03-31,9000,Q1
C00,2026-04-01,2026-06-30,12000,Q2
C01,2025-07-01,2026-06-30,4000,
"""


def test_importing_cost_to_serve_is_idempotent_and_audited(programme, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text(GOOD)
    report = services.do_import_cost_to_serve(programme.head, path)
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    again = services.do_import_cost_to_serve(programme.head, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    path.write_text(GOOD.replace("12000", "12500"))
    assert services.do_import_cost_to_serve(programme.head, path).updated == 1
    assert CostToServe.objects.get(account_id="C00", period_start=date(2026, 4, 1)).amount == 12500
    assert AuditEntry.objects.filter(detail__kind="cost to serve").count() == 3


def test_a_bad_cost_file_is_refused_whole_naming_each_line_and_column(programme, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "customer_id,period_start,period_end,amount\n"
        "C00,2026-01-01,2026-03-31,9000\n"
        "NOPE,2026-01-01,2026-03-31,10\n"
        "C01,2026-13-01,2026-03-31,10\n"
        "C02,2026-04-01,2026-03-31,10\n"
        "C03,2026-01-01,2026-03-31,-5\n"
        "C00,2026-01-01,2026-03-31,1\n"
    )
    with pytest.raises(CostImportRefused) as refused:
        services.do_import_cost_to_serve(programme.head, path)
    found = {(issue.line, issue.column) for issue in refused.value.issues}
    assert found == {
        (3, "customer_id"),
        (4, "period_start"),
        (5, "period_end"),
        (6, "amount"),
        (7, "period_start"),
    }
    assert "no account 'NOPE'" in str(refused.value)
    assert not CostToServe.objects.exists()
    assert not AuditEntry.objects.filter(detail__kind="cost to serve").exists()


def test_only_importers_import_cost_to_serve(programme, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text(GOOD)
    with pytest.raises(PermissionDenied, match="Importing data needs"):
        services.do_import_cost_to_serve(programme.kim, path)
