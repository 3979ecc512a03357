"""A write through the API is recorded as the token's user, through the API."""

from kam.audit.choices import Action
from kam.audit.models import AuditEntry
from kam.people.roles import Role


def test_an_api_edit_is_recorded_as_the_tokens_user(api_as, acme):
    head = api_as(Role.HEAD_OF_KAM, "hedda")
    contact = acme["contact"]
    response = head.send("PATCH", f"/api/contacts/{contact.pk}", {"revision": 0, "title": "CEO"})
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(
        action=Action.CHANGED, object_type="relationships.contact", object_id=str(contact.pk)
    )
    assert (entry.actor, entry.actor_id, entry.interface) == ("hedda", head.user.pk, "api")
    assert entry.changes["title"] == ["CFO", "CEO"]
    assert entry.account_id == acme["account"].customer_id


def test_a_refused_api_write_records_nothing(api_as, acme):
    viewer = api_as(Role.VIEWER, "vic")
    since = AuditEntry.objects.order_by("-id").first().id
    body = {"revision": 0, "title": "CEO"}
    assert viewer.send("PATCH", f"/api/contacts/{acme['contact'].pk}", body).status_code == 403
    assert not AuditEntry.objects.filter(id__gt=since).exists()
