"""What PostgreSQL knows of the enterprises' matched names, for the enterprise search
(``EnterpriseAdmin.get_search_results`` reads ``UPPER(name_key) LIKE …``).

Without statistics on that expression the planner guessed that a word matches a handful of
the 20,000 enterprises, sorted every match by name to show the first 100 and took 42 ms for
氢能 (one name in six) where Django's search of the name as written, whose expression a trigram
index describes, read the name index in order and stopped at 100: 17 ms
(``benchmarks/enterprise_search.py``). Expression statistics cost no write, where an index
would cost every list that creates enterprises. SQLite plans without them."""

from django.db import migrations

STATISTICS = "enterprise_name_key_upper"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE STATISTICS IF NOT EXISTS "{STATISTICS}" '
        'ON (UPPER("name_key"::text)) FROM "zones_enterprise"'
    )
    schema_editor.execute('ANALYZE "zones_enterprise"')


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP STATISTICS IF EXISTS "{STATISTICS}"')


class Migration(migrations.Migration):
    dependencies = [("zones", "0007_enterprise_name_key")]

    operations = [migrations.RunPython(create_statistics, drop_statistics)]
