"""What the opportunity pages, the API and the commands read: an account's opportunities,
pipelines (an account's, a manager's, the programme's; weighted and not), the evidence the
stakeholder map and the lifetime-value model give the four questions, and whitespace
(computed in ``kam.analytics.whitespace`` on the analytical store)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet

from kam.accounts.access import sees_financials
from kam.accounts.models import Account
from kam.analytics import whitespace as ws
from kam.analytics import whitespace_copy
from kam.engagement.queries import accounts_of, reads_programme
from kam.opportunities.models import OPEN_STAGES, Opportunity, Stage, WalletEstimate
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import PermissionRefused, check_permission, has_permission
from kam.relationships.models import Attitude, BuyingRole, Contact, Relationship
from kam.stores import analytics_store


def may_edit(user: User, account: Account) -> bool:
    """Whether ``user`` may change ``account``'s opportunities and wallet estimates."""
    return has_permission(user, Permission.EDIT_OPPORTUNITIES, on=account)


def with_people(found: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return found.select_related("account", "owner", "qualification")


def account_opportunities(user: User, account: Account) -> list[Opportunity]:
    """The account's opportunities: open ones by expected close, then the closed newest first."""
    check_permission(user, Permission.READ_IN_FULL, on=account)
    found = list(with_people(Opportunity.objects.filter(account=account)))
    open_ = sorted((o for o in found if o.is_open), key=lambda o: (o.expected_close_date, o.pk))
    closed = sorted(
        (o for o in found if not o.is_open), key=lambda o: (o.closed_on or date.min, o.pk)
    )
    return open_ + closed[::-1]


# ---- pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineBucket:
    """The open opportunities of one stage or one close month: how many, worth how much,
    and weighted by their probability."""

    key: str
    label: str
    count: int
    value: float
    weighted: float


@dataclass(frozen=True)
class Pipeline:
    """Open opportunities summed (``value``) and weighted by probability (``weighted``), by
    stage and by expected close month; the won and lost of the last 12 months besides."""

    count: int
    value: float
    weighted: float
    by_stage: tuple[PipelineBucket, ...]
    by_month: tuple[PipelineBucket, ...]
    won_12m: float = 0.0
    lost_12m: float = 0.0


def pipeline_of(opportunities: Iterable[Opportunity], today: date) -> Pipeline:
    """The pipeline of ``opportunities`` (any mix of open and closed) as of ``today``."""
    stages: dict[str, list[float]] = {s: [0, 0.0, 0.0] for s in OPEN_STAGES}
    months: dict[date, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    won = lost = 0.0
    year_ago = date(today.year - 1, today.month, 1)
    for opportunity in opportunities:
        value = float(opportunity.value)
        if not opportunity.is_open:
            if opportunity.closed_on and opportunity.closed_on >= year_ago:
                if opportunity.stage == Stage.WON:
                    won += value
                else:
                    lost += value
            continue
        weighted = opportunity.weighted_value
        month = opportunity.expected_close_date.replace(day=1)
        for bucket in (stages[opportunity.stage], months[max(month, today.replace(day=1))]):
            bucket[0] += 1
            bucket[1] += value
            bucket[2] += weighted
    labels = dict(Stage.choices)
    by_stage = tuple(PipelineBucket(s, labels[s], int(n), v, w) for s, (n, v, w) in stages.items())
    by_month = tuple(
        PipelineBucket(m.isoformat(), f"{m:%b %Y}", int(n), v, w)
        for m, (n, v, w) in sorted(months.items())
    )
    return Pipeline(
        count=sum(b.count for b in by_stage),
        value=sum(b.value for b in by_stage),
        weighted=sum(b.weighted for b in by_stage),
        by_stage=by_stage,
        by_month=by_month,
        won_12m=won,
        lost_12m=lost,
    )


def readable_accounts(user: User) -> list[str] | None:
    """The accounts whose pipeline ``user`` reads: every one (None) for those who read the
    programme in full, else those they work."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    return None if reads_programme(user) else accounts_of(user)


@dataclass(frozen=True)
class ManagerPipeline:
    """One manager's (or nobody's) pipeline over the accounts they manage."""

    manager: User | None
    accounts: int
    pipeline: Pipeline


@dataclass(frozen=True)
class ProgrammePipeline:
    """The pipeline of every account ``user`` reads, and per manager."""

    total: Pipeline
    managers: tuple[ManagerPipeline, ...]
    opportunities: tuple[Opportunity, ...] = field(default=())


def programme_pipeline(user: User, today: date, manager: User | None = None) -> ProgrammePipeline:
    """The pipeline of the accounts ``user`` reads (only ``manager``'s accounts when
    given), in total and per key account manager; the biggest open opportunities first."""
    readable = readable_accounts(user)
    found = Opportunity.objects.all()
    if readable is not None:
        found = found.filter(account_id__in=readable)
    if manager is not None:
        found = found.filter(account_id__in=accounts_of(manager))
    rows = list(with_people(found).select_related("account__key_account__manager"))
    per_manager: dict[int | None, list[Opportunity]] = defaultdict(list)
    people: dict[int | None, User | None] = {None: None}
    for opportunity in rows:
        key = getattr(opportunity.account, "key_account", None)
        boss = key.manager if key is not None else None
        people[boss.pk if boss else None] = boss
        per_manager[boss.pk if boss else None].append(opportunity)
    managers = [
        ManagerPipeline(people[pk], len({o.account_id for o in items}), pipeline_of(items, today))
        for pk, items in per_manager.items()
    ]
    managers.sort(key=lambda m: (-m.pipeline.weighted, m.manager is None,
                                 m.manager.display_name if m.manager else ""))  # fmt: skip
    open_rows = sorted((o for o in rows if o.is_open), key=lambda o: -o.weighted_value)
    return ProgrammePipeline(pipeline_of(rows, today), tuple(managers), tuple(open_rows[:50]))


def account_pipeline(user: User, account: Account, today: date) -> Pipeline:
    """``account``'s pipeline."""
    return pipeline_of(account_opportunities(user, account), today)


# ---- evidence for the four questions --------------------------------------------------------


@dataclass(frozen=True)
class WinEvidence:
    """What the stakeholder map says about *Can we win?*: a suggested score and why."""

    score: int
    champions: tuple[str, ...]
    decision_makers: int
    decision_makers_covered: int
    detractors: tuple[str, ...]

    @property
    def text(self) -> str:
        parts = [
            f"Champion: {', '.join(self.champions)}." if self.champions else "No champion.",
            f"Decision makers covered: {self.decision_makers_covered} of "
            f"{self.decision_makers}." if self.decision_makers else "No decision maker mapped.",
        ]  # fmt: skip
        if self.detractors:
            parts.append(f"Detractors: {', '.join(self.detractors)}.")
        return " ".join(parts)


def win_evidence(account: Account) -> WinEvidence:
    """Inside support and access from ``account``'s stakeholder map: a champion who is
    positive, decision makers with one of our people holding the relationship, detractors
    (by buying role or a negative attitude). The score starts at 3: +1 for a champion, +1
    when every decision maker is covered, -1 when none is, -1 for a detractor among the
    decision makers (or two detractors), kept within 1–5."""
    contacts = list(Contact.objects.filter(account=account).order_by("name", "pk"))
    covered_ids = set(
        Relationship.objects.filter(contact__account=account).values_list("contact_id", flat=True)
    )
    champions = tuple(
        c.name
        for c in contacts
        if BuyingRole.CHAMPION in c.buying_roles and c.attitude >= Attitude.NEUTRAL
    )
    deciders = [c for c in contacts if BuyingRole.DECISION_MAKER in c.buying_roles]
    covered = sum(1 for c in deciders if c.pk in covered_ids)
    against = [c for c in contacts if BuyingRole.DETRACTOR in c.buying_roles or c.attitude < 0]
    score = 3 + (1 if champions else 0)
    if deciders and covered == len(deciders):
        score += 1
    elif not covered:
        score -= 1
    if any(c in deciders for c in against) or len(against) >= 2:
        score -= 1
    return WinEvidence(
        max(1, min(5, score)), champions, len(deciders), covered, tuple(c.name for c in against)
    )


def predicted_value(user: User, account: Account) -> float | None:
    """The account's predicted lifetime value from the latest scoring run, for *Is it worth
    winning?*; None without one, or when ``user`` may not see financial figures."""
    from kam.selection.queries import account_future_value

    if not sees_financials(user):
        return None
    found = account_future_value(user, account.customer_id)
    if found is None or found.row is None:
        return None
    value = found.row.get("clv")
    return float(value) if isinstance(value, int | float) else None


# ---- whitespace -----------------------------------------------------------------------------


def open_pipeline_table(customer_ids: Sequence[str] | None = None) -> Any:
    """Open opportunities as the whitespace computation takes them."""
    found = Opportunity.objects.filter(stage__in=OPEN_STAGES)
    if customer_ids is not None:
        found = found.filter(account_id__in=list(customer_ids))
    return ws.pipeline_table(
        [
            {"customer_id": a, "category": c, "business_unit": b, "value": float(v)}
            for a, c, b, v in found.values_list(
                "account_id", "product_category", "business_unit", "value"
            )
        ]
    )


def wallets_table() -> Any:
    """Every entered wallet estimate (peers' included) as the computation takes them."""
    return ws.wallet_table(
        [
            {"customer_id": a, "category": c, "amount": float(v)}
            for a, c, v in WalletEstimate.objects.values_list("account_id", "category", "amount")
        ]
    )


@dataclass(frozen=True)
class Whitespace:
    """One account's whitespace: the grid (``cells[category][unit]``), a row per category
    with wallet and share, the peers behind each estimate, and the biggest gaps."""

    as_of: date | None
    units: tuple[str, ...]
    categories: tuple[dict[str, Any], ...]
    cells: dict[str, dict[str, dict[str, Any]]]
    peers: dict[str, tuple[dict[str, Any], ...]]
    gaps: tuple[ws.Gap, ...]
    named_peers: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    """Per category, the ``PEERS_NAMED`` peers that spend most, with their names."""
    unnamed_peers: dict[str, int] = field(default_factory=dict)
    """Per category, how many peers are not among ``named_peers``."""


PEERS_NAMED = 10
"""Peers named per category on the page: at 150,000 accounts a size band holds thousands,
which no one reads (and their names cost a query of thousands of ids, their rows ~1 MB of
HTML); the estimate's range and count already say how many there are and how they spread."""


def _as_of(con: Any) -> date | None:
    from kam.analytics.account_figures import has_store_tables
    from kam.analytics.store import resolve_as_of

    return resolve_as_of(con) if has_store_tables(con) else None


def account_whitespace(user: User, account: Account, *, every_peer: bool = True) -> Whitespace:
    """``account``'s whitespace as of the latest transaction in the store; without
    ``every_peer``, ``peers`` holds only the ``PEERS_NAMED`` of each category that spend
    most (what the page shows), not the thousands of a large size band."""
    check_permission(user, Permission.READ_IN_FULL, on=account)
    ids = (account.customer_id,)
    with analytics_store().connect(read_only=True) as con:
        as_of = _as_of(con)
        if as_of is None:
            return Whitespace(None, (), (), {}, {}, ())
        query = ws.WhitespaceQuery(ids, as_of)
        pipeline, wallets = open_pipeline_table(ids), wallets_table()
        grid = whitespace_copy.cells(con, query, pipeline).to_pylist()
        rows = whitespace_copy.categories(con, query, pipeline, wallets)
        most = None if every_peer else PEERS_NAMED
        peer_rows = whitespace_copy.peers_of(con, query, wallets, most).to_pylist()
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for cell in grid:
        cells[cell["category"]][cell["business_unit"]] = cell
    peers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for peer in sorted(peer_rows, key=lambda p: (-p["spend"], p["peer_id"])):
        peers[peer["category"]].append(peer)
    first = {category: found[:PEERS_NAMED] for category, found in peers.items()}
    names = dict(
        Account.objects.filter(
            customer_id__in={p["peer_id"] for found in first.values() for p in found}
        ).values_list("customer_id", "name")
    )
    categories = sorted(
        rows.to_pylist(), key=lambda r: (-(r["bought"] + r["pipeline"]), r["category"])
    )
    return Whitespace(
        as_of=as_of,
        units=tuple(sorted({c["business_unit"] for c in grid})),
        categories=tuple(categories),
        cells=dict(cells),
        peers={k: tuple(v) for k, v in peers.items()},
        gaps=tuple(ws.biggest_gaps(rows, limit=10)),
        named_peers={
            category: tuple({**p, "name": names.get(p["peer_id"], "")} for p in found)
            for category, found in first.items()
        },
        unnamed_peers={
            row["category"]: row["peer_count"] - len(first.get(row["category"], ()))
            for row in categories
        },
    )


def biggest_gaps(customer_ids: Sequence[str], limit: int | None = None) -> list[ws.Gap]:
    """The biggest whitespace gaps across ``customer_ids`` (the caller checked who reads
    them), biggest first."""
    if not customer_ids:
        return []
    with analytics_store().connect(read_only=True) as con:
        as_of = _as_of(con)
        if as_of is None:
            return []
        query = ws.WhitespaceQuery(tuple(customer_ids), as_of)
        pipeline = open_pipeline_table(customer_ids)
        rows = whitespace_copy.categories(con, query, pipeline, wallets_table())
        return ws.biggest_gaps(rows, limit=limit)


def manager_gaps(user: User, whose: User, limit: int = 20) -> list[ws.Gap]:
    """The biggest gaps across the accounts ``whose`` works (only they and the programme's
    readers may ask)."""
    if whose.pk != user.pk and not reads_programme(user):
        raise PermissionRefused(
            user, Permission.READ_IN_FULL, f"{whose.display_name}'s accounts are theirs to see."
        )
    return biggest_gaps(accounts_of(whose), limit)
