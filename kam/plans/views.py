"""Pages of the plans app: an account's living plan, inline edits (htmx partials), versions,
the exported document, and the templates per alignment level.

Views validate input and turn domain errors into messages; services do the writing.
"""

from datetime import date
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.history import history_page
from kam.accounts.models import Account
from kam.accounts.views import account_in_url
from kam.audit import queries as audit_queries
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.plans import charts, export, queries, services
from kam.plans.content import plan_rows
from kam.plans.forms import (
    ActionForm,
    ObjectiveForm,
    PlanCreateForm,
    ReviewForm,
    RiskForm,
    SectionForm,
    TargetForm,
    VersionForm,
    share_people,
)
from kam.plans.models import (
    AccountPlan,
    ActionStatus,
    PlanSection,
    PlanVersion,
    RiskStatus,
)
from kam.plans.sections import EDITABLE_SECTIONS, SECTION_BY_KEY, SectionKind, SectionSpec
from kam.plans.services import PlanError, SectionConflict
from kam.revisions import RevisionsField

VIEW = requires(Permission.READ_IN_FULL, on=account_in_url)
EDIT = requires(Permission.EDIT_PLANS, on=account_in_url)


def _today() -> date:
    return timezone.localdate()


def _is_htmx(request: KamRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _plan(customer_id: str, plan_id: int) -> AccountPlan:
    return get_object_or_404(
        AccountPlan.objects.select_related("account", "owner"),
        pk=plan_id,
        account__customer_id=customer_id,
    )


def _plan_url(plan: AccountPlan) -> str:
    return reverse("plans:detail", args=[plan.account_id, plan.pk])


@require_GET
@VIEW
def plan_home(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's current plan, or an invitation to start one."""
    account = get_object_or_404(Account, pk=customer_id)
    plan = queries.current_plan(request.user, account)
    if plan is not None:
        return redirect(_plan_url(plan))
    context = {
        "account": account,
        "form": PlanCreateForm(),
        "plans": queries.account_plans(request.user, account),
    }
    return render(request, "plans/no_plan.html", context)


@require_POST
@EDIT
def plan_create(request: KamRequest, customer_id: str) -> HttpResponse:
    """Start a draft plan from the template of the account's alignment level."""
    account = get_object_or_404(Account, pk=customer_id)
    form = PlanCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A plan looks 12 to 36 months ahead.")
        return redirect("plans:home", customer_id)
    plan = services.do_create_plan(
        request.user,
        account,
        today=_today(),
        horizon_months=form.cleaned_data["horizon_months"],
        title=form.cleaned_data["title"],
    )
    messages.success(request, "Draft plan started from the template of the alignment level.")
    return redirect(_plan_url(plan))


def _sections(plan: AccountPlan) -> dict[str, PlanSection]:
    if "sections" in getattr(plan, "_prefetched_objects_cache", {}):
        return {section.key: section for section in plan.sections.all()}
    return {section.key: section for section in plan.sections.select_related("updated_by")}


def _section_view(spec: SectionSpec, section: PlanSection) -> dict[str, Any]:
    """What the section card shows: its text, or its named lists."""
    content = section.content
    return {
        "spec": spec,
        "section": section,
        "text": content.get("text", ""),
        "parts": [(label, content.get(name, [])) for name, label in spec.parts],
    }


def _plan_context(request: KamRequest, plan: AccountPlan, **extra: Any) -> dict[str, Any]:
    today = _today()
    document = queries.plan_document(request.user, plan, today)
    sections = _sections(plan)
    risk_form, action_form = RiskForm(), ActionForm(plan, initial={"owner": request.user.pk})
    review_form = ReviewForm(initial={"held_on": today, "reviewers": [request.user.pk]})
    share_people(risk_form, action_form, review_form)
    context = {
        "plan": plan,
        "account": plan.account,
        "doc": document,
        "content": document.content,
        "today": today,
        "sections": sections,
        "section_views": [
            _section_view(spec, sections[spec.key.value])
            for spec in EDITABLE_SECTIONS
            if spec.key.value in sections
        ],
        "overdue_ids": {action.pk for action in queries.overdue_actions(plan, today)},
        "targets_figure": charts.targets_figure(document.content["targets"]),
        "actions": plan_rows(plan, "actions", "owner", "objective"),
        "risks": sorted(
            plan_rows(plan, "risks", "owner"), key=lambda r: (r.status != "open", -r.score)
        ),
        "objectives": plan.objectives.all(),
        "targets": plan.targets.all(),
        "versions": plan_rows(plan, "versions", "created_by"),
        "other_plans": queries.account_plans(request.user, plan.account),
        "objective_form": ObjectiveForm(),
        "target_form": TargetForm(
            initial={"year": today.year, "seen": RevisionsField.token(plan.targets.all())}
        ),
        "risk_form": risk_form,
        "action_form": action_form,
        "review_form": review_form,
        "version_form": VersionForm(),
        "action_statuses": ActionStatus.choices,
        "risk_statuses": RiskStatus.choices,
    }
    context.update(extra)
    return context


def health_oob(request: KamRequest, context: dict[str, Any]) -> str:
    """The plan-health block, marked for htmx to swap out of band after an inline edit.

    Every inline edit changes what the figures above the cards say (completeness, overdue
    actions, open risks, freshness, versions), so they travel with the edited card.
    """
    return render_to_string("plans/_health.html", {**context, "oob": True}, request=request)


@require_GET
@VIEW
def plan_detail(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """The living plan: every section, its health, actions, risks, reviews and versions."""
    # Read once, not once per part of the page that counts or lists them (a GET: nothing
    # is written meanwhile that the prefetched rows would miss).
    plan = queries.read_whole(_plan(customer_id, plan_id))
    return render(request, "plans/plan.html", _plan_context(request, plan))


@require_GET
@VIEW
def plan_history(request: KamRequest, customer_id: str, plan_id: int) -> HttpResponse:
    """Every change to the plan: its settings, sections, objectives, targets, risks,
    actions, reviews and versions."""
    plan = _plan(customer_id, plan_id)
    return history_page(
        request,
        audit_queries.history(plan_id=plan.pk),
        subject=plan.title,
        scope="its sections, objectives, targets, risks, actions, reviews and versions",
        back_url=_plan_url(plan),
        back_label="the plan",
    )


def _section_response(
    request: KamRequest,
    plan: AccountPlan,
    key: str,
    *,
    form: SectionForm | None = None,
    conflict: SectionConflict | None = None,
    status: int = 200,
) -> HttpResponse:
    spec = SECTION_BY_KEY[key]
    section = plan.sections.select_related("updated_by").get(key=key)
    context = {
        "plan": plan,
        "account": plan.account,
        "sv": _section_view(spec, section),
        "form": form,
        "conflict": conflict,
    }
    if form is None:
        template = "plans/_section.html"
    elif _is_htmx(request):
        template = "plans/_section_form.html"
    else:
        template = "plans/section_edit.html"
    # htmx swaps only 2xx answers; a full page keeps the honest status code.
    return render(request, template, context, status=200 if _is_htmx(request) else status)


def _text_section(plan: AccountPlan, key: str) -> SectionSpec:
    spec = SECTION_BY_KEY.get(key)
    if spec is None or spec.kind not in (SectionKind.TEXT, SectionKind.LISTS):
        raise Http404(f"No section {key!r} is written as text.")
    return spec


@require_GET
@EDIT
def section_edit(request: KamRequest, customer_id: str, plan_id: int, key: str) -> HttpResponse:
    """A section's edit form, carrying the revision it starts from (the optimistic lock)."""
    plan = _plan(customer_id, plan_id)
    spec = _text_section(plan, key)
    current = plan.sections.get(key=key)
    initial = SectionForm.initial_for(spec, current.content, current.revision)
    return _section_response(request, plan, key, form=SectionForm(spec, initial=initial))


@require_http_methods(["GET", "POST"])
@requires(Permission.READ_IN_FULL, write=Permission.EDIT_PLANS, on=account_in_url)
def section(request: KamRequest, customer_id: str, plan_id: int, key: str) -> HttpResponse:
    """Show a section (GET) or save it (POST), unless someone saved it since the form opened."""
    plan = _plan(customer_id, plan_id)
    spec = _text_section(plan, key)
    if request.method == "GET":
        return _section_response(request, plan, key)
    form = SectionForm(spec, request.POST)
    if not form.is_valid():
        return _section_response(request, plan, key, form=form, status=400)
    try:
        services.do_update_section(
            request.user,
            plan,
            key,
            form.content(),
            expected_revision=form.cleaned_data["revision"],
        )
    except SectionConflict as conflict:
        # Keep the editor's text in the form, now based on the revision they have seen.
        retry = SectionForm(
            spec,
            initial=SectionForm.initial_for(spec, conflict.submitted, conflict.current_revision),
        )
        return _section_response(request, plan, key, form=retry, conflict=conflict, status=409)
    except PlanError as error:
        messages.error(request, str(error))
        return redirect(_plan_url(plan))
    if _is_htmx(request):
        response = _section_response(request, plan, key)
        today = _today()
        document = queries.plan_document(request.user, plan, today)
        health = {"doc": document, "today": today, "versions": plan.versions.all()}
        response.content += health_oob(request, health).encode()
        return response
    return redirect(f"{_plan_url(plan)}#section-{key}")


@require_GET
@VIEW
def version_detail(
    request: KamRequest, customer_id: str, plan_id: int, number: int
) -> HttpResponse:
    """A past version of the plan as it was, with what changed against the one before."""
    plan = _plan(customer_id, plan_id)
    version = get_object_or_404(PlanVersion, plan=plan, number=number)
    document = queries.version_document(request.user, version, _today())
    context = {
        "plan": plan,
        "account": plan.account,
        "version": version,
        "doc": document,
        "content": document.content,
    }
    return render(request, "plans/version.html", context)


@require_POST
@EDIT
def plan_status(request: KamRequest, customer_id: str, plan_id: int, change: str) -> HttpResponse:
    """Activate the plan (archiving the one active until now) or archive it."""
    plan = _plan(customer_id, plan_id)
    try:
        if change == "activate":
            previous = services.do_activate_plan(request.user, plan)
            note = f"; “{previous.title}” is archived" if previous else ""
            messages.success(request, f"This is now the account's active plan{note}.")
        elif change == "archive":
            services.do_archive_plan(request.user, plan)
            messages.success(request, "Plan archived: it stays readable with its history.")
        else:
            raise Http404(f"No change of status {change!r}.")
    except PlanError as error:
        messages.error(request, str(error))
    return redirect(_plan_url(plan))


def _document(request: KamRequest, customer_id: str, plan_id: int, number: int | None) -> Any:
    plan = _plan(customer_id, plan_id)
    if number is None:
        return queries.plan_document(request.user, plan, _today())
    version = get_object_or_404(PlanVersion, plan=plan, number=number)
    return queries.version_document(request.user, version, _today())


@require_GET
# The version page shows the document in a frame of its own site.
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})  # type: ignore[arg-type]  # typed for (request) views only
@VIEW
def document_html(
    request: KamRequest, customer_id: str, plan_id: int, number: int | None = None
) -> HttpResponse:
    """The plan as a clean standalone document (prints as it looks)."""
    document = _document(request, customer_id, plan_id, number)
    return HttpResponse(export.render_plan_html(document))


@require_GET
@VIEW
def document_pdf(
    request: KamRequest, customer_id: str, plan_id: int, number: int | None = None
) -> HttpResponse:
    """The plan as PDF, with the org chart and the targets chart in it."""
    document = _document(request, customer_id, plan_id, number)
    response = HttpResponse(export.render_plan_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{export.file_name(document, "pdf")}"'
    return response
