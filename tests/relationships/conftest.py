"""Fixtures for the relationship tests: an account, its people on both sides, a fixed today."""

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
    return Account.objects.create(customer_id="C-0042", name="Nordwind Logistics GmbH")


@pytest.fixture
def other_account(db) -> Account:
    return Account.objects.create(customer_id="C-0099", name="Südhafen AG")


@pytest.fixture
def kam_user(make_user, account):
    """The key account manager on ``account``'s team: the one who may edit it."""
    user = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    account.team.add(user)
    return user


@pytest.fixture
def sponsor(make_user):
    return make_user(Role.EXECUTIVE_SPONSOR, "sara", first_name="Sara", last_name="Sponsor")
