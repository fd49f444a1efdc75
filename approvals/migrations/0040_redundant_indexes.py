"""Indexes that another one already serves, dropped (issue 21, imports and the scan): each
cost every insert and update of its table and answered nothing the other does not.

- projects: zone, officer and enterprise alone (``project_zone_ids``, ``project_officer_id``,
  ``project_enterprise_id`` lead with them) and stage alone (``project_stage_id``);
- milestones: project alone (the unique (project, stage)); batch entries: batch alone (the
  unique (batch, project)); the transition records: ``at`` alone (their ``(at, id)``);
- the history of projects and milestones: read by the row's id only (its history page,
  ``spreadsheets.provenance``), never by code, stage, zone, people, enterprise or project.

Measured with ``benchmarks/import_bench.py`` (benchmarks/README.md section 19).
"""


import approvals.cases.project_code
import django.db.models.deletion
import django.utils.timezone
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0039_problem_awaiting_closing'),
        ('zones', '0005_staff_follows_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='batchentry',
            name='batch',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='approvals.batch', verbose_name='batch'),
        ),
        migrations.AlterField(
            model_name='historicalmilestone',
            name='project',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='approvals.project', verbose_name='project'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='code',
            field=approvals.cases.project_code.ProjectCodeField(blank=True, help_text='24 characters, e.g. 2509-140602-89-05-864976; leave empty until issued.', max_length=24, null=True, verbose_name='project code'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='enterprise',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='zones.enterprise', verbose_name='enterprise'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='leader',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='supervising leader'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='officer',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='officer'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='stage',
            field=django_fsm.FSMField(choices=[('reserve', 'Reserve / negotiation'), ('signed', 'Signed'), ('ready', 'Ready to start works'), ('under_construction', 'Under construction'), ('in_production', 'In production'), ('at_capacity', 'At design capacity'), ('suspended', 'Suspended'), ('withdrawn', 'Withdrawn')], default='reserve', max_length=20, protected=True, verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='zone',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='A project without a zone is visible to administrators only.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='zones.zone', verbose_name='zone'),
        ),
        migrations.AlterField(
            model_name='itemmodechange',
            name='at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='at'),
        ),
        migrations.AlterField(
            model_name='itemstatuschange',
            name='at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='at'),
        ),
        migrations.AlterField(
            model_name='milestone',
            name='project',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='milestones', to='approvals.project', verbose_name='project'),
        ),
        migrations.AlterField(
            model_name='problemchange',
            name='at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='at'),
        ),
        migrations.AlterField(
            model_name='project',
            name='enterprise',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='projects', to='zones.enterprise', verbose_name='enterprise'),
        ),
        migrations.AlterField(
            model_name='project',
            name='officer',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='projects_handled', to=settings.AUTH_USER_MODEL, verbose_name='officer'),
        ),
        migrations.AlterField(
            model_name='project',
            name='stage',
            field=django_fsm.FSMField(choices=[('reserve', 'Reserve / negotiation'), ('signed', 'Signed'), ('ready', 'Ready to start works'), ('under_construction', 'Under construction'), ('in_production', 'In production'), ('at_capacity', 'At design capacity'), ('suspended', 'Suspended'), ('withdrawn', 'Withdrawn')], default='reserve', max_length=20, protected=True, verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='project',
            name='zone',
            field=models.ForeignKey(blank=True, db_index=False, help_text='A project without a zone is visible to administrators only.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='projects', to='zones.zone', verbose_name='zone'),
        ),
        migrations.AlterField(
            model_name='stagechange',
            name='at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='at'),
        ),
    ]
