"""The plan health of an account as table cells, for pages of apps below plans (the
executive sponsor's accounts) that must not import it: plan, days since review, overdue."""

from datetime import date
from typing import Any

from django import template

from kam.plans import queries
from kam.plans.models import AccountPlan, PlanStatus

register = template.Library()


@register.inclusion_tag("plans/_plan_health_cells.html")
def plan_health_cells(customer_id: str, today: date) -> dict[str, Any]:
    """The account's active plan (else its latest draft): link, days since its last review
    and overdue actions at ``today``; "no plan" when it has none."""
    plans = AccountPlan.objects.filter(account__customer_id=customer_id).exclude(
        status=PlanStatus.ARCHIVED
    )
    plan = plans.filter(status=PlanStatus.ACTIVE).first() or plans.first()
    if plan is None:
        return {"plan": None}
    fresh = queries.freshness(plan, today)
    return {
        "plan": plan,
        "customer_id": customer_id,
        "days": fresh.days,
        "stale": fresh.stale,
        "overdue": len(queries.overdue_actions(plan, today)),
    }
