"""Pages of the selection cycle: list, propose, decide (override, approve, publish), compare,
and assign managers."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.analytics.assignment import AssignmentInfeasible
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.revisions import EditConflict
from kam.selection import assignment, queries, services
from kam.selection.forms import CycleForm, OverrideForm
from kam.selection.models import SelectionCycle
from kam.selection.views import context

PROPOSAL_FILTERS = ("add", "keep", "remove", "overridden", "moved")
DECISIONS_A_PAGE = 50
"""The cycle page lists this many decisions at a time, in review order (key accounts first)."""


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.RUN_SELECTION)
def cycle_list(request: KamRequest) -> HttpResponse:
    """Every cycle, newest first; propose a new one."""
    form = CycleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.do_create_cycle(
                request.user,
                as_of=form.cleaned_data["as_of"],
                name=form.cleaned_data["name"],
            )
        except services.SelectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{cycle.name} proposed. Review the decisions below.")
            return redirect("selection:cycle", pk=cycle.pk)
    all_cycles = SelectionCycle.objects.select_related("score_run__policy_version", "previous")
    return render(
        request,
        "selection/cycles.html",
        context(request, form=form, cycles=all_cycles, published=queries.latest_published()),
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def cycle_detail(request: KamRequest, pk: int) -> HttpResponse:
    """A cycle's proposals with reasons, quadrant moves and overrides; approve and publish."""
    review = queries.cycle_review(request.user, pk)
    if review is None:
        raise Http404(f"No selection cycle {pk}.")
    cycle, show = review.cycle, request.GET.get("show", "")
    page = Paginator(review.shown(show), DECISIONS_A_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "selection/cycle.html",
        context(
            request,
            cycle=cycle,
            rows=page,
            page=page,
            show=show,
            summary=review.counts,
            review=review,
            filters=PROPOSAL_FILTERS,
            others=SelectionCycle.objects.exclude(pk=cycle.pk),
        ),
    )


@require_POST
@requires(Permission.APPROVE_CYCLE)
def cycle_override(request: KamRequest, pk: int) -> HttpResponse:
    """Override one decision (htmx answers with the refreshed row); a reason is required."""
    cycle = get_object_or_404(SelectionCycle, pk=pk)
    form = OverrideForm(request.POST)
    error = ""
    conflict: EditConflict | None = None
    decision = None
    if form.is_valid():
        try:
            decision = services.do_override_decision(
                request.user,
                cycle,
                form.cleaned_data["customer_id"],
                is_key=form.cleaned_data["is_key"],
                reason=form.cleaned_data["reason"],
                shown_key=form.cleaned_data["shown"],
            )
        except EditConflict as refused:
            conflict = refused
        except services.SelectionError as problem:
            error = str(problem)
    else:
        error = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
    if not request.htmx:
        if error or conflict:
            messages.error(request, error or str(conflict))
        return redirect("selection:cycle", pk=pk)
    if decision is None:
        decision = cycle.decisions.filter(account_id=request.POST.get("customer_id", "")).first()
    cycle.refresh_from_db()
    return render(
        request,
        "selection/_decision_row.html",
        context(request, cycle=cycle, d=decision, error=error, conflict=conflict),
        status=400 if error else 200,
    )


@require_POST
@requires(Permission.APPROVE_CYCLE)
def cycle_approve(request: KamRequest, pk: int) -> HttpResponse:
    """Approve the cycle as it stands."""
    cycle = get_object_or_404(SelectionCycle, pk=pk)
    try:
        services.do_approve_cycle(request.user, cycle)
        messages.success(
            request, f"{cycle.name} approved. Publish it to designate the key accounts."
        )
    except services.SelectionError as error:
        messages.error(request, str(error))
    return redirect("selection:cycle", pk=pk)


@require_POST
@requires(Permission.APPROVE_CYCLE)
def cycle_publish(request: KamRequest, pk: int) -> HttpResponse:
    """Publish: the cycle's key accounts become the key accounts."""
    cycle = get_object_or_404(SelectionCycle, pk=pk)
    try:
        services.do_publish_cycle(request.user, cycle)
        messages.success(request, f"{cycle.name} published: the key accounts are designated.")
    except services.SelectionError as error:
        messages.error(request, str(error))
    return redirect("selection:cycle", pk=pk)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def cycle_compare(request: KamRequest) -> HttpResponse:
    """Two cycles side by side: added, removed, kept and quadrant moves."""
    all_cycles = list(SelectionCycle.objects.all())
    chosen = [c for c in all_cycles if str(c.pk) in (request.GET.get("a"), request.GET.get("b"))]
    comparison = None
    if len(chosen) == 2:
        comparison = queries.compare_cycles(request.user, *chosen)
    return render(
        request,
        "selection/compare.html",
        context(
            request,
            cycles=all_cycles,
            comparison=comparison,
            a=request.GET.get("a", ""),
            b=request.GET.get("b", ""),
        ),
    )


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.APPROVE_CYCLE)
def cycle_assignment(request: KamRequest, pk: int) -> HttpResponse:
    """The solver's proposal of managers and executive sponsors for the cycle's key accounts,
    workload, and apply."""
    cycle = get_object_or_404(SelectionCycle, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            placements = json.loads(request.POST.get("placements", "{}"))
            sponsors = json.loads(request.POST.get("sponsors", "null"))
            if not isinstance(placements, dict) or not isinstance(sponsors, dict | None):
                raise ValueError
        except ValueError:
            error = "The proposal could not be read; reload the page and apply again."
        else:
            try:
                if "placements" in request.POST:
                    services.do_apply_assignment(request.user, cycle, placements, sponsors)
                else:
                    services.do_apply_sponsors(request.user, cycle, sponsors or {})
            except AssignmentInfeasible as problem:
                error = str(problem)
            else:
                messages.success(request, "Assignment applied.")
                return redirect("selection:assignment", pk=pk)
    proposal = assignment.propose_assignment(request.user, cycle)
    loads, unassigned = assignment.workload(request.user, cycle)
    return render(
        request,
        "selection/assignment.html",
        context(
            request,
            cycle=cycle,
            proposal=proposal,
            proposed_loads=proposal.loads,
            placements_json=json.dumps(proposal.placements) if proposal.assignment else "",
            sponsors_json=json.dumps(proposal.sponsor_of) if proposal.sponsorship else "",
            sponsor_loads=proposal.sponsor_loads,
            sponsored_now=queries.sponsored_in(cycle),
            loads=loads,
            unassigned=unassigned,
            error=error,
        ),
        status=400 if error else 200,
    )
