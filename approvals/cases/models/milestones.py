"""A project's milestones: the planned and actual date of reaching each stage, and the
project's stored next-milestone date kept in step with them (one milestone saved or deleted, or
every project afresh after a bulk write)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from approvals.cases.models.project import Project
from approvals.cases.models.stages import MILESTONE_STAGES, NEXT_STAGE, PREVIOUS_STAGE
from approvals.core.dates import plan_due, validate_entered_date, validate_not_future


def refresh_next_milestones(among: Q | None = None) -> None:
    """Store every project's next-milestone date afresh (or those of ``among``, a condition on
    projects), one UPDATE per stage: for writers that add or move milestones in bulk (the list
    import, a migration) and so bypass Milestone.save()."""
    projects = Project.objects.all() if among is None else Project.objects.filter(among)
    for stage, heading_for in NEXT_STAGE.items():
        planned = Milestone.objects.filter(project=OuterRef("pk"), stage=heading_for).order_by()
        projects.filter(stage=stage).update(
            next_milestone_on=Subquery(planned.values("planned_date")[:1])
        )
    projects.exclude(stage__in=list(NEXT_STAGE)).exclude(next_milestone_on=None).update(
        next_milestone_on=None
    )


class Milestone(models.Model):
    """The planned and actual date of a project reaching one stage; missed ones drive reminders."""

    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="milestones",
        db_index=False,  # the unique (project, stage) leads with it
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=[(s.value, s.label) for s in MILESTONE_STAGES]
    )
    planned_date = models.DateField(
        _("planned date"), null=True, blank=True, validators=[validate_entered_date]
    )
    planned_month_only = models.BooleanField(
        _("planned by month only"),
        default=False,
        help_text=_("The plan named only a month; it is due at the end of that month."),
    )
    actual_date = models.DateField(
        _("actual date"), null=True, blank=True, validators=[validate_not_future]
    )

    # a plan moved by an import or by hand shows who moved it; read by the milestone's id
    history = HistoricalRecords(no_db_index=["project"])

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project_id", "planned_date"]  # not "project": that joins projects and zones
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="milestone_unique_stage"),
        ]
        indexes = [
            # The reminder scan asks for open milestones past their date; most rows are done,
            # so only the open ones are indexed (a full index was slower than a scan).
            models.Index(
                fields=["planned_date", "project"],
                name="milestone_open_due",
                condition=Q(actual_date__isnull=True),
            ),
            # The reports ask who reached a stage (the conversion cohort, started, producing)
            # and when (starts and productions per month): the reached ones, by stage.
            models.Index(
                fields=["stage", "actual_date", "project"],
                name="milestone_reached",
                condition=Q(actual_date__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_stage_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.planned_date = plan_due(self.planned_date, self.planned_month_only)
        super().save(*args, **kwargs)
        self._store_on_project(self.planned_date)

    def delete(self, *args: Any, **kwargs: Any):
        deleted = super().delete(*args, **kwargs)
        self._store_on_project(None)
        return deleted

    def _store_on_project(self, planned: dt.date | None) -> None:
        """The project's stored next-milestone date, when this is the milestone it heads for:
        the stage is tested in the UPDATE itself, so a stage changed meanwhile is respected."""
        Project.objects.filter(pk=self.project_id, stage=PREVIOUS_STAGE[self.stage]).update(
            next_milestone_on=planned
        )
