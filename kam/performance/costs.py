"""Each key account's cost to serve over a period: what was imported for it, prorated to
the days the period shares with each imported one, or — where nothing was imported — an
estimate from what is logged: the hours our people and its sponsor spent in its held
engagements at the configured rates, plus its share of its manager's yearly cost."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta

from django.db.models import Count, F, Q

from kam.analytics.program.pnl import CostSource, CostToServe, estimated_cost
from kam.engagement.models import Engagement, EngagementStatus
from kam.performance.models import CostToServe as ImportedCost
from kam.performance.models import ProgramSettings
from kam.selection.models import KeyAccount


def _overlap(start: date, end: date, first: date, last: date) -> int:
    """Days shared by [start, end) and [first, last]."""
    return max(0, (min(end, last + timedelta(days=1)) - max(start, first)).days)


Window = tuple[date, date]
"""A period [start, end)."""


def imported_costs(customer_ids: Sequence[str], start: date, end: date) -> dict[str, float]:
    """{customer id: imported cost over [start, end)}, each imported period prorated by the
    days it shares with that window; accounts with nothing imported then are left out."""
    return imported_costs_in(customer_ids, [(start, end)])[0]


def imported_costs_in(customer_ids: Sequence[str], windows: Sequence[Window]) -> list[dict]:
    """``imported_costs`` for each of ``windows``, from one query."""
    costs: list[dict[str, float]] = [defaultdict(float) for _ in windows]
    found = (
        ImportedCost.objects.filter(
            account_id__in=customer_ids,
            period_start__lt=max(end for _, end in windows),
            period_end__gte=min(start for start, _ in windows),
        )
        .order_by("account_id", "period_start", "period_end")
        .values_list("account_id", "period_start", "period_end", "amount")
    )
    for account_id, first, last, amount in found:
        days = (last - first).days + 1
        for (start, end), into in zip(windows, costs, strict=True):
            if first < end and last >= start:
                into[account_id] += amount * _overlap(start, end, first, last) / days
    return [dict(one) for one in costs]


def engagement_hours(
    customer_ids: Sequence[str], start: date, end: date
) -> dict[str, tuple[float, float]]:
    """{customer id: (our people's hours, its sponsor's hours)} in engagements held in
    [start, end): each held engagement's duration times the people of ours who attended."""
    return engagement_hours_in(customer_ids, [(start, end)])[0]


def engagement_hours_in(
    customer_ids: Sequence[str], windows: Sequence[Window]
) -> list[dict[str, tuple[float, float]]]:
    """``engagement_hours`` for each of ``windows``, from one query (each held engagement
    once, with its date)."""
    held = Engagement.objects.filter(
        account_id__in=customer_ids,
        status=EngagementStatus.HELD,
        date__gte=min(start for start, _ in windows),
        date__lt=max(end for _, end in windows),
    )
    people = (
        held.annotate(
            attendees=Count("our_people", distinct=True),
            sponsors=Count(
                "our_people",
                filter=Q(our_people=F("account__key_account__executive_sponsor")),
                distinct=True,
            ),
        )
        .order_by("account_id", "-date", "-id")
        .values_list("account_id", "date", "duration_minutes", "attendees", "sponsors")
    )
    hours: list[dict[str, list[float]]] = [defaultdict(lambda: [0.0, 0.0]) for _ in windows]
    for account_id, day, minutes, attendees, sponsors in people:
        for (start, end), into in zip(windows, hours, strict=True):
            if start <= day < end:
                into[account_id][0] += minutes / 60 * max(attendees - sponsors, 0)
                into[account_id][1] += minutes / 60 * sponsors
    return [
        {account_id: (ours, sponsor) for account_id, (ours, sponsor) in one.items()}
        for one in hours
    ]


_PAGE: ContextVar[dict[tuple, dict[str, CostToServe]] | None] = ContextVar(
    "programme_page_costs", default=None
)


@contextmanager
def one_page() -> Iterator[None]:
    """Within it, each window's cost to serve of the same key accounts at the same rates is
    read once: a page of several sections (KPIs, P&L, return, post-launch questions) asks
    for the same 12 months up to three times. Nothing is kept after it."""
    token = _PAGE.set({})
    try:
        yield
    finally:
        _PAGE.reset(token)


def costs_to_serve(
    keys: Sequence[KeyAccount], start: date, end: date, settings: ProgramSettings
) -> dict[str, CostToServe]:
    """{customer id: cost to serve over [start, end)} for ``keys``: imported where anything
    was imported for the window, else estimated (see the module doc)."""
    return costs_to_serve_in(keys, [(start, end)], settings)[0]


def costs_to_serve_in(
    keys: Sequence[KeyAccount], windows: Sequence[Window], settings: ProgramSettings
) -> list[dict[str, CostToServe]]:
    """``costs_to_serve`` for each of ``windows``; those not yet read on this page
    (``one_page``) are read together, in three queries whatever their number."""
    page = _PAGE.get()
    if page is None:
        return _costs_to_serve(keys, windows, settings)
    rates = (settings.hourly_rate, settings.sponsor_hourly_rate, settings.manager_cost_per_year)
    accounts = tuple((k.account_id, k.manager_id) for k in keys)
    wanted = [(accounts, start, end, rates) for start, end in windows]
    missing = list(dict.fromkeys(key for key in wanted if key not in page))
    if missing:
        read = _costs_to_serve(keys, [(start, end) for _, start, end, _ in missing], settings)
        page.update(zip(missing, read, strict=True))
    return [dict(page[key]) for key in wanted]


def _costs_to_serve(
    keys: Sequence[KeyAccount], windows: Sequence[Window], settings: ProgramSettings
) -> list[dict[str, CostToServe]]:
    ids = [key.account_id for key in keys]
    if not windows:
        return []
    imported_each = imported_costs_in(ids, windows)
    hours_each = engagement_hours_in(ids, windows)
    load = accounts_per_manager(keys)
    found = []
    for (start, end), imported, hours in zip(windows, imported_each, hours_each, strict=True):
        years = (end - start).days / 365.25
        costs = {}
        for key in keys:
            if key.account_id in imported:
                costs[key.account_id] = CostToServe(imported[key.account_id], CostSource.IMPORTED)
                continue
            ours, sponsor = hours.get(key.account_id, (0.0, 0.0))
            share = 1 / load[key.manager_id] if key.manager_id else 0.0
            amount = (
                estimated_cost(
                    ours, settings.hourly_rate, share, settings.manager_cost_per_year, years
                )
                + sponsor * settings.sponsor_hourly_rate
            )
            costs[key.account_id] = CostToServe(amount, CostSource.ESTIMATED)
        found.append(costs)
    return found


def accounts_per_manager(keys: Sequence[KeyAccount]) -> dict[int, int]:
    """{manager id: how many key accounts they keep} across the whole programme."""
    managers = {key.manager_id for key in keys if key.manager_id}
    counted = (
        KeyAccount.objects.filter(manager_id__in=managers)
        .values("manager_id")
        .annotate(n=Count("pk"))
        .values_list("manager_id", "n")
    )
    return dict(counted)
