"""Fixtures for the selection tests: a small portfolio in both stores."""

import pytest
from selection_seed import seed_portfolio

from kam.people.roles import Role


@pytest.fixture
def portfolio(db, store) -> list[str]:
    """Twenty customers in the analytical store and the customer master."""
    return seed_portfolio(store)


@pytest.fixture
def kam_user(make_user, portfolio):
    """A key account manager on the team of every account of the portfolio, so may rate them."""
    from kam.accounts.models import Account

    user = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    for account in Account.objects.filter(customer_id__in=portfolio):
        account.team.add(user)
    return user
