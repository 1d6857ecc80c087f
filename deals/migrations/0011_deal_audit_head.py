# The deal records its audit chain's length and head (docs/audit.md); 0011 fills them in.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0010_frozen_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="audit_event_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="audit event count"),
        ),
        migrations.AddField(
            model_name="deal",
            name="audit_head_hash",
            field=models.CharField(
                default="0000000000000000000000000000000000000000000000000000000000000000",
                editable=False,
                max_length=64,
                verbose_name="audit head hash",
            ),
        ),
    ]
