# The monthly progress table (月调度表) as a kind of spreadsheet import.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0016_problems_and_plans'),
    ]

    operations = [
        migrations.AlterField(
            model_name='spreadsheetimport',
            name='kind',
            field=models.CharField(choices=[('project_list', '三个一批 project list'), ('approval_table', 'Approval progress table'), ('monthly_table', 'Monthly progress table')], max_length=20, verbose_name='kind'),
        ),
    ]
