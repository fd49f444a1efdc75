"""Big lists (issue 21): a (column, id) index for each list's default ordering and each sortable
column of the project list, so a page is read off an index instead of sorting every visible
row; and on PostgreSQL trigram indexes (pg_trgm) for the audit log's four searched columns,
which SQLite goes without (as migration 0014 does for the project names)."""

from django.conf import settings
from django.db import migrations, models

#: Django's icontains on PostgreSQL: UPPER(column::text) LIKE UPPER('%…%'), and HOST(column)
#: for an address: the indexes are on those very expressions.
TRIGRAM_INDEXES = {
    "audit_username_trgm": ("approvals_auditevent", 'UPPER("username"::text)'),
    "audit_object_repr_trgm": ("approvals_auditevent", 'UPPER("object_repr"::text)'),
    "audit_object_id_trgm": ("approvals_auditevent", 'UPPER("object_id"::text)'),
    "audit_address_trgm": ("approvals_auditevent", 'UPPER(HOST("source_address"))'),
}


def add_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expression) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (({expression}) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0033_project_open_colour_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("zones", "0005_staff_follows_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
        migrations.AddIndex(
            model_name="approvalitem",
            index=models.Index(
                condition=models.Q(("deadline_uncovered_years", ""), _negated=True),
                fields=["deadline_uncovered_years"],
                name="approval_item_uncovered",
            ),
        ),
        migrations.RemoveIndex(
            model_name="project",
            name="project_next_milestone",
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["at", "id"], name="audit_at_id"),
        ),
        migrations.AddIndex(
            model_name="itemmodechange",
            index=models.Index(fields=["at", "id"], name="itemmodechange_at_id"),
        ),
        migrations.AddIndex(
            model_name="itemstatuschange",
            index=models.Index(fields=["at", "id"], name="itemstatuschange_at_id"),
        ),
        migrations.AddIndex(
            model_name="problemchange",
            index=models.Index(fields=["at", "id"], name="problemchange_at_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["next_milestone_on", "id"], name="project_next_milestone"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["name", "id"], name="project_name_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["code", "id"], name="project_code_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["total_investment", "id"], name="project_investment_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["zone", "id"], name="project_zone_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["enterprise", "id"], name="project_enterprise_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["stage", "id"], name="project_stage_id"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["officer", "id"], name="project_officer_id"),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(fields=["created_at", "id"], name="reminder_created_id"),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(fields=["recipient", "created_at", "id"], name="reminder_inbox"),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(fields=["day", "id"], name="reminder_day_id"),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(fields=["day", "id"], name="service_record_day_id"),
        ),
        migrations.AddIndex(
            model_name="stagechange",
            index=models.Index(fields=["at", "id"], name="stagechange_at_id"),
        ),
        migrations.AddIndex(
            model_name="stagerequest",
            index=models.Index(fields=["requested_at", "id"], name="stage_request_requested_id"),
        ),
    ]
