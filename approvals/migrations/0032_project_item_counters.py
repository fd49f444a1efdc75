"""The checklist counters kept on each project (approvals/checklist/counters.py), filled from
the items: one UPDATE ... FROM the items grouped by project, the rule of that module frozen here
as SQL (a project without items keeps the columns' default, 0)."""

from django.db import migrations, models

FILL = """
UPDATE approvals_project SET
    items_approved = c.approved,
    items_commitment = c.commitment,
    items_unified = c.unified,
    items_not_applicable = c.not_applicable,
    items_open = c.open,
    items_blocking = c.blocking
FROM (
    SELECT i.project_id,
        SUM(CASE WHEN i.mode = 'approval' AND i.status = 'approved' THEN 1 ELSE 0 END) AS approved,
        SUM(CASE WHEN i.mode = 'commitment' THEN 1 ELSE 0 END) AS commitment,
        SUM(CASE WHEN i.mode = 'unified' THEN 1 ELSE 0 END) AS unified,
        SUM(CASE WHEN i.mode = 'not_applicable' THEN 1 ELSE 0 END) AS not_applicable,
        SUM(CASE WHEN i.mode = 'approval' AND i.status <> 'approved' THEN 1 ELSE 0 END) AS open,
        SUM(CASE WHEN t.before_works AND i.mode = 'approval' AND i.status <> 'approved'
            THEN 1 ELSE 0 END) AS blocking
    FROM approvals_approvalitem i
    JOIN approvals_approvaltype t ON t.id = i.approval_type_id
    GROUP BY i.project_id
) AS c
WHERE approvals_project.id = c.project_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0031_required_documents'),
    ]

    operations = [
        migrations.AddField(
            model_name='project',
            name='items_approved',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='project',
            name='items_blocking',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='project',
            name='items_commitment',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='project',
            name='items_not_applicable',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='project',
            name='items_open',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='project',
            name='items_unified',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
    ]
