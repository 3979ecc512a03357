"""Fixtures for the API tests: users in each role with a token, and a client that sends it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kam.api.services import do_create_token
from kam.people.roles import Role


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, client: Client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self._headers())

    def send(self, method: str, path: str, body: Any) -> Any:
        call = getattr(self.client, method.lower())
        return call(path, body, content_type="application/json", headers=self._headers())


@pytest.fixture
def api_as(make_user) -> Callable[..., ApiClient]:
    """``api_as(role, username)``: a client acting with a fresh token of a new user; a Key
    Account Manager is on the team of every account that exists (``on_team=False``: none)."""
    made: dict[str, Any] = {}

    def as_user(
        role: Role, username: str | None = None, *, on_team: bool = True, **fields: Any
    ) -> ApiClient:
        from kam.accounts.models import Account

        name = username or role.name.lower()
        user = made.get(name) or make_user(role, name, **fields)
        made[name] = user
        if on_team and role is Role.KEY_ACCOUNT_MANAGER:
            # A manager edits the accounts whose team they are on: here, every test account.
            for account in Account.objects.all():
                account.team.add(user)
        _, token = do_create_token(user, name="tests")
        api = ApiClient(Client(), token)
        api.user = user  # type: ignore[attr-defined]
        return api

    return as_user


@pytest.fixture
def seeded(db, store, head_of_kam):
    """Twenty scored accounts, a published cycle designating three, one plan, contacts and
    a rating: every resource of the API has something to show."""
    from datetime import date

    from selection_seed import seed_portfolio

    from kam.accounts.models import Account
    from kam.plans.services import do_create_plan
    from kam.relationships.services import do_add_contact
    from kam.selection import services as selection

    ids = seed_portfolio(store)
    run = selection.do_run_scoring(head_of_kam)
    cycle = selection.do_create_cycle(head_of_kam)
    selection.do_approve_cycle(head_of_kam, cycle)
    selection.do_publish_cycle(head_of_kam, cycle)
    acme = Account.objects.get(customer_id="C000")
    plan = do_create_plan(head_of_kam, acme, today=date(2024, 7, 1))
    boss = do_add_contact(head_of_kam, acme, name="Jonas Berg", title="CFO", level="executive")
    do_add_contact(head_of_kam, acme, name="Ida Falk", title="Buyer", reports_to=boss)
    selection.do_rate_account(head_of_kam, "C000", {"harmony_fit": 4})
    return {"ids": ids, "run": run, "cycle": cycle, "plan": plan, "contact": boss}


@pytest.fixture
def acme(db, store, head_of_kam):
    """One account with a draft plan and a contact: enough for the write operations."""
    from datetime import date

    from kam.accounts.models import Account
    from kam.plans.services import do_create_plan
    from kam.relationships.services import do_add_contact

    account = Account.objects.create(customer_id="ACME/1", name="Acme", region="EMEA")
    plan = do_create_plan(head_of_kam, account, today=date(2025, 1, 1))
    contact = do_add_contact(head_of_kam, account, name="Jonas Berg", title="CFO")
    return {"account": account, "plan": plan, "contact": contact}
