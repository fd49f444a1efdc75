from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0020_audit_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="held until"),
        ),
        migrations.AddField(
            model_name="job",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(
                condition=models.Q(("status", "running")),
                fields=["lease_until"],
                name="job_running_lease",
            ),
        ),
    ]
