"""What the opportunities app contributes to other apps' pages, registered when it starts:

- the account timeline's opportunities won and lost (``kam.accounts.timeline``);
- the two columns *My accounts* reserves (``kam.accounts.worklist``): the open pipeline,
  weighted, and the biggest whitespace gap.

Each column answers for all the page's accounts at once, in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.urls import reverse

from kam.accounts.timeline import TimelineEvent, register_timeline_provider
from kam.accounts.worklist import Cell, Column, Tone, register_column
from kam.analytics.whitespace import Gap
from kam.engagement.providers import money


def opportunity_events(customer_id: str) -> list[TimelineEvent]:
    """The account's opportunities won and lost, newest first."""
    from kam.opportunities.models import CLOSED_STAGES, Opportunity

    found = Opportunity.objects.filter(account_id=customer_id, stage__in=CLOSED_STAGES).order_by(
        "-closed_on", "-id"
    )[:500]
    return [
        TimelineEvent(
            date=o.closed_on or o.expected_close_date,
            kind=f"opportunity_{o.stage}",
            title=f"{o.get_stage_display()}: {o.name} "
            f"({money(float(o.value))}, {o.product_category})",
            url=reverse("opportunities:detail", args=[customer_id, o.pk]),
            detail=o.close_reason[:200],
        )
        for o in found
    ]


def pipeline_cells(user: Any, customer_ids: Sequence[str], today: date) -> dict[str, Cell]:
    """Open pipeline per account, weighted beside; opportunities past their close date ask
    for attention."""
    from kam.opportunities.models import OPEN_STAGES, Opportunity

    rows: dict[str, list[Any]] = defaultdict(list)
    for opportunity in Opportunity.objects.filter(
        account_id__in=list(customer_ids), stage__in=OPEN_STAGES
    ).only("account_id", "value", "probability", "expected_close_date"):
        rows[opportunity.account_id].append(opportunity)
    cells = {}
    for customer_id in customer_ids:
        url = reverse("opportunities:account", args=[customer_id])
        found = rows.get(customer_id, [])
        if not found:
            cells[customer_id] = Cell("—", note="nothing open", url=url)
            continue
        late = sum(1 for o in found if o.expected_close_date < today)
        cells[customer_id] = Cell(
            text=money(sum(float(o.value) for o in found)),
            note=f"{money(sum(o.weighted_value for o in found))} weighted · {len(found)} open"
            + (f" · {late} past close" if late else ""),
            tone=Tone.WARN if late else Tone.PLAIN,
            url=url,
            attention=1.0 + min(late, 10) / 100 if late else 0.0,
            reason=f"{late} opportunit{'ies' if late != 1 else 'y'} past close date"
            if late
            else "",
        )
    return cells


def whitespace_cells(user: Any, customer_ids: Sequence[str], today: date) -> dict[str, Cell]:
    """The biggest whitespace gap of each account (open wallet in a category), ≈ when the
    wallet is a peer estimate."""
    from kam.opportunities.queries import biggest_gaps

    best: dict[str, Gap] = {}
    for gap in biggest_gaps(list(customer_ids)):
        best.setdefault(gap.customer_id, gap)
    cells = {}
    for customer_id in customer_ids:
        url = reverse("opportunities:whitespace", args=[customer_id])
        found = best.get(customer_id)
        if found is None:
            cells[customer_id] = Cell("—", note="no wallet known", url=url)
            continue
        gap = found
        estimate = "≈ " if gap.wallet_source == "peers" else ""
        cells[customer_id] = Cell(
            text=gap.category,
            note=f"{estimate}{money(gap.open_wallet)} open · {gap.kind}",
            url=url,
        )
    return cells


def register() -> None:
    """Register the timeline source and fill the reserved columns (``ready``)."""
    register_timeline_provider("opportunities", "Opportunities won and lost", opportunity_events)
    register_column(Column("pipeline", "Open pipeline", 60, pipeline_cells, numeric=True))
    register_column(Column("whitespace", "Biggest whitespace gap", 70, whitespace_cells))
