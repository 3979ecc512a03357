"""A key account manager's plan journey, in a real browser.

Sign in, open an account from the list, add a stakeholder under an existing one on the
stakeholder map (htmx: the org chart and the relationship model refresh in place), link the
new contact so the account moves from bow-tie to one-on-many, add an overdue action to the
account plan and take the plan away as PDF.
"""

import csv
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.accounts.services import do_import_customers
from kam.people.roles import Role
from kam.plans.services import do_add_objective, do_create_plan
from kam.relationships.models import Attitude, BuyingRole, Level
from kam.relationships.services import do_add_contact, do_link_relationship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMERS = [
    # customer_id, name, parent_id, country, region, segment
    ("NORD", "Nordwind Logistics GmbH", "", "DE", "EMEA", "Logistics"),
    ("BORE", "Borealis Foods Inc.", "", "CA", "Americas", "Food & Beverage"),
    ("IRIS", "Iris Medical BV", "", "NL", "EMEA", "Healthcare"),
]
ACCOUNT = "Nordwind Logistics GmbH"
NEW_CONTACT = "Jonas Weber"
MANAGER = "Petra Roth"
ACTION = "Send the pallet cost study to Jonas Weber"


def keep(screenshot: Path) -> Path:
    """Copy a screenshot where CI collects artifacts, when it asks for them."""
    if target := os.environ.get("KAM_ARTIFACTS_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / screenshot.name)
    return screenshot


def snap(page, directory: Path, name: str) -> None:
    """A full-page screenshot of the step, kept as an artifact."""
    path = directory / f"plan-journey-{name}.png"
    page.screenshot(path=path, full_page=True)
    keep(path)


def seed(tmp_path: Path, make_user) -> None:
    """Three customers, a bow-tie at Nordwind (Kim knows only the CPO) and a draft plan."""
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    importer = make_user(Role.HEAD_OF_KAM, "importer", first_name="Hannah", last_name="Head")
    customers = tmp_path / "customers.csv"
    with customers.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "name", "parent_id", "country", "region", "segment"])
        writer.writerows(CUSTOMERS)
    assert do_import_customers(importer, customers).inserted == len(CUSTOMERS)

    account = Account.objects.get(customer_id="NORD")
    account.team.add(kim)  # Kim works Nordwind, so edits its map and plan
    cpo = do_add_contact(
        kim,
        account,
        name=MANAGER,
        title="Chief Procurement Officer",
        level=Level.EXECUTIVE,
        buying_roles=[BuyingRole.DECISION_MAKER, BuyingRole.BUDGET_HOLDER],
        influence=5,
        attitude=Attitude.POSITIVE,
    )
    do_add_contact(
        kim,
        account,
        name="Lena Brandt",
        title="Warehouse Lead",
        level=Level.OPERATIONAL,
        buying_roles=[BuyingRole.USER],
        influence=2,
        reports_to=cpo,
    )
    do_link_relationship(kim, cpo, kim, strength=4)
    plan = do_create_plan(kim, account, today=timezone.localdate(), title="Nordwind 2025–2027")
    do_add_objective(kim, plan, "Cut logistics cost per pallet by 8%", "Cost per pallet")


def test_kam_maps_a_stakeholder_plans_an_action_and_exports_the_plan(
    page, live_server, store, make_user, tmp_path, ready, sign_in
):
    from playwright.sync_api import expect

    seed(tmp_path, make_user)
    today = timezone.localdate()  # the plan and map pages run on the calendar day
    due = today - timedelta(days=14)

    sign_in(page, live_server, "kim", path="/accounts/")
    expect(page.locator("#account-results tbody tr")).to_have_count(len(CUSTOMERS))
    page.locator("#account-results").get_by_role("link", name=ACCOUNT).click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(ACCOUNT)
    snap(page, tmp_path, "1-account")

    # The stakeholder map: one of us, one contact known — a bow-tie.
    page.get_by_role("link", name="Stakeholder map").click()
    ready(page)
    expect(page.get_by_role("heading", name="Stakeholder map")).to_be_visible()
    model = page.locator(".rel-model-name")
    expect(model).to_have_text("Bow-tie")
    chart = page.locator("#rel-chart svg")
    expect(chart.locator("g.contact")).to_have_count(2)
    snap(page, tmp_path, "2-map-bow-tie")

    # A marker on the window survives htmx swaps and dies with a full page load.
    page.evaluate("window.stillTheSamePage = true")
    adding = page.locator("form", has=page.get_by_role("button", name="Add stakeholder"))
    adding.get_by_label("Name").fill(NEW_CONTACT)
    adding.get_by_label("Title").fill("Head of Logistics")
    adding.get_by_role("combobox", name="Level").select_option(label="Middle management")
    ready(page)
    adding.get_by_role("combobox", name="Influence").select_option("4")
    ready(page)
    manager = f"{MANAGER} — Chief Procurement Officer"
    adding.get_by_role("combobox", name="Reports to").select_option(label=manager)
    ready(page)
    adding.get_by_role("button", name="Add stakeholder").click()
    ready(page)

    new_box = chart.locator("g.contact", has_text=NEW_CONTACT)
    expect(new_box).to_have_count(1)
    expect(chart.locator("g.contact")).to_have_count(3)
    assert page.evaluate("window.stillTheSamePage") is True
    manager_box = chart.locator("g.contact", has_text=MANAGER).locator("rect").first
    new_rect = new_box.locator("rect").first
    # Under its manager: drawn a level lower, on a reports-to line from the manager's box.
    assert float(new_rect.get_attribute("y")) > float(manager_box.get_attribute("y"))
    contacts = page.locator("table.rel-contacts tbody tr", has_text=NEW_CONTACT)
    expect(contacts.locator("td").nth(5)).to_have_text(MANAGER)
    # Nobody on our side knows the new contact yet: still a bow-tie.
    expect(model).to_have_text("Bow-tie")
    snap(page, tmp_path, "3-stakeholder-added")

    linking = page.locator("form", has=page.get_by_role("button", name="Save relationship"))
    newcomer = f"{NEW_CONTACT} — Head of Logistics"
    linking.get_by_role("combobox", name="Contact").select_option(label=newcomer)
    ready(page)
    linking.get_by_role("combobox", name="Our person").select_option(label="Kim Keller")
    ready(page)
    linking.get_by_role("combobox", name="Strength").select_option("3")
    ready(page)
    linking.get_by_role("button", name="Save relationship").click()
    ready(page)
    expect(model).to_have_text("One-on-many")
    expect(new_box).to_contain_text("KK 3")
    assert page.evaluate("window.stillTheSamePage") is True
    snap(page, tmp_path, "4-one-on-many")

    # The account plan: an action due two weeks ago shows as overdue.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=ACCOUNT).click()
    ready(page)
    page.get_by_role("link", name="Account plan").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nordwind 2025–2027")
    actions = page.locator("#actions")
    expect(actions).to_contain_text("No actions yet.")
    expect(page.locator(".plan-missing")).to_contain_text("Action plan")
    page.evaluate("window.stillTheSamePage = true")
    actions.get_by_label("Action", exact=True).fill(ACTION)
    actions.get_by_role("combobox", name="Owner").select_option(label="Kim Keller")
    ready(page)
    actions.get_by_label("Due").fill(due.isoformat())
    actions.get_by_role("button", name="Add action").click()
    ready(page)
    row = page.locator("#actions tbody tr", has_text=ACTION)
    expect(row).to_have_class("is-overdue")
    expect(row.locator(".badge-overdue")).to_have_text("Overdue")
    expect(page.locator("#actions .card-head .badge-overdue")).to_have_text("1 overdue as of today")
    # The plan's health above the cards follows the edit: one overdue action, nothing missing
    # in the action plan any more.
    health = page.get_by_role("region", name="Plan health")
    expect(health.locator(".kpi", has_text="Overdue actions").locator(".kpi-value")).to_have_text(
        "1"
    )
    expect(page.locator(".plan-missing")).not_to_contain_text("Action plan")
    assert page.evaluate("window.stillTheSamePage") is True
    snap(page, tmp_path, "5-overdue-action")

    # The PDF, fetched with the signed-in browser's cookies.
    href = page.get_by_role("link", name="PDF", exact=True).get_attribute("href")
    response = page.context.request.get(f"{live_server.url}{href}")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    (tmp_path / "plan.pdf").write_bytes(body)
    document = pdfium.PdfDocument(body)
    text = " ".join(
        " ".join(document[index].get_textpage().get_text_range().split())
        for index in range(len(document))
    )
    assert ACCOUNT in text
    assert ACTION in text
    assert NEW_CONTACT in text  # the org chart and contacts in the PDF carry the new stakeholder
    first = document[0].render(scale=1).to_pil()
    first.save(tmp_path / "plan-journey-6-pdf-page-1.png")
    keep(tmp_path / "plan-journey-6-pdf-page-1.png")
