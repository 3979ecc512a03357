"""A key account manager's day, in a real browser: engagement, then opportunity.

Kim signs in and lands on *My accounts*, where Nordwind's QBR is overdue; opens it, logs
the QBR held today with two of Nordwind's contacts and a follow-up action; then, on
Nordwind's whitespace, opens an opportunity in the open Valves cell of its North site,
qualifies it by the four questions, and sees the cell turn *in pipeline* and Nordwind drop
off the overdue list. Each page is also photographed at 1440 and 390 px (kept in the
test's tmp dir) and checked for horizontal overflow.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from store_rows import insert_rows
from test_engagement_journey import seed as seed_engagement

from kam.opportunities.models import Opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [
    ("NORD", "Pumps", "North", 12_000.0),
    ("NORD", "Pumps", "South", 3_000.0),
    ("BORE", "Valves", "Plant", 8_000.0),
]
NO_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def seed_sales(store) -> None:
    today = timezone.localdate()
    with store.connect() as con:
        raw = con.con
        insert_rows(
            raw,
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', 'Logistics')",
            [("NORD", "Nordwind Logistics GmbH"), ("BORE", "Borealis Foods Inc.")],
        )
        insert_rows(
            raw,
            "INSERT INTO transactions VALUES (?, '1', ?, ?, 'p', ?, ?, 1, ?, NULL, 'invoice')",
            [(f"I{n}", c, today - timedelta(days=20), cat, unit, revenue)
             for n, (c, cat, unit, revenue) in enumerate(LINES)],
        )  # fmt: skip
        raw.execute(
            "INSERT INTO customer_month SELECT customer_id, date_trunc('month', date)::DATE, "
            "sum(revenue), 0, sum(quantity), count(*), count(*), min(date), max(date) "
            "FROM transactions GROUP BY ALL"
        )


def photograph(page, tmp_path, name: str) -> None:
    """The page at 1440 px and at 390 px, asserting nothing overflows sideways."""
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)  # a resize reflows synchronously; let Plotly redraw
        page.screenshot(path=tmp_path / f"{name}-{width}.png", full_page=True)
        assert page.evaluate(NO_OVERFLOW), f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1440, "height": 900})


def test_kam_logs_the_qbr_qualifies_an_opportunity_and_sees_the_cell_in_pipeline(
    page, live_server, store, make_user, sign_in, ready, goto, tmp_path
):
    from playwright.sync_api import expect

    seed_engagement(make_user)
    seed_sales(store)
    today = timezone.localdate()

    sign_in(page, live_server, "kim")
    expect(page.get_by_role("heading", level=1)).to_have_text("My accounts")
    nord = page.locator('tr[data-customer="NORD"]')
    expect(page.locator("#my-accounts tbody tr").first).to_have_attribute("data-customer", "NORD")
    expect(nord.locator('td[data-column="touchpoint"]')).to_contain_text("QBR overdue by 20 days")
    expect(nord.locator('td[data-column="pipeline"]')).to_contain_text("nothing open")
    photograph(page, tmp_path, "my-accounts")

    nord.locator('td[data-column="touchpoint"]').get_by_role("link").click()
    ready(page)
    page.get_by_role("link", name="Log an engagement").click()
    ready(page)
    form = page.locator("#engagement-form")
    expect(form.get_by_label("Kind")).to_have_value("qbr")
    form.get_by_label("Petra Roth — CPO").check()
    form.get_by_label("Jonas Weber — Head of Logistics").check()
    form.get_by_label("Outcome").fill("They want valves for the North site too.")
    form.get_by_label("Follow-up 1").fill("Send the valve offer")
    form.locator('input[name="follow_up_1_due_on"]').fill((today + timedelta(days=7)).isoformat())
    form.get_by_role("button", name="Log engagement").click()
    ready(page)
    expect(page.locator(".messages")).to_contain_text("logged with 1 follow-up action")

    goto(page, f"{live_server.url}/accounts/NORD/whitespace/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Whitespace")
    valves = page.locator('#whitespace-grid tr[data-category="Valves"]')
    north = valves.locator('td[data-unit="North"]')
    expect(north).to_have_attribute("data-state", "open")
    photograph(page, tmp_path, "whitespace")
    north.get_by_role("link", name="open one").click()
    ready(page)

    form = page.locator("#opportunity-form")
    expect(form.get_by_label("Product category")).to_have_value("Valves")
    expect(form.get_by_label("Business unit or site")).to_have_value("North")
    form.get_by_label("Name").fill("Valves for the North site")
    form.get_by_label("Value").fill("40000")
    form.get_by_label("Expected close date").fill((today + timedelta(days=60)).isoformat())
    photograph(page, tmp_path, "opportunity-form")
    form.get_by_role("button", name="Open the opportunity").click()
    ready(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Qualify Valves for the North site")
    expect(page.locator("#win-evidence")).to_contain_text("No champion.")
    qualify = page.locator("#qualify-form")
    for question, score in (("real", "5"), ("compete", "4"), ("win", "3"), ("worth", "4")):
        qualify.locator(f'select[name="{question}_score"]').select_option(score)
    qualify.locator('textarea[name="win_evidence"]').fill("Petra backs it; the plant head not met.")
    photograph(page, tmp_path, "qualify")
    qualify.get_by_role("button", name="Save the verdict").click()
    ready(page)

    expect(page.locator("#qualification .op-verdict")).to_have_text("Pursue")
    expect(page.locator(".op-weakest")).to_have_attribute("data-question", "win")
    photograph(page, tmp_path, "opportunity")
    assert Opportunity.objects.get().qualification.verdict == "pursue"

    page.get_by_role("link", name="Opportunities").first.click()
    ready(page)
    photograph(page, tmp_path, "opportunities")
    page.get_by_role("link", name="Whitespace").first.click()
    ready(page)
    expect(north).to_have_attribute("data-state", "in_pipeline")
    expect(north).to_contain_text("40,000")

    page.get_by_role("link", name="Touchpoints").click()
    ready(page)
    expect(page.locator('tr[data-customer="NORD"]')).to_have_count(0)

    page.get_by_role("link", name="My accounts").click()
    ready(page)
    expect(nord.locator('td[data-column="pipeline"]')).to_contain_text("40k")
    page.get_by_role("link", name="Pipeline").click()
    ready(page)
    expect(page.locator("#pipeline-value")).to_have_text("40,000")
    photograph(page, tmp_path, "pipeline")
    page.get_by_role("link", name="My accounts").click()
    ready(page)
    expect(nord).not_to_have_class("wl-attention")
