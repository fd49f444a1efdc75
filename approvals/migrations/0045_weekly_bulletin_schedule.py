"""The weekly 督办通报's schedule entry (issue 23), kept by django-celery-beat like the daily
scan's (0012): every morning at 08:00 Beijing time. The task does nothing unless the day is the
first working day of its week on the official calendar, so that holidays move it (after the
National Day holiday of 2026 the first working day is Thursday 8 October, which an entry for
Monday to Wednesday only would miss)."""

from django.db import migrations

WEEKLY = "每周督办通报"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="8",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=WEEKLY, defaults={"task": "approvals.tasks.weekly_bulletins", "crontab": morning}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=WEEKLY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0044_channels_and_bulletins"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
