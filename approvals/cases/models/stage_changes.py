"""The record of a project's stage changes, written by its stage machine."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.cases.models.project import Project
from approvals.cases.models.stages import Stage
from approvals.core.machine import TransitionRecord


class StageChange(TransitionRecord):
    """One change of a project's stage."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    source = models.CharField(_("from stage"), max_length=20, choices=Stage.choices, blank=True)
    target = models.CharField(_("to stage"), max_length=20, choices=Stage.choices)
    request = models.ForeignKey(
        "approvals.StageRequest",
        verbose_name=_("stage request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stage_changes",
    )
    # A catch-up from a list (guide section 12) passes gates that do not hold instead of being
    # refused by them: each is recorded here, [{"gate": name, "message": text}, ...].
    gates_not_held = models.JSONField(_("gates not held"), default=list, blank=True)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.project}: {self.get_source_display() or '—'} → {self.get_target_display()}"
