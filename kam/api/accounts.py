"""Accounts: the customer master with each account's designation, and one account's page.

The list filters the operational database (search, region, segment, tier, type, key or
not, manager); one account reads ``kam.accounts.queries.account_detail``, the account
page's query, for its figures.
"""

from datetime import date
from typing import Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from kam.accounts import queries
from kam.accounts.access import without_financials
from kam.accounts.models import Account
from kam.accounts.services import do_set_account_team
from kam.api import access
from kam.api.errors import Refused
from kam.api.schemas import (
    MAX_LIMIT,
    MAX_OFFSET,
    TEXT,
    Out,
    Page,
    leaving_out_hidden,
    responses,
)
from kam.people.queries import UnknownUser, users_named
from kam.people.roles import Permission
from kam.selection.models import KeyAccount

router = Router(tags=["accounts"])

KeyTier = Literal["tier_1", "tier_2", "tier_3", "high_potential"]
AccountType = Literal["strategic", "status", "star", "streamline"]


class DesignationOut(Out):
    """What the published selection made of an account: its tier, type and people."""

    tier: str
    tier_label: str
    type: str | None
    manager: str | None
    executive_sponsor: str | None
    since_cycle: int
    confirmed_cycle: int


class AccountOut(Out):
    """An account of the customer master; ``designation`` is null for a non-key account."""

    customer_id: str
    name: str
    country: str
    region: str
    segment: str
    parent_id: str | None
    designation: DesignationOut | None


class LinkedAccountOut(Out):
    customer_id: str
    name: str
    country: str
    revenue_12m: float | None


class SummaryOut(Out):
    """The account's headline figures at ``as_of`` (the latest transaction)."""

    as_of: date
    revenue_12m: float | None
    revenue_prev_12m: float | None
    growth_pct: float | None
    revenue_lifetime: float | None
    margin_pct: float | None = Field(
        None, description="Absent for a role without the financials permission."
    )
    orders_12m: int
    orders_lifetime: int
    first_order: date | None
    last_order: date | None
    status: str


class AccountDetailOut(AccountOut):
    """One account as its page shows it: who it is, its group, its figures."""

    parent: LinkedAccountOut | None
    subsidiaries: list[LinkedAccountOut]
    summary: SummaryOut | None


def designation_of(key: KeyAccount | None) -> DesignationOut | None:
    if key is None:
        return None
    return DesignationOut(
        tier=key.tier,
        tier_label=key.get_tier_display(),
        type=key.quadrant or None,
        manager=key.manager.username if key.manager else None,
        executive_sponsor=key.executive_sponsor.username if key.executive_sponsor else None,
        since_cycle=key.since_cycle_id,
        confirmed_cycle=key.confirmed_cycle_id,
    )


def _key_account(account: Account) -> KeyAccount | None:
    try:
        return account.key_account
    except KeyAccount.DoesNotExist:
        return None


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        customer_id=account.customer_id,
        name=account.name,
        country=account.country,
        region=account.region,
        segment=account.segment,
        parent_id=account.parent_id,
        designation=designation_of(_key_account(account)),
    )


def _filtered(
    q: str,
    region: str,
    segment: str,
    tier: str | None,
    kind: str | None,
    key: bool | None,
    manager: str,
) -> QuerySet[Account]:
    accounts = Account.objects.select_related(
        "key_account__manager", "key_account__executive_sponsor"
    )
    if q.strip():
        accounts = accounts.filter(
            Q(name__icontains=q.strip()) | Q(customer_id__icontains=q.strip())
        )
    if region:
        accounts = accounts.filter(region=region)
    if segment:
        accounts = accounts.filter(segment=segment)
    if tier:
        accounts = accounts.filter(key_account__tier=tier)
    if kind:
        accounts = accounts.filter(key_account__quadrant=kind)
    if key is not None:
        accounts = accounts.filter(key_account__isnull=not key)
    if manager:
        accounts = accounts.filter(key_account__manager__username=manager)
    return accounts.order_by("name", "customer_id")


@router.get("/accounts", response=responses(Page[AccountOut]), summary="List accounts")
def list_accounts(
    request: HttpRequest,
    q: str = Query("", max_length=100, pattern=TEXT, description="Name or id contains."),
    region: str = Query("", max_length=64, pattern=TEXT),
    segment: str = Query("", max_length=128, pattern=TEXT),
    tier: KeyTier | None = Query(None, description="Key accounts of this tier."),
    type: AccountType | None = Query(None, description="Key accounts of this type."),
    key: bool | None = Query(None, description="Only key accounts (true) or only others."),
    manager: str = Query("", max_length=150, pattern=TEXT, description="Manager's username."),
    limit: int = Query(25, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Page[AccountOut]:
    """The customer master, by name, with each account's designation."""
    access.allow_all(request, Permission.VIEW_ACCOUNTS)
    accounts = _filtered(q, region, segment, tier, type, key, manager)
    return Page[AccountOut](
        count=accounts.count(),
        limit=limit,
        offset=offset,
        items=[account_out(a) for a in accounts[offset : offset + limit]],
    )


def _summary_out(summary: Any, user: object) -> dict[str, object]:
    """The headline figures; the margin absent (not null) for a user without financials."""
    figures = without_financials(
        user,
        {
            "as_of": summary.as_of,
            "revenue_12m": summary.revenue_12m,
            "revenue_prev_12m": summary.revenue_prev_12m,
            "growth_pct": summary.growth_pct,
            "revenue_lifetime": summary.revenue_lifetime,
            "margin_pct": summary.margin_pct,
            "orders_12m": summary.orders_12m,
            "orders_lifetime": summary.orders_lifetime,
            "first_order": summary.first_order,
            "last_order": summary.last_order,
            "status": str(summary.status),
        },
    )
    return figures  # a dict, so that a field left out stays unset in the answer


@router.get(
    "/accounts/{customer_id:customer_id}",
    response=responses(AccountDetailOut),
    summary="One account",
)
def get_account(request: HttpRequest, customer_id: str) -> HttpResponse:
    """One account: master data, designation, its group and its headline figures."""
    account = access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(customer_id))
    detail = queries.account_detail(access.acting(request), customer_id)
    if detail is None:
        raise Http404(f"No account with id {customer_id!r}.")
    summary = detail.summary
    base = account_out(
        Account.objects.select_related(
            "key_account__manager", "key_account__executive_sponsor"
        ).get(pk=account.pk)
    )
    answer = AccountDetailOut.model_validate(
        base.model_dump(exclude={"designation"})
        | {
            "designation": base.designation,
            "parent": LinkedAccountOut(**vars(detail.parent)) if detail.parent else None,
            "subsidiaries": [LinkedAccountOut(**vars(s)) for s in detail.subsidiaries],
            "summary": _summary_out(summary, access.acting(request)) if summary else None,
        }
    )
    return leaving_out_hidden(answer)


class TeamMemberOut(Out):
    username: str
    name: str
    title: str


class TeamOut(Out):
    """Who works the account with its key account manager."""

    customer_id: str
    members: list[TeamMemberOut]


class TeamIn(Schema):
    """The whole team, by username (an empty list clears it)."""

    members: list[Annotated[str, StringConstraints(min_length=1, max_length=150)]] = Field(
        ..., max_length=200
    )


def _team_out(account: Account) -> TeamOut:
    members = account.team.order_by("first_name", "username")
    return TeamOut(
        customer_id=account.customer_id,
        members=[
            TeamMemberOut(username=m.username, name=m.display_name, title=m.title) for m in members
        ],
    )


@router.get(
    "/accounts/{customer_id:customer_id}/team",
    response=responses(TeamOut),
    summary="An account's team",
)
def get_team(request: HttpRequest, customer_id: str) -> TeamOut:
    """The people who work the account with its key account manager."""
    account = access.allow(request, Permission.READ_IN_FULL, on=access.account(customer_id))
    return _team_out(account)


@router.put(
    "/accounts/{customer_id:customer_id}/team",
    response=responses(TeamOut),
    summary="Set an account's team",
)
def set_team(request: HttpRequest, customer_id: str, payload: TeamIn) -> TeamOut:
    """Make ``members`` the account's team (the Head of KAM and the Administrator only)."""
    account = access.allow(request, Permission.EDIT_PLANS, on=access.account(customer_id))
    try:
        do_set_account_team(access.acting(request), account, users_named(payload.members))
    except (UnknownUser, ValueError) as error:
        raise Refused(422, str(error), field="members") from error
    return _team_out(account)
