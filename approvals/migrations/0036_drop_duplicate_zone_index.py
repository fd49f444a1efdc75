"""0034_list_indexes and 0035_project_zone_ids, landed the same hour, both index a project's
(zone, id): one is enough, project_zone_ids stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0035_project_zone_ids"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="project",
            name="project_zone_id",
        ),
    ]
