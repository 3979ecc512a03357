"""The plans app's events on an account's timeline: each version cut of its plans, and
each review held (registered with ``kam.accounts.timeline`` when the app starts)."""

from django.urls import reverse

from kam.accounts.timeline import TimelineEvent
from kam.plans.models import PlanReview, PlanVersion

MOST = 300
"""Events of one kind shown at most (the newest): a timeline is read, not scrolled for ever."""


def timeline_events(customer_id: str) -> list[TimelineEvent]:
    """The account's plan versions and plan reviews, newest first (two queries)."""
    versions = (
        PlanVersion.objects.filter(plan__account_id=customer_id)
        .select_related("plan")
        .order_by("-cut_on", "-id")[:MOST]
    )
    events = [
        TimelineEvent(
            date=version.cut_on,
            kind="plan_version",
            title=f"{version.plan.title}: version {version.number}",
            url=reverse("plans:version", args=[customer_id, version.plan_id, version.number]),
            detail=version.note or "; ".join(version.changes[:3]),
        )
        for version in versions
    ]
    reviews = (
        PlanReview.objects.filter(plan__account_id=customer_id)
        .select_related("plan")
        .order_by("-held_on", "-id")[:MOST]
    )
    events += [
        TimelineEvent(
            date=review.held_on,
            kind="plan_review",
            title=f"{review.get_kind_display()} review of {review.plan.title}",
            url=reverse("plans:detail", args=[customer_id, review.plan_id]) + "#reviews",
            detail=review.outcome[:200],
        )
        for review in reviews
    ]
    return events
