"""Pages of the selection app: portfolio, scores, explanations and ratings, the policy.

Cycles and the manager assignment are in ``views_cycles``. Input is validated here; the
services do the writing and check permissions again.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.models import Account
from kam.accounts.views import account_in_url
from kam.analytics.selection.policy import PolicyError
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.revisions import EditConflict, rebase
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
from kam.selection.templatetags.selection_tags import future_value_chart_of
from kam.uploads import save_upload


def context(request: KamRequest, **extra: Any) -> dict[str, Any]:
    """What every selection page needs (the tier and type labels) plus its own; what the
    user may do comes from kam.context_processors as ``can_<permission>``."""
    extra["tier_labels"] = dict(TierChoice.choices)
    extra["quadrant_labels"] = dict(QuadrantChoice.choices)
    return extra


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


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def portfolio(request: KamRequest) -> HttpResponse:
    """The portfolio segmented: Pareto, heat map, four-box, tiers × types, movers, scores."""
    run = queries.latest_run()
    if run is None:
        return render(request, "selection/portfolio.html", context(request, run=None))
    overview = queries.portfolio(request.user, run)
    head = overview.headline
    key_share = overview.key_revenue_share
    policy = run.policy_version.policy()
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
        matrix=[row for row in overview.tier_types if row.total],
        **_score_context(request, run),
    )
    return render(request, "selection/portfolio.html", page_context)


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def scores(request: KamRequest) -> HttpResponse:
    """The score table alone (htmx swaps it in on search, filter, sort and page)."""
    run = queries.latest_run()
    if run is None:
        return redirect("selection:portfolio")
    response = render(
        request, "selection/_scores.html", context(request, run=run, **_score_context(request, run))
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@requires(Permission.VIEW_FINANCIALS)
def future_value_chart(request: KamRequest) -> HttpResponse:
    """The portfolio's current-against-future scatter, asked for by the page once shown
    (htmx): thousands of accounts drawn, most of the page's weight, built on demand."""
    run = queries.latest_run()
    if run is None:
        raise Http404("No scoring run yet.")
    return render(
        request, "selection/_future_value_chart.html", future_value_chart_of(request, run)
    )


@require_POST
@requires(Permission.RUN_SELECTION)
def run_scoring(request: KamRequest) -> HttpResponse:
    """Score every account under the current policy and make the result the current snapshot."""
    try:
        run = services.do_run_scoring(request.user)
    except services.SelectionError as error:  # e.g. nothing to score yet
        messages.error(request, f"Not scored: {error}.")
        return redirect("selection:portfolio")
    messages.success(
        request,
        f"Scored {run.customers:,} customers under policy v{run.policy_version.version}: "
        f"{run.key_accounts:,} key accounts (as of {run.as_of:%-d %b %Y}, {run.seconds:.1f} s).",
    )
    return redirect("selection:portfolio")


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.RATE_ACCOUNTS, on=account_in_url)
def account(request: KamRequest, customer_id: str) -> HttpResponse:
    """One account's score, criterion by criterion, and its ratings (enter new ones here)."""
    account = get_object_or_404(Account, customer_id=customer_id)
    policy = services.do_ensure_default_policy().policy()
    history = queries.rating_history(customer_id)
    latest = max((rating.pk for rating in history), default=0)
    data = request.POST if request.method == "POST" else None
    form = RatingForm(data, policy=policy, initial={"revision": latest})
    conflict: EditConflict | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.do_rate_account(
                request.user,
                customer_id,
                form.values(),
                note=form.cleaned_data["note"],
                expected_latest=form.cleaned_data["revision"] or 0,
            )
        except EditConflict as refused:
            conflict = refused
            rebase(form, revision=refused.current)
            history = queries.rating_history(customer_id)
        else:
            messages.success(request, "Ratings saved. They count from the next scoring run.")
            return redirect("selection:account", customer_id=customer_id)
    run = queries.latest_run()
    score = queries.account_score(request.user, run, customer_id) if run else None
    current = queries.current_ratings(customer_id)
    status = 200 if request.method == "GET" else 409 if conflict else 400
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
            conflict=conflict,
            rated=[(c, current.get(c.key), form[c.key]) for c in form.rated],
            history=history,
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.RATE_ACCOUNTS)
def ratings_import(request: KamRequest) -> HttpResponse:
    """Import ratings from a CSV file, all or none, naming every bad row."""
    form = RatingImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    problems: list[services.RatingProblem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = save_upload(upload)
        try:
            added = services.do_import_ratings(request.user, path, file_label=upload.name)
        except services.RatingImportRefused as refused:
            problems = refused.problems
        else:
            messages.success(request, f"Imported {added:,} ratings.")
            return redirect("selection:ratings_import")
        finally:
            path.unlink(missing_ok=True)
    status = 422 if problems else 400 if request.method == "POST" else 200
    return render(
        request,
        "selection/ratings_import.html",
        context(request, form=form, problems=problems),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Permission.VIEW_ACCOUNTS, write=Permission.EDIT_POLICY)
def policy(request: KamRequest) -> HttpResponse:
    """The current policy: edit weights, scales and thresholds; each save is a new version."""
    current = services.do_ensure_default_policy()
    form = PolicyForm(request.POST if request.method == "POST" else None, policy=current.policy())
    upload = PolicyUploadForm()
    conflict: EditConflict | None = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.do_save_policy(
                request.user,
                form.cleaned_policy,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["revision"],
            )
        except EditConflict as refused:
            conflict = refused
            rebase(form, revision=refused.current)
        else:
            messages.success(
                request, f"Saved as version {saved.version}. Re-score to see its effect."
            )
            return redirect("selection:policy")
    return render(
        request,
        "selection/policy.html",
        context(
            request,
            current=services.do_ensure_default_policy() if conflict else current,
            form=form,
            upload=upload,
            conflict=conflict,
            versions=PolicyVersion.objects.select_related("created_by")[:30],
        ),
        status=200 if request.method == "GET" else 409 if conflict else 400,
    )


@require_POST
@requires(Permission.EDIT_POLICY)
def policy_import(request: KamRequest) -> HttpResponse:
    """Upload a TOML policy; an error names the bad key."""
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


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def policy_download(request: KamRequest, version: int) -> HttpResponse:
    """One policy version as a TOML file."""
    saved = PolicyVersion.objects.filter(version=version).first()
    if saved is None:
        raise Http404(f"No policy version {version}.")
    response = HttpResponse(saved.toml, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kam-policy-v{version}.toml"'
    return response
