"""The version 1 checklists' note cites docs/compliance.md, which is in the repository."""

from django.db import migrations

OLD = "Version 1: DESIGN.md section 3."
NEW = "Version 1: the items of docs/compliance.md."


def cite_docs(apps, schema_editor):
    apps.get_model("deals", "ChecklistTemplate").objects.filter(version=1, notes=OLD).update(notes=NEW)


def cite_design(apps, schema_editor):
    apps.get_model("deals", "ChecklistTemplate").objects.filter(version=1, notes=NEW).update(notes=OLD)


class Migration(migrations.Migration):
    dependencies = [("deals", "0013_money_rates_tenors_ranges")]

    operations = [migrations.RunPython(cite_docs, cite_design)]
