"""Pages of the selection app: portfolio, scores, explanations and ratings, the policy.

Cycles and the manager assignment are in ``views_cycles``. Input is validated here; the
services do the writing and check permissions again.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from kam.accounts.models import Account
from kam.analytics.selection.policy import PolicyError
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission, has_permission
from kam.selection import charts, queries, services
from kam.selection.forms import (
    PolicyForm,
    PolicyUploadForm,
    RatingForm,
    RatingImportForm,
    ScoreFilterForm,
)
from kam.selection.models import PolicyVersion, QuadrantChoice, ScoreRun, TierChoice
from kam.selection.snapshots import SORTABLE


class KamRequest(HttpRequest):
    """A request as these views see it: signed in (login_required) and read by HtmxMiddleware."""

    user: User
    htmx: HtmxDetails


def context(request: KamRequest, **extra: Any) -> dict[str, Any]:
    """What every selection page needs (what the user may do, labels) plus its own."""
    user = request.user
    extra["perms_selection"] = {p.name.lower(): has_permission(user, p) for p in Permission}
    extra["tier_labels"] = dict(TierChoice.choices)
    extra["quadrant_labels"] = dict(QuadrantChoice.choices)
    return extra


def _viewer(request: KamRequest) -> None:
    check_permission(request.user, Permission.VIEW_ACCOUNTS)


def _need(request: KamRequest, permission: Permission) -> None:
    if not has_permission(request.user, permission):
        raise PermissionDenied(f"This needs the {permission.value.replace('_', ' ')} permission.")


def _score_context(request: KamRequest, run: ScoreRun) -> dict[str, Any]:
    form = ScoreFilterForm(request.GET)
    query = form.to_query()
    page = queries.browse_scores(request.user, run, query)
    params = request.GET.copy()
    params.pop("page", None)
    sort_links = {}
    for key in SORTABLE:
        link = params.copy()
        descending = not query.descending if key == query.sort else key not in ("name", "rank")
        link["sort"], link["dir"] = key, "desc" if descending else "asc"
        sort_links[key] = link.urlencode()
    return {
        "query": query,
        "page": page,
        "sort_links": sort_links,
        "page_params": params.urlencode(),
        "tiers": TierChoice.choices,
        "quadrants": QuadrantChoice.choices,
    }


@login_required
@require_GET
def portfolio(request: KamRequest) -> HttpResponse:
    """The portfolio segmented: Pareto, heat map, four-box, tiers × types, movers, scores."""
    _viewer(request)
    run = queries.latest_run()
    if run is None:
        return render(request, "selection/portfolio.html", context(request, run=None))
    overview = queries.portfolio(request.user, run)
    head = overview.headline
    key_share = head["key_revenue"] / head["revenue"] if head["revenue"] else 0
    policy = run.policy_version.policy()
    counts: dict[str, dict[str, int]] = {}
    for cell in overview.tiers_by_quadrant:
        counts.setdefault(cell["tier"], {})[cell["quadrant"] or ""] = cell["accounts"]
    matrix = [
        {
            "tier": label,
            "cells": [counts.get(tier, {}).get(q, 0) for q, _ in QuadrantChoice.choices],
            "total": sum(counts.get(tier, {}).values()),
        }
        for tier, label in TierChoice.choices
        if tier in counts
    ]
    page_context = context(
        request,
        run=run,
        overview=overview,
        headline=head,
        key_revenue_share=key_share,
        policy=policy,
        pareto_figure=charts.pareto_figure(
            overview.pareto, overview.buying, head["key_accounts"], key_share
        ),
        heatmap_figure=charts.heatmap_figure(overview.cells),
        four_box_figure=charts.four_box_figure(overview.bubbles, policy.quadrant_cut),
        matrix=matrix,
        **_score_context(request, run),
    )
    return render(request, "selection/portfolio.html", page_context)


@login_required
@require_GET
def scores(request: KamRequest) -> HttpResponse:
    """The score table alone (htmx swaps it in on search, filter, sort and page)."""
    _viewer(request)
    run = queries.latest_run()
    if run is None:
        return redirect("selection:portfolio")
    response = render(
        request, "selection/_scores.html", context(request, run=run, **_score_context(request, run))
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def run_scoring(request: KamRequest) -> HttpResponse:
    """Score every account under the current policy and make the result the current snapshot."""
    _need(request, Permission.RUN_SELECTION)
    run = services.do_run_scoring(request.user)
    messages.success(
        request,
        f"Scored {run.customers:,} customers under policy v{run.policy_version.version}: "
        f"{run.key_accounts:,} key accounts (as of {run.as_of:%-d %b %Y}, {run.seconds:.1f} s).",
    )
    return redirect("selection:portfolio")


@login_required
@require_http_methods(["GET", "POST"])
def account(request: KamRequest, customer_id: str) -> HttpResponse:
    """One account's score, criterion by criterion, and its ratings (enter new ones here)."""
    _viewer(request)
    account = get_object_or_404(Account, customer_id=customer_id)
    policy = services.do_ensure_default_policy().policy()
    form = RatingForm(request.POST if request.method == "POST" else None, policy=policy)
    if request.method == "POST":
        _need(request, Permission.RATE_ACCOUNTS)
        if form.is_valid():
            services.do_rate_account(
                request.user,
                customer_id,
                form.values(),
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Ratings saved. They count from the next scoring run.")
            return redirect("selection:account", customer_id=customer_id)
    run = queries.latest_run()
    score = queries.account_score(request.user, run, customer_id) if run else None
    current = queries.current_ratings(customer_id)
    return render(
        request,
        "selection/account.html",
        context(
            request,
            account=account,
            run=run,
            score=score,
            tier_label=dict(TierChoice.choices).get(score.row["tier"], "") if score else "",
            form=form,
            rated=[(c, current.get(c.key), form[c.key]) for c in form.rated],
            history=queries.rating_history(customer_id),
        ),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ratings_import(request: KamRequest) -> HttpResponse:
    """Import ratings from a CSV file, all or none, naming every bad row."""
    _viewer(request)
    form = RatingImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    problems: list[services.RatingProblem] = []
    if request.method == "POST":
        _need(request, Permission.RATE_ACCOUNTS)
        if form.is_valid():
            text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
            try:
                added = services.do_import_ratings(request.user, text)
            except services.RatingImportRefused as refused:
                problems = refused.problems
            else:
                messages.success(request, f"Imported {added:,} ratings.")
                return redirect("selection:ratings_import")
    status = 422 if problems else 200
    return render(
        request,
        "selection/ratings_import.html",
        context(request, form=form, problems=problems),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: KamRequest) -> HttpResponse:
    """The current policy: edit weights, scales and thresholds; each save is a new version."""
    _viewer(request)
    current = services.do_ensure_default_policy()
    form = PolicyForm(request.POST if request.method == "POST" else None, policy=current.policy())
    upload = PolicyUploadForm()
    if request.method == "POST":
        _need(request, Permission.EDIT_POLICY)
        if form.is_valid():
            saved = services.do_save_policy(
                request.user,
                form.cleaned_policy,
                note=form.cleaned_data["note"],
            )
            messages.success(
                request, f"Saved as version {saved.version}. Re-score to see its effect."
            )
            return redirect("selection:policy")
    return render(
        request,
        "selection/policy.html",
        context(
            request,
            current=current,
            form=form,
            upload=upload,
            versions=PolicyVersion.objects.select_related("created_by")[:30],
        ),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def policy_import(request: KamRequest) -> HttpResponse:
    """Upload a TOML policy; an error names the bad key."""
    _need(request, Permission.EDIT_POLICY)
    upload = PolicyUploadForm(request.POST, request.FILES)
    error = ""
    if upload.is_valid():
        try:
            saved = services.do_import_policy(
                request.user,
                upload.text(),
                note=upload.cleaned_data["note"],
            )
        except PolicyError as problem:
            error = str(problem)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, f"Imported as version {saved.version}.")
            return redirect("selection:policy")
    current = services.do_ensure_default_policy()
    return render(
        request,
        "selection/policy.html",
        context(
            request,
            current=current,
            form=PolicyForm(policy=current.policy()),
            upload=upload,
            upload_error=error,
            versions=PolicyVersion.objects.select_related("created_by")[:30],
        ),
        status=400,
    )


@login_required
@require_GET
def policy_download(request: KamRequest, version: int) -> HttpResponse:
    """One policy version as a TOML file."""
    _viewer(request)
    saved = PolicyVersion.objects.filter(version=version).first()
    if saved is None:
        raise Http404(f"No policy version {version}.")
    response = HttpResponse(saved.toml, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kam-policy-v{version}.toml"'
    return response
