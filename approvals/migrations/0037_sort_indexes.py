"""Every sortable column of a growing list off an index (issue 21): a (column, id) index for
each column the lists sort on that had none (tests/admin/test_sort_indexes.py)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0036_drop_duplicate_zone_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="approvalitem",
            index=models.Index(fields=["accepted_on", "id"], name="approval_item_accepted_id"),
        ),
        migrations.AddIndex(
            model_name="approvalitem",
            index=models.Index(fields=["deadline", "id"], name="approval_item_deadline_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["object_type", "id"], name="audit_object_type_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["result", "id"], name="audit_result_id"),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["created_at", "id"], name="job_created_id"),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["kind", "id"], name="job_kind_id"),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["category", "id"], name="problem_category_id"),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["deadline", "id"], name="problem_deadline_id"),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(fields=["step", "id"], name="reminder_step_id"),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(fields=["kind", "id"], name="service_record_kind_id"),
        ),
        migrations.AddIndex(
            model_name="stagerequest",
            index=models.Index(fields=["transition", "id"], name="stage_request_transition_id"),
        ),
        migrations.AddIndex(
            model_name="stagerequest",
            index=models.Index(fields=["status", "id"], name="stage_request_status_id"),
        ),
    ]
