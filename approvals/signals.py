"""Every transition of a recorded state machine is queued for its record as it happens; a
holiday entered has the deadlines recounted; a milestone, a task node or a project saved stores
the project's colour date afresh; a row the figures count announces its zone's change
(``approvals/figures/changes.py``)."""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver
from django_fsm.signals import post_transition

from approvals.cases.lateness import store_colour_date
from approvals.figures import changes as figures_changes
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Batch,
    BatchEntry,
    CalendarDay,
    Milestone,
    MonthlyProgress,
    Problem,
    Project,
    RecordedMachine,
    TaskNode,
    WarningSettings,
)


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


# --- figures follow every change (approvals/figures/changes.py) --------------------------------
# Rows saved one by one announce the zone they change; the worker counts its figures again once
# the change is committed. What imports write in bulk they announce themselves.

#: Rows of a project that the dashboard's figures count.
FIGURE_ROWS = (Milestone, ApprovalItem, BatchEntry, Problem, MonthlyProgress)


@receiver(post_init, sender=Project, dispatch_uid="approvals.figures_zone_read")
def remember_zone(sender, instance: Project, **kwargs) -> None:
    """The zone a project had when read: moved to another zone, both zones' figures change."""
    instance._zone_when_read = instance.__dict__.get("zone_id")


@receiver(post_save, sender=Project, dispatch_uid="approvals.figures_project_saved")
def project_changed(sender, instance: Project, **kwargs) -> None:
    figures_changes.changed(zones=[instance.zone_id, getattr(instance, "_zone_when_read", None)])
    instance._zone_when_read = instance.zone_id


def row_changed(sender, instance, **kwargs) -> None:
    figures_changes.changed(projects=[instance.project_id])


for _model in FIGURE_ROWS:
    post_save.connect(
        row_changed, sender=_model, dispatch_uid=f"approvals.figures_{_model.__name__}"
    )
    post_delete.connect(
        row_changed, sender=_model, dispatch_uid=f"approvals.figures_{_model.__name__}_deleted"
    )


@receiver(post_save, sender=Batch, dispatch_uid="approvals.figures_batch_saved")
def batch_changed(sender, instance: Batch, created: bool, **kwargs) -> None:
    """A round renamed or moved in time: the zones it lists projects of (a new one lists none)."""
    if not created:
        listed = BatchEntry.objects.filter(batch=instance).values_list("project_id", flat=True)
        figures_changes.changed(projects=list(listed))


@receiver(post_save, sender=ApprovalType, dispatch_uid="approvals.figures_catalogue_saved")
def catalogue_changed(sender, instance: ApprovalType, created: bool, **kwargs) -> None:
    """An item of the catalogue needed before works or not: readiness in the zones using it."""
    if not created:
        using = ApprovalItem.objects.filter(approval_type=instance).values_list(
            "project_id", flat=True
        )
        figures_changes.changed(projects=list(using.distinct()))


@receiver(post_save, sender=WarningSettings, dispatch_uid="approvals.figures_thresholds_saved")
def thresholds_changed(sender, created: bool, **kwargs) -> None:
    """The thresholds colour every zone's problems (created on first read, they hold the
    defaults already counted with)."""
    if not created:
        figures_changes.changed(everywhere=True)
