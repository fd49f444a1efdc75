"""Reminders: the outbox of the escalation ladder (guide sections 6 and 11).

A reminder is a row first, made by the daily scan under a unique key (what it is about, the
ladder step, the recipient, the period), so that running the scan twice, on two workers, or
again after a retry never makes a second one. It is sent afterwards by whoever claims it in
the database; a claim lapses, so a worker that died after claiming leaves it to the next run.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Step(models.TextChoices):
    OFFICER = "officer", _("Officer: it is late")
    SUPERVISOR = "supervisor", _("Supervisor: late for more than a week")
    LEADER = "leader", _("Leader: red")
    AT_RISK = "at_risk", _("Officer: foreseen delay")


class Delivery(models.TextChoices):
    PENDING = "pending", _("To send")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailState(models.TextChoices):
    NONE = "none", _("No email (inbox only)")
    PENDING = "pending", _("To send")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReminderQuerySet(models.QuerySet["Reminder"]):
    def inbox(self, user) -> ReminderQuerySet:
        """What reached ``user``: its delivered reminders."""
        return self.filter(recipient=user, delivered_at__isnull=False)

    def unread(self, user) -> ReminderQuerySet:
        return self.inbox(user).filter(read_at__isnull=True)

    def due(self, now=None) -> ReminderQuerySet:
        """Pending reminders nobody holds a live claim on, whose next attempt is due."""
        now = now or timezone.now()
        return self.filter(status=Delivery.PENDING, next_attempt_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )


class Reminder(models.Model):
    # Neither indexed alone nor checked by the database: ``reminder_once`` leads with it, and,
    # like ``subject_id`` beside it (a generic relation, unchecked), it names one of the four
    # kinds the scan writes. Every reminder the scan records pays each index and foreign-key
    # check: without this one's index and check and ``recipient``'s index, 100,000 reminders
    # inserted cost PostgreSQL 2.15 s of CPU instead of 2.80 (issue 21, benchmarks/README.md
    # section 18).
    subject_type = models.ForeignKey(
        ContentType,
        verbose_name=_("about (kind)"),
        on_delete=models.CASCADE,
        db_index=False,
        db_constraint=False,
    )
    subject_id = models.PositiveBigIntegerField(_("about (id)"))
    subject = GenericForeignKey("subject_type", "subject_id")
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    step = models.CharField(_("ladder step"), max_length=20, choices=Step.choices)
    # Not indexed alone: ``reminder_inbox`` leads with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,
    )
    period = models.PositiveIntegerField(
        _("period"),
        help_text=_("Which reminder of its step this is: 0 the first, then one a period."),
    )
    day = models.DateField(_("day"), help_text=_("The working day the scan found it due."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("reminder text"))
    link = models.CharField(_("link"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    email_status = models.CharField(
        _("email"), max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("in the inbox since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The outbox's key: one reminder per subject, step, recipient and period, whatever
            # runs the scan how often.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "step", "recipient", "period"],
                name="reminder_once",
            ),
        ]
        indexes = [
            # The sender's queue: pending rows by their next attempt.
            models.Index(
                fields=["next_attempt_at"],
                name="reminder_pending",
                condition=Q(status="pending"),
            ),
            # The list, newest first (everyone's for the system administrator, one's own inbox
            # for everyone else) and by day, reads a page off these (issue 21: 470 ms unindexed).
            models.Index(fields=["created_at", "id"], name="reminder_created_id"),
            models.Index(fields=["recipient", "created_at", "id"], name="reminder_inbox"),
            models.Index(fields=["day", "id"], name="reminder_day_id"),
            models.Index(fields=["step", "id"], name="reminder_step_id"),
            # The unread count shown on every page.
            models.Index(
                fields=["recipient"],
                name="reminder_unread",
                condition=Q(read_at__isnull=True, delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title
