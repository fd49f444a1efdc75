"""The milestone thresholds' defaults name a function reading the settings, not the number a
deployment's environment gave when makemigrations ran (issue 18)."""

import django.core.validators
from django.db import migrations, models

import approvals.models.warnings


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0021_job_lease"),
    ]

    operations = [
        migrations.AlterField(
            model_name="warningsettings",
            name="milestone_red_after_days",
            field=models.PositiveSmallIntegerField(
                default=approvals.models.warnings.default_milestone_red_after_days,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(365),
                ],
                verbose_name="milestone red after (days late)",
            ),
        ),
        migrations.AlterField(
            model_name="warningsettings",
            name="milestone_yellow_within_days",
            field=models.PositiveSmallIntegerField(
                default=approvals.models.warnings.default_milestone_yellow_within_days,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(365),
                ],
                verbose_name="milestone yellow from (days before its date)",
            ),
        ),
    ]
