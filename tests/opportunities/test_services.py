"""Writing opportunities: who may, what the rules refuse, the verdict kept, the audit trail."""

from datetime import date

import pytest

from kam.audit.models import AuditEntry
from kam.opportunities import services
from kam.opportunities.models import Opportunity, Stage
from kam.opportunities.services import OpportunityError
from kam.opportunities.verdict import Question
from kam.people.services import PermissionRefused
from kam.revisions import EditConflict

CLOSE = date(2026, 9, 30)


def opened(user, account, **extra):
    values = {
        "name": "Cold-chain pumps",
        "value": "120000",
        "expected_close_date": CLOSE,
        "product_category": "Pumps",
        "business_unit": "North",
        "competitors": ["Acme", " Acme ", "Globex"],
    } | extra
    return services.do_create_opportunity(user, account, **values)


def test_a_manager_opens_an_opportunity_on_their_account(programme):
    made = opened(programme.kam, programme.own)
    assert (made.stage, made.probability, made.owner, made.competitors) == (
        Stage.PROSPECTING, 10, programme.kam, ["Acme", "Globex"],
    )  # fmt: skip


def test_the_opening_is_in_the_audit_trail(programme):
    made = opened(programme.kam, programme.own)
    entry = AuditEntry.objects.filter(object_type="opportunities.opportunity").get()
    assert (entry.object_id, entry.action) == (str(made.pk), "created")


@pytest.mark.parametrize("who", ["keeper", "sponsor", "viewer", "analyst"])
def test_others_may_not_open_one_on_the_account(programme, who):
    with pytest.raises(PermissionRefused):
        opened(getattr(programme, who), programme.own)


def test_the_head_of_kam_opens_one_anywhere(programme):
    assert opened(programme.head, programme.foreign).account == programme.foreign


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"name": " "}, "name"),
        ({"value": "-5"}, "value"),
        ({"value": "lots"}, "value"),
        ({"value": "nan"}, "value"),
        ({"product_category": ""}, "product_category"),
        ({"stage": "won"}, "stage"),
        ({"probability": 140}, "probability"),
    ],
)
def test_bad_input_is_refused_by_field(programme, extra, field):
    with pytest.raises(OpportunityError) as refused:
        opened(programme.kam, programme.own, **extra)
    assert field in refused.value.errors


def test_a_new_stage_takes_its_probability(programme):
    made = opened(programme.kam, programme.own)
    services.do_update_opportunity(programme.kam, made, stage=Stage.NEGOTIATION)
    assert Opportunity.objects.get(pk=made.pk).probability == 75


def test_a_stale_edit_is_a_conflict(programme):
    made = opened(programme.kam, programme.own)
    services.do_update_opportunity(programme.kam, made, value="1000", expected_revision=0)
    with pytest.raises(EditConflict):
        services.do_update_opportunity(programme.head, made, value="2000", expected_revision=0)


def test_a_lost_opportunity_says_why(programme):
    made = opened(programme.kam, programme.own)
    with pytest.raises(OpportunityError, match="why"):
        services.do_close_opportunity(programme.kam, made, won=False, reason="", closed_on=CLOSE)


def test_closing_records_the_day_and_reason(programme):
    made = opened(programme.kam, programme.own)
    services.do_close_opportunity(
        programme.kam, made, won=False, reason="Price: Acme 12% lower", closed_on=CLOSE
    )
    stored = Opportunity.objects.get(pk=made.pk)
    assert (stored.stage, stored.probability, stored.closed_on) == ("lost", 0, CLOSE)


def test_a_closed_one_is_not_edited(programme):
    made = opened(programme.kam, programme.own)
    services.do_close_opportunity(programme.kam, made, won=True, reason="", closed_on=CLOSE)
    with pytest.raises(OpportunityError):
        services.do_update_opportunity(programme.kam, made, value="1")


def test_qualifying_keeps_the_verdict_and_the_weakest_question(programme):
    made = opened(programme.kam, programme.own)
    found = services.do_qualify_opportunity(
        programme.kam,
        made,
        scores={Question.REAL: 5, Question.COMPETE: 4, Question.WIN: 2, Question.WORTH: 5},
        evidence={Question.WIN: "No champion; the CFO favours Acme."},
    )
    assert (found.verdict, found.weakest, found.win_evidence) == (
        "walk_away", "win", "No champion; the CFO favours Acme.",
    )  # fmt: skip


def test_requalifying_updates_the_verdict(programme):
    made = opened(programme.kam, programme.own)
    four = dict.fromkeys(Question, 4)
    services.do_qualify_opportunity(programme.kam, made, scores=four, evidence={})
    again = services.do_qualify_opportunity(
        programme.kam, made, scores=four | {Question.WORTH: 3}, evidence={}
    )
    assert (again.verdict, again.revision) == ("pursue", 1)


def test_a_score_outside_1_to_5_is_refused(programme):
    made = opened(programme.kam, programme.own)
    with pytest.raises(OpportunityError) as refused:
        services.do_qualify_opportunity(programme.kam, made, scores={Question.REAL: 9}, evidence={})
    assert "real_score" in refused.value.errors


def test_a_wallet_is_entered_changed_and_removed(programme):
    services.do_set_wallet_estimate(programme.kam, programme.own, category="Pumps", amount="5000")
    changed = services.do_set_wallet_estimate(
        programme.kam, programme.own, category="Pumps", amount="6000", source="survey"
    )
    assert (changed.amount, changed.source, changed.revision) == (6000, "survey", 1)
    services.do_set_wallet_estimate(programme.kam, programme.own, category="Pumps", amount="")
    assert not programme.own.wallets.exists()


def test_a_sponsor_enters_no_wallet(programme):
    with pytest.raises(PermissionRefused):
        services.do_set_wallet_estimate(
            programme.sponsor, programme.own, category="Pumps", amount="1"
        )
