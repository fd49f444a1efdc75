"""Every transition of a recorded state machine is queued for its record as it happens."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_fsm.signals import post_transition

from approvals.models import CalendarDay, RecordedMachine


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
