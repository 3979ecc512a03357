"""An imported category or account name that is markup shows as text in Plotly's figures.

Plotly draws labels as a subset of HTML: before figures were escaped, a category
``<a href=javascript:…>`` on the account page's category chart was a clickable link.
"""

import csv
from pathlib import Path

import pytest

from kam.accounts.services import do_import_customers, do_import_transactions
from kam.people.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = '<a href="javascript:window.__xss=1">Click me</a>'
IMAGE = '<img src=x onerror="window.__xss=1">'
AMPERSAND = "Food &amp; Beverage"  # an escape typed by the user must not be decoded


def write_files(directory: Path) -> tuple[Path, Path]:
    customers = directory / "customers.csv"
    with customers.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "name", "parent_id", "country", "region", "segment"])
        writer.writerow(["EVIL", f"Evil {IMAGE} Corp", "", "DE", "EMEA", "<b>Bold</b>"])
    lines = directory / "transactions.csv"
    with lines.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["invoice_id", "line_id", "customer_id", "date", "category", "quantity", "revenue"]
        )
        for month in range(1, 7):
            writer.writerow([f"I{month}", 1, "EVIL", f"2024-0{month}-10", LINK, 1, 900.0])
            writer.writerow([f"I{month}", 2, "EVIL", f"2024-0{month}-10", IMAGE, 1, 400.0])
            writer.writerow([f"I{month}", 3, "EVIL", f"2024-0{month}-10", AMPERSAND, 1, 100.0])
    return customers, lines


def test_markup_in_imported_names_and_categories_stays_text(
    page, live_server, store, make_user, tmp_path, sign_in, ready
):
    importer = make_user(Role.HEAD_OF_KAM, "head")
    customers, lines = write_files(tmp_path)
    assert do_import_customers(importer, customers).inserted == 1
    assert do_import_transactions(importer, lines).inserted == 18
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    sign_in(page, live_server, "head", path="/accounts/EVIL/")
    page.wait_for_selector("#category-chart .main-svg")
    ready(page)

    chart = page.locator("#category-chart")
    # The labels read exactly as imported, and no element was made of them.
    labels = chart.locator(".ytick text").all_text_contents()
    assert LINK in labels
    assert IMAGE in labels
    assert AMPERSAND in labels
    assert chart.locator("a").count() == 0
    assert chart.locator("img").count() == 0
    page.get_by_text("Click me").first.click(force=True)
    assert page.evaluate("window.__xss") is None
    assert page.get_by_text(f"Evil {IMAGE} Corp").first.is_visible()
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
