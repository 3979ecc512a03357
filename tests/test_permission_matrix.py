"""Every route × every role × their own account and someone else's: who gets in, who is
refused, and who sees the financial figures.

The table ``ROUTES`` names every route kam serves; a route added without an entry fails
``test_every_route_has_an_entry``. Each entry says who may GET it and who may POST to it
(None: the route does not answer that method), as a set of (role, whose account):

- own: the account the Key Account Manager manages and the Executive Sponsor sponsors;
- foreign: an account another manager keeps.

Requests carry an empty body: a write the role may make is answered with a form error
(400), a redirect or a page, never a 403; a write it may not make is a 403 with the reason.
Every request runs in a transaction rolled back afterwards, so the data set stays the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from store_rows import insert_rows

from kam.accounts.models import Account
from kam.people.roles import Role

OWN, FOREIGN = "own", "foreign"
ROLES = tuple(Role)
EVERYONE = frozenset((role, whose) for role in ROLES for whose in (OWN, FOREIGN))


def cells(*roles: Role, own: tuple[Role, ...] = ()) -> frozenset[tuple[Role, str]]:
    """``roles`` on every account, and ``own`` on their own account only."""
    return frozenset(
        {(role, whose) for role in roles for whose in (OWN, FOREIGN)}
        | {(role, OWN) for role in own}
    )


A, H, K, S, N, V = (
    Role.ADMINISTRATOR,
    Role.HEAD_OF_KAM,
    Role.KEY_ACCOUNT_MANAGER,
    Role.EXECUTIVE_SPONSOR,
    Role.ANALYST,
    Role.VIEWER,
)
READ = EVERYONE
"""The portfolio summary: account list and page, selection, cycles, policy."""
IN_FULL = cells(A, H, N, V, own=(K, S))
"""An account's plans and stakeholders: the programme's readers, and the manager and
sponsor of that account."""
EDIT = cells(A, H, own=(K,))
"""Writing an account's plan, stakeholders, alignment or ratings."""
RATE = cells(A, H, K)
"""Reaching the ratings import (the file's rows are then checked account by account)."""
HEAD = cells(A, H)
LOG = cells(A, H, own=(K,))
"""Logging and editing an account's engagements: its manager, the Head of KAM."""
COMMENT = cells(A, H, own=(K, S))
"""Commenting on an account's engagements: its manager and sponsor, the Head of KAM."""
SALES_OPS = cells(A, H, N)
"""Importing data, scoring, the selection policy: the Head of KAM and the Analyst."""
FINANCIAL = cells(A, H, K, S, N)
"""Margin, cost and P&L: every role but the Viewer."""
NOBODY: frozenset[tuple[Role, str]] = frozenset()


@dataclass(frozen=True)
class Expect:
    """Who may GET and who may POST a route; None: the route refuses the method (405)."""

    get: frozenset[tuple[Role, str]] | None
    post: frozenset[tuple[Role, str]] | None = None
    financial: tuple[str, ...] = ()
    """Markers of financial figures on the GET page: present for a role that may see them,
    absent for one that may not."""
    heavy: bool = False
    """Rendering a PDF or scoring the portfolio: allowed requests are made for one role."""
    open_route: bool = False
    """Signing in and out: answered whoever asks."""
    api: bool = False
    """An API operation or a token's own page: token-authenticated, walked role by role with
    tokens in tests/api/test_permissions.py and test_tokens.py, not with a session here."""
    kept: bool = False
    """The write lands in the analytical store too (a scoring run's snapshot), which no
    transaction rolls back: kept in the operational database as well."""


MARGIN_COLUMN = '<th scope="col" class="num">Margin</th>'
FUTURE_VALUE = 'id="future-value"'
MARGIN_KPI = "Gross margin"
MARGIN_NOTE = 'id="margin"'
PNL_SECTION = 'id="pnl"'
MARGIN_SHARE = "Share of margin"
MARGIN_KPI_ROW = "Profitability (gross margin)"

ROUTES: dict[str, Expect] = {
    "home": Expect(get=READ),
    "api_tokens": Expect(get=READ, post=READ),
    "login": Expect(get=READ, post=READ, open_route=True),
    "logout": Expect(get=None, post=READ, open_route=True),
    "password_change": Expect(get=READ, post=READ),
    "password_change_done": Expect(get=READ),
    "password_reset": Expect(get=READ, post=READ, open_route=True),
    "password_reset_done": Expect(get=READ, open_route=True),
    "password_reset_confirm": Expect(get=READ, post=READ, open_route=True),
    "password_reset_complete": Expect(get=READ, open_route=True),
    "admin:login": Expect(get=READ, post=READ, open_route=True),
    "admin:logout": Expect(get=None, post=READ, open_route=True),
    # people (users and roles)
    "people:users": Expect(get=cells(A)),
    "people:user_add": Expect(get=cells(A), post=cells(A)),
    "people:user_edit": Expect(get=cells(A), post=cells(A)),
    "people:user_password": Expect(get=cells(A), post=cells(A)),
    "audit_trail": Expect(get=cells(A)),
    # accounts
    "accounts:list": Expect(get=READ, financial=(MARGIN_COLUMN,)),
    "accounts:import": Expect(get=SALES_OPS, post=SALES_OPS),
    "accounts:detail": Expect(get=READ, financial=(MARGIN_KPI, FUTURE_VALUE)),
    "accounts:history": Expect(get=IN_FULL),
    "accounts:team": Expect(get=IN_FULL, post=HEAD),
    # relationships (stakeholders, contacts, alignment)
    "relationships:map": Expect(get=IN_FULL),
    "relationships:contact_add": Expect(get=None, post=EDIT),
    "relationships:import": Expect(get=EDIT, post=EDIT),
    "relationships:contact_edit": Expect(get=IN_FULL, post=EDIT),
    "relationships:contact_history": Expect(get=IN_FULL),
    "relationships:contact_remove": Expect(get=None, post=EDIT),
    "relationships:link": Expect(get=None, post=EDIT),
    "relationships:unlink": Expect(get=None, post=EDIT),
    "relationships:alignment": Expect(get=None, post=EDIT),
    "relationships:org_chart_svg": Expect(get=IN_FULL),
    # plans
    "plans:home": Expect(get=IN_FULL),
    "plans:create": Expect(get=None, post=EDIT),
    "plans:detail": Expect(get=IN_FULL),
    "plans:history": Expect(get=IN_FULL),
    "plans:section": Expect(get=IN_FULL, post=EDIT),
    "plans:section_edit": Expect(get=EDIT),
    "plans:objective_add": Expect(get=None, post=EDIT),
    "plans:target_set": Expect(get=None, post=EDIT),
    "plans:risk_add": Expect(get=None, post=EDIT),
    "plans:risk_status": Expect(get=None, post=EDIT),
    "plans:action_add": Expect(get=None, post=EDIT),
    "plans:action_status": Expect(get=None, post=EDIT),
    "plans:review_add": Expect(get=None, post=EDIT),
    "plans:version_cut": Expect(get=None, post=EDIT),
    "plans:version": Expect(get=IN_FULL),
    "plans:version_html": Expect(get=IN_FULL),
    "plans:version_pdf": Expect(get=IN_FULL, heavy=True),
    "plans:activate": Expect(get=None, post=EDIT),
    "plans:archive": Expect(get=None, post=EDIT),
    "plans:document_html": Expect(get=IN_FULL),
    "plans:document_pdf": Expect(get=IN_FULL, heavy=True),
    "plans:templates": Expect(get=READ),
    "plans:template_edit": Expect(get=cells(A, H), post=cells(A, H)),
    # selection
    "selection:portfolio": Expect(get=READ),
    "selection:scores": Expect(get=READ, financial=(MARGIN_COLUMN,)),
    "selection:future_value_chart": Expect(get=cells(A, H, K, S, N)),
    "selection:run_scoring": Expect(get=None, post=SALES_OPS, heavy=True, kept=True),
    "selection:policy": Expect(get=READ, post=SALES_OPS),
    "selection:policy_import": Expect(get=None, post=SALES_OPS),
    "selection:policy_download": Expect(get=READ),
    "selection:ratings_import": Expect(get=READ, post=RATE),
    "selection:cycles": Expect(get=READ, post=SALES_OPS, heavy=True, kept=True),
    "selection:compare": Expect(get=READ),
    "selection:cycle": Expect(get=READ),
    "selection:override": Expect(get=None, post=HEAD),
    "selection:approve": Expect(get=None, post=HEAD),
    "selection:publish": Expect(get=None, post=HEAD),
    "selection:assignment": Expect(get=READ, post=HEAD),
    "selection:sponsor_capacity": Expect(get=None, post=HEAD),
    "selection:sponsored": Expect(get=cells(A, S)),
    "selection:account": Expect(get=READ, post=EDIT, financial=(FUTURE_VALUE,)),
    # engagement (My accounts, the log, cadence, timeline, calendars)
    "engagement:my_accounts": Expect(get=READ),
    "engagement:calendar": Expect(get=READ),
    "engagement:overdue": Expect(get=READ),
    "engagement:cadence": Expect(get=READ, post=HEAD),
    "engagement:account": Expect(get=IN_FULL),
    "engagement:new": Expect(get=LOG, post=LOG),
    "engagement:account_calendar": Expect(get=IN_FULL),
    "engagement:detail": Expect(get=IN_FULL),
    "engagement:edit": Expect(get=LOG, post=LOG),
    "engagement:comment": Expect(get=None, post=COMMENT),
    "engagement:timeline": Expect(get=IN_FULL),
    # opportunities (pipeline, qualification, whitespace and wallets)
    "opportunities:pipeline": Expect(get=READ),
    "opportunities:account": Expect(get=IN_FULL),
    "opportunities:new": Expect(get=EDIT, post=EDIT),
    "opportunities:detail": Expect(get=IN_FULL, financial=(MARGIN_NOTE,)),
    "opportunities:edit": Expect(get=EDIT, post=EDIT),
    "opportunities:qualify": Expect(get=EDIT, post=EDIT),
    "opportunities:close": Expect(get=None, post=EDIT),
    "opportunities:whitespace": Expect(get=IN_FULL),
    "opportunities:wallet": Expect(get=None, post=EDIT),
    # the programme view (KPIs, P&L, concentration, measured return, checklist)
    "performance:programme": Expect(get=READ, financial=(PNL_SECTION, MARGIN_SHARE)),
    "performance:kpis": Expect(get=READ, financial=(MARGIN_KPI_ROW,)),
    "performance:kpi_target": Expect(get=None, post=HEAD),
    "performance:pnl": Expect(get=FINANCIAL),
    "performance:checklist": Expect(get=READ, post=HEAD),
    "performance:settings": Expect(get=FINANCIAL, post=HEAD),
    "performance:cost_import": Expect(get=SALES_OPS, post=SALES_OPS),
    "performance:review": Expect(get=READ),
    "performance:review_pdf": Expect(get=READ, heavy=True),
    "health:account": Expect(get=READ),
    "health:backtest": Expect(get=SALES_OPS),
    "health:decide": Expect(get=None, post=HEAD),
    "health:respond": Expect(get=None, post=EDIT),
    "health:what_if": Expect(get=IN_FULL),
    "health:satisfaction_import": Expect(get=SALES_OPS, post=SALES_OPS),
}
"""Every route by name; the rest of Django's admin site is ``ADMIN``."""

ADMIN = Expect(get=cells(A), post=cells(A))
"""Django's admin site, every one of its routes: only the Administrator (staff) gets past
its own sign-in; what it may do there is Django's model permissions (issue: people pages)."""

FINANCIAL_ROLES = frozenset({A, H, K, S, N})
"""Who sees margin, cost and lifetime value in money by default; Viewers do not."""


@dataclass(frozen=True)
class Route:
    """One route: its name (its path when unnamed), and the URL arguments it takes."""

    name: str
    arguments: frozenset[str]
    named: bool


def _arguments(pattern: Any) -> set[str]:
    return set(getattr(pattern, "converters", {})) | set(pattern.regex.groupindex)


def routes(patterns: Any = None, prefix: str = "", path: str = "", above=frozenset()) -> list:
    """Every route Django resolves, admin included, as ``Route``s."""
    found: list[Route] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            inner = above | _arguments(entry.pattern)
            found += routes(entry.url_patterns, namespace, path + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{prefix}{entry.name or path + str(entry.pattern)}"
            arguments = frozenset(above | _arguments(entry.pattern))
            found.append(Route(name, arguments, bool(entry.name)))
    return found


API = Expect(get=None, api=True)


def expectation(name: str) -> Expect | None:
    if name in ROUTES:
        return ROUTES[name]
    if name.startswith("api:") or name in ("api_no_route", "api_token_revoke"):
        return API
    return ADMIN if name.startswith("admin:") else None


def test_every_route_has_an_entry():
    names = [route.name for route in routes()]
    assert [name for name in names if expectation(name) is None] == []
    assert sorted(set(ROUTES) - set(names)) == []  # no entry for a route that is gone
    assert len(names) > 100


# ---- the data set ----------------------------------------------------------------------


@dataclass
class World:
    users: dict[Role, Any]
    accounts: dict[str, Account]
    kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """URL arguments on each account: plan, section, risk, action, version, contact, …"""
    common: dict[str, Any] = field(default_factory=dict)


AS_OF = dt.date(2024, 6, 28)


def _months(store, customers: list[tuple[str, str]]) -> None:
    """Thirty months of sales with cost for each customer, as an import leaves them."""
    from kam.analytics.account_figures import add_months

    with store.connect() as con:
        raw = con.con
        insert_rows(
            raw,
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
            [(cid, name, None, "DE", "EMEA", "Retail") for cid, name in customers],
        )
        rows = []
        for i, (cid, _name) in enumerate(customers):
            for k in range(30):
                month = add_months(AS_OF, -29 + k)
                revenue = 50_000 / (i + 1) * (1.01**k)
                rows.append(
                    (cid, month, revenue, revenue * 0.7, 10.0, 3, 2, month.replace(day=3),
                     month.replace(day=20))
                )  # fmt: skip
        insert_rows(raw, "INSERT INTO customer_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture
def world(db, store, make_user) -> World:
    from kam.engagement.services import do_log_engagement
    from kam.opportunities.services import do_create_opportunity, do_qualify_opportunity
    from kam.plans.services import (
        do_add_action,
        do_add_risk,
        do_create_plan,
        do_cut_version,
    )
    from kam.relationships.services import do_add_contact, do_link_relationship
    from kam.selection.models import KeyAccount
    from kam.selection.services import do_create_cycle

    users = {role: make_user(role, role.name.lower()) for role in ROLES}
    keeper = make_user(Role.KEY_ACCOUNT_MANAGER, "keeper")  # manages the foreign account
    head = users[Role.HEAD_OF_KAM]
    customers = [("C-OWN", "Own Account AG"), ("C-FOREIGN", "Foreign Account SA")]
    _months(store, customers)
    accounts = {
        OWN: Account.objects.create(customer_id="C-OWN", name="Own Account AG"),
        FOREIGN: Account.objects.create(customer_id="C-FOREIGN", name="Foreign Account SA"),
    }
    cycle = do_create_cycle(head, as_of=AS_OF, name="Cycle 1")
    for whose, manager, sponsor in (
        (OWN, users[Role.KEY_ACCOUNT_MANAGER], users[Role.EXECUTIVE_SPONSOR]),
        (FOREIGN, keeper, None),
    ):
        KeyAccount.objects.create(
            account=accounts[whose],
            tier="tier_1",
            manager=manager,
            executive_sponsor=sponsor,
            since_cycle=cycle,
            confirmed_cycle=cycle,
        )
    world = World(users=users, accounts=accounts)
    today = dt.date(2026, 6, 15)
    for whose, account in accounts.items():
        plan = do_create_plan(head, account, today=today, horizon_months=24)
        risk = do_add_risk(head, plan, risk="Budget cut", likelihood=2, impact=3)
        action = do_add_action(head, plan, action="Call the buyer", owner=head, due_on=today)
        version = do_cut_version(head, plan, today=today)
        contact = do_add_contact(head, account, name=f"Buyer of {account.customer_id}")
        link = do_link_relationship(head, contact, head, strength=3)
        engagement = do_log_engagement(
            head, account, kind="qbr", date=today, today=today, our_people=[head],
            contacts=[contact],
        )  # fmt: skip
        opportunity = do_create_opportunity(
            head, account, name="Pumps", value="1000", expected_close_date=today,
            product_category="Pumps",
        )  # fmt: skip
        do_qualify_opportunity(head, opportunity, scores={}, evidence={}, expected_margin_pct="30")
        world.kwargs[whose] = {
            "customer_id": account.customer_id,
            "plan_id": plan.pk,
            "key": "value_proposition",
            "risk_id": risk.pk,
            "action_id": action.pk,
            "number": version.number,
            "contact_id": contact.pk,
            "relationship_id": link.pk,
            "engagement_id": engagement.pk,
            "opportunity_id": opportunity.pk,
        }
    world.common = {
        "level": "vendor", "version": 1, "pk": cycle.pk, "user_id": users[Role.VIEWER].pk,
    }  # fmt: skip
    from kam.analytics.health import DEFAULT_POLICY
    from kam.health.models import HealthPolicyVersion, PolicyStatus

    HealthPolicyVersion.objects.create(  # a learned version to decide on (health:decide)
        version=1, rules=DEFAULT_POLICY.as_dict(), status=PolicyStatus.PROPOSED
    )
    return world


def _url(route: Route, arguments: dict[str, Any]) -> str:
    if not route.named or route.name == "admin:app_list":
        return "/admin/people/"  # the admin's unnamed redirects and its app index
    return reverse(route.name, kwargs={key: arguments.get(key, "1") for key in route.arguments})


def _refused(response: Any, name: str) -> bool:
    if name.startswith("admin:"):
        return response.status_code == 302 and "/admin/login/" in response["Location"]
    return response.status_code == 403


@dataclass
class Tally:
    requests: int = 0
    wrong: list[str] = field(default_factory=list)


def _check(
    tally: Tally, client: Client, role: Role, whose: str, name: str, url: str, method: str
) -> Any:
    expect = expectation(name)
    assert expect is not None
    allowed_cells = expect.get if method == "GET" else expect.post
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(not (expect.kept and method == "POST"))
    tally.requests += 1
    where = f"{method} {name} as {role.value} on the {whose} account ({url})"
    status = response.status_code
    if status >= 500:
        tally.wrong.append(f"{where}: {status}")
    elif allowed_cells is None:
        if status != 405 and not expect.open_route:
            tally.wrong.append(f"{where}: {status}, expected 405")
    elif expect.open_route:
        pass
    elif (role, whose) in allowed_cells:
        # the admin site answers its own way past sign-in (404 for an id that is no object)
        if _refused(response, name) or (status == 404 and not name.startswith("admin:")):
            tally.wrong.append(f"{where}: refused ({status}), expected allowed")
    elif not _refused(response, name):
        tally.wrong.append(f"{where}: {status}, expected refused")
    elif not name.startswith("admin:"):
        page = response.content.decode()
        if "needs the" not in page and "is for its" not in page:
            tally.wrong.append(f"{where}: refused without a reason")
    return response


def test_the_permission_matrix(world: World):
    """Every route, role, account and method against ``ROUTES``; one list of what is wrong."""
    tally = Tally()
    heavy_done: set[tuple[str, str]] = set()
    for role in ROLES:
        client = Client()
        client.force_login(world.users[role])
        for whose in (OWN, FOREIGN):
            arguments = {**world.common, **world.kwargs[whose]}
            for route in routes():
                name = route.name
                expect = expectation(name)
                assert expect is not None, name
                if expect.api:
                    continue  # walked with tokens in tests/api
                if expect.open_route:
                    continue  # signing out would end the session of the rest of the walk
                if whose == FOREIGN and "customer_id" not in route.arguments:
                    continue  # a page of no account: asked once
                url = _url(route, arguments)
                for method, allowed_cells in (("GET", expect.get), ("POST", expect.post)):
                    if method == "POST" and allowed_cells is None and expect.get is not None:
                        continue  # a read-only page: GET is the only thing to ask
                    if method == "POST" and name.startswith("admin:"):
                        continue  # the admin's sign-in gate is the same for every method
                    allowed = allowed_cells is not None and (role, whose) in allowed_cells
                    if expect.heavy and allowed:
                        if (name, method) in heavy_done:
                            continue
                        heavy_done.add((name, method))
                    response = _check(tally, client, role, whose, name, url, method)
                    if method == "GET" and allowed and expect.financial:
                        page = response.content.decode()
                        shown = [m for m in expect.financial if m in page]
                        if role in FINANCIAL_ROLES and len(shown) < len(expect.financial):
                            missing = set(expect.financial) - set(shown)
                            tally.wrong.append(f"GET {name} as {role.value}: no {missing}")
                        if role not in FINANCIAL_ROLES and shown:
                            tally.wrong.append(f"GET {name} as {role.value}: shows {shown}")
    print(f"{tally.requests} requests", *tally.wrong, sep="\n")
    assert "\n".join(tally.wrong) == ""
    assert tally.requests > 800
