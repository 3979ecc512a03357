"""The pages: where each role lands, My accounts sorted by what needs attention with the
columns other apps fill (reserved ones "—" until then), the timeline from every source,
logging through the form, and the cadence policy's editor."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.accounts import timeline, worklist
from kam.accounts.worklist import Cell, Column, Tone
from kam.engagement import services
from kam.engagement.models import CadencePolicyVersion, Engagement
from kam.plans.models import PlanAction

pytestmark = pytest.mark.usefixtures("store")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "lands"),
    [
        ("kam", "/my-accounts/"),
        ("head", "/my-accounts/"),
        ("sponsor", "/selection/sponsored/"),
        ("viewer", "/accounts/"),
        ("analyst", "/accounts/"),
    ],
)
def test_where_each_role_lands(programme, who, lands):
    response = client_for(getattr(programme, who)).get("/")
    assert response.status_code == 302
    assert response["Location"] == lands


def test_before_the_first_selection_everyone_lands_on_the_account_list(make_user):
    from kam.people.roles import Role

    for role in (Role.HEAD_OF_KAM, Role.KEY_ACCOUNT_MANAGER):
        response = client_for(make_user(role, role.name.lower())).get("/")
        assert response["Location"] == "/accounts/"


def test_my_accounts_puts_the_overdue_account_first_with_pipeline_and_whitespace(
    programme,
):
    from kam.accounts.models import Account

    today = timezone.localdate()
    calm = Account.objects.create(customer_id="C-CALM", name="Aardvark Calm AG")
    calm.team.add(programme.kam)  # on its team, not a key account: nothing due
    services.do_log_engagement(
        programme.kam, programme.own, kind="qbr", date=today - timedelta(days=200), today=today,
        our_people=[programme.kam],
    )  # fmt: skip
    page = client_for(programme.kam).get(reverse("engagement:my_accounts")).content.decode()
    rows = page.split('<tr data-customer="')[1:]
    assert [row.split('"')[0] for row in rows] == ["C-OWN", "C-CALM"]
    own = rows[0]
    assert "overdue by" in own
    assert "tone-alert" in own
    assert "nothing open" in own  # the opportunities app fills the reserved columns
    assert "no wallet known" in own
    assert "Not a key account" in rows[1]
    assert "Open pipeline" in page
    assert "Biggest whitespace gap" in page


def test_a_registered_provider_fills_its_column_and_its_attention_sorts_the_rows(programme):
    from kam.accounts.models import Account

    calm = Account.objects.create(customer_id="C-CALM", name="Aardvark Calm AG")
    calm.team.add(programme.kam)
    asked = []

    def pipeline(user, ids, today):
        asked.append(sorted(ids))
        return {
            "C-CALM": Cell(
                "1.2M", note="3 open", tone=Tone.WARN, attention=5, reason="Deal slipping"
            )
        }

    before = worklist.COLUMNS["pipeline"]
    worklist.register_column(Column("pipeline", "Open pipeline", 60, pipeline, numeric=True))
    try:
        page = client_for(programme.kam).get(reverse("engagement:my_accounts")).content.decode()
    finally:
        worklist.register_column(before)
    assert asked == [["C-CALM", "C-OWN"]]  # asked once for every row
    rows = page.split('<tr data-customer="')[1:]
    assert rows[0].startswith("C-CALM")  # its attention outweighs the overdue QBR
    assert "1.2M" in rows[0]
    assert "Deal slipping" in rows[0]


def test_an_account_shows_at_most_three_reasons_the_rest_behind_more(programme):
    """Four columns each give a reason: the row names the first two and "+3 more" (with the
    overdue QBR), the others a click away; the row's health column says nothing twice."""
    reasons = ["Deal slipping", "Wallet shrinking", "Contract ends", "Price rise refused"]
    keys = [f"extra{n}" for n in range(len(reasons))]
    for n, (key, reason) in enumerate(zip(keys, reasons, strict=True)):
        cell = Cell("x", attention=5 - n, reason=reason)
        worklist.register_column(
            Column(key, key, 80 + n, lambda user, ids, today, c=cell: dict.fromkeys(ids, c))
        )
    try:
        page = client_for(programme.kam).get(reverse("engagement:my_accounts")).content.decode()
    finally:
        for key in keys:
            del worklist.COLUMNS[key]
    own = page.split('<tr data-customer="C-OWN"')[1].split("</td>")[0]
    first, rest = own.split('class="wl-more"')
    assert [r for r in reasons if r in first] == reasons[:2]
    assert "+3 more" in rest
    assert [r for r in reasons if r in rest] == reasons[2:]
    assert "overdue by" in rest


def test_the_head_of_kam_sees_the_managers_and_any_managers_accounts(programme):
    head = client_for(programme.head)
    overview = head.get(reverse("engagement:my_accounts")).content.decode()
    assert "Kim Keller" in overview
    assert "Kai Other" in overview
    kims = head.get(reverse("engagement:my_accounts") + "?manager=kim").content.decode()
    assert "Kim Keller's accounts" in kims
    assert 'data-customer="C-OWN"' in kims
    assert 'data-customer="C-FOREIGN"' not in kims
    # A manager asking for another's accounts sees their own.
    mine = client_for(programme.kam).get(reverse("engagement:my_accounts") + "?manager=kai")
    assert 'data-customer="C-FOREIGN"' not in mine.content.decode()


def test_logging_a_qbr_with_two_contacts_and_a_follow_up_through_the_form(programme):
    today = timezone.localdate()
    petra, jonas = programme.contacts
    response = client_for(programme.kam).post(
        reverse("engagement:new", args=["C-OWN"]),
        {
            "kind": "qbr", "status": "held", "date": today.isoformat(), "duration_minutes": 60,
            "our_people": [programme.kam.pk], "contacts": [petra.pk, jonas.pk], "rating": "4",
            "outcome": "Agreed a pilot.", "follow_up_1_action": "Send the pilot offer",
            "follow_up_1_due_on": (today + timedelta(days=7)).isoformat(),
        },
    )  # fmt: skip
    assert response.status_code == 302
    qbr = Engagement.objects.get()
    assert qbr.contacts.count() == 2
    assert qbr.rating == 4
    action = PlanAction.objects.get()
    assert (action.action, action.owner) == ("Send the pilot offer", programme.kam)
    petra.refresh_from_db()
    assert petra.last_contact_date == today
    page = client_for(programme.kam).get(reverse("engagement:account", args=["C-OWN"]))
    assert "QBR due in 90 days" in page.content.decode()


def test_the_form_keeps_the_input_and_names_what_is_wrong(programme):
    ahead = timezone.localdate() + timedelta(days=3)
    form = {"kind": "qbr", "status": "held", "date": ahead.isoformat(), "duration_minutes": 60,
            "our_people": [programme.kam.pk], "title": "Kept as typed"}  # fmt: skip
    client = client_for(programme.kam)
    response = client.post(reverse("engagement:new", args=["C-OWN"]), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "still ahead: log it as planned" in page
    assert 'value="Kept as typed"' in page
    form |= {"status": "planned", "follow_up_1_action": "No date"}
    response = client.post(reverse("engagement:new", args=["C-OWN"]), form)
    assert response.status_code == 400
    assert "A follow-up needs a due date." in response.content.decode()
    assert not Engagement.objects.exists()


def test_the_timeline_shows_every_source_and_filters_by_one(programme):
    from kam.plans.services import do_create_plan, do_cut_version

    today = timezone.localdate()
    services.do_log_engagement(
        programme.kam, programme.own, kind="workshop", title="Roadmap", date=today, today=today,
        our_people=[programme.kam],
    )  # fmt: skip
    plan = do_create_plan(programme.kam, programme.own, today=today)
    do_cut_version(programme.kam, plan, today=today, note="First cut")

    def opportunities(customer_id):
        return [timeline.TimelineEvent(date(2026, 3, 1), "opportunity_won", "Won: pallets", "")]

    # A source of its own key: the opportunities app's registered one stays as it is.
    timeline.register_timeline_provider("stand_in", "Opportunities", opportunities)
    try:
        client = client_for(programme.kam)
        page = client.get(reverse("engagement:timeline", args=["C-OWN"])).content.decode()
        only = client.get(reverse("engagement:timeline", args=["C-OWN"]) + "?source=plans")
    finally:
        timeline.SOURCES.pop("stand_in")
    assert "Workshop: Roadmap" in page
    assert "version 1" in page
    assert "First cut" in page
    assert "Made a key account (Tier 1) by Key accounts 2026" in page
    assert "Won: pallets" in page
    assert "Opportunity won" in page
    assert "Roadmap" not in only.content.decode()
    assert "version 1" in only.content.decode()


def test_the_head_of_kam_saves_a_new_cadence_version_through_the_page(programme):
    form = {
        "rule-TOTAL_FORMS": "3", "rule-INITIAL_FORMS": "0",
        "rule-0-tier": "tier_1", "rule-0-kind": "qbr", "rule-0-every_days": "60",
        "rule-1-tier": "tier_2", "rule-1-kind": "qbr", "rule-1-every_days": "90",
        "rule-2-tier": "tier_3", "rule-2-kind": "qbr", "rule-2-every_days": "",
        "note": "Tighter for the top tiers", "version": "0",
    }  # fmt: skip
    refused = client_for(programme.kam).post(reverse("engagement:cadence"), form)
    assert refused.status_code == 403
    saved = client_for(programme.head).post(reverse("engagement:cadence"), form)
    assert saved.status_code == 302
    version = CadencePolicyVersion.objects.get()
    assert [r["every_days"] for r in version.rules] == [60, 90]
    stale = client_for(programme.head).post(reverse("engagement:cadence"), form)
    assert stale.status_code == 409  # saved from version 0 while version 1 exists
