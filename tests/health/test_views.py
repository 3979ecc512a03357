"""The health pages: a proposed policy shown beside the one in force, and the Head of
KAM's decision on it from the page (an Analyst sees it but may not decide)."""

from django.test import Client
from django.urls import reverse

from kam.analytics.health import DEFAULT_POLICY
from kam.audit.models import AuditEntry
from kam.health.models import HealthPolicyVersion, PolicyStatus
from kam.people.roles import Role


def propose():
    rules = DEFAULT_POLICY.as_dict()
    rules["weights"] = {**rules["weights"], "order_frequency": 40.0}
    return HealthPolicyVersion.objects.create(
        version=2,
        rules=rules,
        status=PolicyStatus.PROPOSED,
        note="Learned on 2024-11-30.",
        comparison={"current": {"auc": {"health": 0.66}}, "proposed": {"auc": {"health": 0.69}}},
    )


def test_the_head_of_kam_accepts_a_proposed_policy_from_the_page(db, head_of_kam, make_user):
    propose()
    analyst = make_user(Role.ANALYST, "analyst")
    client = Client()
    client.force_login(analyst)
    page = client.get(reverse("health:backtest")).content.decode()
    assert "Health policy v2" in page
    assert "0.690" in page
    assert 'value="accept"' not in page  # an Analyst may not decide
    refused = client.post(reverse("health:decide", args=[2]), {"decision": "accept"})
    assert refused.status_code == 403
    client.force_login(head_of_kam)
    assert 'value="accept"' in client.get(reverse("health:backtest")).content.decode()
    done = client.post(
        reverse("health:decide", args=[2]), {"decision": "accept", "reason": "Validated."}
    )
    assert done.status_code == 302
    decided = HealthPolicyVersion.objects.get(version=2)
    assert decided.status == PolicyStatus.ACCEPTED
    assert decided.decision_reason == "Validated."
    assert AuditEntry.objects.filter(object_type__icontains="health").exists()


def test_the_account_page_shows_each_component_with_its_weight(db, store, head_of_kam):
    from selection_seed import seed_buyers

    from kam.health.models import HealthScore
    from kam.health.services import do_score_health

    seed_buyers(store, count=40)
    run = do_score_health(head_of_kam)
    scored = HealthScore.objects.filter(run=run).exclude(score=None).first()
    assert scored is not None
    history = next(c for c in scored.components if c["key"] == "purchase_history")
    client = Client()
    client.force_login(head_of_kam)
    page = client.get(reverse("health:account", args=[scored.account_id])).content.decode()
    row = page[page.index('data-component="purchase_history"') :]
    row = row[: row.index("</tr>")]
    assert "Purchase history" in row
    # The hand-set first version gives purchase history no weight: shown, not counted.
    assert "weight 0: not counted" in row
    assert history["points"] is not None  # the buyers were buying a trend window before
    assert "ordered again within" in row
    p_alive = page[page.index('data-component="p_alive"') :]
    assert "weight 25<" in p_alive[: p_alive.index("</tr>")]  # P(alive)'s hand-set weight
