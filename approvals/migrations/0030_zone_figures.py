"""The dashboard's figures kept per zone, counted by the worker after every change (issue 19)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0029_project_colour_date"),
        ("zones", "0003_administrators_and_account_security"),
    ]

    operations = [
        migrations.CreateModel(
            name="ZoneFigures",
            fields=[
                (
                    "zone",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="zones.zone",
                        verbose_name="zone",
                    ),
                ),
                ("figures", models.JSONField(blank=True, default=dict, verbose_name="figures")),
                (
                    "counted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="counted at"),
                ),
                (
                    "counted_version",
                    models.PositiveBigIntegerField(default=0, verbose_name="counted at version"),
                ),
                ("version", models.PositiveBigIntegerField(default=0, verbose_name="version")),
                (
                    "queued_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="recount queued at"),
                ),
            ],
            options={
                "verbose_name": "figures of a zone",
                "verbose_name_plural": "figures of the zones",
            },
        ),
    ]
