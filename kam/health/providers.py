"""What the health app adds to other apps' pages: the *My accounts* health column (the
score and how many alerts) and the account-by-account alerts above the table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from kam.accounts.worklist import Cell, Column, Tone, register_column, register_panel
from kam.health.alerts import AccountAlerts, current_alerts
from kam.health.queries import latest_scores


def alerts_for_page(
    user: Any, customer_ids: Sequence[str], today: date
) -> dict[str, AccountAlerts]:
    """The accounts' alerts, worked out once per request: the health column and the alerts
    above *My accounts* ask for the same accounts. Kept among the answers a request keeps
    on its user (``record_checks``, emptied by ``kam.people.access.requires`` for every
    request); outside a request, worked out afresh each time."""
    kept = getattr(user, "record_checks", None)
    key = ("kam.health.alerts", frozenset(customer_ids), today)
    if kept is None:
        return current_alerts(customer_ids, today, user)
    if key not in kept:
        kept[key] = current_alerts(customer_ids, today, user)
    found: dict[str, AccountAlerts] = kept[key]
    return found


def health_cells(user: Any, customer_ids: Sequence[str], today: date) -> dict[str, Cell]:
    """Each account's latest score and how many alerts it has to act on (acknowledged and
    snoozed ones left out), linking to its health page, in a fixed number of queries. The
    alerts themselves are listed once, above the table (``alerts_panel``), so the cell
    gives no reason of its own: what else needs attention is in the other columns'."""
    cells = {}
    found = alerts_for_page(user, customer_ids, today)
    for customer_id, score in latest_scores(customer_ids).items():
        alerts = found[customer_id].shown
        value = score.score
        text = "—" if value is None else f"{value:.0f}"
        if alerts:
            text += f" · {len(alerts)} alert{pluralize(len(alerts))}"
        tone = (
            Tone.ALERT if alerts else (Tone.WARN if value is not None and value < 50 else Tone.GOOD)
        )
        cells[customer_id] = Cell(
            text=text,
            tone=tone,
            url=reverse("health:account", args=[customer_id]),
            attention=2.0 if alerts else (1.0 if value is not None and value < 50 else 0.0),
        )
    return cells


def register() -> None:
    """Add the health column and the alerts above the table to *My accounts*."""
    register_column(Column("health", "Health", 15, health_cells, numeric=True))
    register_panel("health_alerts", alerts_panel)


def alerts_panel(request: Any, customer_ids: Sequence[str]) -> str:
    """The alerts of *My accounts*' accounts, each with its acknowledge or snooze form."""
    from kam.health.views import alerts_panel as render_panel

    found = alerts_for_page(request.user, customer_ids, timezone.localdate())
    return render_panel(request, list(customer_ids), found)
