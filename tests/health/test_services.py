"""Scoring runs with the app-measured components: a meeting logged clears the cadence
alert and lifts the score; a missing component stays missing."""

from django.core import mail
from selection_seed import BUYERS_AS_OF, seed_buyers

from kam.accounts.models import Account
from kam.engagement.models import EngagementKind
from kam.engagement.services import do_log_engagement
from kam.health import queries
from kam.health.alerts import current_alerts
from kam.health.models import HealthScore
from kam.health.providers import health_cells
from kam.health.services import do_score_health, do_send_health_digests
from kam.people.roles import Role
from kam.selection.models import KeyAccount
from kam.selection.services import do_create_cycle


def health_text(score: float, alerts: int) -> str:
    """What *My accounts*' health column says: the score, and how many alerts to act on."""
    if not alerts:
        return f"{score:.0f}"
    return f"{score:.0f} · {alerts} alert{'s' if alerts > 1 else ''}"


def test_logging_the_overdue_meeting_clears_the_alert_and_lifts_the_score(
    db, store, head_of_kam, make_user
):
    seed_buyers(store, count=80)
    first = do_score_health(head_of_kam)
    scored = HealthScore.objects.filter(run=first).exclude(score=None).first()
    assert scored is not None
    account = Account.objects.get(customer_id=scored.account_id)
    customer_id = account.customer_id
    old = BUYERS_AS_OF.replace(month=1, day=5)
    do_log_engagement(
        head_of_kam,
        account,
        kind=EngagementKind.QBR,
        date=old,
        today=BUYERS_AS_OF,
        rating=4,
        our_people=[head_of_kam],
    )
    do_score_health(head_of_kam)
    before = queries.latest_score(account)
    assert before is not None
    engagement = next(c for c in before.components if c["key"] == "engagement")
    assert engagement["raw"] > 1  # 360 days against 90
    cell = health_cells(head_of_kam, [customer_id], BUYERS_AS_OF)[customer_id]
    shown = current_alerts([customer_id], BUYERS_AS_OF)[customer_id].shown
    assert "cadence_overdue" in [alert.rule for alert in shown]
    assert before.score is not None
    assert cell.text == health_text(before.score, len(shown))  # e.g. "62 · 1 alert"
    assert cell.attention == 2.0
    # The manager's daily digest names the alert and where to act.
    manager = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", email="kim@example.com")
    cycle = do_create_cycle(head_of_kam, as_of=first.as_of, name="Cycle 1")
    KeyAccount.objects.create(
        account=account, tier="tier_1", manager=manager, since_cycle=cycle, confirmed_cycle=cycle
    )
    sent = do_send_health_digests(head_of_kam, "https://kam.example.com")
    assert [(d.manager, d.email) for d in sent] == [("kim", "kim@example.com")]
    assert "Cadence overdue" in mail.outbox[-1].body
    assert (
        f"https://kam.example.com/accounts/{customer_id}/engagements/new/" in mail.outbox[-1].body
    )
    do_log_engagement(
        head_of_kam,
        account,
        kind=EngagementKind.QBR,
        date=first.as_of,  # the day scores are measured at: the latest transaction
        today=BUYERS_AS_OF,
        rating=5,
        our_people=[head_of_kam],
    )
    do_score_health(head_of_kam)
    after = queries.latest_score(account)
    assert after is not None
    assert before.score is not None
    assert after.score is not None
    assert after.score > before.score
    shown = current_alerts([customer_id], BUYERS_AS_OF)[customer_id].shown
    assert "cadence_overdue" not in [alert.rule for alert in shown]
    cell = health_cells(head_of_kam, [customer_id], BUYERS_AS_OF)[customer_id]
    assert cell.text == health_text(after.score, len(shown))
    assert len(queries.score_history(account)) == 3
    # No plan, no satisfaction, no coverage: missing, and the weight present says so.
    missing = {c["key"] for c in after.components if c["points"] is None}
    assert {"plan", "satisfaction", "coverage", "risks"} <= missing
    assert after.weight_present < 1
