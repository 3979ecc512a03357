"""A key account manager acts on a health alert, in a real browser.

Kim signs in and lands on *My accounts*, where the alerts on her accounts stand above the
table: Nordwind's QBR is overdue. She follows the alert to Nordwind's health page, acts on
it by logging the QBR held today, and sees the alert gone from the account and from her
home page and Nordwind's health score higher than before: logging the meeting scored the
account again, with no portfolio scoring run in between.
"""

import datetime as dt
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from store_rows import insert_rows

from kam.accounts.models import Account
from kam.people.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRUTH = {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 4.0}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}


def seed_store(store, today: dt.date) -> str:
    """80 simulated buyers over the two years up to today, in both stores; the most
    frequent buyer becomes Nordwind and also buys today (so a scoring run measures as of
    today, and a meeting logged today counts)."""
    from kam.analytics.clv.simulate_lines import simulate_transaction_lines
    from kam.analytics.ingest.load import refresh_customer_month

    lines = simulate_transaction_lines(
        80, TRUTH, SPEND, start=today - timedelta(days=730), end=today, seed=3
    )
    ids = lines.column("customer_id").to_pylist()
    nord = max(set(ids), key=ids.count)
    with store.connect() as con:
        raw = con.con
        insert_rows(
            raw,
            "INSERT INTO customers VALUES (?, ?, NULL, 'DE', 'EMEA', 'Logistics')",
            [(c, f"Customer {c}") for c in sorted(set(ids))],
        )
        raw.register("_lines", lines)
        raw.execute(
            "INSERT INTO transactions (invoice_id, line_id, customer_id, date, quantity, revenue, "
            "cost, document_type) SELECT customer_id || date::VARCHAR, '1', customer_id, date, "
            "1, revenue, revenue * 0.7, 'invoice' FROM _lines"
        )
        raw.unregister("_lines")
        raw.execute(
            "INSERT INTO transactions (invoice_id, line_id, customer_id, date, quantity, revenue, "
            "cost, document_type) VALUES ('TODAY', '1', ?, ?, 1, 500, 350, 'invoice')",
            [nord, today],
        )
        refresh_customer_month(raw)
    Account.objects.bulk_create(
        [
            Account(customer_id=c, name="Nordwind Logistics GmbH" if c == nord else f"Buyer {c}")
            for c in sorted(set(ids))
        ]
    )
    return nord


def seed(store, make_user) -> str:
    """Nordwind, Kim's Tier 3 key account since 300 days ago, its last QBR 200 days ago
    (due every 180 days: 20 days overdue), two contacts mapped; a scoring run as of today."""
    from kam.engagement.services import do_log_engagement
    from kam.health.services import do_score_health
    from kam.relationships.services import do_add_contact
    from kam.selection.models import KeyAccount, ScoreRun, SelectionCycle
    from kam.selection.services.scoring import do_ensure_default_policy

    today = timezone.localdate()
    nord_id = seed_store(store, today)
    head = make_user(Role.HEAD_OF_KAM, "head")
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
    nord = Account.objects.get(customer_id=nord_id)
    KeyAccount.objects.create(
        account=nord, tier="tier_3", manager=kim, since_cycle=cycle, confirmed_cycle=cycle
    )
    for name, title in (("Petra Roth", "CPO"), ("Jonas Weber", "Head of Logistics")):
        do_add_contact(kim, nord, name=name, title=title)
    do_add_contact(kim, nord, name="Chris Brandt", title="COO", buying_roles=["champion"])
    do_log_engagement(kim, nord, kind="qbr", date=today - timedelta(days=200), today=today,
                      our_people=[kim], rating=4)  # fmt: skip
    do_score_health(head)
    return nord_id


def score_shown(page) -> int:
    return int(page.locator("[data-health-score]").inner_text())


def test_kam_follows_an_alert_logs_the_qbr_and_sees_the_alert_clear_and_health_rise(
    page, live_server, store, make_user, sign_in, ready, goto, tmp_path
):
    from playwright.sync_api import expect

    nord = seed(store, make_user)

    sign_in(page, live_server, "kim")
    expect(page.get_by_role("heading", level=1)).to_have_text("My accounts")
    alerts = page.locator("#my-alerts")
    overdue = alerts.locator(f'li[data-alert="cadence_overdue"][data-customer="{nord}"]')
    expect(overdue).to_contain_text("QBR overdue by 20 days")
    page.screenshot(path=tmp_path / "1-home.png", full_page=True)

    # The champion is on leave: Kim snoozes that alert for a week, with the reason.
    champion = alerts.locator('li[data-alert="champion_silent"]')
    expect(champion).to_contain_text("Champion Chris Brandt has not been met")
    champion.locator("summary").click()
    champion.get_by_label("Why, for Champion silent on Nordwind Logistics GmbH").fill(
        "Chris is on leave until next week."
    )
    week = timezone.localdate() + timedelta(days=7)
    champion.locator('input[name="until"]').fill(week.isoformat())
    champion.get_by_role("button", name="Save").click()
    ready(page)
    expect(alerts.locator('li[data-alert="champion_silent"]')).to_have_count(0)
    expect(alerts.locator("[data-alert-notice]")).to_contain_text("Champion silent snoozed")
    expect(alerts.locator('li[data-held="champion_silent"]')).to_contain_text(
        "“Chris is on leave until next week.”"
    )

    alerts.locator(f'[data-account-alerts="{nord}"]').get_by_role(
        "link", name="Nordwind Logistics GmbH"
    ).click()
    ready(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Health")
    before = score_shown(page)
    account_alert = page.locator('#account-alerts li[data-alert="cadence_overdue"]')
    expect(account_alert).to_contain_text("the cadence asks for one every 180 days")
    page.screenshot(path=tmp_path / "2-health.png", full_page=True)

    account_alert.get_by_role("link", name="Act on it").click()
    ready(page)
    form = page.locator("#engagement-form")
    expect(form.get_by_label("Kind")).to_have_value("qbr")
    expect(form.get_by_label("Date")).to_have_value(timezone.localdate().isoformat())
    form.get_by_label("Petra Roth — CPO").check()
    form.get_by_label("Outcome").fill("Agreed next year's volumes.")
    form.get_by_label("How it went").select_option("5")
    form.get_by_role("button", name="Log engagement").click()
    ready(page)
    expect(page.locator(".messages")).to_contain_text("logged")

    # Logging it rescored Nordwind at once: no scoring run needed to see the score rise.
    goto(page, f"{live_server.url}/accounts/{nord}/health/")
    expect(page.locator('#account-alerts li[data-alert="cadence_overdue"]')).to_have_count(0)
    after = score_shown(page)
    assert after > before
    expect(page.locator("#health-history")).to_be_visible()
    page.screenshot(path=tmp_path / "3-after.png", full_page=True)

    goto(page, f"{live_server.url}/my-accounts/")
    expect(
        page.locator(f'#my-alerts li[data-alert="cadence_overdue"][data-customer="{nord}"]')
    ).to_have_count(0)

    # On a phone the alerts and their forms stay inside the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    goto(page, f"{live_server.url}/accounts/{nord}/health/")
    page.locator("#account-alerts summary").first.click()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390
    page.screenshot(path=tmp_path / "4-phone.png", full_page=True)
