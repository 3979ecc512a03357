"""Pages of opportunities and whitespace: an account's opportunities and pipeline, one
opportunity with its qualification, the forms that open, change, qualify and close one, the
account's whitespace with its wallet estimates, and the pipeline of the programme and of
each manager. Views validate input and turn domain errors into messages; services write.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.access import sees_financials
from kam.accounts.views import account_in_url
from kam.charts import ACCENT, QUIET, Figure, figure_json, style
from kam.engagement.queries import key_account_managers, reads_programme
from kam.opportunities import queries, services
from kam.opportunities.forms import CloseForm, OpportunityForm, QualificationForm, WalletForm
from kam.opportunities.models import Opportunity, Qualification
from kam.opportunities.queries import Pipeline
from kam.opportunities.services import OpportunityError
from kam.opportunities.verdict import Question
from kam.people.access import KamRequest, requires
from kam.people.models import User
from kam.people.roles import Permission
from kam.revisions import EditConflict, rebase

READ = requires(Permission.READ_IN_FULL, on=account_in_url)
EDIT = requires(Permission.EDIT_OPPORTUNITIES, on=account_in_url)
READ_OR_EDIT = requires(
    Permission.READ_IN_FULL, write=Permission.EDIT_OPPORTUNITIES, on=account_in_url
)


def _today() -> date:
    return timezone.localdate()


def _opportunity(customer_id: str, opportunity_id: int) -> Opportunity:
    return get_object_or_404(
        queries.with_people(Opportunity.objects.all()),
        pk=opportunity_id,
        account__customer_id=customer_id,
    )


def _detail_url(opportunity: Opportunity) -> str:
    return reverse("opportunities:detail", args=[opportunity.account_id, opportunity.pk])


HOVER = "%{x}<br>%{y:,.0f}<extra></extra>"


def pipeline_figures(pipeline: Pipeline) -> tuple[str | None, str | None]:
    """Two small bar charts of the open pipeline, by stage and by close month, unweighted
    and weighted; None for each when nothing is open."""
    if not pipeline.count:
        return None, None
    drawn = []
    for buckets, height in ((pipeline.by_stage, 220), (pipeline.by_month[:18], 240)):
        labels = [b.label for b in buckets]
        figure = Figure()
        for name, colour, values in (
            ("Value", QUIET, [round(b.value) for b in buckets]),
            ("Weighted", ACCENT, [round(b.weighted) for b in buckets]),
        ):
            figure.add_bar(
                x=labels, y=values, name=name, marker={"color": colour}, hovertemplate=HOVER
            )
        style(figure, height=height, barmode="group", bargap=0.25)
        drawn.append(figure_json(figure))
    return drawn[0], drawn[1]


@require_GET
@READ
def account_opportunities(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's opportunities — open by expected close, then won and lost — and its
    pipeline, weighted and not, by stage and by close month."""
    account = account_in_url(request, customer_id)
    today = _today()
    found = queries.account_opportunities(request.user, account)
    pipeline = queries.pipeline_of(found, today)
    by_stage, by_month = pipeline_figures(pipeline)
    context = {
        "account": account,
        "open": [o for o in found if o.is_open],
        "closed": [o for o in found if not o.is_open],
        "pipeline": pipeline,
        "stage_figure": by_stage,
        "month_figure": by_month,
        "may_edit": queries.may_edit(request.user, account),
        "today": today,
    }
    return render(request, "opportunities/account.html", context)


def _suggestions(user: User, account: Any) -> dict[str, Any]:
    whitespace = queries.account_whitespace(user, account, every_peer=False)
    return {
        "categories": sorted({c["category"] for c in whitespace.categories}),
        "units": [u for u in whitespace.units if u],
    }


@require_http_methods(["GET", "POST"])
@EDIT
def opportunity_new(request: KamRequest, customer_id: str) -> HttpResponse:
    """Open an opportunity: what, worth how much, closing when, in which category and
    business unit, against whom, owned by whom."""
    account = account_in_url(request, customer_id)
    suggested = _suggestions(request.user, account)
    initial = {
        "stage": "prospecting",
        "owner": request.user,
        "product_category": request.GET.get("category", ""),
        "business_unit": request.GET.get("unit", ""),
    }
    form = OpportunityForm(account, request.POST or None, initial=initial, **suggested)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.do_create_opportunity(
                    request.user,
                    account,
                    name=data["name"],
                    value=data["value"],
                    expected_close_date=data["expected_close_date"],
                    stage=data["stage"],
                    probability=data["probability"],
                    product_category=data["product_category"],
                    business_unit=data["business_unit"],
                    competitors=form.competitor_list(),
                    owner=data["owner"],
                )
            except OpportunityError as error:
                error.onto(form)
            else:
                messages.success(request, f"{made.name} opened: now answer the four questions.")
                return redirect(reverse("opportunities:qualify", args=[customer_id, made.pk]))
        status = 400
    context = {"account": account, "form": form, "opportunity": None, **suggested}
    return render(request, "opportunities/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@EDIT
def opportunity_edit(request: KamRequest, customer_id: str, opportunity_id: int) -> HttpResponse:
    """Change an open opportunity: its stage, value, close date, probability …"""
    opportunity = _opportunity(customer_id, opportunity_id)
    account = opportunity.account
    suggested = _suggestions(request.user, account)
    initial = OpportunityForm.initial_for(opportunity)
    form = OpportunityForm(account, request.POST or None, initial=initial, **suggested)
    status, conflict = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in services.FIELDS if name != "competitors"}
            try:
                services.do_update_opportunity(
                    request.user,
                    opportunity,
                    expected_revision=data["revision"],
                    competitors=form.competitor_list(),
                    **changes,
                )
            except EditConflict as error:
                conflict, status = error, 409
                rebase(form, revision=error.current)
            except OpportunityError as error:
                error.onto(form)
            else:
                messages.success(request, f"{opportunity.name} saved.")
                return redirect(_detail_url(opportunity))
    context = {
        "account": account,
        "form": form,
        "opportunity": opportunity,
        "conflict": conflict,
        **suggested,
    }
    return render(request, "opportunities/form.html", context, status=status)


def _qualification(opportunity: Opportunity) -> Qualification | None:
    return Qualification.objects.filter(opportunity=opportunity).first()


def _answers(found: Qualification | None) -> list[dict[str, Any]]:
    return [
        {
            "question": q,
            "score": getattr(found, f"{q.value}_score", None) if found else None,
            "evidence": getattr(found, f"{q.value}_evidence", "") if found else "",
            "weakest": bool(found and found.weakest == q.value),
        }
        for q in Question
    ]


@require_GET
@READ
def opportunity_detail(request: KamRequest, customer_id: str, opportunity_id: int) -> HttpResponse:
    """One opportunity: its facts, the four questions with the verdict and the weakest
    question marked, and — while open — how to close it, won or lost."""
    opportunity = _opportunity(customer_id, opportunity_id)
    found = _qualification(opportunity)
    close = CloseForm(initial={"revision": opportunity.revision, "closed_on": _today()})
    context = {
        "account": opportunity.account,
        "opportunity": opportunity,
        "qualification": found,
        "answers": _answers(found),
        "close_form": close,
        "may_edit": queries.may_edit(request.user, opportunity.account),
        "financials": sees_financials(request.user),
    }
    return render(request, "opportunities/detail.html", context)


@require_http_methods(["GET", "POST"])
@EDIT
def qualify(request: KamRequest, customer_id: str, opportunity_id: int) -> HttpResponse:
    """Answer the four questions of seed 001 for an opportunity, with the stakeholder map's
    evidence for *Can we win?* and the account's predicted value for *Is it worth winning?*"""
    opportunity = _opportunity(customer_id, opportunity_id)
    account = opportunity.account
    found = _qualification(opportunity)
    win = queries.win_evidence(account)
    initial: dict[str, Any] = {"revision": found.revision if found else 0}
    if found:
        for q in Question:
            initial[f"{q.value}_score"] = getattr(found, f"{q.value}_score")
            initial[f"{q.value}_evidence"] = getattr(found, f"{q.value}_evidence")
        initial["expected_margin_pct"] = found.expected_margin_pct
    else:
        initial |= {"win_score": win.score, "win_evidence": win.text}
    form = QualificationForm(request.POST or None, initial=initial)
    if not sees_financials(request.user):
        del form.fields["expected_margin_pct"]
    status, conflict = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.do_qualify_opportunity(
                    request.user,
                    opportunity,
                    scores={q: data[f"{q.value}_score"] for q in Question},
                    evidence={q: data[f"{q.value}_evidence"] for q in Question},
                    expected_margin_pct=data.get(
                        "expected_margin_pct", found.expected_margin_pct if found else None
                    ),
                    expected_revision=data["revision"] if found else None,
                )
            except EditConflict as error:
                conflict, status = error, 409
                rebase(form, revision=error.current)
            except OpportunityError as error:
                error.onto(form)
            else:
                messages.success(request, saved.verdict_reason)
                return redirect(_detail_url(opportunity))
    context = {
        "account": account,
        "opportunity": opportunity,
        "form": form,
        "conflict": conflict,
        "win": win,
        "predicted_value": queries.predicted_value(request.user, account),
    }
    return render(request, "opportunities/qualify.html", context, status=status)


@require_POST
@EDIT
def close(request: KamRequest, customer_id: str, opportunity_id: int) -> HttpResponse:
    """Mark an opportunity won or lost, with the day and the reason."""
    opportunity = _opportunity(customer_id, opportunity_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether it was won or lost, and on which day.")
        return redirect(_detail_url(opportunity))
    data = form.cleaned_data
    try:
        services.do_close_opportunity(
            request.user,
            opportunity,
            won=data["outcome"] == "won",
            reason=data["reason"],
            closed_on=data["closed_on"],
            expected_revision=data["revision"],
        )
    except (OpportunityError, EditConflict) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{opportunity.name} marked {opportunity.stage}.")
    return redirect(_detail_url(opportunity))


@require_GET
@READ
def whitespace(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's whitespace: categories × business units, bought / in pipeline / open;
    wallets entered or estimated from peers, share of wallet, the biggest gaps."""
    account = account_in_url(request, customer_id)
    context = {
        "account": account,
        "ws": queries.account_whitespace(request.user, account, every_peer=False),
        "may_edit": queries.may_edit(request.user, account),
        "wallet_form": WalletForm(),
    }
    return render(request, "opportunities/whitespace.html", context)


@require_POST
@EDIT
def wallet(request: KamRequest, customer_id: str) -> HttpResponse:
    """Enter (or, with no amount, remove) the account's wallet in a category."""
    account = account_in_url(request, customer_id)
    form = WalletForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.do_set_wallet_estimate(
                request.user, account, category=data["category"], amount=data["amount"],
                source=data["source"],
            )  # fmt: skip
        except OpportunityError as error:
            messages.error(request, str(error))
        else:
            what = data["category"]
            messages.success(
                request, f"Wallet for {what} saved." if saved else f"Wallet for {what} removed."
            )
    else:
        problems = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        messages.error(request, f"The wallet was not saved — {problems}")
    return redirect(reverse("opportunities:whitespace", args=[customer_id]) + "#wallets")


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def pipeline(request: KamRequest) -> HttpResponse:
    """The pipeline of the accounts the user reads — the programme's for the Head of KAM,
    a manager's own otherwise — per manager, with the biggest open opportunities and the
    biggest whitespace gaps across the manager's accounts."""
    today = _today()
    manager = None
    wanted = request.GET.get("manager", "")
    if wanted and reads_programme(request.user):
        manager = get_object_or_404(User, username=wanted)
    found = queries.programme_pipeline(request.user, today, manager)
    by_stage, by_month = pipeline_figures(found.total)
    whose = manager or (None if reads_programme(request.user) else request.user)
    context = {
        "found": found,
        "manager": manager,
        "whose": whose,
        "gaps": queries.manager_gaps(request.user, whose, 15) if whose else [],
        "stage_figure": by_stage,
        "month_figure": by_month,
        "manager_choices": key_account_managers() if reads_programme(request.user) else [],
        "today": today,
    }
    return render(request, "opportunities/pipeline.html", context)
