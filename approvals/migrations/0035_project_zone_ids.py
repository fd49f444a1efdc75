"""One zone's projects as ids from an index alone (zone_id leading): every figure of a zone's
recount reads ``project_id IN (the zone's projects)`` (benchmarks/figures_recount.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0034_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["zone", "id"], name="project_zone_ids"),
        ),
    ]
