"""The People pages, the password pages and the sign-in lock, as a person sees them in
Chromium on a laptop (1440 px) and a phone (390 px); and the Content-Security-Policy,
which must let kam's own htmx and Plotly run without a single violation."""

import csv
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from kam.people.models import User
from kam.people.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1440, 390)
GOOD = "correct horse battery"


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Import every app's views before the browser's first page load, not during it: on a
    busy machine that import alone can outlast the browser's 15 s wait."""
    from django.urls import reverse

    reverse("login")


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=path, full_page=True)
    if target := os.environ.get("KAM_ARTIFACTS_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width} px wide"


def watch_csp(page) -> list[str]:
    """Every Content-Security-Policy complaint the page makes, from the console and from
    the browser's own violation events (recorded before any of the page's scripts run)."""
    complaints: list[str] = []
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " console.error('Refused to run: CSP ' + e.violatedDirective + ' ' + e.blockedURI); });"
    )
    return complaints


@pytest.mark.parametrize("width", WIDTHS)
def test_an_administrator_adds_a_user_and_changes_their_roles(
    page, live_server, make_user, sign_in, ready, tmp_path, width, store
):
    from playwright.sync_api import expect

    make_user(Role.ADMINISTRATOR, "root", first_name="Ada", last_name="Admin")
    make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    complaints = watch_csp(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "root")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.locator('tr[data-username="kim"]')).to_contain_text("Key Account Manager")
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"people-{width}.png")

    page.get_by_role("link", name="Add a user").click()
    ready(page)
    page.get_by_label("Username").fill("ana")
    page.get_by_label("First password").fill(GOOD)
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Lytic")
    page.get_by_label("Analyst").check()
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"people-add-{width}.png")
    page.get_by_role("button", name="Add user").click()
    ready(page)
    row = page.locator('tr[data-username="ana"]')
    expect(row).to_contain_text("Analyst")
    expect(row).to_contain_text("Must choose a new password")

    page.get_by_role("link", name="Edit kim").click()
    ready(page)
    page.get_by_label("Head of KAM").check()
    page.get_by_label("Most", exact=True).fill("8")
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"people-edit-{width}.png")
    page.get_by_role("button", name="Save").click()
    ready(page)
    expect(page.locator('tr[data-username="kim"]')).to_contain_text("Head of KAM")
    expect(page.locator('tr[data-username="kim"]')).to_contain_text("5–8")

    page.get_by_role("link", name="Reset the password of kim").click()
    ready(page)
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"people-password-{width}.png")
    page.get_by_label("Temporary password").fill("another good passphrase")
    page.get_by_role("button", name="Set temporary password").click()
    ready(page)
    expect(page.locator('tr[data-username="kim"]')).to_contain_text("Must choose a new password")
    assert User.objects.get(username="kim").must_change_password
    assert complaints == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_user_given_a_password_chooses_their_own_first(
    page, live_server, make_user, sign_in, ready, tmp_path, width, store
):
    from playwright.sync_api import expect

    make_user(Role.VIEWER, "vera", first_name="Vera", must_change_password=True)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "vera")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    expect(page.get_by_role("alert")).to_contain_text("Choose your own before you go on")
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"password-required-{width}.png")
    page.get_by_label("Old password").fill("pw-for-tests")
    page.get_by_label("New password", exact=True).fill("iloveyou")
    page.get_by_label("New password confirmation").fill("iloveyou")
    page.get_by_role("button", name="Change password").click()
    ready(page)
    expect(page.locator(".field-error")).to_contain_text("too common")
    page.get_by_label("Old password").fill("pw-for-tests")
    page.get_by_label("New password", exact=True).fill(GOOD)
    page.get_by_label("New password confirmation").fill(GOOD)
    page.get_by_role("button", name="Change password").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    page.get_by_role("link", name="Go to the accounts").click()
    ready(page)
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_locked_sign_in_says_why(page, live_server, make_user, goto, tmp_path, width, settings):
    from playwright.sync_api import expect

    make_user(Role.VIEWER, "vera")
    page.set_viewport_size({"width": width, "height": 900})
    goto(page, f"{live_server.url}/login/")
    for password in [*(["wrong guess"] * settings.AXES_FAILURE_LIMIT), "pw-for-tests"]:
        page.get_by_label("User name").fill("vera")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
    expect(page.get_by_role("alert")).to_contain_text("even with the right password")
    expect(page.get_by_role("heading", level=1)).to_have_text("kam")  # still the sign-in page
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"sign-in-locked-{width}.png")
    goto(page, f"{live_server.url}/password/reset/")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"password-reset-{width}.png")


def seed_account(directory: Path) -> None:
    """One account with a year of monthly invoices in two categories."""
    from kam.accounts.services import do_import_customers, do_import_transactions

    importer = User.objects.get(username="head")
    customers = directory / "customers.csv"
    customers.write_text("customer_id,name\nACME,Acme Industrial Group\n", encoding="utf-8")
    lines = directory / "transactions.csv"
    with lines.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["invoice_id", "line_id", "customer_id", "date", "category", "quantity", "revenue"]
        )
        for month in range(12):
            day = date(2024, 1, 15) + timedelta(days=30 * month)
            writer.writerow([f"I{month}", 1, "ACME", day.isoformat(), "Bearings", 3, 1000 + month])
            writer.writerow([f"I{month}", 2, "ACME", day.isoformat(), "Tooling", 1, 500])
    do_import_customers(importer, customers)
    do_import_transactions(importer, lines)


def test_plotly_and_htmx_run_under_the_content_security_policy(
    page, live_server, head_of_kam, sign_in, ready, store, tmp_path
):
    from playwright.sync_api import expect

    seed_account(tmp_path)
    complaints = watch_csp(page)
    sign_in(page, live_server, "head", path="/accounts/")
    page.get_by_role("searchbox").fill("acme")  # an htmx request, swapped in place
    ready(page)
    expect(page.locator("#account-results tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Acme Industrial Group").click()
    ready(page)
    expect(page.locator("#revenue-chart svg.main-svg").first).to_be_visible()
    expect(page.locator("#category-chart .plot-container")).to_be_visible()
    header = page.evaluate(
        "() => fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    assert "script-src 'self'" in header
    assert complaints == []
