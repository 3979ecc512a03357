"""The database refuses to change or delete an audit entry, whatever the client.

A row in ``kam_audit_unlock`` (not a model: no interface writes it) lets a restore of a
whole install replace the trail inside its transaction (``kam.audit.trail.unsealed``).
"""

from django.db import migrations

MESSAGE = "the audit trail is append-only: an entry is never changed or deleted"

SQLITE = [
    "CREATE TABLE IF NOT EXISTS kam_audit_unlock (reason varchar(32) NOT NULL)",
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
        WHEN NOT EXISTS (SELECT 1 FROM kam_audit_unlock)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
        WHEN NOT EXISTS (SELECT 1 FROM kam_audit_unlock)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    "DROP TABLE IF EXISTS kam_audit_unlock",
]

POSTGRESQL = [
    "CREATE TABLE IF NOT EXISTS kam_audit_unlock (reason varchar(32) NOT NULL)",
    f"""CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM kam_audit_unlock) THEN
                RETURN COALESCE(OLD, NEW);
            END IF;
            RAISE EXCEPTION '{MESSAGE}';
        END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_auditentry
        FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
        FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
    "DROP TABLE IF EXISTS kam_audit_unlock",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_trail")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
