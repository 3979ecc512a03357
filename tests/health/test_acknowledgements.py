"""Acknowledging and snoozing an alert: who may, what it hides and for how long, the
digest leaving it out, and the alert coming back when it should."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kam.accounts.models import Account
from kam.audit.models import AuditEntry
from kam.engagement.models import EngagementKind
from kam.engagement.services import do_log_engagement
from kam.health.alerts import current_alerts
from kam.health.models import AlertAcknowledgement
from kam.health.services import HealthError, do_respond_to_alert, do_send_health_digests
from kam.people.roles import Role
from kam.people.services import PermissionRefused
from kam.relationships.services import do_add_contact, do_remove_contact
from kam.selection.models import KeyAccount, SelectionCycle
from kam.selection.services import do_create_cycle

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def managed(db, store, head_of_kam, make_user):
    """A tier 1 key account managed by kim, with one contact mapped (single-threaded)."""
    kim = make_user(Role.KEY_ACCOUNT_MANAGER, "kim", email="kim@example.com")
    account = Account.objects.create(customer_id="C1", name="Kronberg Group")
    cycle = do_create_cycle(head_of_kam, as_of=dt.date(2025, 12, 31), name="Cycle 1")
    key_since = dt.datetime(2025, 12, 31, 9, tzinfo=dt.UTC)  # the QBR was due on 31 Mar
    SelectionCycle.objects.filter(pk=cycle.pk).update(created_at=key_since)
    KeyAccount.objects.create(
        account=account, tier="tier_1", manager=kim, since_cycle=cycle, confirmed_cycle=cycle
    )
    do_add_contact(head_of_kam, account, name="Ada Buyer")
    return account, kim


def rules(customer_id: str, today: dt.date = TODAY, part: str = "shown") -> list[str]:
    found = current_alerts([customer_id], today)[customer_id]
    return [(a if part == "shown" else a.alert).rule for a in getattr(found, part)]


def test_the_cadence_alert_of_a_key_account_is_live_and_clears_when_the_qbr_is_logged(
    managed, head_of_kam
):
    account, kim = managed
    overdue = next(
        a for a in current_alerts(["C1"], TODAY)["C1"].shown if a.rule == "cadence_overdue"
    )
    assert overdue.why == (
        "QBR overdue by 76 days: none has been held, and the cadence asks for one every 90 days."
    )
    assert overdue.url == "/accounts/C1/engagements/new/?kind=qbr"
    do_log_engagement(
        kim, account, kind=EngagementKind.QBR, date=TODAY, today=TODAY, our_people=[kim]
    )
    assert "cadence_overdue" not in rules("C1")


def test_an_acknowledged_alert_hides_until_it_clears_and_comes_back(managed):
    account, kim = managed
    assert "single_threaded" in rules("C1")
    ack = do_respond_to_alert(
        kim, account, "single_threaded", reason="Meeting their CFO next week.", today=TODAY
    )
    assert "single_threaded" not in rules("C1")
    assert "single_threaded" in rules("C1", part="held")
    assert AuditEntry.objects.filter(object_type="health.alertacknowledgement").exists()
    # Still the same cause tomorrow: still hidden.
    assert "single_threaded" not in rules("C1", TODAY + dt.timedelta(days=1))
    second = do_add_contact(kim, account, name="Carla CFO")
    assert "single_threaded" not in rules("C1")  # cleared
    ack.refresh_from_db()
    assert ack.lapsed_at is not None
    do_remove_contact(kim, second)
    assert "single_threaded" in rules("C1")  # back, and shown again


def test_an_acknowledgement_holds_only_while_its_cause_stays_the_same(managed):
    account, kim = managed
    do_respond_to_alert(kim, account, "cadence_overdue", reason="QBR booked.", today=TODAY)
    assert "cadence_overdue" not in rules("C1")
    # A QBR held long ago moves the due date: a different overdue touchpoint, shown again.
    do_log_engagement(
        kim, account, kind=EngagementKind.QBR, date=dt.date(2026, 1, 10), today=TODAY,
        our_people=[kim],
    )  # fmt: skip
    assert "cadence_overdue" in rules("C1")


def test_a_snoozed_alert_returns_after_its_date(managed):
    account, kim = managed
    until = TODAY + dt.timedelta(days=7)
    do_respond_to_alert(
        kim, account, "single_threaded", reason="Back from holiday.", today=TODAY,
        snoozed_until=until,
    )  # fmt: skip
    assert "single_threaded" not in rules("C1")
    assert "single_threaded" not in rules("C1", until - dt.timedelta(days=1))
    assert "single_threaded" in rules("C1", until)


def test_the_digest_leaves_out_acknowledged_and_snoozed_alerts(managed):
    account, kim = managed
    do_send_health_digests(kim.__class__.objects.get(username="head"), today=TODAY)
    assert "Single-threaded" in mail.outbox[-1].body
    assert "Cadence overdue" in mail.outbox[-1].body
    do_respond_to_alert(kim, account, "single_threaded", reason="Known.", today=TODAY)
    do_respond_to_alert(
        kim, account, "cadence_overdue", reason="Booked.", today=TODAY,
        snoozed_until=TODAY + dt.timedelta(days=3),
    )  # fmt: skip
    before = len(mail.outbox)
    sent = do_send_health_digests(kim.__class__.objects.get(username="head"), today=TODAY)
    assert "Single-threaded" not in "".join(m.body for m in mail.outbox[before:])
    assert "Cadence overdue" not in "".join(m.body for m in mail.outbox[before:])
    assert all(d.manager != "kim" for d in sent)


@pytest.mark.parametrize(
    ("rule", "reason", "until", "words"),
    [
        ("single_threaded", "  ", None, "say why"),
        ("no_such_rule", "Why", None, "no alert rule"),
        ("plan_stale", "Why", None, "does not fire"),
        ("single_threaded", "Why", TODAY, "after today"),
        ("single_threaded", "Why", TODAY + dt.timedelta(days=400), "within 366 days"),
    ],
)
def test_a_response_is_refused_with_the_reason(managed, rule, reason, until, words):
    account, kim = managed
    with pytest.raises(HealthError, match=words):
        do_respond_to_alert(kim, account, rule, reason=reason, today=TODAY, snoozed_until=until)
    assert not AlertAcknowledgement.objects.exists()


def test_only_those_who_may_edit_the_account_respond(managed, make_user):
    account, _ = managed
    other = make_user(Role.KEY_ACCOUNT_MANAGER, "olli")
    for who in (other, make_user(Role.VIEWER, "vera")):
        with pytest.raises(PermissionRefused):
            do_respond_to_alert(who, account, "single_threaded", reason="Mine.", today=TODAY)
    client = Client()
    client.force_login(other)
    page = client.get(reverse("health:account", args=["C1"])).content.decode()
    assert 'data-alert="single_threaded"' in page
    assert "Acknowledge or snooze" not in page  # shown, but no form for someone who may not
    refused = client.post(
        reverse("health:respond", args=["C1"]), {"rule": "single_threaded", "reason": "x"}
    )
    assert refused.status_code == 403


def test_the_manager_snoozes_from_the_page_and_sees_it_held_back(managed):
    _, kim = managed
    client = Client()
    client.force_login(kim)
    home = client.get(reverse("engagement:my_accounts")).content.decode()
    assert 'id="my-alerts"' in home
    assert "Only one contact is mapped at this customer" in home
    until = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    done = client.post(
        reverse("health:respond", args=["C1"]),
        {"rule": "single_threaded", "reason": "Meeting the CFO.", "until": until,
         "block": "my-alerts"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert done.status_code == 200
    block = done.content.decode()
    assert 'id="my-alerts"' in block
    assert 'data-alert="single_threaded"' not in block
    assert 'data-held="single_threaded"' in block
    assert "“Meeting the CFO.”" in block
    assert "Single threaded snoozed until" in block
    bad = client.post(
        reverse("health:respond", args=["C1"]),
        {"rule": "cadence_overdue", "reason": "x", "until": "soon"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 400
    assert "is not a date" in bad.content.decode()


def test_my_accounts_lists_each_accounts_alerts_once_the_most_first_the_rest_behind_show_all(
    managed, head_of_kam
):
    """Ten key accounts with alerts: each account's name once with its alerts below it, the
    accounts with the most alerts first, eight of them shown and the others behind "Show all";
    acting on one of those keeps them shown."""
    _, kim = managed
    cycle = SelectionCycle.objects.get()
    for n in range(2, 11):
        other = Account.objects.create(customer_id=f"C{n}", name=f"Account {n:02d}")
        KeyAccount.objects.create(
            account=other, tier="tier_1", manager=kim, since_cycle=cycle, confirmed_cycle=cycle
        )
        if n % 3 == 0:  # one contact mapped: single-threaded as well as the QBR overdue
            do_add_contact(head_of_kam, other, name=f"Buyer {n}")
    today = dt.date.today()
    found = current_alerts([f"C{n}" for n in range(1, 11)], today)
    names = {"C1": "Kronberg Group", **{f"C{n}": f"Account {n:02d}" for n in range(2, 11)}}
    expected = sorted(names, key=lambda c: (-len(found[c].shown), names[c]))
    assert len({len(found[c].shown) for c in names}) > 1  # the order is not just by name
    client = Client()
    client.force_login(kim)
    home = client.get(reverse("engagement:my_accounts")).content.decode()
    panel = home.split('id="my-alerts"')[1].split("</section>")[0]
    shown, more = panel.split('class="alerts-more"')
    assert "Show all 10 accounts with alerts" in more
    groups = [g.split('"')[0] for g in panel.split('data-account-alerts="')[1:]]
    assert groups == expected
    assert all(f'data-account-alerts="{c}"' in shown for c in expected[:8])
    assert all(f'data-account-alerts="{c}"' in more for c in expected[8:])
    for customer_id, name in names.items():
        assert panel.count(f">{name}</a>") == 1  # the account named once, however many alerts
        group = panel.split(f'data-account-alerts="{customer_id}"')[1].split("</h3>")[0]
        assert f"{len(found[customer_id].shown)} alert" in group
    # Acting on an account behind "Show all" keeps them shown after the block is swapped.
    last = expected[-1]
    done = client.post(
        reverse("health:respond", args=[last]),
        {"rule": "cadence_overdue", "reason": "Booked for next week.", "block": "my-alerts",
         "more": "1"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert done.status_code == 200
    assert '<details class="alerts-more" open>' in done.content.decode()
