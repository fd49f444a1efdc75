"""Stage changes are requested and decided since 0004; the old direct permission goes."""

from django.db import migrations


def remove(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="approvals", codename="change_project_stage"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("approvals", "0005_milestone_ordering"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
