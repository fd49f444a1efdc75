"""Speed at 100,000 projects: the next milestone's planned date stored and indexed, and on
PostgreSQL trigram indexes (pg_trgm) for the searched names, which SQLite goes without."""

from django.conf import settings
from django.db import migrations, models

#: Search runs Django's icontains, UPPER(column::text) LIKE UPPER('%…%'): the indexes are on
#: that very expression, and serve terms of three characters or more (guide section 11).
TRIGRAM_INDEXES = {
    "project_name_trgm": ("approvals_project", "name"),
    "project_code_trgm": ("approvals_project", "code"),
    "enterprise_name_trgm": ("zones_enterprise", "name"),
}


def fill_next_milestones(apps, schema_editor) -> None:
    Project = apps.get_model("approvals", "Project")
    Milestone = apps.get_model("approvals", "Milestone")
    next_stage = {
        "reserve": "signed",
        "signed": "ready",
        "ready": "under_construction",
        "under_construction": "in_production",
        "in_production": "at_capacity",
    }
    for stage, heading_for in next_stage.items():
        planned = Milestone.objects.filter(
            project=models.OuterRef("pk"), stage=heading_for
        ).order_by()
        Project.objects.filter(stage=stage).update(
            next_milestone_on=models.Subquery(planned.values("planned_date")[:1])
        )


def add_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0013_reminder_text"),
        ("zones", "0002_enterprise_created_in_zone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="next_milestone_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="next milestone planned on"
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["next_milestone_on"], name="project_next_milestone"),
        ),
        migrations.RunPython(fill_next_milestones, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
