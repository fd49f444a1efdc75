"""The default schedule of the reminders, kept by django-celery-beat so that administrators see
and change it in the admin: the scan every day at 08:30 Beijing time (it does nothing on a day
off of the official calendar), and deliveries due every five minutes (an email to try again)."""

from django.db import migrations

SCAN = "每日逾期提醒扫描"
DELIVER = "发送待发提醒"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    morning, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="8", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    often, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SCAN, defaults={"task": "approvals.tasks.scan_reminders", "crontab": morning}
    )
    PeriodicTask.objects.get_or_create(
        name=DELIVER, defaults={"task": "approvals.tasks.deliver_reminders", "interval": often}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[SCAN, DELIVER]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0011_reminders_warnings_foresight"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
