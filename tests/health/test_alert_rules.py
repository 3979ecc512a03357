"""The alert rules that read the apps live: each fires on its cause, says why in a
sentence, links to where to act, and clears the moment its cause goes."""

import datetime as dt

import pytest

from kam.accounts.models import Account
from kam.engagement.models import EngagementKind
from kam.engagement.services import do_log_engagement
from kam.health.alert_facts import AccountFacts, SlippingOpportunity
from kam.health.alerts import alerts_of, current_alerts
from kam.opportunities.services import (
    do_close_opportunity,
    do_create_opportunity,
    do_update_opportunity,
)
from kam.performance.models import ProgramSettings
from kam.relationships.services import do_add_contact, do_remove_contact, do_update_contact

TODAY = dt.date(2026, 6, 15)


def alert(customer_id: str, rule: str, today: dt.date = TODAY):
    shown = current_alerts([customer_id], today)[customer_id].shown
    return next((a for a in shown if a.rule == rule), None)


@pytest.fixture
def account(db, store):
    return Account.objects.create(customer_id="C1", name="Kronberg Group")


def test_defection_risk_rising_against_the_previous_run():
    risen = AccountFacts(previous_p_alive=0.8)
    fired = alerts_of([{"key": "p_alive", "raw": 0.4}], "A1", risen)
    assert [a.rule for a in fired] == ["defection_risk_rising"]
    assert "60%, up from 20% in the previous scoring run" in fired[0].why
    assert fired[0].url == "/accounts/A1/health/"
    steady = AccountFacts(previous_p_alive=0.42)  # high, but not rising: no alert
    assert alerts_of([{"key": "p_alive", "raw": 0.4}], "A1", steady) == []
    assert alerts_of([{"key": "p_alive", "raw": 0.4}], "A1") == []  # no previous run


def test_single_threaded_fires_on_one_contact_and_clears_with_a_second(account, head_of_kam):
    assert alert("C1", "single_threaded") is None  # no contact mapped is not one thread
    only = do_add_contact(head_of_kam, account, name="Ada Buyer")
    fired = alert("C1", "single_threaded")
    assert fired is not None
    assert fired.why == (
        "Only one contact is mapped at this customer: if they leave, we lose the account."
    )
    assert fired.url == "/accounts/C1/relationships/"
    second = do_add_contact(head_of_kam, account, name="Ben Finance")
    assert alert("C1", "single_threaded") is None
    do_remove_contact(head_of_kam, second)
    assert alert("C1", "single_threaded") is not None
    assert only.pk


def test_an_influential_detractor_fires_and_clears_when_won_over(account, head_of_kam):
    do_add_contact(head_of_kam, account, name="Ada Buyer")
    low = do_add_contact(head_of_kam, account, name="Len Low", influence=2, attitude=-2)
    assert alert("C1", "influential_detractor") is None  # negative, but of little influence
    cfo = do_add_contact(head_of_kam, account, name="Carla CFO", influence=5, attitude=-1)
    fired = alert("C1", "influential_detractor")
    assert fired is not None
    assert fired.why == "Carla CFO, influence 5 of 5, is against us."
    assert fired.url == f"/accounts/C1/relationships/contacts/{cfo.pk}/"
    do_update_contact(head_of_kam, cfo, attitude=1)
    assert alert("C1", "influential_detractor") is None
    assert low.pk


def test_a_champion_silent_beyond_the_cadence_clears_when_met(account, head_of_kam):
    do_add_contact(head_of_kam, account, name="Ada Buyer")
    champion = do_add_contact(
        head_of_kam, account, name="Chris Champion", buying_roles=["champion"]
    )
    fired = alert("C1", "champion_silent")
    assert fired is not None
    assert "Champion Chris Champion has not been met in any engagement logged" in fired.why
    assert "90-day cadence" in fired.why
    do_log_engagement(
        head_of_kam, account, kind=EngagementKind.CALL, date=TODAY - dt.timedelta(days=100),
        today=TODAY, our_people=[head_of_kam], contacts=[champion],
    )  # fmt: skip
    fired = alert("C1", "champion_silent")
    assert fired is not None
    assert "was last met on 7 Mar 2026" in fired.why
    do_log_engagement(
        head_of_kam, account, kind=EngagementKind.VISIT, date=TODAY - dt.timedelta(days=3),
        today=TODAY, our_people=[head_of_kam], contacts=[champion],
    )  # fmt: skip
    assert alert("C1", "champion_silent") is None


def test_a_big_opportunity_slipping_its_close_date(account, head_of_kam):
    small = do_create_opportunity(
        head_of_kam, account, name="Spares", value="5000",
        expected_close_date=TODAY - dt.timedelta(days=30), product_category="Pumps",
    )  # fmt: skip
    big = do_create_opportunity(
        head_of_kam, account, name="Plant retrofit", value="250000",
        expected_close_date=TODAY + dt.timedelta(days=20), product_category="Pumps",
    )  # fmt: skip
    assert alert("C1", "opportunity_slipping") is None  # the late one is small
    do_update_opportunity(head_of_kam, big, expected_close_date=dt.date(2026, 9, 30))
    moved = alert("C1", "opportunity_slipping")
    assert moved is not None
    assert moved.why == (
        "Plant retrofit, worth 250,000, has moved its expected close from 5 Jul 2026 to "
        "30 Sep 2026."
    )
    assert moved.url == f"/accounts/C1/opportunities/{big.pk}/"
    late = alert("C1", "opportunity_slipping", today=dt.date(2026, 10, 10))
    assert late is not None
    assert "is still open 10 days past its expected close on 30 Sep 2026" in late.why
    big.refresh_from_db()
    do_close_opportunity(head_of_kam, big, won=True, reason="Signed.", closed_on=TODAY)
    assert alert("C1", "opportunity_slipping") is None
    assert small.pk


def test_the_big_threshold_is_a_setting(account, head_of_kam, settings):
    do_create_opportunity(
        head_of_kam, account, name="Spares", value="5000",
        expected_close_date=TODAY - dt.timedelta(days=30), product_category="Pumps",
    )  # fmt: skip
    assert alert("C1", "opportunity_slipping") is None
    settings.KAM_BIG_OPPORTUNITY = 1000
    assert "Spares, worth 5,000, is still open 30 days" in alert("C1", "opportunity_slipping").why


def test_concentration_past_the_alert_line(db, store):
    from selection_seed import seed_buyers

    seed_buyers(store, count=40)
    ids = list(Account.objects.values_list("customer_id", flat=True))
    ProgramSettings.objects.create(pk=1, top_customer_alert_pct=1.0)
    fired = [cid for cid in ids if alert(cid, "concentration")]
    assert fired
    example = alert(fired[0], "concentration")
    assert "of the company's revenue of the last 12 months, above the 1% alert line" in (
        example.why
    )
    assert example.url == "/program/#concentration"
    ProgramSettings.objects.filter(pk=1).update(top_customer_alert_pct=95.0)
    assert not [cid for cid in ids if alert(cid, "concentration")]


def test_every_new_rule_is_quiet_without_facts():
    quiet = alerts_of([], "A1", AccountFacts(today=TODAY))
    assert quiet == []
    slipping = AccountFacts(
        today=TODAY,
        slipping=(SlippingOpportunity(1, "X", 1, TODAY, TODAY),),
    )
    assert [a.rule for a in alerts_of([], "A1", slipping)] == ["opportunity_slipping"]


def test_defection_risk_rising_reads_the_two_latest_scoring_runs(account, head_of_kam):
    from kam.health.models import HealthRun, HealthScore
    from kam.health.services import do_ensure_health_policy

    policy = do_ensure_health_policy(head_of_kam)

    def run(p_alive: float) -> None:
        scored = HealthRun.objects.create(policy=policy, as_of=TODAY)
        HealthScore.objects.create(
            run=scored, account=account, score=50.0, weight_present=1.0,
            components=[{"key": "p_alive", "points": 50.0, "raw": p_alive, "explanation": ""}],
        )  # fmt: skip

    run(0.9)
    assert alert("C1", "defection_risk_rising") is None  # one run: no rise known
    run(0.5)
    rising = alert("C1", "defection_risk_rising")
    assert rising is not None
    assert "at 50%, up from 10% in the previous scoring run" in rising.why
    run(0.5)
    assert alert("C1", "defection_risk_rising") is None  # steady since: cleared
