"""No interface changes or deletes an audit entry: the ORM, the admin, the web, the API,
the command line, nor SQL sent straight to the database."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from kam.accounts.models import Account
from kam.audit.choices import Action
from kam.audit.models import AppendOnly, AuditEntry
from kam.audit.trail import record
from kam.people.roles import Role


@pytest.fixture
def entry(db) -> AuditEntry:
    account = Account.objects.create(customer_id="C-1", name="Acme")
    return AuditEntry.objects.get(object_type="accounts.account", object_id=account.pk)


def test_the_orm_refuses_to_change_or_delete_an_entry(entry):
    entry.actor = "someone else"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(actor="someone else")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_update([entry], ["actor"])
    assert AuditEntry.objects.get(pk=entry.pk).actor == ""


def test_the_database_refuses_sql_that_would_rewrite_the_trail(sealed_audit, entry):
    statements = [
        "UPDATE audit_auditentry SET actor = 'someone else'",
        "DELETE FROM audit_auditentry",
    ]
    if connection.vendor == "postgresql":
        statements.append("TRUNCATE audit_auditentry")
    for statement in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEntry.objects.filter(pk=entry.pk, actor="").exists()


def test_the_admin_offers_no_add_change_or_delete(make_user, entry):
    root = make_user(Role.ADMINISTRATOR, "root")
    root.is_superuser = True
    root.save()
    client = Client()
    client.force_login(root)
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    deleted = client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    changed = client.post(
        reverse("admin:audit_auditentry_change", args=[entry.pk]), {"actor": "someone else"}
    )
    assert changed.status_code == 403
    bulk = client.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk, actor="").exists()


def test_the_web_and_the_api_have_no_way_to_write_an_entry(make_user, entry):
    root = make_user(Role.ADMINISTRATOR, "root")
    client = Client()
    client.force_login(root)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(reverse("audit_trail")).status_code == 405
    schema = client.get("/api/openapi.json").json()
    assert not [path for path in schema["paths"] if "audit" in path]
    assert AuditEntry.objects.filter(pk=entry.pk, actor="").exists()


def test_the_command_line_has_no_command_that_edits_the_trail():
    from kam.cli import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "audit" not in result.output.lower()


def test_a_restore_replaces_the_trail_with_the_exports_and_records_itself(
    make_user, store, tmp_path
):
    from kam.backup import do_export_install, do_restore_install

    root = make_user(Role.ADMINISTRATOR, "root")
    Account.objects.create(customer_id="C-1", name="Acme")
    exported = list(AuditEntry.objects.order_by("id").values_list("id", "object_repr"))
    do_export_install(root, tmp_path / "export")
    record(Action.CHANGED, object_type="accounts.account", object_repr="after the export")
    do_restore_install(root, tmp_path / "export", force=True)
    kept = list(AuditEntry.objects.order_by("id").values_list("id", "object_repr"))
    assert kept[: len(exported)] == exported
    assert "after the export" not in [text for _, text in kept]
    restored = AuditEntry.objects.get(action=Action.RESTORED)
    assert restored.actor == "root"
    assert restored.detail["replaced"] is True
