"""Inline edits of the plan page: each answers an htmx request with its card's partial, and
a plain form post with a redirect back to the plan. Validation errors stay in the form.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kam.people.access import KamRequest
from kam.plans import services
from kam.plans.forms import (
    ActionForm,
    ActionStatusForm,
    ObjectiveForm,
    ReviewForm,
    RiskForm,
    RiskStatusForm,
    TargetForm,
    VersionForm,
)
from kam.plans.models import AccountPlan, PlanAction, PlanRisk
from kam.plans.services import PlanError
from kam.plans.views import EDIT, _is_htmx, _plan, _plan_context, _plan_url, _today, health_oob
from kam.revisions import EditConflict, RevisionsField, rebase


def _card(request: KamRequest, plan: AccountPlan, partial: str, **extra: Any) -> HttpResponse:
    """Answer an inline edit: the card's partial for htmx, the whole page otherwise."""
    if _is_htmx(request):
        context = _plan_context(request, plan, **extra)
        response = render(request, f"plans/_{partial}.html", context)
        response.content += health_oob(request, context).encode()
        return response
    return redirect(f"{_plan_url(plan)}#{partial}")


def _inline_write(
    request: KamRequest,
    plan: AccountPlan,
    partial: str,
    form_name: str,
    form: Any,
    write: Callable[[dict[str, Any]], object],
) -> HttpResponse:
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except EditConflict as conflict:
            # The card shows what is saved now beside what the editor chose; nothing is lost.
            if "seen" in form.fields:
                rebase(form, seen=RevisionsField.token(getattr(plan, partial).all()))
            if not _is_htmx(request):
                messages.error(request, str(conflict))
            return _card(request, plan, partial, conflict=conflict, **{form_name: form})
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            return _card(request, plan, partial)
    if not _is_htmx(request):
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
    return _card(request, plan, partial, **{form_name: form})


@require_POST
@EDIT
def objective_add(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Add a customer business objective without leaving the page."""
    plan = _plan(customer_id, plan_id)
    return _inline_write(
        request,
        plan,
        "objectives",
        "objective_form",
        ObjectiveForm(request.POST),
        lambda data: services.do_add_objective(request.user, plan, data["title"], data["measure"]),
    )


@require_POST
@EDIT
def target_set(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Set the revenue target of one year."""
    plan = _plan(customer_id, plan_id)
    return _inline_write(
        request,
        plan,
        "targets",
        "target_form",
        TargetForm(request.POST),
        lambda data: services.do_set_target(
            request.user,
            plan,
            year=data["year"],
            revenue=data["revenue"],
            growth_percent=data["growth_percent"],
            note=data["note"],
            seen=data["seen"],
        ),
    )


@require_POST
@EDIT
def risk_add(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Add a risk to the register."""
    plan = _plan(customer_id, plan_id)
    return _inline_write(
        request,
        plan,
        "risks",
        "risk_form",
        RiskForm(request.POST),
        lambda data: services.do_add_risk(request.user, plan, **data),
    )


@require_POST
@EDIT
def risk_status(request: KamRequest, customer_id: str, plan_id: int, risk_id: int) -> HttpResponse:
    """Mark a risk open, mitigated or closed."""
    plan = _plan(customer_id, plan_id)
    risk = get_object_or_404(PlanRisk, pk=risk_id, plan=plan)
    return _inline_write(
        request,
        plan,
        "risks",
        "risk_status_form",
        RiskStatusForm(request.POST),
        lambda data: services.do_update_risk_status(
            request.user, risk, data["status"], expected_revision=data["revision"]
        ),
    )


@require_POST
@EDIT
def action_add(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Add an action to the action plan without leaving the page."""
    plan = _plan(customer_id, plan_id)
    return _inline_write(
        request,
        plan,
        "actions",
        "action_form",
        ActionForm(plan, request.POST),
        lambda data: services.do_add_action(request.user, plan, **data),
    )


@require_POST
@EDIT
def action_status(
    request: KamRequest, customer_id: str, plan_id: int, action_id: int
) -> HttpResponse:
    """Move an action to another status."""
    plan = _plan(customer_id, plan_id)
    action = get_object_or_404(PlanAction, pk=action_id, plan=plan)
    return _inline_write(
        request,
        plan,
        "actions",
        "action_status_form",
        ActionStatusForm(request.POST),
        lambda data: services.do_update_action_status(
            request.user, action, data["status"], expected_revision=data["revision"]
        ),
    )


@require_POST
@EDIT
def review_add(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Record an internal, external or co-created review of the plan."""
    plan = _plan(customer_id, plan_id)
    return _inline_write(
        request,
        plan,
        "reviews",
        "review_form",
        ReviewForm(request.POST),
        lambda data: services.do_record_review(request.user, plan, today=_today(), **data),
    )


@require_POST
@EDIT
def version_cut(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Freeze the plan as its next version."""
    plan = _plan(customer_id, plan_id)
    return _inline_write(
        request,
        plan,
        "versions",
        "version_form",
        VersionForm(request.POST),
        lambda data: services.do_cut_version(request.user, plan, today=_today(), note=data["note"]),
    )
