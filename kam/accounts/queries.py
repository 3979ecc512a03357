"""Reads about accounts for the web app: the portfolio list and one account's page.

Figures come from the analytical store (opened read-only, one connection per call, so an
import running in the CLI is never blocked for long); names and the group hierarchy come
from the operational database. Every function checks the reader may view accounts.
"""

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.accounts.models import Account
from kam.analytics import account_figures
from kam.analytics.account_figures import (
    AccountListQuery,
    AccountPage,
    AccountSummary,
    FilterOptions,
)
from kam.analytics.store import resolve_as_of
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.stores import analytics_store


@dataclass(frozen=True)
class LinkedAccount:
    """An account in another one's hierarchy, with its revenue of the last 12 months."""

    customer_id: str
    name: str
    country: str
    revenue_12m: float


@dataclass(frozen=True)
class AccountProfile:
    """Who the account is: the customer master row, from the operational DB or the store."""

    customer_id: str
    name: str
    country: str
    region: str
    segment: str


@dataclass(frozen=True)
class AccountDetail:
    """Everything the account page shows about one customer."""

    profile: AccountProfile
    parent: LinkedAccount | None
    subsidiaries: tuple[LinkedAccount, ...]
    summary: AccountSummary | None
    monthly: pa.Table
    categories: pa.Table

    @property
    def as_of(self) -> date | None:
        """The date every figure on the page is measured at (None when the store is empty)."""
        return self.summary.as_of if self.summary else None

    @property
    def group_revenue_12m(self) -> float:
        """Revenue of this account plus its direct subsidiaries over the last 12 months."""
        own = self.summary.revenue_12m if self.summary else 0.0
        return own + sum(s.revenue_12m for s in self.subsidiaries)


def account_list(user: User, query: AccountListQuery) -> tuple[AccountPage, FilterOptions]:
    """One page of the portfolio for ``query`` and the values its filters can take."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with analytics_store().connect(read_only=True) as con:
        return account_figures.account_page(con, query), account_figures.filter_options(con)


def _store_profile(con: DuckDBBackend, customer_id: str) -> AccountProfile | None:
    if not account_figures.has_store_tables(con):
        return None
    customers = con.table("customers")
    rows = customers.filter(customers.customer_id == customer_id).limit(1).to_pyarrow()
    if not rows.num_rows:
        return None
    row = rows.to_pylist()[0]
    return AccountProfile(
        customer_id=customer_id,
        name=row["name"] or customer_id,
        country=row["country"] or "",
        region=row["region"] or "",
        segment=row["segment"] or "",
    )


def account_detail(user: User, customer_id: str, *, months: int = 36) -> AccountDetail | None:
    """The account page's content for ``customer_id``; None if no such customer exists."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    account = Account.objects.select_related("parent").filter(customer_id=customer_id).first()
    subsidiaries = list(account.subsidiaries.order_by("name")) if account else []
    with analytics_store().connect(read_only=True) as con:
        if account is not None:
            profile: AccountProfile | None = AccountProfile(
                customer_id=account.customer_id,
                name=account.name,
                country=account.country,
                region=account.region,
                segment=account.segment,
            )
        else:
            profile = _store_profile(con, customer_id)
        if profile is None:
            return None
        as_of = resolve_as_of(con)
        summary = account_figures.account_summary(con, customer_id, as_of)
        linked = [a.customer_id for a in subsidiaries]
        if account is not None and account.parent is not None:
            linked.append(account.parent.customer_id)
        revenues = account_figures.revenue_12m_by_customer(con, linked, as_of)
        monthly = account_figures.monthly_revenue(con, customer_id, as_of, months=months)
        categories = account_figures.revenue_by_category(con, customer_id, as_of)

    def link(other: Account) -> LinkedAccount:
        return LinkedAccount(
            customer_id=other.customer_id,
            name=other.name,
            country=other.country,
            revenue_12m=revenues.get(other.customer_id, 0.0),
        )

    parent = account.parent if account is not None else None
    return AccountDetail(
        profile=profile,
        parent=link(parent) if parent is not None else None,
        subsidiaries=tuple(link(s) for s in subsidiaries),
        summary=summary,
        monthly=monthly,
        categories=categories,
    )
