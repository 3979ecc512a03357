"""A key account manager's first visit, in a real browser: sign in, find an account, open it."""

import csv
import os
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from kam.accounts.services import do_import_customers, do_import_transactions
from kam.people.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMERS = [
    # customer_id, name, parent_id, country, region, segment
    ("ACME", "Acme Industrial Group", "", "DE", "EMEA", "Manufacturing"),
    ("ACME-LOG", "Acme Logistics GmbH", "ACME", "DE", "EMEA", "Logistics"),
    ("ACME-FR", "Acme France SAS", "ACME", "FR", "EMEA", "Manufacturing"),
    ("BORE", "Borealis Foods Inc.", "", "CA", "Americas", "Food & Beverage"),
    ("CASC", "Cascade Energy", "", "US", "Americas", "Energy"),
    ("DUNE", "Dune Mining Pty", "", "AU", "APAC", "Mining"),
    ("ELBE", "Elbe Chemie AG", "", "DE", "EMEA", "Chemicals"),
    ("FJOR", "Fjord Shipping AS", "", "NO", "EMEA", "Logistics"),
    ("GANG", "Ganges Textiles Ltd", "", "IN", "APAC", "Textiles"),
    ("HARB", "Harbour Retail plc", "", "GB", "EMEA", "Retail"),
    ("IRIS", "Iris Medical BV", "", "NL", "EMEA", "Healthcare"),
    ("JADE", "Jade Electronics", "", "SG", "APAC", "Electronics"),
]
CATEGORIES = ["Bearings", "Hydraulics", "Fasteners", "Safety", "Tooling"]
LAST_DAY = date(2024, 6, 28)


def write_files(directory: Path) -> tuple[Path, Path]:
    """A customer master and two years of invoice lines, the same on every run."""
    rng = random.Random(7)
    customers = directory / "customers.csv"
    with customers.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "name", "parent_id", "country", "region", "segment"])
        writer.writerows(CUSTOMERS)
    lines = directory / "transactions.csv"
    with lines.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "invoice_id",
                "line_id",
                "customer_id",
                "date",
                "category",
                "quantity",
                "revenue",
                "cost",
            ]
        )
        invoice = 0
        for index, (customer_id, *_rest) in enumerate(CUSTOMERS):
            size = 40_000 / (index + 1)  # a heavy tail: the first accounts buy most
            # Some accounts stopped buying a while ago: they show as lapsing or lost.
            stop = LAST_DAY - timedelta(days={5: 250, 9: 420}.get(index, 0))
            day = LAST_DAY - timedelta(days=730) + timedelta(days=index * 3)
            growth = 1.0 + (0.5 if index % 3 == 0 else -0.2)
            while day <= stop:
                invoice += 1
                trend = 1 + (growth - 1) * (day - LAST_DAY + timedelta(days=730)).days / 730
                for line in range(1, rng.randint(2, 4)):
                    revenue = round(size / 6 * trend * rng.uniform(0.5, 1.5), 2)
                    cost = round(revenue * rng.uniform(0.55, 0.75), 2)
                    category = CATEGORIES[(index + line + invoice) % len(CATEGORIES)]
                    quantity = rng.randint(1, 40)
                    writer.writerow(
                        [
                            f"INV{invoice:05}",
                            line,
                            customer_id,
                            day.isoformat(),
                            category,
                            quantity,
                            revenue,
                            cost,
                        ]
                    )
                day += timedelta(days=rng.randint(18, 40))
        # The latest line of all, so the as-of date is known: the group's last order.
        writer.writerow(["INV99999", 1, "ACME", LAST_DAY.isoformat(), "Tooling", 5, 1200.0, 800.0])
    return customers, lines


def seed(importer, customers: Path, lines: Path) -> None:
    """Load the files through the same import service the web page and the CLI use."""
    assert do_import_customers(importer, customers).inserted == len(CUSTOMERS)
    assert do_import_transactions(importer, lines).inserted > 0


def keep(screenshot: Path) -> None:
    """Copy a screenshot where CI collects artifacts, when it asks for them."""
    if target := os.environ.get("KAM_ARTIFACTS_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / screenshot.name)


def test_sign_in_find_an_account_and_read_it(
    page, live_server, store, make_user, tmp_path, ready, goto
):
    from playwright.sync_api import expect

    make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    seed(make_user(Role.HEAD_OF_KAM, "importer"), *write_files(tmp_path))

    goto(page, f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.screenshot(path=tmp_path / "login.png")
    keep(tmp_path / "login.png")
    page.get_by_label("User name").fill("kim")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in").click()
    ready(page)

    results = page.locator("#account-results")
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    expect(page.locator(".who-name")).to_have_text("Kim Keller")
    expect(results.locator("tbody tr")).to_have_count(len(CUSTOMERS))
    expect(results).to_contain_text("as of 28 Jun 2024")
    page.screenshot(path=tmp_path / "accounts.png", full_page=True)
    keep(tmp_path / "accounts.png")

    page.get_by_role("searchbox").fill("acme")
    expect(results.locator("tbody tr")).to_have_count(3)
    expect(results).not_to_contain_text("Borealis")
    page.get_by_role("searchbox").fill("")
    expect(results.locator("tbody tr")).to_have_count(len(CUSTOMERS))

    page.get_by_label("Region").select_option("APAC")
    ready(page)
    expect(results.locator("tbody tr")).to_have_count(3)
    expect(page).to_have_url(
        f"{live_server.url}/accounts/?q=&region=APAC&segment=&status=&sort=revenue&dir=desc"
    )
    page.get_by_label("Region").select_option("EMEA")
    ready(page)
    page.get_by_label("Status").select_option("lost")
    ready(page)
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("Harbour Retail plc")
    page.get_by_label("Status").select_option("")
    ready(page)

    page.get_by_role("link", name="Acme Industrial Group").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Industrial Group")
    hierarchy = page.locator(".hierarchy")
    expect(hierarchy.get_by_role("link", name="Acme Logistics GmbH")).to_be_visible()
    expect(hierarchy.get_by_role("link", name="Acme France SAS")).to_be_visible()
    expect(page.locator("#revenue-chart svg.main-svg").first).to_be_visible()
    expect(page.locator("#category-chart .plot-container")).to_be_visible()
    page.screenshot(path=tmp_path / "account.png", full_page=True)
    keep(tmp_path / "account.png")

    hierarchy.get_by_role("link", name="Acme France SAS").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme France SAS")
    page.locator(".hierarchy").get_by_role("link", name="Acme Industrial Group").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Industrial Group")

    page.get_by_role("button", name="Log out").click()
    ready(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_import_own_files_on_the_web_page(
    page, live_server, store, head_of_kam, tmp_path, ready, sign_in
):
    from playwright.sync_api import expect

    customers, lines = write_files(tmp_path)
    bad = tmp_path / "broken-lines.csv"
    bad.write_text(
        "invoice_id,line_id,customer_id,date,quantity,revenue\n"
        "INV1,1,ACME,2024-01-05,3,120.50\n"
        "INV1,2,NOBODY,2024-01-05,1,80\n"
        "INV2,1,ACME,05/01/2024,2,99\n"
    )
    sign_in(page, live_server, "head")
    expect(page.get_by_text("No accounts yet")).to_be_visible()
    expect(page.locator(".command").first).to_have_text("kam demo")
    page.screenshot(path=tmp_path / "empty.png", full_page=True)
    keep(tmp_path / "empty.png")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import data").click()
    ready(page)
    page.get_by_label("Customers").check()
    page.get_by_label("File", exact=True).set_input_files(customers)
    page.get_by_role("button", name="Import").click()
    ready(page)
    result = page.locator("#import-result")
    expect(result).to_contain_text("Imported customers.csv")
    expect(result.locator(".counts")).to_contain_text(f"Inserted{len(CUSTOMERS)}")

    page.get_by_label("Transactions").check()
    page.get_by_label("File", exact=True).set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    ready(page)
    expect(result).to_contain_text("Nothing was imported")
    problems = result.locator("table.problems tbody tr")
    expect(problems.filter(has_text="NOBODY")).to_contain_text("customer_id")
    expect(problems.filter(has_text="05/01/2024")).to_contain_text("date")
    page.screenshot(path=tmp_path / "import-refused.png", full_page=True)
    keep(tmp_path / "import-refused.png")

    page.get_by_label("Transactions").check()
    page.get_by_label("File", exact=True).set_input_files(lines)
    page.get_by_role("button", name="Import").click()
    ready(page)
    expect(result).to_contain_text("Imported transactions.csv")
    page.get_by_role("link", name="Open the accounts").click()
    ready(page)
    expect(page.locator("#account-results tbody tr")).to_have_count(len(CUSTOMERS))
    expect(page.locator("#account-results tbody tr").first).to_contain_text("Acme Industrial Group")
