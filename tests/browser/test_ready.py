"""The browser tests' readiness wait: it holds until htmx is bound and requests settled."""

import ast
from pathlib import Path

import pytest

from kam.people.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HERE = Path(__file__).parent


def test_ready_waits_for_htmx_even_when_the_page_already_shows(
    page, live_server, store, make_user, ready, sign_in
):
    """On a busy machine htmx can arrive after the page is drawn; a click then would post
    the form as a plain page load. ``ready`` must not let the test act before htmx is in."""
    from playwright.sync_api import Error, expect

    from kam.accounts.models import Account

    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Acme Holding')")
    Account.objects.create(customer_id="C1", name="Acme Holding")
    make_user(Role.KEY_ACCOUNT_MANAGER, "kim")
    sign_in(page, live_server, "kim", path="/accounts/")
    held = []
    page.route("**/htmx-2.min.js", lambda route: held.append(route))  # held back, like a slow disk
    page.goto(f"{live_server.url}/accounts/", wait_until="commit")
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    assert held, "the page asked for htmx"
    with pytest.raises(Error, match="Timeout"):
        ready(page, timeout=1_500)
    assert page.evaluate("typeof window.htmx") == "undefined"

    held[0].continue_()
    ready(page)
    assert page.evaluate("typeof window.htmx") == "object"
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("searchbox").fill("nobody")
    expect(page.locator("#account-results")).to_contain_text("No account matches")
    ready(page)
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place by htmx


def test_every_browser_test_waits_through_the_helper():
    """A test that drives pages without ``ready`` (or ``goto``/``sign_in``) races them."""
    helpers = {"ready", "goto", "sign_in"}
    racing = []
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                arguments = {argument.arg for argument in node.args.args}
                if "page" in arguments and not arguments & helpers:
                    racing.append(f"{path.name}::{node.name}")
    assert racing == []
