"""Template tags other apps' pages use to show an account's place in the key-account portfolio.

A tag rather than an import keeps the dependency one way: selection knows accounts, the
account pages only load this library.
"""

import json
import math
from typing import Any

from django import template

from kam.charts import ACCENT, HIGHLIGHT, QUIET, Figure, figure_json, style
from kam.selection.models import KeyAccount

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """A share 0–1 as a whole percentage ("41%"); missing (None, not finite) as "—"."""
    if share is None or share != share or share in (float("inf"), float("-inf")):
        return "—"
    return f"{100 * share:.0f}%"


@register.inclusion_tag("selection/_key_account_badge.html")
def key_account_badge(customer_id: str) -> dict[str, Any]:
    """Key account or not; if key, its tier, McDonald's type, manager and sponsor."""
    key = (
        KeyAccount.objects.select_related("manager", "executive_sponsor")
        .filter(account_id=customer_id)
        .first()
    )
    return {"key": key, "customer_id": customer_id}


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


def alive_figure(history: list[Any]) -> str | None:
    """P(alive) at each month end since the first purchase, as Plotly JSON."""
    if not history:
        return None
    figure = Figure()
    figure.add_scatter(
        x=[p.day.isoformat() for p in history], y=[p.p_alive for p in history],
        customdata=[p.frequency for p in history], mode="lines+markers", line={"shape": "hv"},
        hovertemplate="%{x}<br>P(alive) %{y:.0%}<br>%{customdata} repeat purchases so far"
        "<extra></extra>",
    )  # fmt: skip
    style(figure, height=240, showlegend=False)
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%", title="P(alive)")
    return figure_json(figure)


@register.inclusion_tag("selection/_future_value_card.html", takes_context=True)
def future_value_card(context: template.Context, customer_id: str) -> dict[str, Any]:
    """Predicted value over the plan horizon with its interval, purchases and P(alive)."""
    from kam.selection.queries import account_future_value

    user = _user(context)
    found = account_future_value(user, customer_id) if user is not None else None
    return {
        "found": found,
        "row": found.row if found else None,
        "record": found.record if found else {},
        "alive_figure": alive_figure(found.history) if found else None,
        "customer_id": customer_id,
    }


LOG_DECADES = 6
"""How far below its largest value a log axis reaches: a 10-million account and a
10-unit one fit; a predicted value a billionth of a unit does not pull the axis to "1p"."""


def log_range(values: list[float]) -> tuple[float, float] | None:
    """The range (as powers of ten, as Plotly's log axes take it) that holds the positive
    values, from their minimum — never below one unit nor ``LOG_DECADES`` below the top."""
    positive = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    if not positive:
        return None
    top = math.log10(max(positive))
    bottom = max(math.log10(min(positive)), top - LOG_DECADES, 0.0)
    return (math.floor(bottom * 2) / 2 - 0.1, top + 0.15)


def future_value_figure(points: list[dict[str, Any]]) -> str | None:
    """Current revenue (12 months) against predicted value, log-log; high potential stands out.

    A log axis cannot show zero or less; accounts without a positive revenue and value
    are left out of the drawing (the page says how many are drawn)."""
    x_range = log_range([r["revenue_12m"] for r in points])
    y_range = log_range([r["clv"] for r in points])
    if x_range is None or y_range is None:
        return None
    points = [
        r for r in points
        if (r["revenue_12m"] or 0) >= 10 ** x_range[0] and (r["clv"] or 0) >= 10 ** y_range[0]
    ]  # fmt: skip
    figure = Figure()
    groups = (
        ("Key accounts", lambda r: bool(r["is_key"]), ACCENT, 7),
        ("High potential", lambda r: r["tier"] == "high_potential", HIGHLIGHT, 10),
        ("Others", lambda r: not r["is_key"] and r["tier"] != "high_potential", QUIET, 5),
    )
    for label, belongs, colour, size in groups:
        rows = [r for r in points if belongs(r)]
        if not rows:
            continue
        figure.add_scatter(
            x=[r["revenue_12m"] for r in rows], y=[r["clv"] for r in rows], mode="markers",
            name=label, text=[r["name"] for r in rows],
            customdata=[[r["customer_id"], r["clv_lower"], r["clv_upper"]] for r in rows],
            marker={"color": colour, "size": size, "opacity": 0.8, "line": {"width": 0.5,
                    "color": "white"}},
            hovertemplate="%{text}<br>revenue %{x:,.0f} · predicted %{y:,.0f}"
            "<br>90% range %{customdata[1]:,.0f}–%{customdata[2]:,.0f}<extra></extra>",
        )  # fmt: skip
    style(figure, height=420)
    figure.update_xaxes(type="log", range=x_range, tickformat="~s", title="revenue, last 12 months")
    figure.update_yaxes(
        type="log", range=y_range, tickformat="~s",
        title="predicted value, plan horizon (discounted)",
    )  # fmt: skip
    return figure_json(figure)


def future_value_chart_of(context: Any, run: Any) -> dict[str, Any]:
    """The portfolio's current revenue against predicted future value (seed 002's track):
    the chart card's context (``context`` a template context or the request's)."""
    from kam.selection.fit_record import future_value_label
    from kam.selection.queries import future_value_points

    user = _user(context) if isinstance(context, template.Context) else context.user
    points = future_value_points(user, run) if user is not None and run is not None else []
    figure = future_value_figure(points)
    drawn = json.loads(figure)["data"] if figure else []
    return {
        "run": run,
        "model": future_value_label(run.future_value) if run is not None else "",
        "figure": figure,
        "accounts": sum(len(trace["x"]) for trace in drawn),
        "promising": sum(1 for p in points if p["tier"] == "high_potential"),
    }
