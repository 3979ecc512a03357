"""Pages of the programme view: the programme page (concentration, P&L, KPIs, measured
return, the post-launch questions, the checklist's score), the KPI board per tier, manager
and account with its targets, the account P&L, the implementation checklist, the settings
and the cost-to-serve import. Views validate input and call one query or service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.analytics.program.kpis import BY_KEY
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.performance import (
    charts,
    checklist_queries,
    kpi_board,
    measured,
    queries,
    review,
    services,
)
from kam.performance.cost_import import COLUMNS, CostImportRefused
from kam.performance.costs import one_page
from kam.performance.forms import (
    ChecklistAnswerForm,
    CostImportForm,
    KpiTargetForm,
    ProgramSettingsForm,
)
from kam.performance.models import KpiScope
from kam.performance.services import SETTING_FIELDS, ProgramError
from kam.revisions import EditConflict, rebase
from kam.uploads import save_upload

SCOPES = {"tier": "Tiers", "manager": "Managers", "account": "Key accounts"}


def _with_figures(group: kpi_board.Group) -> list[dict[str, Any]]:
    return [
        {"line": line, "figure": charts.kpi_trend_figure(line.trend, line.target, line.kpi.unit)}
        for line in group.lines
    ]


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def programme(request: KamRequest) -> HttpResponse:
    """The programme at a glance, for the Head of KAM and the leadership."""
    user = request.user
    keys = queries.key_accounts()
    with one_page():
        found = queries.concentration(user, keys=keys)
        board = kpi_board.kpi_board(user, keys=keys, programme_only=True)
        roi = measured.roi(user, keys=keys)
        answers = measured.post_launch_answers(user, roi, keys=keys)
        pnl = queries.pnl_if_allowed(user, keys=keys)
    context: dict[str, Any] = {
        "concentration": found,
        "concentration_figure": (
            charts.concentration_figure(found.points, found.settings.hhi_alert) if found else ""
        ),
        "board": board,
        "kpi_rows": _with_figures(board.programme) if board else [],
        "roi": roi,
        "answers": answers,
        "pnl": pnl,
        "maturity": checklist_queries.checklist(user, answers).score,
        "may_manage": queries.may_manage(user),
    }
    return render(request, "performance/programme.html", context)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def kpis(request: KamRequest) -> HttpResponse:
    """Every KPI per tier, per manager or per key account, against its target."""
    scope = request.GET.get("scope", "tier")
    if scope not in SCOPES:
        scope = "tier"
    board = kpi_board.kpi_board(request.user)
    groups: list[tuple[kpi_board.Group, list[dict[str, Any]]]] = []
    if board is not None:
        chosen = {"tier": board.tiers, "manager": board.managers, "account": board.accounts}[scope]
        groups = [
            (group, [{"line": line, "figure": ""} for line in group.lines]) for group in chosen
        ]
    context = {
        "board": board,
        "groups": groups,
        "scope": scope,
        "scopes": SCOPES,
        "may_manage": queries.may_manage(request.user),
    }
    return render(request, "performance/kpis.html", context)


@require_POST
@requires(Permission.VIEW_ACCOUNTS, write=Permission.MANAGE_PROGRAM)
def kpi_target(request: KamRequest) -> HttpResponse:
    """Set a KPI's target; an htmx request gets the KPI's row back with its new status."""
    form = KpiTargetForm(request.POST)
    if not form.is_valid():
        return render(request, "performance/_form_errors.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        services.do_set_kpi_target(
            request.user,
            data["kpi"],
            data["target"],
            scope=data["scope"],
            scope_key=data["scope_key"],
            revision=data["revision"],
        )
    except EditConflict as conflict:
        return render(request, "_conflict.html", {"conflict": conflict}, status=409)
    except ProgramError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return render(request, "performance/_form_errors.html", {"form": form}, status=400)
    if not request.htmx:
        messages.success(request, f"Target of {BY_KEY[data['kpi']].label} saved.")
        return redirect(request.POST.get("next") or "performance:programme")
    board = kpi_board.kpi_board(request.user)
    line = _find_line(board, data["kpi"], data["scope"], data["scope_key"]) if board else None
    if line is None:
        return HttpResponse(status=204)
    figure = ""
    if line.scope == KpiScope.PROGRAM:
        figure = charts.kpi_trend_figure(line.trend, line.target, line.kpi.unit)
    context = {"row": {"line": line, "figure": figure}, "may_manage": True}
    return render(request, "performance/_kpi_row.html", context)


def _find_line(
    board: kpi_board.KpiBoard, kpi: str, scope: str, key: str
) -> kpi_board.KpiLine | None:
    groups = [board.programme, *board.tiers, *board.managers, *board.accounts]
    for group in groups:
        if group.scope == scope and group.key == key:
            return next((line for line in group.lines if line.kpi.key == kpi), None)
    return None


@require_GET
@requires(Permission.VIEW_FINANCIALS)
def pnl(request: KamRequest) -> HttpResponse:
    """Each key account's P&L, and per manager and tier."""
    return render(request, "performance/pnl.html", {"pnl": queries.pnl(request.user)})


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.MANAGE_PROGRAM)
def checklist(request: KamRequest) -> HttpResponse:
    """The implementation checklist: the answers, their owners and the maturity score."""
    form = ChecklistAnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.do_answer_checklist_item(
                request.user, data["item"], data["answer"], evidence=data["evidence"],
                owner=data["owner"],
            )  # fmt: skip
            messages.success(request, "Answer saved.")
            return redirect("performance:checklist")
        status = 400
    roi = measured.roi(request.user)
    context = {
        "sheet": checklist_queries.checklist(
            request.user, measured.post_launch_answers(request.user, roi)
        ),
        "form": form,
        "may_manage": queries.may_manage(request.user),
    }
    return render(request, "performance/checklist.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_FINANCIALS, write=Permission.MANAGE_PROGRAM)
def settings_page(request: KamRequest) -> HttpResponse:
    """The concentration alert lines and the rates that estimate cost to serve."""
    current = queries.program_settings()
    initial = {name: getattr(current, name) for name in SETTING_FIELDS}
    initial["revision"] = current.revision
    form = ProgramSettingsForm(request.POST or None, initial=initial)
    status, conflict = 200, None
    if request.method == "POST":
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in SETTING_FIELDS}
            try:
                services.do_update_program_settings(
                    request.user, form.cleaned_data["revision"] or 0, values
                )
            except EditConflict as error:
                conflict, status = error, 409
                rebase(form, revision=error.current)
            else:
                messages.success(request, "Programme settings saved.")
                return redirect("performance:settings")
        else:
            status = 400
    context = {"form": form, "conflict": conflict, "current": current}
    return render(request, "performance/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Permission.IMPORT_DATA)
def cost_import(request: KamRequest) -> HttpResponse:
    """Upload cost to serve per account and period; show what changed or every problem."""
    form = CostImportForm(request.POST or None, request.FILES or None)
    report = refused = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            path = save_upload(upload)
            try:
                report = services.do_import_cost_to_serve(
                    request.user, path, file_label=upload.name
                )
            except CostImportRefused as error:
                refused, status = error, 422
            finally:
                path.unlink(missing_ok=True)
        else:
            status = 400
    context = {"form": form, "report": report, "refused": refused, "columns": COLUMNS}
    return render(request, "performance/cost_import.html", context, status=status)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def review_page(request: KamRequest) -> HttpResponse:
    """The portfolio review for the leadership meeting, with its PDF to download."""
    found = review.portfolio_review(request.user)
    return render(request, "performance/review.html", review.review_context(found))


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def review_pdf(request: KamRequest) -> HttpResponse:
    """The portfolio review as a PDF."""
    found = review.portfolio_review(request.user)
    response = HttpResponse(review.render_review_pdf(found), content_type="application/pdf")
    day = found.as_of.isoformat() if found.as_of else "empty"
    response["Content-Disposition"] = f'attachment; filename="portfolio-review-{day}.pdf"'
    return response
