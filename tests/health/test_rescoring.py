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
