"""The worker's schedule (django-celery-beat: the daily reminder scan, the delivery retries),
registered again with django-unfold's classes so that its pages wear the admin's face.
Administrators' pages: nobody else holds a permission on them.

The schedule is not a way to run the desk's code as one likes (issue 17: an entry of
``scan_reminders`` with ``{"day": "2027-06-07"}`` escalated problems and sent reminders dated
2027): an entry names one of ``tasks.SCHEDULED_TASKS`` and gives it no argument, or the form
refuses it, and the tasks themselves take none. Every change to the schedule through the admin
— a task, a crontab, an interval, a solar or clocked schedule added, changed or deleted,
and the list's enable, disable and toggle actions — is a record of the security audit log
(``AuditKind.CONFIGURATION``): who, from where, which entry, and each field before and after.
"""

from __future__ import annotations

import calendar
import json
from typing import Any

from cron_descriptor import ExpressionDescriptor, Options
from django.contrib import admin, messages
from django.db.models.signals import post_save, pre_delete, pre_save
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from approvals.admin.base import ModelAdmin, TabularInline
from approvals.audit import services as audit
from approvals.audit.models import AuditKind
from approvals.core.display import local_time
from approvals.tasks import SCHEDULED_TASKS

SCHEDULES = (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule)
#: What the beat itself writes on a task as it runs it: not a change anybody made.
RUN_BOOKKEEPING = {"last_run_at", "total_run_count", "date_changed"}

for model in (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
    admin.site.unregister(model)


class TaskSelectWidget(UnfoldAdminSelectWidget, beat.TaskSelectWidget):
    def tasks_as_choices(self):
        return (("", ""),) + tuple((name, name) for name in SCHEDULED_TASKS)


def refusal(task: str, args: str, kwargs: str) -> dict[str, str]:
    """Why a schedule entry may not run (field → message), or nothing: the same rule for the
    form and for the list's "run now"."""
    if task not in SCHEDULED_TASKS:
        return {
            "task": gettext("“%(task)s” is not a task the schedule runs; it runs only: %(tasks)s.")
            % {"task": task, "tasks": ", ".join(SCHEDULED_TASKS)}
        }
    found = {}
    for field, value, empty in (("args", args, []), ("kwargs", kwargs, {})):
        try:
            given = json.loads(value or json.dumps(empty))
        except ValueError:
            continue  # django-celery-beat's own check names the bad JSON
        if given != empty:
            found[field] = gettext(
                "The task “%(task)s” takes no arguments: it always runs for the moment it runs. "
                "Remove %(arguments)s."
            ) % {"task": task, "arguments": json.dumps(given, ensure_ascii=False)}
    return found


def clocked_time(entry: ClockedSchedule) -> str:
    """A clocked schedule's moment in Beijing time, to the minute."""
    return local_time(entry.clocked_time)


class PeriodicTaskForm(beat.PeriodicTaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].widget = UnfoldAdminTextInputWidget()
        self.fields["regtask"].widget = TaskSelectWidget()
        # A clocked schedule names itself in UTC ("2025-10-15 02:00:00+00:00").
        self.fields["clocked"].label_from_instance = clocked_time

    def clean(self):
        data = super().clean()
        if data.get("task"):
            for field, message in refusal(
                data["task"], data.get("args", "[]"), data.get("kwargs", "{}")
            ).items():
                self.add_error(field, message)
        return data


class PeriodicTaskInline(beat.PeriodicTaskInline, TabularInline):
    # The task's model field is named "Task Name" in English, not marked for translation.
    fields = ("name", "task_shown", "args", "kwargs")
    readonly_fields = fields

    @admin.display(description=_("task"))
    def task_shown(self, obj: PeriodicTask) -> str:
        return obj.task


def _audited(action_name: str):
    """One of django-celery-beat's list actions, recorded: they change ``enabled`` by an UPDATE,
    which sends no signal."""
    action = getattr(beat.PeriodicTaskAdmin, action_name)

    def run(self, request, queryset):
        before = {task.pk: facts(task) for task in queryset}
        action(self, request, queryset)
        for task in PeriodicTask.objects.filter(pk__in=list(before)):
            _record_change(task, before[task.pk], facts(task))

    run.__name__ = action_name
    return admin.action(description=action.short_description)(run)


class TaskFilter(admin.AllValuesFieldListFilter):
    """By task, titled in Chinese: the field's name, "Task Name", is not marked for translation."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("task")


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat.PeriodicTaskAdmin, ModelAdmin):
    form = PeriodicTaskForm
    list_filter = [
        ("task", TaskFilter) if f == "task" else f for f in beat.PeriodicTaskAdmin.list_filter
    ]
    date_hierarchy = None  # beat's, by start time: a DISTINCT over the rows (no list has one)

    @admin.display(description=_("Schedule"))
    def scheduler(self, obj: PeriodicTask):
        # The model's property of that name is labelled from its name: "Scheduler".
        return obj.scheduler

    enable_tasks = _audited("enable_tasks")
    disable_tasks = _audited("disable_tasks")
    toggle_tasks = _audited("toggle_tasks")

    @admin.display(description=_("in words"))
    def crontab_translation(self, obj: PeriodicTask) -> str:
        return cron_in_words(obj.crontab) if obj.crontab else "—"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The crontab picked is described under it (beat's page script reads these): in
        # Chinese, as the crontab's own page says it; beat's view would put its English.
        extra_context = {
            **(extra_context or {}),
            "readable_crontabs": {c.pk: cron_in_words(c) for c in CrontabSchedule.objects.all()},
        }
        return super(beat.PeriodicTaskAdmin, self).changeform_view(
            request, object_id, form_url, extra_context
        )

    @admin.action(description=beat.PeriodicTaskAdmin.run_tasks.short_description)
    def run_tasks(self, request, queryset):
        """Run now only what the schedule may run (an entry written before the rule, or into
        the database directly, is named and left alone)."""
        refused = [t for t in queryset if refusal(t.task, t.args, t.kwargs)]
        for task in refused:
            for message in refusal(task.task, task.args, task.kwargs).values():
                self.message_user(request, f"{task.name}：{message}", level=messages.ERROR)
        allowed = queryset.exclude(pk__in=[t.pk for t in refused])
        if allowed.exists():
            super().run_tasks(request, allowed)


class ScheduleAdmin(ModelAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(ScheduleAdmin):
    pass


#: Cron's words for days and months as cron_descriptor's Chinese leaves them (English, from
#: Python's calendar).
CRON_WORDS = {
    **dict(
        zip(
            calendar.day_name,
            ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
            strict=True,
        )
    ),
    **{name: f"{number}月" for number, name in enumerate(calendar.month_name) if name},
}


def cron_in_words(entry: CrontabSchedule) -> str:
    """A crontab in Chinese ("在 02:00"), 24-hour clock, with its time zone; beat's own
    ``human_readable`` speaks the server's language and a 12-hour clock."""
    expression = " ".join(
        (entry.minute, entry.hour, entry.day_of_month, entry.month_of_year, entry.day_of_week)
    )
    options = Options()
    options.locale_code = "zh_CN"
    options.use_24hour_time_format = True
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except Exception:  # an expression cron_descriptor cannot read is shown as written
        return expression
    for word, chinese in CRON_WORDS.items():
        text = text.replace(word, chinese)
    return text


#: The time zones a schedule is written in: the desk's, and UTC.
TIME_ZONES = [
    ("Asia/Shanghai", _("Beijing time (Asia/Shanghai)")),
    ("UTC", _("Coordinated Universal Time (UTC)")),
]


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat.CrontabScheduleAdmin, ScheduleAdmin):
    inlines = ScheduleAdmin.inlines  # not beat's own, a plain admin inline
    list_display = ("__str__", "in_words")
    fields = (
        "in_words",
        "minute",
        "hour",
        "day_of_month",
        "month_of_year",
        "day_of_week",
        "timezone",
    )
    readonly_fields = ("in_words",)

    @admin.display(description=_("in words"))
    def in_words(self, obj: CrontabSchedule) -> str:
        return cron_in_words(obj) if obj.pk else "—"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Every time zone of the world, by its English name, was offered: the desk runs on
        # Beijing time, and UTC is kept for entries written in it.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "timezone":
            field.choices = TIME_ZONES
        return field


@admin.register(SolarSchedule)
class SolarScheduleAdmin(ScheduleAdmin):
    pass


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(beat.ClockedScheduleAdmin, ScheduleAdmin):
    inlines = ScheduleAdmin.inlines
    list_display = ("at",)

    @admin.display(description=_("date and time"), ordering="clocked_time")
    def at(self, obj: ClockedSchedule) -> str:
        return clocked_time(obj)


# --- the audit log of schedule changes --------------------------------------------------------


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # dates and times, time zones, decimals: as the page shows them


def facts(obj) -> dict[str, Any]:
    """An entry's fields as the audit record keeps them (foreign keys by id)."""
    return {
        field.attname: _plain(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.attname not in RUN_BOOKKEEPING
    }


def _record_change(obj, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    if before is None:
        audit.record(AuditKind.CONFIGURATION, obj=obj, action="added", values=after)
        return
    changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changed:
        audit.record(AuditKind.CONFIGURATION, obj=obj, action="changed", changed=changed)


# Signals rather than the admin's save hooks, so that a schedule deleted with the tasks using it
# (a cascade) records those too. Only with a request under way: the beat writes its own entries
# (their last run, and the entries of projectdesk/celery.py as it starts) with none.


def _before_save(sender, instance, **kwargs) -> None:
    if audit.current_request() is None:
        return
    old = sender.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = facts(old) if old is not None else None


def _saved(sender, instance, created, **kwargs) -> None:
    if audit.current_request() is None or not hasattr(instance, "_audit_before"):
        return
    _record_change(instance, None if created else instance._audit_before, facts(instance))
    del instance._audit_before


def _deleting(sender, instance, **kwargs) -> None:
    """Before the row goes (in the deletion's transaction): a task's name reads its schedule,
    which a cascade may already have deleted by ``post_delete``."""
    if audit.current_request() is not None:
        audit.record(
            AuditKind.CONFIGURATION, obj=instance, action="deleted", values=facts(instance)
        )


for _model in SCHEDULES:
    _uid = f"approvals.admin.schedule.{_model.__name__}"
    pre_save.connect(_before_save, sender=_model, dispatch_uid=f"{_uid}.before")
    post_save.connect(_saved, sender=_model, dispatch_uid=f"{_uid}.saved")
    pre_delete.connect(_deleting, sender=_model, dispatch_uid=f"{_uid}.deleting")
