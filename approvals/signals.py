"""Every transition of a recorded state machine is queued for its record as it happens; a
holiday entered has the deadlines recounted; a milestone, a task node or a project saved stores
the project's colour date afresh; a row the figures count announces its zone's change
(``approvals/figures/changes.py``); a role granted or removed lets its holder in or locks it
out (``is_staff`` follows ``permissions.holds_a_role``); an officer made inactive leaves its
projects to their zones' supervisors (``followers.release_departed``)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_init, post_save, pre_save
from django.dispatch import receiver
from django_fsm.signals import post_transition

from approvals.access import permissions
from approvals.cases import followers
from approvals.cases.lateness import store_colour_date
from approvals.checklist import counters
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
from zones.models import Administrator, CityRole, ZoneRole


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


@receiver(post_save, sender=ApprovalItem, dispatch_uid="approvals.item_counters_saved")
@receiver(post_delete, sender=ApprovalItem, dispatch_uid="approvals.item_counters_deleted")
def item_counters(sender, instance: ApprovalItem, **kwargs) -> None:
    """An item added, removed, or its status or mode changed: its project's checklist counters
    (``checklist.counters``; writers in bulk call ``counters.store_projects`` themselves)."""
    counters.store(instance.project_id)


@receiver(post_init, sender=ApprovalType, dispatch_uid="approvals.catalogue_flag_read")
def remember_before_works(sender, instance: ApprovalType, **kwargs) -> None:
    """Whether a catalogue entry was needed before works when read (its change recounts)."""
    instance._before_works_when_read = instance.__dict__.get("before_works")


@receiver(post_save, sender=ApprovalType, dispatch_uid="approvals.figures_catalogue_saved")
def catalogue_changed(sender, instance: ApprovalType, created: bool, **kwargs) -> None:
    """An item of the catalogue needed before works or not: the checklist counters of every
    project with such an item (one UPDATE), and readiness in the zones using it."""
    if not created and instance.before_works != getattr(instance, "_before_works_when_read", None):
        counters.using_type(instance.pk)
    instance._before_works_when_read = instance.before_works
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


# --- a role lets a person in (guide section 12, "People") ----------------------------------------
# ``is_staff``, which the admin's login and every admin page ask, follows
# ``permissions.holds_a_role``: granting a person's first role lets it in, removing its last one
# locks it out. The account is saved (not updated in bulk), so that the audit log records the
# flag's change with who made it, as for any change of an account's flags.

#: The rows that grant a role (zones.models).
ROLE_ROWS = (ZoneRole, CityRole, Administrator)


def staff_follows_roles(*user_ids: int | None) -> None:
    """Set each account's ``is_staff`` to whether it holds a role now; the audit record of the
    change says why (``reason``)."""
    for user in get_user_model().objects.filter(pk__in=[pk for pk in user_ids if pk]):
        holds = permissions.holds_a_role(user)
        if user.is_staff != holds:
            user.is_staff = holds
            user._audit_reason = "a role granted" if holds else "no role left"
            user.save(update_fields=["is_staff"])


def _role_holder_before(sender, instance, **kwargs) -> None:
    """A role moved to another person (its row's user changed) leaves the first one too."""
    if instance.pk is None:
        instance._holder_before = None
    else:
        old = sender.objects.filter(pk=instance.pk).values_list("user_id", flat=True)
        instance._holder_before = old.first()


def _role_row_changed(sender, instance, **kwargs) -> None:
    staff_follows_roles(instance.user_id, getattr(instance, "_holder_before", None))


for _model in ROLE_ROWS:
    pre_save.connect(
        _role_holder_before, sender=_model, dispatch_uid=f"approvals.staff_{_model.__name__}_before"
    )
    post_save.connect(
        _role_row_changed, sender=_model, dispatch_uid=f"approvals.staff_{_model.__name__}_saved"
    )
    post_delete.connect(
        _role_row_changed, sender=_model, dispatch_uid=f"approvals.staff_{_model.__name__}_deleted"
    )


@receiver(post_save, sender=get_user_model(), dispatch_uid="approvals.release_departed_officer")
def release_departed_officer(sender, instance, **kwargs) -> None:
    if not instance.is_active and not kwargs.get("raw"):
        followers.release_departed(instance)
