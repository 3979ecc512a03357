"""The Head of KAM's selection journey in a real browser: portfolio, policy, re-score, cycle."""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

sys.path.insert(0, str(Path(__file__).parent.parent / "selection"))
from selection_seed import seed_portfolio  # noqa: E402  (tests/selection/selection_seed.py)


@pytest.fixture(autouse=True)
def selection_urls(settings):
    """Mount the selection URLs until kam/urls.py includes them itself."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("selection:portfolio")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "selection_test_urls"


TYPE_CHANGE = re.compile(r"(Strategic|Status|Star|Streamline) → (Strategic|Status|Star|Streamline)")
"""How the movers list shows an account changing McDonald's type."""


def keep(screenshot: Path) -> None:
    if target := os.environ.get("KAM_ARTIFACTS_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / screenshot.name)


def shoot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=tmp_path / name, full_page=True)
    keep(tmp_path / name)


def test_head_of_kam_rescoring_and_approving(
    page, live_server, store, head_of_kam, tmp_path, ready, sign_in
):
    from playwright.sync_api import expect

    from kam.selection.services import do_run_scoring

    seed_portfolio(store)
    do_run_scoring(head_of_kam)

    sign_in(page, live_server, "head", path="/selection/")

    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
    expect(page.locator("#key-count")).to_have_text("3")
    expect(page.locator("#pareto-chart .plot-container")).to_be_visible()
    expect(page.locator("#four-box-chart .plot-container")).to_be_visible()
    expect(page.locator("#score-results tbody tr")).to_have_count(20)
    shoot(page, tmp_path, "selection-portfolio.png")

    # Judge attractiveness without the growth trend: the key accounts' mean attractiveness
    # moves, and an account that was Strategic on its growth becomes Status.
    page.get_by_role("link", name="Policy").click()
    ready(page)
    page.get_by_label("Growth trend weight").fill("0")
    page.get_by_label("Why this change").fill("size and margin first this year")
    page.get_by_role("button", name="Save as version 2").click()
    ready(page)
    expect(page.get_by_text("Saved as version 2")).to_be_visible()
    shoot(page, tmp_path, "selection-policy.png")

    page.get_by_role("link", name="Portfolio").click()
    ready(page)
    page.get_by_role("button", name="Re-score all accounts").click()
    ready(page)
    expect(page.locator(".message-success")).to_contain_text("under policy v2")
    moved = page.locator("#movers").get_by_role("listitem").filter(has_text=TYPE_CHANGE).first
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("Customer 003")
    new_type = TYPE_CHANGE.search(moved.inner_text()).group(2)
    assert new_type == "Status"
    shoot(page, tmp_path, "selection-movers.png")

    moved.get_by_role("link").first.click()
    ready(page)
    expect(page.locator("#quadrant")).to_contain_text(new_type)

    page.get_by_role("link", name="Selection cycles").click()
    ready(page)
    page.get_by_role("button", name="Propose a new cycle").click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selection Jun 2024")
    expect(page.locator("#final-key")).to_have_text("3")
    page.get_by_role("button", name="Approve cycle").click()
    ready(page)
    expect(page.locator("#cycle-status")).to_have_text("Approved")
    shoot(page, tmp_path, "selection-cycle.png")
    page.get_by_role("button", name="Publish key accounts").click()
    ready(page)
    expect(page.locator("#cycle-status")).to_have_text("Published")
