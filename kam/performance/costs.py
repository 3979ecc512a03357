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


def imported_costs(customer_ids: Sequence[str], start: date, end: date) -> dict[str, float]:
    """{customer id: imported cost over [start, end)}, each imported period prorated by the
    days it shares with that window; accounts with nothing imported then are left out."""
    costs: dict[str, float] = defaultdict(float)
    found = ImportedCost.objects.filter(
        account_id__in=customer_ids, period_start__lt=end, period_end__gte=start
    ).values_list("account_id", "period_start", "period_end", "amount")
    for account_id, first, last, amount in found:
        days = (last - first).days + 1
        costs[account_id] += amount * _overlap(start, end, first, last) / days
    return dict(costs)


def engagement_hours(
    customer_ids: Sequence[str], start: date, end: date
) -> dict[str, tuple[float, float]]:
    """{customer id: (our people's hours, its sponsor's hours)} in engagements held in
    [start, end): each held engagement's duration times the people of ours who attended."""
    held = Engagement.objects.filter(
        account_id__in=customer_ids, status=EngagementStatus.HELD, date__gte=start, date__lt=end
    )
    people = held.annotate(
        attendees=Count("our_people", distinct=True),
        sponsors=Count(
            "our_people",
            filter=Q(our_people=F("account__key_account__executive_sponsor")),
            distinct=True,
        ),
    ).values_list("account_id", "duration_minutes", "attendees", "sponsors")
    hours: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for account_id, minutes, attendees, sponsors in people:
        hours[account_id][0] += minutes / 60 * max(attendees - sponsors, 0)
        hours[account_id][1] += minutes / 60 * sponsors
    return {account_id: (ours, sponsor) for account_id, (ours, sponsor) in hours.items()}


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
    page = _PAGE.get()
    if page is None:
        return _costs_to_serve(keys, start, end, settings)
    rates = (settings.hourly_rate, settings.sponsor_hourly_rate, settings.manager_cost_per_year)
    key = (tuple((k.account_id, k.manager_id) for k in keys), start, end, rates)
    if key not in page:
        page[key] = _costs_to_serve(keys, start, end, settings)
    return dict(page[key])


def _costs_to_serve(
    keys: Sequence[KeyAccount], start: date, end: date, settings: ProgramSettings
) -> dict[str, CostToServe]:
    ids = [key.account_id for key in keys]
    imported = imported_costs(ids, start, end)
    hours = engagement_hours(ids, start, end)
    load = accounts_per_manager(keys)
    years = (end - start).days / 365.25
    costs = {}
    for key in keys:
        if key.account_id in imported:
            costs[key.account_id] = CostToServe(imported[key.account_id], CostSource.IMPORTED)
            continue
        ours, sponsor = hours.get(key.account_id, (0.0, 0.0))
        share = 1 / load[key.manager_id] if key.manager_id else 0.0
        amount = (
            estimated_cost(ours, settings.hourly_rate, share, settings.manager_cost_per_year, years)
            + sponsor * settings.sponsor_hourly_rate
        )
        costs[key.account_id] = CostToServe(amount, CostSource.ESTIMATED)
    return costs


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
