"""A role lets a person in (guide section 12): each account's ``is_staff`` set to whether it
holds a role now. From here on approvals/signals.py keeps it in step as roles are granted and
removed; accounts made before that were staff or not as whoever made them chose (a new zone's
officers could not log in, people without any role could).

The rule as it stands today (``approvals.access.permissions.holds_a_role``), on this migration's
frozen models: an administrator role, a zone role or a city role, or — in the embedded demo,
where ``SUPERUSER_POWERS`` is on — the superuser flag. Flags are set with ``update()``: the audit
log's signal handlers are not connected to historical models, and this is no person's act."""

from django.conf import settings
from django.db import migrations
from django.db.models import Q


def staff_follows_roles(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    ZoneRole = apps.get_model("zones", "ZoneRole")
    CityRole = apps.get_model("zones", "CityRole")
    Administrator = apps.get_model("zones", "Administrator")
    held = (
        Q(pk__in=Administrator.objects.values("user_id"))
        | Q(pk__in=ZoneRole.objects.values("user_id"))
        | Q(pk__in=CityRole.objects.values("user_id"))
    )
    if getattr(settings, "SUPERUSER_POWERS", False):
        held |= Q(is_superuser=True)
    User.objects.filter(held, is_staff=False).update(is_staff=True)
    User.objects.exclude(held).filter(is_staff=True).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [
        ("zones", "0004_city_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(staff_follows_roles, migrations.RunPython.noop)]
