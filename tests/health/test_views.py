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
