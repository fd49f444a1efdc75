"""The documents each stage change needs (guide section 12), so that every database has them:
the agreement for 签约, the construction permit or a site photo for 开工, a production photo for
投产 are required; the other changes name theirs without requiring them.

Frozen here on purpose: later edits are the administrators' (or a later migration's).
"""

import approvals.cases.models.project
from django.db import migrations, models

# change, documents (as the officer reads them), required
DOCUMENTS = [
    ("sign", "签订的投资协议", True),
    ("mark_ready", "无需附件：以审批清单为据", False),
    ("start_works", "施工许可证或开工现场照片", True),
    ("start_production", "生产线运行照片或试生产报告", True),
    ("reach_capacity", "近12个月的产值统计或纳税数据", False),
    ("suspend", "企业函件或会议纪要（如有）", False),
    ("resume", "企业函件或会议纪要（如有）", False),
    ("withdraw", "企业函件或会议纪要（如有）", False),
]


def load(apps, schema_editor):
    EvidenceRequirement = apps.get_model("approvals", "EvidenceRequirement")
    for transition, documents, required in DOCUMENTS:
        EvidenceRequirement.objects.update_or_create(
            transition=transition, defaults={"documents": documents, "required": required}
        )


def unload(apps, schema_editor):
    pass  # the table goes with the migration


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0030_zone_figures'),
    ]

    operations = [
        migrations.AddField(
            model_name='stagerequest',
            name='documents_missing_reason',
            field=models.TextField(blank=True, help_text='Given when a request goes without the documents its change needs.', verbose_name='reason documents are missing (容缺)'),
        ),
        migrations.CreateModel(
            name='EvidenceRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('transition', models.CharField(choices=approvals.cases.models.project.transition_choices, max_length=30, unique=True, verbose_name='stage change')),
                ('documents', models.CharField(blank=True, help_text='In the words the officer reads on the request form, e.g. 签订的投资协议.', max_length=200, verbose_name='documents needed')),
                ('required', models.BooleanField(default=False, help_text='A request without a document is refused unless the officer gives the reason they are missing (容缺).', verbose_name='required')),
            ],
            options={
                'verbose_name': 'documents a stage change needs',
                'verbose_name_plural': 'documents stage changes need',
                'ordering': ['id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('required', False), models.Q(('documents', ''), _negated=True), _connector='OR'), name='evidence_requirement_names_its_documents')],
            },
        ),
        migrations.RunPython(load, unload),
    ]
