"""Every transition of a recorded state machine is queued for its record as it happens; a
holiday entered recounts the deadlines; a milestone, a task node or a project saved stores the
project's colour date afresh."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_fsm.signals import post_transition

from approvals.cases.lateness import store_colour_date
from approvals.models import CalendarDay, Milestone, Project, RecordedMachine, TaskNode


@receiver(post_transition, dispatch_uid="approvals.queue_transition_record")
def queue_transition_record(sender, instance, name: str, source, target, **kwargs) -> None:
    if isinstance(instance, RecordedMachine):
        instance.queue_transition_record(
            transition=name, source=source, target=target, evidence=kwargs.get("method_kwargs", {})
        )


@receiver(post_save, sender=CalendarDay, dispatch_uid="approvals.calendar_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="approvals.calendar_deleted")
def recount_deadlines(sender, **kwargs) -> None:
    """A holiday entered or corrected moves the deadlines counted across it: the worker
    recounts them after the change is committed, not the web request."""
    from approvals.jobs.services import recount_deadlines

    recount_deadlines()


@receiver(post_save, sender=Milestone, dispatch_uid="approvals.milestone_saved")
@receiver(post_delete, sender=Milestone, dispatch_uid="approvals.milestone_deleted")
@receiver(post_save, sender=TaskNode, dispatch_uid="approvals.task_node_saved")
@receiver(post_delete, sender=TaskNode, dispatch_uid="approvals.task_node_deleted")
@receiver(post_save, sender=Project, dispatch_uid="approvals.project_saved")
def refresh_colour_date(sender, instance, **kwargs) -> None:
    """A plan, an actual date, a task node or a stage changed: the project's colour date
    (``lateness.store_colour_date``; writers in bulk call ``refresh_colour_dates`` themselves).
    A signal, not save(): the rule lives above the models (it reads milestones and task nodes
    together, and the models' modules cannot import it without a cycle)."""
    store_colour_date(instance.pk if sender is Project else instance.project_id)
