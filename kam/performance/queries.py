"""Reads of the programme view: its settings, concentration risk and the account P&L.
KPIs are in ``kpi_board``, the measured return and the post-launch questions in
``measured``, the implementation checklist in ``checklist``.

Every read checks the acting user first; financial figures (margin, cost, P&L) are only
computed for a user who may see them, so for anyone else they are absent, not hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from kam.analytics.account_figures import add_months, has_store_tables
from kam.analytics.program.concentration import (
    TOP_N,
    ConcentrationPoint,
    account_shares,
    concentration_dates,
    concentration_over_time,
)
from kam.analytics.program.pnl import AccountPnl, PnlRollup, account_pnl, roll_up, sales_between
from kam.analytics.store import resolve_as_of
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission, has_permission
from kam.performance.costs import costs_to_serve
from kam.performance.models import ProgramSettings
from kam.selection.models import KeyAccount
from kam.stores import analytics_store


def program_settings() -> ProgramSettings:
    """The programme's settings; the defaults (unsaved) until someone saves them."""
    return ProgramSettings.objects.filter(pk=1).select_related("updated_by").first() or (
        ProgramSettings(pk=1)
    )


def may_manage(user: User) -> bool:
    """Whether ``user`` sets the programme's KPI targets, checklist and rates."""
    return has_permission(user, Permission.MANAGE_PROGRAM)


def pnl_if_allowed(
    user: User, as_of: date | None = None, keys: list[KeyAccount] | None = None
) -> Pnl | None:
    """The P&L for a user who may see financial figures; None for anyone else."""
    return pnl(user, as_of, keys) if has_permission(user, Permission.VIEW_FINANCIALS) else None


def key_accounts() -> list[KeyAccount]:
    """Every key account with its account and manager, by name. A page that shows several
    of the programme's sections reads them once and hands them to each (``keys``)."""
    return list(
        KeyAccount.objects.select_related("account", "manager", "executive_sponsor").order_by(
            "account__name", "account_id"
        )
    )


@contextmanager
def reading(as_of: date | None) -> Iterator[tuple[Any, date | None]]:
    """The store open for reading and the as-of date (None: the store holds no sales)."""
    with analytics_store().connect(read_only=True) as con:
        if not has_store_tables(con):
            yield con, None
            return
        yield con, resolve_as_of(con, as_of)


def manager_name(key: KeyAccount) -> str:
    """The key account's manager by name, or "No manager"."""
    return key.manager.get_full_name() or key.manager.username if key.manager else "No manager"


# ---- concentration ------------------------------------------------------------------


@dataclass(frozen=True)
class KeyShare:
    """One key account's share of revenue (and of margin, for who may see it)."""

    customer_id: str
    name: str
    tier: str
    revenue_share: float | None
    margin_share: float | None


@dataclass(frozen=True)
class Concentration:
    """Concentration now and over time, the key accounts' shares, and the alerts it raises.
    ``financial`` says whether margin figures are in it (None everywhere when not)."""

    as_of: date
    points: tuple[ConcentrationPoint, ...]
    key_shares: tuple[KeyShare, ...]
    key_revenue_share: float | None
    key_margin_share: float | None
    alerts: tuple[str, ...]
    financial: bool
    settings: ProgramSettings

    @property
    def now(self) -> ConcentrationPoint:
        """The latest point."""
        return self.points[-1]

    @property
    def year_ago(self) -> ConcentrationPoint | None:
        """The point a year before the latest, when the history reaches back that far."""
        return self.points[-5] if len(self.points) >= 5 else None


def _without_margin(point: ConcentrationPoint) -> ConcentrationPoint:
    return ConcentrationPoint(
        point.as_of, point.customers, point.revenue, None, point.revenue_share,
        dict.fromkeys(TOP_N), point.hhi_revenue, None,
    )  # fmt: skip


def concentration_alerts(point: ConcentrationPoint, settings: ProgramSettings) -> list[str]:
    """What passes the configured thresholds at ``point``, in words."""
    alerts = []
    top1, top5 = point.revenue_share[1], point.revenue_share[5]
    if top1 is not None and top1 * 100 > settings.top_customer_alert_pct:
        alerts.append(
            f"The largest customer holds {top1:.1%} of revenue, above the "
            f"{settings.top_customer_alert_pct:g}% alert line."
        )
    if top5 is not None and top5 * 100 > settings.top5_alert_pct:
        alerts.append(
            f"The five largest customers hold {top5:.1%} of revenue, above the "
            f"{settings.top5_alert_pct:g}% alert line."
        )
    if point.hhi_revenue is not None and point.hhi_revenue > settings.hhi_alert:
        alerts.append(
            f"The Herfindahl–Hirschman index of revenue is {point.hhi_revenue:,.0f}, above the "
            f"{settings.hhi_alert:,.0f} alert line."
        )
    return alerts


def concentration(
    user: User, as_of: date | None = None, keys: list[KeyAccount] | None = None
) -> Concentration | None:
    """Concentration at ``as_of`` (default: the latest sale) and at the seven quarter ends
    before it; None while the store holds no sales."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    financial = has_permission(user, Permission.VIEW_FINANCIALS)
    settings = program_settings()
    keys = key_accounts() if keys is None else keys
    with reading(as_of) as (con, day):
        if day is None:
            return None
        points = concentration_over_time(con, concentration_dates(day))
        if not points:
            return None
        shares = account_shares(con, day, [key.account_id for key in keys])
    if not financial:
        points = tuple(_without_margin(point) for point in points)
    rows = [
        KeyShare(
            key.account_id,
            key.account.name,
            key.get_tier_display(),
            shares[key.account_id].revenue_share if key.account_id in shares else None,
            shares[key.account_id].margin_share if financial and key.account_id in shares else None,
        )
        for key in keys
    ]
    rows.sort(key=lambda row: -(row.revenue_share or 0.0))

    def total(values: list[float | None]) -> float | None:
        known = [value for value in values if value is not None]
        return sum(known) if known else None

    return Concentration(
        as_of=day,
        points=points,
        key_shares=tuple(rows),
        key_revenue_share=total([row.revenue_share for row in rows]),
        key_margin_share=total([row.margin_share for row in rows]) if financial else None,
        alerts=tuple(concentration_alerts(points[-1], settings)),
        financial=financial,
        settings=settings,
    )


# ---- account P&L --------------------------------------------------------------------


@dataclass(frozen=True)
class PnlRow:
    """One key account's P&L line, with who manages it and its tier."""

    name: str
    tier: str
    manager: str
    pnl: AccountPnl


@dataclass(frozen=True)
class Pnl:
    """The key accounts' P&L over the 12 months ending with ``as_of``'s month, each line
    and rolled up per manager, per tier and for the programme."""

    as_of: date
    start: date
    end: date
    rows: tuple[PnlRow, ...]
    by_manager: tuple[PnlRollup, ...]
    by_tier: tuple[PnlRollup, ...]
    programme: PnlRollup | None
    settings: ProgramSettings


def year_window(day: date) -> tuple[date, date]:
    """The 12 whole months ending with ``day``'s month: [start, end)."""
    return add_months(day, -11), add_months(day, 1)


def pnl(user: User, as_of: date | None = None, keys: list[KeyAccount] | None = None) -> Pnl | None:
    """The key accounts' P&L (financial: refused without the financials permission); None
    while the store holds no sales."""
    check_permission(user, Permission.VIEW_FINANCIALS)
    settings = program_settings()
    keys = key_accounts() if keys is None else keys
    with reading(as_of) as (con, day):
        if day is None:
            return None
        start, end = year_window(day)
        sales = sales_between(con, start, end, [key.account_id for key in keys])
    costs = costs_to_serve(keys, start, end, settings)
    lines = account_pnl([key.account_id for key in keys], sales, costs)
    rows = tuple(
        PnlRow(key.account.name, key.get_tier_display(), manager_name(key), line)
        for key, line in zip(keys, lines, strict=True)
    )
    ordered = tuple(sorted(rows, key=lambda row: -row.pnl.revenue))
    everyone = roll_up(lines, {key.account_id: "Programme" for key in keys})
    return Pnl(
        as_of=day,
        start=start,
        end=end,
        rows=ordered,
        by_manager=tuple(roll_up(lines, {k.account_id: manager_name(k) for k in keys})),
        by_tier=tuple(roll_up(lines, {k.account_id: k.get_tier_display() for k in keys})),
        programme=everyone[0] if everyone else None,
        settings=settings,
    )
