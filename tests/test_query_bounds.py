"""Every main page makes a bounded number of SQL queries, whatever the size of the programme.

A page that asks the database once per account, contact, plan item or person (an N+1) makes
the site slow exactly where it is used most. Each page is asked as each role that may see it,
once on a small programme and again after 30 more accounts, contacts, plan items and people
joined it: the count must not move, and it must stay within the page's bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from store_rows import insert_rows

from kam.people.roles import Role

AS_OF = dt.date(2024, 6, 28)
TODAY = dt.date(2026, 6, 15)
GROWTH = 30

A, H, K, S, N, V = (
    Role.ADMINISTRATOR,
    Role.HEAD_OF_KAM,
    Role.KEY_ACCOUNT_MANAGER,
    Role.EXECUTIVE_SPONSOR,
    Role.ANALYST,
    Role.VIEWER,
)
EVERYONE = tuple(Role)


@dataclass
class Programme:
    """The data set the pages are asked about, and what it has grown to."""

    store: Any
    users: dict[Role, Any]
    head: Any
    own: Any
    plan: Any = None
    cycle: Any = None
    contact: Any = None
    engagement: Any = None
    opportunity: Any = None
    accounts: int = 0
    people: list[Any] = field(default_factory=list)


def _add_customers(store, ids: list[str], start: int) -> None:
    """Thirty months of sales for each customer, in both stores, as an import leaves them."""
    from kam.accounts.models import Account
    from kam.analytics.account_figures import add_months

    with store.connect() as con:
        raw = con.con
        insert_rows(
            raw,
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
            [(cid, f"Customer {cid}", None, "DE", "EMEA", "Retail") for cid in ids],
        )
        rows = []
        for i, cid in enumerate(ids, start=start):
            for k in range(30):
                month = add_months(AS_OF, -29 + k)
                revenue = 90_000 / (i + 1) * (1.01**k)
                rows.append(
                    (cid, month, revenue, revenue * 0.7, 10.0, 3, 2, month.replace(day=3),
                     month.replace(day=20))
                )  # fmt: skip
        insert_rows(raw, "INSERT INTO customer_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    Account.objects.bulk_create(
        [Account(customer_id=cid, name=f"Customer {cid}", region="EMEA") for cid in ids]
    )


def _grow(programme: Programme, count: int) -> None:
    """``count`` more accounts, managers, sponsors, contacts, plan items; a new cycle over
    them, published and assigned, so every list on every page is ``count`` rows longer."""
    from kam.accounts.models import Account
    from kam.engagement.services import FollowUp, do_log_engagement
    from kam.opportunities.services import (
        do_close_opportunity,
        do_create_opportunity,
        do_qualify_opportunity,
        do_set_wallet_estimate,
    )
    from kam.opportunities.verdict import Question
    from kam.people.services import do_create_user
    from kam.plans.services import do_add_action, do_add_objective, do_add_risk, do_cut_version
    from kam.relationships.services import do_add_contact, do_link_relationship
    from kam.selection.assignment import propose_assignment
    from kam.selection.models import KeyAccount
    from kam.selection.services import (
        do_apply_assignment,
        do_approve_cycle,
        do_create_cycle,
        do_publish_cycle,
    )

    start = programme.accounts
    ids = [f"C{i:03}" for i in range(start, start + count)]
    _add_customers(programme.store, ids, start)
    programme.accounts += count
    head, own, plan = programme.head, programme.own, programme.plan
    for i in range(count):
        n = len(programme.people)
        role = (K, S, V)[n % 3]
        person = do_create_user(
            None, f"person{n}", password="pw-for-tests", roles={role}, first_name=f"P{n}"
        )
        person.min_key_accounts = 0  # the solver may leave a manager without an account
        person.save()
        programme.people.append(person)
        reports_to = programme.contact
        programme.contact = do_add_contact(
            head, own, name=f"Contact {n}", title="Buyer", reports_to=reports_to
        )
        do_link_relationship(head, programme.contact, person, strength=1 + n % 5)
        do_add_objective(head, plan, f"Objective {n}", "revenue")
        do_add_risk(head, plan, risk=f"Risk {n}", likelihood=1 + n % 5, impact=2, owner=person)
        do_add_action(head, plan, action=f"Action {n}", owner=person, due_on=TODAY)
        programme.engagement = do_log_engagement(
            head, own, kind=("qbr", "call", "executive_review")[n % 3], date=TODAY, today=TODAY,
            our_people=[head, person], contacts=[programme.contact],
            follow_ups=[FollowUp(f"Follow-up {n}", person, TODAY)],
        )  # fmt: skip
        programme.opportunity = do_create_opportunity(
            head, own, name=f"Opportunity {n}", value=str(1000 + n), expected_close_date=TODAY,
            product_category=f"Category {n % 4}", business_unit=f"Unit {n % 3}", owner=person,
            competitors=[f"Rival {n}"],
        )  # fmt: skip
        do_qualify_opportunity(
            head, programme.opportunity, scores=dict.fromkeys(Question, 1 + n % 5), evidence={}
        )
        do_set_wallet_estimate(head, own, category=f"Category {n}", amount=str(5000 + n))
        if n % 4 == 0:
            do_close_opportunity(
                head, programme.opportunity, won=n % 8 == 0, reason="Price", closed_on=TODAY
            )
        if i % 10 == 0:
            do_cut_version(head, plan, today=TODAY)
    cycle = do_create_cycle(head, as_of=AS_OF, name=f"Cycle of {programme.accounts}")
    proposal = propose_assignment(head, cycle)
    assert proposal.assignment, proposal
    do_apply_assignment(head, cycle, proposal.placements, proposal.sponsor_of)
    do_approve_cycle(head, cycle)
    do_publish_cycle(head, cycle)
    # The own account stays with the test's manager and sponsor, whatever the solver chose.
    KeyAccount.objects.filter(account=own).update(
        manager=programme.users[K], executive_sponsor=programme.users[S]
    )
    managers = [programme.users[K], *(p for p in programme.people if p.groups.filter(name=K))]
    for i, account in enumerate(Account.objects.order_by("customer_id")):
        account.team.add(managers[i % len(managers)])
    programme.cycle = cycle


@pytest.fixture
def programme(db, store, make_user) -> Programme:
    """A small programme: ten customers, a cycle, the manager's own account with a plan,
    contacts and people who know them; every role has a user."""
    from dataclasses import replace

    from kam.accounts.models import Account
    from kam.plans.services import do_create_plan
    from kam.selection.services import do_save_policy
    from kam.selection.services.scoring import do_ensure_default_policy

    users = {role: make_user(role, role.name.lower()) for role in EVERYONE}
    users[K].min_key_accounts = 0
    users[K].save()
    head = users[H]
    base = do_ensure_default_policy().policy()
    do_save_policy(head, replace(base, key_account_share=0.4))
    _add_customers(store, ["C000"], 0)
    own = Account.objects.get(customer_id="C000")
    own.team.add(users[K])
    programme = Programme(store=store, users=users, head=head, own=own, accounts=1)
    programme.plan = do_create_plan(head, own, today=TODAY, horizon_months=24)
    _grow(programme, 9)
    return programme


@dataclass(frozen=True)
class Page:
    """A page, who may see it, the most queries it may make, and what its URL names."""

    route: str
    roles: tuple[Role, ...]
    bound: int
    arguments: tuple[str, ...] = ()

    def url(self, programme: Programme) -> str:
        known = {
            "customer_id": programme.own.customer_id,
            "plan_id": programme.plan.pk,
            "contact_id": programme.contact.pk,
            "pk": programme.cycle.pk,
            "user_id": programme.users[K].pk,
            "engagement_id": programme.engagement.pk,
            "opportunity_id": programme.opportunity.pk,
        }
        return reverse(self.route, kwargs={name: known[name] for name in self.arguments})


IN_FULL = (A, H, K, S, N, V)
"""The roles that read the own account's plans and stakeholders (its manager and sponsor)."""
ACCOUNT = ("customer_id",)

PAGES = (
    Page("accounts:list", EVERYONE, 3),
    Page("accounts:detail", EVERYONE, 18, ACCOUNT),  # 8 of them: the next touchpoint
    Page("selection:portfolio", EVERYONE, 7),
    Page("selection:scores", EVERYONE, 4),
    Page("selection:account", EVERYONE, 15, ACCOUNT),
    Page("selection:policy", EVERYONE, 8),
    Page("selection:ratings_import", EVERYONE, 3),
    Page("selection:cycles", EVERYONE, 5),
    Page("selection:cycle", EVERYONE, 10, ("pk",)),  # counts, the page's count, its rows
    Page("selection:assignment", EVERYONE, 12, ("pk",)),
    Page("selection:sponsored", (A, S), 16),  # 8 of them: the next touchpoints
    Page("plans:detail", IN_FULL, 25, ("customer_id", "plan_id")),  # a query per kind of row
    Page("plans:templates", EVERYONE, 7),
    Page("relationships:map", IN_FULL, 15, ACCOUNT),
    Page("relationships:contact_edit", IN_FULL, 16, ("customer_id", "contact_id")),
    # 3: open pipeline, biggest gap; 2: health; 16: the alerts above the table (the cadence
    # statuses 8, the stakeholder map 2, opportunities, settings, previous run, acknowledgements)
    Page("engagement:my_accounts", EVERYONE, 37),
    Page("engagement:overdue", EVERYONE, 12),
    Page("engagement:cadence", EVERYONE, 5),
    Page("engagement:account", IN_FULL, 22, ACCOUNT),
    Page("engagement:detail", IN_FULL, 13, ("customer_id", "engagement_id")),
    Page("engagement:edit", (A, H, K), 15, ("customer_id", "engagement_id")),
    Page("engagement:timeline", IN_FULL, 12, ACCOUNT),
    Page("opportunities:pipeline", EVERYONE, 12),  # 7 of them: the manager's gaps
    Page("opportunities:account", IN_FULL, 8, ACCOUNT),
    Page("opportunities:detail", IN_FULL, 8, ("customer_id", "opportunity_id")),
    Page("opportunities:edit", (A, H, K), 10, ("customer_id", "opportunity_id")),
    Page("opportunities:qualify", (A, H, K), 11, ("customer_id", "opportunity_id")),
    Page("opportunities:whitespace", IN_FULL, 9, ACCOUNT),
    Page("health:account", EVERYONE, 24, ACCOUNT),  # 14 of them: its alerts, read live
    Page("health:what_if", IN_FULL, 15, ACCOUNT),
    Page("people:users", (A,), 5),
    Page("people:user_edit", (A,), 6, ("user_id",)),
)


def test_every_main_page_keeps_its_queries_bounded_as_the_programme_grows(
    programme, django_assert_max_num_queries
):
    clients = {}
    for role in EVERYONE:
        clients[role] = Client()
        clients[role].force_login(programme.users[role])
    wrong: list[str] = []

    def count(page: Page, role: Role) -> int:
        url = page.url(programme)
        try:
            with django_assert_max_num_queries(page.bound) as queries:
                response = clients[role].get(url)
        except pytest.fail.Exception:
            wrong.append(f"{url} as {role.value}: {len(queries)} queries, at most {page.bound}")
        if response.status_code != 200:
            wrong.append(f"{url} as {role.value}: {response.status_code}")
        return len(queries)

    small = {(page, role): count(page, role) for page in PAGES for role in page.roles}
    _grow(programme, GROWTH)
    for (page, role), before in small.items():
        after = count(page, role)
        print(f"{page.route:28} {role.value:20} {before:3} {after:3}")
        if after != before:
            wrong.append(
                f"{page.route} as {role.value}: {before} queries, {after} with {GROWTH} more "
                "accounts, contacts, plan items and people"
            )
    assert "\n".join(wrong) == ""
