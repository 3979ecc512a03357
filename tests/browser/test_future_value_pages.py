"""The future-value card and chart on a steady B2B base, in a real browser, wide and narrow."""

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"laptop": 1440, "phone": 390}


def keep(screenshot: Path) -> None:
    if target := os.environ.get("KAM_ARTIFACTS_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / screenshot.name)


FITS = """selector => {
  const card = document.querySelector(selector);
  const width = document.documentElement.clientWidth;
  const right = card.getBoundingClientRect().right;
  const inside = [...card.querySelectorAll('*')].every(
    e => e.getBoundingClientRect().right <= right + 1);
  return right <= width + 1 && inside && card.scrollWidth <= card.clientWidth + 1;
}"""
"""Whether an element and all it holds lie within the viewport's width (nothing cut off)."""


def fits(page, selector: str) -> bool:
    return bool(page.evaluate(FITS, selector))


@pytest.fixture
def scored(store, tmp_path: Path, make_user, head_of_kam) -> str:
    """A steady-buyer company imported and scored; the largest account's id."""
    from kam.accounts.services import do_import_customers, do_import_transactions
    from kam.analytics.demo import generate_steady_company, write_demo_files
    from kam.people.roles import Role
    from kam.selection import services

    files = write_demo_files(generate_steady_company(seed=7, customers=400), tmp_path / "files")
    admin = make_user(Role.ADMINISTRATOR, "admin")
    do_import_customers(admin, files.customers)
    do_import_transactions(admin, files.transactions)
    run = services.do_run_scoring(head_of_kam)
    from kam.stores import analytics_store

    with analytics_store().connect(read_only=True) as con:
        table = con.table(f"score_snapshot_{run.snapshot_id}")
        top = table.order_by(table.revenue_12m.desc()).limit(1).to_pyarrow()
    return str(top.column("customer_id")[0])


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_card_names_its_model_and_fits_the_screen(
    browser, live_server, scored, tmp_path, width
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/selection/accounts/{scored}/")
        page.get_by_label("User name").fill("head")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name="Sign in").click()
        card = page.locator("#future-value")
        expect(card).to_be_visible()
        expect(page.locator("#future-value-model")).to_contain_text("one purchase rate")
        expect(page.locator("#predicted-clv")).to_have_text(re.compile(r"^[\d,]+$"))
        expect(page.locator("#alive-chart .plot-container")).to_be_visible()
        page.locator("#future-value-fit summary").click()
        expect(page.locator("#future-value-fit")).to_contain_text("ran to the edge")
        assert "nan" not in card.inner_text().lower()
        assert fits(page, "#future-value"), f"the card overflows at {width}px"
        shot = tmp_path / f"future-value-card-{width}.png"
        page.screenshot(path=shot, full_page=True)
        keep(shot)

        page.goto(f"{live_server.url}/selection/")
        page.locator("#future-value-slot").scroll_into_view_if_needed()  # drawn when shown
        expect(page.locator("#future-value-chart .plot-container")).to_be_visible()
        expect(page.locator("#future-value-chart-card")).to_contain_text("one purchase rate")
        assert fits(page, "#future-value-chart-card"), f"the chart overflows at {width}px"
        shot = tmp_path / f"future-value-portfolio-{width}.png"
        page.screenshot(path=shot, full_page=True)
        keep(shot)
    finally:
        context.close()
