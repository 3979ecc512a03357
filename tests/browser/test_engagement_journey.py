"""A key account manager's engagement journey, in a real browser.

Kim signs in and lands on *My accounts*, where Nordwind's QBR is overdue in red; opens it,
logs the QBR held today with two of Nordwind's contacts and a follow-up action, and sees
the follow-up in the account plan's actions and Nordwind drop off the overdue list.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.people.roles import Role
from kam.plans.models import PlanAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLLOW_UP = "Send Petra the pallet cost study"


def seed(make_user) -> None:
    """Nordwind, a Tier 3 key account since 300 days ago, its last QBR 200 days ago (due
    every 180: 20 days overdue); Borealis, on cadence."""
    from kam.engagement.services import do_log_engagement
    from kam.relationships.services import do_add_contact
    from kam.selection.models import KeyAccount, ScoreRun, SelectionCycle
    from kam.selection.services.scoring import do_ensure_default_policy

    today = timezone.localdate()
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim", last_name="Keller")
    run = ScoreRun.objects.create(
        policy_version=do_ensure_default_policy(), status="done", snapshot_id="s1"
    )
    published = timezone.make_aware(
        datetime.combine(today - timedelta(days=300), datetime.min.time())
    )
    cycle = SelectionCycle.objects.create(
        name="Key accounts", as_of=today - timedelta(days=300), score_run=run,
        status="published", approved_at=published, published_at=published,
    )  # fmt: skip
    nord = Account.objects.create(customer_id="NORD", name="Nordwind Logistics GmbH")
    bore = Account.objects.create(customer_id="BORE", name="Borealis Foods Inc.")
    for account in (nord, bore):
        KeyAccount.objects.create(
            account=account, tier="tier_3", manager=kim, since_cycle=cycle, confirmed_cycle=cycle
        )
    for name, title in (("Petra Roth", "CPO"), ("Jonas Weber", "Head of Logistics"),
                        ("Lena Brandt", "Warehouse Lead")):  # fmt: skip
        do_add_contact(kim, nord, name=name, title=title)
    do_log_engagement(kim, nord, kind="qbr", date=today - timedelta(days=200), today=today,
                      our_people=[kim])  # fmt: skip
    do_log_engagement(kim, bore, kind="qbr", date=today - timedelta(days=30), today=today,
                      our_people=[kim])  # fmt: skip


def test_kam_logs_the_overdue_qbr_and_the_account_drops_off_the_overdue_list(
    page, live_server, store, make_user, sign_in, ready, tmp_path
):
    from playwright.sync_api import expect

    seed(make_user)
    today = timezone.localdate()

    sign_in(page, live_server, "kim")
    expect(page.get_by_role("heading", level=1)).to_have_text("My accounts")
    nord = page.locator('tr[data-customer="NORD"]')
    rows = page.locator("#my-accounts tbody tr")
    expect(rows.first).to_have_attribute("data-customer", "NORD")  # needs attention first
    touchpoint = nord.locator('td[data-column="touchpoint"]')
    expect(touchpoint).to_contain_text("QBR overdue by 20 days")
    expect(touchpoint).to_have_class("wl-cell tone-alert")
    page.screenshot(path=tmp_path / "1-my-accounts.png", full_page=True)

    touchpoint.get_by_role("link").click()
    ready(page)
    expect(page.get_by_role("heading", name="Engagements")).to_be_visible()
    expect(page.locator("#cadence .touch-overdue")).to_contain_text("QBR overdue by 20 days")

    page.get_by_role("link", name="Log an engagement").click()
    ready(page)
    form = page.locator("#engagement-form")
    expect(form.get_by_label("Kind")).to_have_value("qbr")
    expect(form.get_by_label("Date")).to_have_value(today.isoformat())
    form.get_by_label("Petra Roth — CPO").check()
    form.get_by_label("Jonas Weber — Head of Logistics").check()
    form.get_by_label("Outcome").fill("Agreed a pallet cost study; volumes up next quarter.")
    form.get_by_label("How it went").select_option("4")
    form.get_by_label("Follow-up 1").fill(FOLLOW_UP)
    form.locator('input[name="follow_up_1_due_on"]').fill((today + timedelta(days=14)).isoformat())
    page.screenshot(path=tmp_path / "2-log.png", full_page=True)
    form.get_by_role("button", name="Log engagement").click()
    ready(page)

    expect(page.locator(".messages")).to_contain_text("logged with 1 follow-up action")
    expect(page.locator("#their-side")).to_contain_text("Petra Roth")
    expect(page.locator("#their-side")).to_contain_text("Jonas Weber")
    expect(page.locator("#follow-ups")).to_contain_text(FOLLOW_UP)
    action = PlanAction.objects.get()
    assert (action.owner.username, action.due_on) == ("kim", today + timedelta(days=14))

    page.get_by_role("link", name="Touchpoints").click()
    ready(page)
    expect(page.get_by_role("heading", name="Overdue touchpoints")).to_be_visible()
    expect(page.locator('tr[data-customer="NORD"]')).to_have_count(0)
    expect(page.locator("#none-overdue")).to_be_visible()

    page.get_by_role("link", name="My accounts").click()
    ready(page)
    expect(nord.locator('td[data-column="touchpoint"]')).to_contain_text("QBR due in 180 days")
    expect(nord).not_to_have_class("wl-attention")
    page.screenshot(path=tmp_path / "3-after.png", full_page=True)
