"""The health pages: one account's score with its components and history, and the
backtest of the policy in force."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from kam.accounts.views import account_in_url
from kam.analytics.health.backtest import BacktestUnavailable
from kam.analytics.health.policy import BY_KEY
from kam.health import charts, queries, services
from kam.health.alerts import alerts_of
from kam.health.models import HealthPolicyVersion
from kam.people.access import KamRequest, requires
from kam.people.roles import Permission

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
        for component in latest.components:
            known = BY_KEY.get(component["key"])
            components.append({**component, "label": known.label if known else component["key"]})
    context = {
        "account": found,
        "latest": latest,
        "components": components,
        "history_figure": charts.history_figure(history) if len(history) > 1 else "",
        "runs": len(history),
        "alerts": alerts_of(latest.components, found.customer_id) if latest else [],
    }
    return render(request, "health/account.html", context)


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
