"""The selection app's events on an account's timeline: what each published selection cycle
decided about it — added, kept (with a change of tier or type) or removed — registered
with ``kam.accounts.timeline`` when the app starts.

Kept apart from ``queries`` (which pulls in the analytics), like ``ties``.
"""

from django.urls import reverse
from django.utils import timezone

from kam.accounts.timeline import TimelineEvent
from kam.selection.models import CycleDecision, SelectionCycle, TierChoice


def _tier(value: str) -> str:
    return TierChoice(value).label if value in TierChoice.values else value


def timeline_events(customer_id: str) -> list[TimelineEvent]:
    """One event per published cycle that made a decision about the account (one query);
    a cycle that left a non-key account out says nothing."""
    decisions = (
        CycleDecision.objects.filter(
            account_id=customer_id, cycle__status=SelectionCycle.Status.PUBLISHED
        )
        .select_related("cycle")
        .order_by("-cycle__published_at")
    )
    events = []
    for decision in decisions:
        cycle = decision.cycle
        key = decision.is_key
        was_key = decision.proposal in (CycleDecision.Proposal.KEEP, CycleDecision.Proposal.REMOVE)
        if not key and not was_key:
            continue
        tier = _tier(decision.tier)
        if key and not was_key:
            title = f"Made a key account ({tier}) by {cycle.name}"
        elif not key:
            title = f"No longer a key account after {cycle.name}"
        elif decision.previous_tier and decision.previous_tier != decision.tier:
            title = f"{_tier(decision.previous_tier)} → {tier} in {cycle.name}"
        else:
            title = f"Kept as a key account ({tier}) in {cycle.name}"
        if decision.override_key is not None:
            title += " (overridden)"
        detail = decision.override_reason or decision.why
        day = cycle.published_at or cycle.approved_at or cycle.created_at
        events.append(
            TimelineEvent(
                date=timezone.localdate(day),
                kind="selection_decision",
                title=title,
                url=reverse("selection:cycle", args=[cycle.pk]),
                detail=detail[:200],
            )
        )
    return events
