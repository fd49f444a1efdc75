"""Every stage transition is queued for the audit record as it happens."""

from django.dispatch import receiver
from django_fsm.signals import post_transition

from .models import Project


@receiver(post_transition, sender=Project, dispatch_uid="approvals.queue_stage_change")
def queue_stage_change(sender, instance: Project, name: str, source, target, **kwargs) -> None:
    instance.queue_stage_change(
        transition=name, source=source, target=target, evidence=kwargs.get("method_kwargs", {})
    )
