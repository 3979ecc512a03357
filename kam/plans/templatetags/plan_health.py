"""The plan health of accounts as table cells, for pages of apps below plans (the executive
sponsor's accounts) that must not import it: plan, days since review, overdue actions."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django import template

from kam.plans import queries

register = template.Library()


@register.simple_tag
def plan_health_of(customer_ids: Iterable[str], today: date) -> dict[str, queries.PlanHealth]:
    """``{% plan_health_of ids today as health %}``: every listed account's plan health at
    ``today``, read once for the whole list."""
    return queries.plan_health(list(customer_ids), today)


@register.inclusion_tag("plans/_plan_health_cells.html")
def plan_health_cells(health: Mapping[str, queries.PlanHealth], customer_id: str) -> dict[str, Any]:
    """The account's plan link, days since its last review and overdue actions, from
    ``plan_health_of``'s answer; "no plan" when it has none."""
    found = health.get(customer_id)
    if found is None:
        return {"plan": None}
    return {
        "plan": found.plan,
        "customer_id": customer_id,
        "days": found.freshness.days,
        "stale": found.freshness.stale,
        "overdue": found.overdue,
    }
