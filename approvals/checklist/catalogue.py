"""The approval catalogue (审批事项目录): each approval a project may need, its stage group, its
default mode and its statutory time limit; administrators keep it up to date. The modes an item
is handled by (审批 / 承诺 / 统一服务 / 不涉及) are named here too, with those that settle it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    COMMITMENT = "commitment", _("Commitment")
    UNIFIED = "unified", _("Unified service by the zone")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


#: Modes that count as settled whatever the status: nothing is left to obtain before works.
SETTLED_MODES = (Mode.COMMITMENT, Mode.UNIFIED, Mode.NOT_APPLICABLE)
#: Modes a person sets only with a reason: they settle an item without any procedure.
MODES_NEEDING_REASON = (Mode.NOT_APPLICABLE, Mode.UNIFIED)


class ApprovalGroup(models.TextChoices):
    LAND_AND_PLANNING = "land_planning", _("Project approval, land and planning")
    PARALLEL = "parallel", _("Parallel approvals")
    WORKS_PLANNING = "works_planning", _("Construction planning permit")
    WORKS_PERMIT = "works_permit", _("Construction permit")
    COMPLETION = "completion", _("Completion acceptance")
    PRODUCTION = "production", _("Production")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    DAYS = "days", _("calendar days")


class ApprovalType(models.Model):
    """One entry of the approval catalogue; administrators keep it up to date."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_names = models.TextField(
        _("short names"), blank=True, help_text=_("Names used in spreadsheets, one per line.")
    )
    group = models.CharField(_("stage group"), max_length=20, choices=ApprovalGroup.choices)
    agency = models.CharField(_("agency"), max_length=50)
    default_mode = models.CharField(_("default mode"), max_length=20, choices=Mode.choices)
    mode_for_approval_projects = models.CharField(
        _("mode for projects authorised by approval (核准)"),
        max_length=20,
        choices=Mode.choices,
        blank=True,
    )
    committable = models.BooleanField(
        _("may be committed"),
        default=False,
        help_text=_("Under the commitment system (承诺制) this item becomes a commitment."),
    )
    time_limit = models.PositiveSmallIntegerField(_("statutory time limit"), null=True, blank=True)
    limit_unit = models.CharField(
        _("unit"), max_length=20, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    extension = models.PositiveSmallIntegerField(
        _("possible extension"), null=True, blank=True, help_text=_("In the same unit.")
    )
    limit_note = models.CharField(_("note on the limit"), max_length=100, blank=True)
    before_works = models.BooleanField(_("must be settled before works start"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("approval type")
        verbose_name_plural = _("approval catalogue")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def short_name_list(self) -> list[str]:
        return [line.strip() for line in self.short_names.splitlines() if line.strip()]
