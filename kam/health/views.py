"""The health pages: one account's score with its components and history, and the
backtest of the policy in force."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.access import can_edit_account, remember_ties
from kam.accounts.models import Account
from kam.accounts.views import account_in_url
from kam.analytics.health.backtest import BacktestUnavailable
from kam.analytics.health.policy import BY_KEY
from kam.analytics.ingest import ImportRefused
from kam.analytics.ingest.problems import ImportReport
from kam.health import charts, queries, services
from kam.health.alerts import AccountAlerts, current_alerts
from kam.health.forms import SatisfactionImportForm
from kam.health.models import HealthPolicyVersion
from kam.health.satisfaction import COLUMNS as SATISFACTION_COLUMNS
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.uploads import save_upload

MAX_HORIZON = 36


@require_GET
@requires(Permission.VIEW_ACCOUNTS, on=account_in_url)
def account(request: KamRequest, customer_id: str) -> HttpResponse:
    """The account's health score, each component in words, and the score's history."""
    found = account_in_url(request, customer_id)
    latest = queries.latest_score(found)
    history = queries.score_history(found)
    components = []
    if latest is not None:
        # The weight each component had in the run's policy: a component can be measured
        # and shown yet count for nothing (a learned policy may weigh it 0).
        policy = queries.policy_of(latest.run.policy)
        for component in latest.components:
            known = BY_KEY.get(component["key"])
            components.append(
                {
                    **component,
                    "label": known.label if known else component["key"],
                    "weight": policy.weight(component["key"]),
                }
            )
    context = {
        "account": found,
        "latest": latest,
        "components": components,
        "history_figure": charts.history_figure(history) if len(history) > 1 else "",
        "runs": len(history),
        **alerts_context(request, [found], ACCOUNT_BLOCK),
    }
    return render(request, "health/account.html", context)


ACCOUNT_BLOCK = "account-alerts"
HOME_BLOCK = "my-alerts"
SHOWN_ACCOUNTS = 8
"""*My accounts* lists the alerts of this many accounts, those with the most to act on
first; the others are behind a "Show all" disclosure."""


def alerts_context(
    request: KamRequest,
    accounts: list[Account],
    block_id: str,
    problem: str = "",
    found: dict[str, AccountAlerts] | None = None,
    notice: str = "",
    open_more: bool = False,
) -> dict[str, object]:
    """What ``health/_alerts.html`` shows: each account's alerts now (``found``, when the
    page worked them out already) and whether the user may acknowledge or snooze them
    (those who may edit the account). The accounts with alerts to act on come as
    ``groups``, the most alerts first (then by name), the first ``SHOWN_ACCOUNTS`` of them
    in ``shown_groups`` and the rest in ``more_groups`` (``open_more``: shown open, as after
    acting on one of those)."""
    today = timezone.localdate()
    if found is None:
        found = current_alerts([a.customer_id for a in accounts], today)
    firing = [a for a in accounts if found[a.customer_id].shown or found[a.customer_id].held]
    remember_ties(request.user, [a.customer_id for a in firing])  # not a query per account
    entries = [
        {
            "account": a,
            "alerts": found[a.customer_id],
            "can_edit": can_edit_account(request.user, a),
        }
        for a in firing
    ]
    by_id = {a.customer_id: entry for a, entry in zip(firing, entries, strict=True)}
    acting = sorted(
        (a for a in firing if found[a.customer_id].shown),
        key=lambda a: (-len(found[a.customer_id].shown), a.name.casefold()),
    )
    groups = [by_id[a.customer_id] for a in acting]
    return {
        "entries": entries,
        "groups": groups,
        "shown_groups": groups[:SHOWN_ACCOUNTS],
        "more_groups": groups[SHOWN_ACCOUNTS:],
        "open_more": open_more,
        "block_id": block_id,
        "title": "Alerts" if block_id == ACCOUNT_BLOCK else "Alerts on your accounts",
        "show_account": block_id != ACCOUNT_BLOCK,
        "shown_count": sum(len(found[a.customer_id].shown) for a in firing),
        "held_count": sum(len(found[a.customer_id].held) for a in firing),
        "today": today,
        "problem": problem,
        "notice": notice,
    }


def alerts_panel(
    request: KamRequest, customer_ids: list[str], found: dict[str, AccountAlerts]
) -> str:
    """The alerts of *My accounts*' accounts, with their forms, as HTML for the page."""
    firing = [cid for cid in customer_ids if found[cid].shown or found[cid].held]
    accounts = list(Account.objects.filter(customer_id__in=firing).order_by("name"))
    context = alerts_context(request, accounts, HOME_BLOCK, found=found)
    return render_to_string("health/_alerts.html", context, request=request)


@require_POST
@requires(Permission.VIEW_ACCOUNTS, write=Permission.EDIT_PLANS, on=account_in_url)
def respond(request: KamRequest, customer_id: str) -> HttpResponse:
    """Acknowledge one of the account's alerts, or snooze it until a date, with a reason."""
    found = account_in_url(request, customer_id)
    until_text = request.POST.get("until", "").strip()
    problem, notice, status = "", "", 200
    try:
        until = dt.date.fromisoformat(until_text) if until_text else None
    except ValueError:
        problem, status, until = f"{until_text!r} is not a date; use YYYY-MM-DD.", 400, None
    if not problem:
        try:
            ack = services.do_respond_to_alert(
                request.user,
                found,
                request.POST.get("rule", ""),
                reason=request.POST.get("reason", ""),
                today=timezone.localdate(),
                snoozed_until=until,
            )
        except services.HealthError as error:
            problem, status = f"Not saved: {error}.", 400
        else:
            done = f"snoozed until {until:%-d %b %Y}" if until else "acknowledged"
            notice = f"{ack.rule.replace('_', ' ').capitalize()} {done}."
    home = request.POST.get("block") == HOME_BLOCK
    if not getattr(request, "htmx", False):
        if problem:
            messages.error(request, problem)
        else:
            messages.success(request, notice)
        return redirect(
            "engagement:my_accounts" if home else "health:account",
            *([] if home else [found.customer_id]),
        )
    if home:
        from kam.engagement.queries import accounts_of

        accounts = list(
            Account.objects.filter(customer_id__in=accounts_of(request.user)).order_by("name")
        )
        if found not in accounts:
            accounts.append(found)
        context = alerts_context(
            request,
            accounts,
            HOME_BLOCK,
            problem,
            notice=notice,
            open_more=request.POST.get("more") == "1",
        )
    else:
        context = alerts_context(request, [found], ACCOUNT_BLOCK, problem, notice=notice)
    return render(request, "health/_alerts.html", context, status=status)


def _horizon(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if 1 <= value <= MAX_HORIZON else None


@require_GET
@requires(Permission.RUN_SELECTION)
def backtest(request: KamRequest) -> HttpResponse:
    """Health → Backtest: pick an as-of date and a horizon; the figures and two charts."""
    as_of_text = request.GET.get("as_of", "")
    horizon_text = request.GET.get("horizon", "12")
    context: dict[str, object] = {
        "as_of": as_of_text,
        "horizon": horizon_text,
        "in_force": queries.current_policy().policy,
        "proposals": [
            {
                "version": v,
                "weights": v.rules.get("weights", {}),
                "current": v.comparison.get("current", {}).get("auc", {}),
                "proposed": v.comparison.get("proposed", {}).get("auc", {}),
            }
            for v in queries.proposed_versions()
        ],
    }
    if as_of_text:
        horizon = _horizon(horizon_text)
        try:
            day = dt.date.fromisoformat(as_of_text)
        except ValueError:
            day = None
        if day is None:
            context["problem"] = f"{as_of_text!r} is not a date; use YYYY-MM-DD."
        elif horizon is None:
            context["problem"] = (
                f"The horizon must be a whole number of months, 1 to {MAX_HORIZON}."
            )
        else:
            try:
                result = queries.backtest(request.user, day, horizon)
            except BacktestUnavailable as error:
                context["problem"] = str(error)
            else:
                figures = result.as_dict()
                context.update(
                    figures=figures,
                    rows=[
                        {
                            "label": charts.LABELS[name],
                            "auc": figures["auc"][name],
                            "precision": figures["precision_worst_decile"][name],
                            "lift": figures["lift_worst_decile"][name],
                        }
                        for name in charts.LABELS
                    ],
                    auc_figure=charts.backtest_figure(figures),
                    calibration_figure=charts.calibration_figure(figures),
                )
    return render(request, "health/backtest.html", context)


@require_GET
@requires(Permission.READ_IN_FULL, on=account_in_url)
def what_if(request: KamRequest, customer_id: str) -> HttpResponse:
    """*What if this contact leaves*: the relationship model, the coverage flags and the
    health score without each contact of the stakeholder map (``?without=ID`` shows one),
    the departure that would hurt most first. Read only: nothing is saved."""
    found = account_in_url(request, customer_id)
    # The map is about people as they are today (as the stakeholder map page reads it).
    result = queries.what_if(request.user, found, timezone.localdate())
    try:
        chosen = result.of(int(request.GET.get("without", "")))
    except ValueError:
        chosen = None
    context = {"account": found, "what_if": result, "chosen": chosen}
    return render(request, "health/what_if.html", context)


@require_http_methods(["GET", "POST"])
@requires(Permission.IMPORT_DATA)
def satisfaction_import(request: KamRequest) -> HttpResponse:
    """Upload NPS / CSAT answers; show what changed, or every reason the file was refused."""
    form = SatisfactionImportForm(request.POST or None, request.FILES or None)
    report: ImportReport | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            path = save_upload(upload)
            try:
                report = services.do_import_satisfaction(
                    request.user, path, today=timezone.localdate(), file_label=upload.name
                )
            except ImportRefused as refused:
                report, status = refused.report, 422
            finally:
                path.unlink(missing_ok=True)
        else:
            status = 400
    context = {"form": form, "report": report, "columns": SATISFACTION_COLUMNS}
    return render(request, "health/satisfaction_import.html", context, status=status)


@require_POST
@requires(Permission.RUN_SELECTION, write=Permission.APPROVE_CYCLE)
def decide(request: KamRequest, version: int) -> HttpResponse:
    """The Head of KAM accepts (brings into force) or rejects a proposed health policy."""
    found = get_object_or_404(HealthPolicyVersion, version=version)
    accept = request.POST.get("decision") == "accept"
    reason = request.POST.get("reason", "")[:2000]
    try:
        services.do_decide_health_policy(request.user, found, accept=accept, reason=reason)
    except services.HealthError as error:
        messages.error(request, f"Not decided: {error}.")
    else:
        messages.success(
            request, f"Health policy v{version} {'accepted' if accept else 'rejected'}."
        )
    return redirect("health:backtest")
