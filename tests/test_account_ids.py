"""Every account-scoped page works whatever characters the customer's id holds.

Customer ids come from the customer's source system: ``/``, ``%``, ``?``, ``#``, spaces,
letters outside ASCII, or a word that is also a route (``import``) must all reach the
account page, its stakeholder map, its plan and its selection page — by URL and by
following the links the pages themselves render.
"""

import csv
import re
from datetime import date
from html import escape, unescape
from pathlib import Path

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.accounts.services import do_import_customers, do_import_transactions
from kam.people.roles import Role
from kam.plans.services import do_create_plan, do_cut_version
from kam.relationships.services import do_add_contact

ODD_IDS = [
    "ACME/EU",
    "ACME/EU/plan",
    "North Star 7",
    "50%",
    "%2F",
    "who?",
    "#42",
    "Zürich-Åland-東京",
    "import",
    "..",
    "a+b&c=d;e",
]

HREF = re.compile(r'href="([^"#]+)')


@pytest.fixture
def head(make_user):
    return make_user(Role.HEAD_OF_KAM, "head", first_name="Hannah", last_name="Head")


@pytest.fixture
def odd_accounts(store, head, tmp_path: Path) -> list[Account]:
    """The odd ids imported through the import services, with sales, a contact and a plan."""
    customers = tmp_path / "customers.csv"
    with customers.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "name"])
        writer.writerows([(cid, f"Account {index}") for index, cid in enumerate(ODD_IDS)])
    lines = tmp_path / "lines.csv"
    with lines.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["invoice_id", "line_id", "customer_id", "date", "quantity", "revenue"])
        for index, cid in enumerate(ODD_IDS):
            writer.writerow([f"INV{index}", 1, cid, "2024-05-02", 1, 100 + index])
            writer.writerow([f"INV{index}B", 1, cid, "2024-06-20", 2, 200 + index])
    do_import_customers(head, customers)
    do_import_transactions(head, lines)
    accounts = []
    for cid in ODD_IDS:
        account = Account.objects.get(customer_id=cid)
        do_add_contact(head, account, name=f"Contact of {cid}", title="CFO")
        plan = do_create_plan(head, account, today=date(2024, 7, 1))
        do_cut_version(head, plan, today=date(2024, 7, 1))
        accounts.append(account)
    return accounts


@pytest.fixture
def as_head(client, head):
    client.force_login(head)
    return client


def account_pages(account: Account) -> list[str]:
    """Every page that belongs to one account, by URL name."""
    cid = account.customer_id
    plan = account.plans.get()
    contact = account.contacts.get()
    return [
        reverse("accounts:detail", args=[cid]),
        reverse("relationships:map", args=[cid]),
        reverse("relationships:contact_edit", args=[cid, contact.pk]),
        reverse("relationships:import", args=[cid]),
        reverse("relationships:org_chart_svg", args=[cid]),
        reverse("plans:home", args=[cid]),
        reverse("plans:detail", args=[cid, plan.pk]),
        reverse("plans:section", args=[cid, plan.pk, "swot"]),
        reverse("plans:section_edit", args=[cid, plan.pk, "swot"]),
        reverse("plans:version", args=[cid, plan.pk, 1]),
        reverse("plans:version_html", args=[cid, plan.pk, 1]),
        reverse("plans:document_html", args=[cid, plan.pk]),
        reverse("selection:account", args=[cid]),
    ]


@pytest.mark.parametrize("index", range(len(ODD_IDS)), ids=ODD_IDS)
def test_every_account_page_answers_for_an_odd_id(as_head, odd_accounts, index):
    account = odd_accounts[index]
    for url in account_pages(account):
        response = as_head.get(url, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        content = response.content.decode(errors="replace")
        if "<html" in content:  # a whole page, not a fragment or a download
            assert account.name in content, url


@pytest.mark.parametrize("index", range(len(ODD_IDS)), ids=ODD_IDS)
def test_the_list_finds_the_account_and_its_links_lead_to_it(as_head, odd_accounts, index):
    account = odd_accounts[index]
    listing = as_head.get(reverse("accounts:list"), {"q": account.customer_id})
    assert listing.status_code == 200
    detail = reverse("accounts:detail", args=[account.customer_id])
    assert f'href="{escape(detail)}"' in listing.content.decode()
    # Follow every account-scoped link the account page renders: none may lead elsewhere.
    page = as_head.get(detail).content.decode()
    segment = detail.removeprefix("/accounts/")  # the id as the URL carries it, with its "/"
    hrefs = {unescape(href) for href in HREF.findall(page)}
    links = {href for href in hrefs if f"/accounts/{segment}" in href}
    assert len(links) >= 3
    for link in sorted(links):
        response = as_head.get(link, follow=True)
        assert response.status_code == 200, (link, response.status_code)
        content = response.content.decode(errors="replace")
        if "<html" in content:
            assert account.name in content, link


@pytest.mark.parametrize("index", range(len(ODD_IDS)), ids=ODD_IDS)
def test_writes_to_an_odd_account_land_on_it(as_head, odd_accounts, index):
    account = odd_accounts[index]
    cid = account.customer_id
    added = as_head.post(
        reverse("relationships:contact_add", args=[cid]),
        {"name": "Jonas Weber", "level": "operational", "influence": 3, "attitude": 0},
    )
    assert added.status_code == 302
    assert added["Location"] == reverse("relationships:map", args=[cid])
    assert account.contacts.filter(name="Jonas Weber").exists()
    started = as_head.post(reverse("plans:create", args=[cid]), {"horizon_months": 24})
    assert started.status_code == 302
    assert as_head.get(started["Location"]).status_code == 200


def test_an_id_that_names_another_page_is_not_confused_with_it(as_head, odd_accounts):
    """``ACME/EU/plan`` is an account of its own, not the plan of ``ACME/EU``."""
    nested = reverse("accounts:detail", args=["ACME/EU/plan"])
    plan_of_parent = reverse("plans:home", args=["ACME/EU"])
    assert nested != plan_of_parent
    assert "Account 1" in as_head.get(nested).content.decode()
    assert reverse("accounts:detail", args=["import"]) != reverse("accounts:import")
