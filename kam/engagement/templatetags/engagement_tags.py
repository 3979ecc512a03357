"""Template tags of the engagement app: the small trend line of a list row, and the next
touchpoint of a key account for other apps' pages (the account page, the sponsor's list),
which link to engagement by tag, never by import."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

WIDTH, HEIGHT = 96, 24


@register.simple_tag
def sparkline(series: Sequence[float], label: str = "") -> SafeString:
    """A line of ``series`` (oldest first) as inline SVG, the last point marked."""
    values = [v for v in series if isinstance(v, int | float) and math.isfinite(v)]
    if len(values) < 2:
        return mark_safe("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = WIDTH / (len(values) - 1)
    points = [
        (round(i * step, 1), round(HEIGHT - 2 - (v - low) / span * (HEIGHT - 4), 1))
        for i, v in enumerate(values)
    ]
    path = " ".join(f"{x},{y}" for x, y in points)
    x, y = points[-1]
    return format_html(
        '<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><polyline points="{}" fill="none" stroke-width="1.5"/>'
        '<circle cx="{}" cy="{}" r="2"/></svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        label or "Revenue by month",
        path,
        x,
        y,
    )


@register.inclusion_tag("engagement/_touchpoint_badge.html")
def next_touchpoint(customer_id: str, today: date | None = None) -> dict[str, Any]:
    """The account's next touchpoint under the cadence policy (nothing when not key)."""
    from kam.engagement.queries import cadence_statuses
    from kam.selection.models import KeyAccount

    today = today or timezone.localdate()
    status = cadence_statuses(KeyAccount.objects.filter(account_id=customer_id), today).get(
        customer_id
    )
    return {
        "status": status,
        "touchpoint": status.next if status else None,
        "customer_id": customer_id,
    }


@register.inclusion_tag("engagement/_touchpoint_cells.html")
def touchpoint_cells(statuses: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """The next-touchpoint cell of a row, from statuses computed once for the whole list."""
    status = statuses.get(customer_id)
    return {"touchpoint": status.next if status else None, "customer_id": customer_id}


@register.simple_tag
def touchpoints_of(customer_ids: Sequence[str], today: date) -> dict[str, Any]:
    """Every listed key account's cadence status, in a fixed number of queries."""
    from kam.engagement.queries import cadence_statuses
    from kam.selection.models import KeyAccount

    return cadence_statuses(KeyAccount.objects.filter(account_id__in=list(customer_ids)), today)


@register.filter
def cell(cells: dict[str, Any], key: str) -> Any:
    """The cell of column ``key`` in a row's cells."""
    return cells.get(key)
