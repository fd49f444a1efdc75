"""The open projects' colour dates by zone, with what the colour counts read beside them
(at risk since, stage): the home page counts from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0032_project_item_counters"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                condition=models.Q(
                    (
                        "stage__in",
                        ["reserve", "signed", "ready", "under_construction", "in_production"],
                    )
                ),
                fields=["zone", "colour_date"],
                include=("at_risk_since", "stage"),
                name="project_open_colour",
            ),
        ),
    ]
