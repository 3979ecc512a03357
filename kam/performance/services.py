"""Every write of the programme view: its settings, imported cost to serve, KPI targets and
the implementation checklist's answers. Each checks the acting user first and runs in one
transaction; what the ORM's signals do not see records itself in the audit trail."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kam.analytics.program.kpis import BY_KEY
from kam.audit import trail
from kam.audit.context import quiet
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.performance.checklist import ITEMS_BY_KEY
from kam.performance.cost_import import CostImportReport, import_costs
from kam.performance.models import ChecklistAnswer, KpiScope, KpiTarget, ProgramSettings
from kam.revisions import save_or_create, save_revision

SETTING_FIELDS = (
    "top_customer_alert_pct",
    "top5_alert_pct",
    "hhi_alert",
    "hourly_rate",
    "sponsor_hourly_rate",
    "manager_cost_per_year",
)


class ProgramError(ValueError):
    """A write the programme's rules refuse; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def do_update_program_settings(
    user: User, revision: int, values: dict[str, float]
) -> ProgramSettings:
    """Save the programme's settings if nobody saved them since ``revision``."""
    check_permission(user, Permission.MANAGE_PROGRAM)
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ProgramError(f"no setting named {sorted(unknown)[0]!r}", sorted(unknown)[0])
    record, _created = ProgramSettings.objects.get_or_create(pk=1)
    save_revision(record, revision, values, what="the programme settings", editor=user)
    return record


@transaction.atomic
def do_set_kpi_target(
    user: User,
    kpi: str,
    target: float,
    *,
    scope: str = KpiScope.PROGRAM,
    scope_key: str = "",
    revision: int | None = None,
) -> KpiTarget:
    """Set the target of ``kpi`` for the programme, a tier, a manager or an account;
    ``revision`` is the one the editor saw (None: they saw no target set)."""
    check_permission(user, Permission.MANAGE_PROGRAM)
    if kpi not in BY_KEY:
        raise ProgramError(f"no KPI named {kpi!r}", "kpi")
    if scope not in KpiScope.values:
        raise ProgramError(f"no scope named {scope!r}", "scope")
    if scope != KpiScope.PROGRAM and not scope_key:
        raise ProgramError("say which tier, manager or account the target is for", "scope_key")
    record, _created = save_or_create(
        KpiTarget,
        {"kpi": kpi, "scope": scope, "scope_key": "" if scope == KpiScope.PROGRAM else scope_key},
        revision,
        {"target": target},
        what=f"the target of {BY_KEY[kpi].label}",
        editor=user,
    )
    return record  # type: ignore[return-value]


@transaction.atomic
def do_answer_checklist_item(
    user: User, item: str, answer: str, *, evidence: str = "", owner: User | None = None
) -> ChecklistAnswer:
    """Answer one item of the implementation checklist: a new answer, the earlier kept."""
    check_permission(user, Permission.MANAGE_PROGRAM)
    if item not in ITEMS_BY_KEY:
        raise ProgramError(f"no checklist item {item!r}", "item")
    if answer not in ChecklistAnswer.Answer.values:
        raise ProgramError("answer yes, partly or no", "answer")
    return ChecklistAnswer.objects.create(
        item=item,
        answer=answer,
        evidence=evidence,
        owner=owner,
        answered_by=user,
        answered_at=timezone.now(),
    )


@transaction.atomic
def do_import_cost_to_serve(
    user: User, path: Path, *, file_label: str | None = None
) -> CostImportReport:
    """Import cost to serve per account and period from CSV or Excel, all or nothing: a bad
    file raises ``CostImportRefused`` naming every bad row and changes nothing; importing
    the same file again changes nothing."""
    check_permission(user, Permission.IMPORT_DATA)
    label = file_label or path.name
    with quiet():
        report = import_costs(path, file_label=label)
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    trail.record_file("cost to serve", path, file_label=label, counts=counts)
    return report
