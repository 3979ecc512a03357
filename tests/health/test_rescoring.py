"""One account scored again when something its score reads changes through kam: the
meeting a manager logs adds a point to the account's history at once, with the latest
portfolio run's P(alive) model, and the portfolio runs stay what "the previous run" means."""

import pytest
from django.core.exceptions import PermissionDenied
from selection_seed import BUYERS_AS_OF, seed_buyers

from kam.accounts.models import Account
from kam.audit.choices import Interface
from kam.audit.context import acting
from kam.audit.models import AuditEntry
from kam.engagement.models import EngagementKind
from kam.engagement.services import do_log_engagement
from kam.health import queries
from kam.health.models import HealthRun, HealthScore
from kam.health.services import do_rescore_account, do_score_health, latest_portfolio_run
from kam.people.roles import Role


def _scored_account(run: HealthRun) -> Account:
    scored = HealthScore.objects.filter(run=run).exclude(score=None).first()
    assert scored is not None
    return Account.objects.get(customer_id=scored.account_id)


def test_a_meeting_logged_rescores_the_account_at_once(
    db, store, head_of_kam, django_capture_on_commit_callbacks
):
    seed_buyers(store, count=80)
    first = do_score_health(head_of_kam)
    assert first.alive_model
    assert first.alive_params
    account = _scored_account(first)
    before = queries.latest_score(account)
    assert before is not None
    assert before.score is not None
    with acting(Interface.WEB, head_of_kam), django_capture_on_commit_callbacks(execute=True):
        do_log_engagement(
            head_of_kam,
            account,
            kind=EngagementKind.QBR,
            date=first.as_of,
            today=BUYERS_AS_OF,
            rating=5,
            our_people=[head_of_kam],
        )
    history = queries.score_history(account)
    assert len(history) == 2
    after = queries.latest_score(account)
    assert after is not None
    assert after.score is not None
    assert after.score > before.score
    run = after.run
    assert run.rescored_id == account.customer_id
    assert run.accounts == 1
    assert run.as_of == first.as_of
    assert run.alive_params == first.alive_params
    assert HealthScore.objects.filter(run=run).count() == 1
    # P(alive) is read from the portfolio run's model, not fitted again: the same value.
    alive = {c["key"]: c["raw"] for c in after.components}["p_alive"]
    assert alive == pytest.approx({c["key"]: c["raw"] for c in before.components}["p_alive"])
    # The home page's scores read the rescoring; the portfolio run is still the latest run.
    assert queries.latest_scores([account.customer_id])[account.customer_id].pk == after.pk
    assert latest_portfolio_run() == first
    assert AuditEntry.objects.filter(
        object_type="health.healthrun", object_id=str(run.pk), actor="head"
    ).exists()


def test_rescoring_needs_a_portfolio_run_and_the_right_to_change_the_account(
    db, store, head_of_kam, make_user
):
    seed_buyers(store, count=40)
    account = Account.objects.order_by("customer_id").first()
    assert account is not None
    assert do_rescore_account(head_of_kam, account) is None  # no model to read P(alive) from
    first = do_score_health(head_of_kam)
    viewer = make_user(Role.VIEWER, "vic")
    with pytest.raises(PermissionDenied):
        do_rescore_account(viewer, account)
    assert HealthRun.objects.count() == 1
    run = do_rescore_account(head_of_kam, _scored_account(first))
    assert run is not None
    assert run.rescored is not None


def test_many_writes_in_one_transaction_rescore_once(
    db, store, head_of_kam, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from kam.relationships.services import do_add_contact

    seed_buyers(store, count=40)
    first = do_score_health(head_of_kam)
    account = _scored_account(first)
    with (
        acting(Interface.WEB, head_of_kam),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        do_add_contact(head_of_kam, account, name="Petra Roth", title="CPO")
        do_add_contact(head_of_kam, account, name="Jonas Weber", title="COO")
    assert HealthRun.objects.filter(rescored=account).count() == 1
    assert len(queries.score_history(account)) == 2


def test_a_plan_edit_on_its_page_rescores_the_account_and_a_refused_one_does_not(
    transactional_db, store, client, head_of_kam, make_user
):
    """The plan's edits are saved by revision-guarded UPDATEs, which Django's ``post_save``
    does not see: marking an overdue action done on the plan page still adds a point to the
    account's health history (the plan component counts no overdue action any more), and a
    stale edit that is refused adds none. Each request commits, as in use, so the rescoring
    runs when its write is committed."""
    from datetime import timedelta

    from django.urls import reverse

    from kam.plans import services as plans

    seed_buyers(store, count=80)
    account = Account.objects.order_by("customer_id").first()
    assert account is not None
    plan = plans.do_create_plan(head_of_kam, account, today=BUYERS_AS_OF)
    action = plans.do_add_action(
        head_of_kam,
        plan,
        action="Send the renewal offer",
        owner=head_of_kam,
        due_on=BUYERS_AS_OF - timedelta(days=30),
    )
    first = do_score_health(head_of_kam)
    before = queries.latest_score(account)
    assert before is not None
    assert before.score is not None
    plan_part = {c["key"]: c for c in before.components}["plan"]
    assert "1 overdue action" in plan_part["explanation"]
    client.force_login(head_of_kam)
    htmx = {"HTTP_HX_REQUEST": "true"}

    done = reverse("plans:action_status", args=[account.customer_id, plan.pk, action.pk])
    response = client.post(done, {"status": "done", "revision": 0}, **htmx)
    assert response.status_code == 200
    history = queries.score_history(account)
    assert len(history) == 2
    after = queries.latest_score(account)
    assert after is not None
    assert after.run.rescored_id == account.customer_id
    assert after.run.as_of == first.as_of
    assert "0 overdue action" in {c["key"]: c for c in after.components}["plan"]["explanation"]
    assert after.score is not None
    assert after.score > before.score

    # Someone saves the value proposition first; the page's stale save is refused: no point.
    olli = make_user(Role.HEAD_OF_KAM, "olli", first_name="Olli", last_name="Other")
    section = plan.sections.get(key="value_proposition")
    plans.do_update_section(
        olli,
        plan,
        "value_proposition",
        {"text": "Renewal first."},
        expected_revision=section.revision,
    )
    url = reverse("plans:section", args=[account.customer_id, plan.pk, "value_proposition"])
    stale = client.post(url, {"text": "Grow the service line.", "revision": section.revision})
    assert stale.status_code == 409
    assert "Olli Other" in stale.content.decode()
    assert len(queries.score_history(account)) == 2

    # Saved again from the revision the conflict showed, it is an edit: a new point.
    saved = client.post(
        url, {"text": "Grow the service line.", "revision": section.revision + 1}, **htmx
    )
    assert saved.status_code == 200
    assert len(queries.score_history(account)) == 3
