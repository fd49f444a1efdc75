"""The investment report's sums kept per zone and month beside the zone's figures (issue 21).
Every kept zone is marked behind (its version up by one, no recount sent yet): the next visit
of a dashboard sends the recounts (``kept.for_board``), and until a zone's sums are counted the
report counts it live."""

from django.db import migrations, models
from django.db.models import F


def mark_behind(apps, schema_editor):
    apps.get_model("approvals", "ZoneFigures").objects.update(
        version=F("version") + 1, queued_at=None
    )


class Migration(migrations.Migration):
    dependencies = [("approvals", "0037_sort_indexes")]

    operations = [
        migrations.AddField(
            model_name="zonefigures",
            name="investment",
            field=models.JSONField(blank=True, null=True, verbose_name="investment sums per month"),
        ),
        migrations.RunPython(mark_behind, migrations.RunPython.noop),
    ]
