"""The refusal (403), the busy store (503) and an edit conflict, as a person sees them in
Chromium on a laptop (1440 px) and a phone (390 px): inside the layout, no sideways scroll."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kam.accounts.models import Account
from kam.people.roles import Role
from kam.relationships.services import do_add_contact, do_update_contact

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("managers_work_every_account"),
]

WIDTHS = (1440, 390)
HOLDER = textwrap.dedent(
    """
    import fcntl, os, shutil, sys, duckdb
    path = sys.argv[1]
    lock = os.open(path + ".writer.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the writer lock, as every kam writer takes it
    shutil.rmtree(path + ".readers", ignore_errors=True)  # no reader copy: a first import
    con = duckdb.connect(path)
    print("holding", flush=True)
    sys.stdin.readline()
    """
)
"""A second process writing the store while no reader copy of it exists yet — an
install's very first import, the one time a page that reads the store must wait
(kam/analytics/store.py)."""


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=path, full_page=True)
    if target := os.environ.get("KAM_ARTIFACTS_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width} px wide"


@pytest.fixture
def account(store):
    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Nordwind Logistics')")
    return Account.objects.create(customer_id="C1", name="Nordwind Logistics")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_refusal_page(page, live_server, account, make_user, sign_in, ready, tmp_path, width):
    from playwright.sync_api import expect

    make_user(Role.VIEWER, "vera", first_name="Vera", last_name="Viewer")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "vera")
    response = page.goto(f"{live_server.url}/accounts/import/")
    ready(page)
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This needs another role")
    expect(page.locator(".status-reason")).to_have_text(
        "Importing data needs the Head of KAM, Analyst or Administrator role."
    )
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts"))
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"status-403-{width}.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_busy_page(
    page, live_server, account, make_user, sign_in, ready, store, tmp_path, width
):
    from playwright.sync_api import expect

    make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "kim")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        response = page.goto(f"{live_server.url}/accounts/C1/")
        ready(page)
        assert response.status == 503
        assert int(response.headers["retry-after"]) > 0
        expect(page.get_by_role("heading", level=1)).to_have_text("Data is being updated")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        no_sideways_scroll(page)
        shoot(page, tmp_path, f"status-503-{width}.png")
    finally:
        holder.communicate("done\n", timeout=30)
    page.get_by_role("link", name="Try again now").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nordwind Logistics")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_edit_conflict(page, live_server, account, make_user, sign_in, ready, tmp_path, width):
    from playwright.sync_api import expect

    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    olli = make_user(Role.KEY_ACCOUNT_MANAGER, "olli", first_name="Olli", last_name="Other")
    contact = do_add_contact(kim, account, name="Jonas Weber", title="Buyer")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "kim", path=f"/accounts/C1/relationships/contacts/{contact.pk}/")
    page.get_by_label("Title").fill("Logistics Lead, Central Europe")
    page.get_by_label("Phone").fill("+49 40 1234 5678")
    # Meanwhile Olli saves the same contact.
    do_update_contact(
        olli, contact, title="Head of Logistics", phone="+49 40 999", expected_revision=0
    )
    page.get_by_role("button", name="Save").click()
    ready(page)
    conflict = page.locator("#edit-conflict")
    expect(conflict).to_contain_text("changed by Olli Other while you were editing")
    expect(conflict.locator(".conflict-theirs").first).to_have_text("Head of Logistics")
    expect(conflict.locator(".conflict-mine").first).to_have_text("Logistics Lead, Central Europe")
    expect(page.get_by_label("Title")).to_have_value("Logistics Lead, Central Europe")
    no_sideways_scroll(page)
    shoot(page, tmp_path, f"conflict-contact-{width}.png")
    page.get_by_role("button", name="Save").click()
    ready(page)
    expect(page.get_by_role("heading", name="Stakeholder map")).to_be_visible()
    contact.refresh_from_db()
    assert contact.title == "Logistics Lead, Central Europe"


def test_an_htmx_search_while_the_store_is_busy_shows_a_notice(
    page, live_server, account, make_user, sign_in, ready, store, tmp_path
):
    from playwright.sync_api import expect

    make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    sign_in(page, live_server, "kim", path="/accounts/")
    results = page.locator("#account-results")
    expect(results).to_contain_text("Nordwind Logistics")
    page.evaluate("window.stillTheSamePage = true")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        page.get_by_role("searchbox").fill("nord")
        notice = page.locator("#page-notice")
        expect(notice).to_contain_text("Data is being updated", timeout=10_000)
        ready(page)
        expect(results).to_contain_text("Nordwind Logistics")  # the results stay as they were
        shoot(page, tmp_path, "status-503-htmx-notice.png")
    finally:
        holder.communicate("done\n", timeout=30)
    page.get_by_role("searchbox").fill("nordw")
    expect(notice).to_be_empty()
    expect(results).to_contain_text("Nordwind Logistics")
    assert page.evaluate("window.stillTheSamePage") is True
