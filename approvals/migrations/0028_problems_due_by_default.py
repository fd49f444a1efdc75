"""Issue 19, "Nobody's project is nobody's" (guide section 12): a problem raised without a
deadline is due 30 days after it was reported. The model now stores that deadline when it saves
one without; the problems recorded before get it here, so that they too take a colour and climb
the reminder ladder. The help texts say who handles a problem nobody is named for."""

import datetime as dt

import approvals.core.dates
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


#: As approvals.casework.models.problem.DUE_AFTER_DAYS when this was written.
DUE_AFTER_DAYS = 30


def due_by_default(apps, schema_editor):
    Problem = apps.get_model("approvals", "Problem")
    undated = Problem.objects.filter(deadline__isnull=True)
    for day in undated.order_by().values_list("reported_on", flat=True).distinct():
        undated.filter(reported_on=day).update(deadline=day + dt.timedelta(days=DUE_AFTER_DAYS))


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0023_catch_up_from_lists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(due_by_default, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="historicalproblem",
            name="deadline",
            field=models.DateField(
                blank=True,
                help_text="Empty: 30 days after it was reported.",
                null=True,
                validators=[approvals.core.dates.validate_entered_date],
                verbose_name="deadline",
            ),
        ),
        migrations.AlterField(
            model_name="historicalproblem",
            name="responsible",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="Who follows it up and is reminded; empty: the project's officer, or, while it has none, the zone's supervisors.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="person responsible",
            ),
        ),
        migrations.AlterField(
            model_name="problem",
            name="deadline",
            field=models.DateField(
                blank=True,
                help_text="Empty: 30 days after it was reported.",
                null=True,
                validators=[approvals.core.dates.validate_entered_date],
                verbose_name="deadline",
            ),
        ),
        migrations.AlterField(
            model_name="problem",
            name="responsible",
            field=models.ForeignKey(
                blank=True,
                help_text="Who follows it up and is reminded; empty: the project's officer, or, while it has none, the zone's supervisors.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="problems",
                to=settings.AUTH_USER_MODEL,
                verbose_name="person responsible",
            ),
        ),
    ]
