"""The names Celery knows the desk's tasks by: the beat's stored schedule entries and queued
messages name them, so they may not change when the code moves."""

import types
from pathlib import Path

from celery import Task

from approvals import tasks
from projectdesk.celery import app

#: Today's names, as stored in django-celery-beat's rows and in queued messages.
NAMES = {
    "approvals.tasks.health_check",
    "approvals.tasks.run_job",
    "approvals.tasks.requeue_jobs",
    "approvals.tasks.scan_reminders",
    "approvals.tasks.deliver_reminders",
    "approvals.tasks.recount_figures",
    "approvals.tasks.weekly_bulletins",
}


def tasks_of(module: types.ModuleType) -> set[str]:
    return {value.name for value in vars(module).values() if isinstance(value, Task)}


def test_every_task_the_schedule_may_name_is_registered():
    app.loader.import_default_modules()
    assert set(tasks.SCHEDULED_TASKS) <= set(app.tasks)


def test_the_tasks_are_registered_under_their_names():
    assert tasks_of(tasks) == NAMES


def test_the_task_names_stay_when_the_module_moves():
    """The same source loaded as another module (as after a move into a package) registers
    the same names: each is pinned with ``name=``, not generated from the module's path."""
    moved = types.ModuleType("approvals.somewhere_else.tasks")
    moved.__package__ = "approvals"  # its relative imports still find the app's modules
    source = Path(tasks.__file__).read_text(encoding="utf-8")
    exec(compile(source, "approvals/somewhere_else/tasks.py", "exec"), vars(moved))  # noqa: S102
    assert tasks_of(moved) == NAMES
