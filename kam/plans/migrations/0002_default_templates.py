"""Store the starting plan template of each alignment level (the Head of KAM edits them)."""

from django.db import migrations

LEVELS = ("vendor", "preferred_provider", "business_consultant", "partner")


def create_templates(apps, schema_editor):
    from kam.plans.defaults import default_prompts, default_required

    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    for level in LEVELS:
        PlanTemplate.objects.get_or_create(
            alignment_level=level,
            defaults={
                "required_sections": default_required(level),
                "prompts": default_prompts(level),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
