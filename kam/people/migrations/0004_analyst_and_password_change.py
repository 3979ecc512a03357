"""The Analyst role (sales operations) and the must-change-password flag."""

from django.db import migrations, models


def create_analyst(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Analyst")


class Migration(migrations.Migration):
    dependencies = [("people", "0003_capacity")]
    operations = [
        migrations.AddField(
            model_name="user",
            name="must_change_password",
            field=models.BooleanField(
                default=False, help_text="Must choose a new password at the next sign-in."
            ),
        ),
        migrations.RunPython(create_analyst, migrations.RunPython.noop),
    ]
