"""Fixtures for the plan tests: an account, a key account manager and a fresh draft plan."""

from datetime import date

import pytest

from kam.accounts.models import Account
from kam.people.roles import Role

TODAY = date(2026, 6, 15)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def account(db) -> Account:
    return Account.objects.create(
        customer_id="C-0042", name="Nordwind Logistics GmbH", country="Germany", region="DACH"
    )


@pytest.fixture
def kam_user(make_user, account):
    """The key account manager on ``account``'s team: the one who may edit it."""
    user = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    account.team.add(user)
    return user


@pytest.fixture
def other_kam(make_user, account):
    """A second manager on ``account``'s team."""
    user = make_user(Role.KEY_ACCOUNT_MANAGER, "olli", first_name="Olli", last_name="Other")
    account.team.add(user)
    return user


@pytest.fixture
def plan(kam_user, account, today):
    from kam.plans.services import do_create_plan

    return do_create_plan(kam_user, account, today=today, horizon_months=24)
