"""An officer's request to move a project to its next stage, its documents, the supervisor's
decision, and the documents each stage change needs (kept by administrators)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from approvals.access import permissions
from approvals.cases.models.project import Project, transition_choices
from approvals.cases.models.stages import Stage
from approvals.stages.evidence import stored_name


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", pgettext_lazy("stage request", "Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class RequestKind(models.TextChoices):
    """Who opened a request: an officer by hand, or a 三个一批 list import (guide section 12: the
    round is the event; a project behind its category is brought there by a supervisor's
    decision on a request the import opened, its evidence the list itself)."""

    HAND = "hand", _("By hand")
    LIST = "list", _("From a list")


class StageRequestQuerySet(models.QuerySet["StageRequest"]):
    def pending(self) -> StageRequestQuerySet:
        return self.filter(status=RequestStatus.PENDING)

    def visible_to(self, user) -> StageRequestQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")

    def awaiting(self, user) -> StageRequestQuerySet:
        """Pending requests ``user`` may decide."""
        return permissions.decidable(self.pending(), user)


class StageRequest(models.Model):
    """Written by ``workflow.request_transition``; decided only through ``workflow.decide``."""

    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="stage_requests",
    )
    transition = models.CharField(_("requested change"), max_length=30, choices=transition_choices)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("note"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=RequestKind.choices, default=RequestKind.HAND
    )
    # A request from a list (kind LIST) brings the project to the category's stage in one
    # decision, passing the stages between (each recorded); ``transition`` is then the change
    # into that stage, and the list's row is the evidence.
    target_stage = models.CharField(
        _("target stage"), max_length=20, choices=Stage.choices, blank=True
    )
    batch_entry = models.ForeignKey(
        "approvals.BatchEntry",
        verbose_name=_("list entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stage_requests",
    )
    spreadsheet_import = models.ForeignKey(
        "approvals.SpreadsheetImport",
        verbose_name=_("import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stage_requests",
    )
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("File, sheet and row it came from.")
    )
    documents_missing_reason = models.TextField(
        _("reason documents are missing (容缺)"),
        blank=True,
        help_text=_("Given when a request goes without the documents its change needs."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="stage_requests",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING,
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decision_comment = models.TextField(_("decision comment"), blank=True, editable=False)

    objects = StageRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage request")
        verbose_name_plural = _("stage requests")
        ordering = ["-requested_at", "-id"]
        permissions = [("decide_stagerequest", _("Can decide stage requests"))]
        # The list, newest first, reads a page off this index (issue 21).
        indexes = [
            models.Index(fields=["requested_at", "id"], name="stage_request_requested_id"),
            # The list sorted by a column (issue 21; tests/admin/test_sort_indexes.py).
            models.Index(fields=["transition", "id"], name="stage_request_transition_id"),
            models.Index(fields=["status", "id"], name="stage_request_status_id"),
        ]
        constraints = [
            # One open request per project: the database refuses a second one even when two
            # officers submit at the same moment.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status="pending"),
                name="stage_request_one_pending_per_project",
            ),
            # At most one request per entry of a list: a rejected one is not reopened by
            # importing the list again.
            models.UniqueConstraint(
                fields=["batch_entry"],
                condition=Q(batch_entry__isnull=False),
                name="stage_request_one_per_batch_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {Project.transition_label(self.transition)}"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def from_list(self) -> bool:
        return self.kind == RequestKind.LIST


def attachment_path(attachment: RequestAttachment, filename: str) -> str:
    return f"stage-requests/{timezone.now():%Y/%m}/{stored_name(filename)}"


class RequestAttachment(models.Model):
    """A document supporting a request: the agreement, a permit, a photo of the site."""

    request = models.ForeignKey(
        StageRequest,
        verbose_name=_("stage request"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class EvidenceRequirementQuerySet(models.QuerySet["EvidenceRequirement"]):
    def documents_needed(self, transition: str) -> str:
        """What a hand request of ``transition`` must attach, in words; empty when nothing is
        required (also for a change without a row: nothing configured, nothing required)."""
        row = self.filter(transition=transition, required=True).first()
        return row.documents if row is not None else ""


class EvidenceRequirement(models.Model):
    """The documents a stage change needs, kept by administrators per change: a request
    asked by hand without any is refused unless the officer says why they are missing (容缺),
    ``workflow.request_transition``. Migration 0031 writes one row per change: the agreement for
    签约, the construction permit or a site photo for 开工, a production photo for 投产 required;
    the others named but not required."""

    transition = models.CharField(
        _("stage change"), max_length=30, choices=transition_choices, unique=True
    )
    documents = models.CharField(
        _("documents needed"),
        max_length=200,
        blank=True,
        help_text=_("In the words the officer reads on the request form, e.g. 签订的投资协议."),
    )
    required = models.BooleanField(
        _("required"),
        default=False,
        help_text=_(
            "A request without a document is refused unless the officer gives the reason "
            "they are missing (容缺)."
        ),
    )

    objects = EvidenceRequirementQuerySet.as_manager()

    class Meta:
        verbose_name = _("documents a stage change needs")
        verbose_name_plural = _("documents stage changes need")
        ordering = ["id"]
        constraints = [
            # A refusal names what is missing: a required change says what it needs.
            models.CheckConstraint(
                condition=Q(required=False) | ~Q(documents=""),
                name="evidence_requirement_names_its_documents",
            ),
        ]

    def __str__(self) -> str:
        return Project.transition_label(self.transition)

    def clean(self) -> None:
        if self.required and not self.documents.strip():
            raise ValidationError(
                {"documents": _("Say which documents are needed: a refusal names them.")}
            )
