"""What the engagement app contributes to other apps' pages, registered when it starts:

- the account timeline's engagements (``kam.accounts.timeline``);
- three columns of *My accounts* (``kam.accounts.worklist``): the revenue trend, the next
  touchpoint under the cadence policy and the account plan's open actions.

Each column answers for all the page's accounts at once, in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.urls import reverse

from kam.accounts.timeline import TimelineEvent, register_timeline_provider
from kam.accounts.worklist import Cell, Column, Tone, register_column

REVENUE_DROP_PCT = -10.0
"""A year-on-year revenue fall steeper than this asks for attention."""


def money(value: float) -> str:
    """A sum as a list shows it: 1.2M, 45.3k, 812."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if size >= 10_000:
        return f"{value / 1_000:.0f}k"
    if size >= 1_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:.0f}"


def engagement_events(customer_id: str) -> list[TimelineEvent]:
    """The account's engagements, held and planned (cancelled ones left out), newest first."""
    from kam.engagement.models import Engagement, EngagementStatus

    found = (
        Engagement.objects.filter(account_id=customer_id)
        .exclude(status=EngagementStatus.CANCELLED)
        .order_by("-date", "-id")[:500]
    )
    events = []
    for engagement in found:
        planned = engagement.status == EngagementStatus.PLANNED
        rating = f" · rated {engagement.rating}/5" if engagement.rating else ""
        title = engagement.heading
        if engagement.title:
            title = f"{engagement.get_kind_display()}: {engagement.title}"
        events.append(
            TimelineEvent(
                date=engagement.date,
                kind="engagement_planned" if planned else "engagement",
                title=("Planned: " if planned else "") + title + rating,
                url=reverse("engagement:detail", args=[customer_id, engagement.pk]),
                detail=(engagement.outcome or engagement.notes)[:200],
            )
        )
    return events


def revenue_cells(user: Any, customer_ids: Sequence[str], today: date) -> dict[str, Cell]:
    """Revenue of the last 12 months, its change on the year before, and a line of the last
    12 months (figures as of the store's latest transaction, not today)."""
    from kam.analytics.revenue_trend import revenue_trends
    from kam.stores import analytics_store

    if not customer_ids:
        return {}
    with analytics_store().connect(read_only=True) as con:
        trends = revenue_trends(con, list(customer_ids))
    cells = {}
    for customer_id, trend in trends.items():
        growth = trend.growth_pct
        falling = growth is not None and growth < REVENUE_DROP_PCT
        note = "no revenue the year before" if growth is None else f"{growth:+.1f}% on the year"
        cells[customer_id] = Cell(
            text=money(trend.revenue_12m),
            note=note,
            tone=Tone.WARN if falling else (Tone.GOOD if growth and growth > 0 else Tone.PLAIN),
            url=reverse("accounts:detail", args=[customer_id]),
            attention=1.0 + min(-(growth or 0), 100) / 1000 if falling else 0.0,
            reason=f"Revenue down {-(growth or 0):.0f}% on the year" if falling else "",
            series=trend.monthly,
        )
    return cells


def touchpoint_cells(user: Any, customer_ids: Sequence[str], today: date) -> dict[str, Cell]:
    """The next touchpoint the cadence policy asks of each key account: overdue in red."""
    from kam.engagement.cadence import TouchpointState
    from kam.engagement.queries import page_cadence

    _, statuses = page_cadence(user, customer_ids, today)
    cells = {}
    for customer_id in customer_ids:
        url = reverse("engagement:account", args=[customer_id])
        status = statuses.get(customer_id)
        if status is None or status.next is None:
            words = "No cadence" if status is not None else "Not a key account"
            cells[customer_id] = Cell("—", note=words, url=url)
            continue
        touchpoint = status.next
        planned = (
            f"planned {touchpoint.planned_on:%-d %b}"
            if touchpoint.planned_on
            else "nothing planned"
        )
        state = touchpoint.state
        attention, tone = 0.0, Tone.PLAIN
        if state is TouchpointState.OVERDUE:
            attention, tone = 2.0 + min(touchpoint.overdue_days, 365) / 365, Tone.ALERT
        elif state is TouchpointState.DUE_SOON and not touchpoint.planned_on:
            attention, tone = 1.0 + (14 - touchpoint.days_left) / 28, Tone.WARN
        cells[customer_id] = Cell(
            text=touchpoint.describe(),
            note=f"due {touchpoint.due_on:%-d %b %Y} · {planned}",
            tone=tone,
            url=url,
            attention=attention,
            reason=touchpoint.describe() if attention else "",
        )
    return cells


def action_cells(user: Any, customer_ids: Sequence[str], today: date) -> dict[str, Cell]:
    """Open actions of the account's plans; overdue ones in red."""
    from kam.plans.queries import open_actions

    cells = {}
    for customer_id, counts in open_actions(list(customer_ids), today).items():
        late = counts.overdue
        cells[customer_id] = Cell(
            text=f"{counts.open} open",
            note=f"{late} overdue" if late else "none overdue",
            tone=Tone.ALERT if late else Tone.PLAIN,
            url=reverse("plans:home", args=[customer_id]),
            attention=2.0 + min(late, 10) / 100 if late else 0.0,
            reason=f"{late} plan action{'s' if late != 1 else ''} overdue" if late else "",
        )
    return cells


def register() -> None:
    """Register the timeline source and the columns (called by ``EngagementConfig.ready``)."""
    register_timeline_provider("engagements", "Engagements", engagement_events)
    register_column(Column("revenue", "Revenue, 12 months", 20, revenue_cells, numeric=True))
    register_column(Column("touchpoint", "Next touchpoint", 30, touchpoint_cells))
    register_column(Column("actions", "Open actions", 40, action_cells))
