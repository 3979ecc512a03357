"""Create one group per role, so roles exist from the first migration on."""

from django.db import migrations

ROLES = ("Administrator", "Head of KAM", "Key Account Manager", "Executive Sponsor", "Viewer")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
