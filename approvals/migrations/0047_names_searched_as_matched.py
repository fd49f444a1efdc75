"""Names searched as they are matched: the admin's searches, its autocompletes and the API look
a word up in ``name_key`` folded as the names were (``zones.models.Matches``, the ``matches``
lookup), so that "(一期)" finds "（一期）". On PostgreSQL the trigram indexes of migration 0014
move from ``UPPER(name)`` to ``UPPER(name_key)``, the expression the lookup reads: as many
indexes as before, so an import that creates projects and enterprises maintains no more."""

from django.db import migrations

import zones.models

#: index → (table, column): the new ones, and the ones of migration 0014 they replace
MATCHED = {
    "project_name_key_trgm": ("approvals_project", "name_key"),
    "enterprise_name_key_trgm": ("zones_enterprise", "name_key"),
}
AS_WRITTEN = {
    "project_name_trgm": ("approvals_project", "name"),
    "enterprise_name_trgm": ("zones_enterprise", "name"),
}


def _swap(schema_editor, add: dict, drop: dict) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in add.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )
    for name in drop:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    for table in {table for table, _column in add.values()}:
        schema_editor.execute(f'ANALYZE "{table}"')  # the planner's view of the new expression


def search_matched(apps, schema_editor) -> None:
    _swap(schema_editor, MATCHED, AS_WRITTEN)


def search_as_written(apps, schema_editor) -> None:
    _swap(schema_editor, AS_WRITTEN, MATCHED)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0046_job_bulletin"),
        ("zones", "0008_enterprise_name_key_matches"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalproject",
            name="name_key",
            field=zones.models.NameKeyField(
                blank=True,
                editable=False,
                help_text="The name without spaces, full-width characters folded: how lists match it.",
                max_length=200,
                verbose_name="name as matched",
            ),
        ),
        migrations.AlterField(
            model_name="project",
            name="name_key",
            field=zones.models.NameKeyField(
                blank=True,
                editable=False,
                help_text="The name without spaces, full-width characters folded: how lists match it.",
                max_length=200,
                verbose_name="name as matched",
            ),
        ),
        migrations.RunPython(search_matched, search_as_written),
    ]
