"""Task plans (倒排工期): a project's dated nodes — 完成土地摘牌, 主体封顶, 设备安装, 试生产 —
planned and actual, coloured like milestones (``approvals/cases/colours.py``) and reminded by the same
ladder (``approvals/reminders/services.py``). The three-list view of a zone shows them by month and week."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from approvals.access import permissions
from approvals.core.dates import plan_due, validate_entered_date, validate_not_future


class TaskNodeQuerySet(models.QuerySet["TaskNode"]):
    def visible_to(self, user) -> TaskNodeQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")

    def open(self) -> TaskNodeQuerySet:
        return self.filter(actual_date__isnull=True)


class TaskNode(models.Model):
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="task_nodes",
    )
    name = models.CharField(_("node"), max_length=100, help_text=_("e.g. 完成土地摘牌, 主体封顶"))
    planned_date = models.DateField(_("planned date"), validators=[validate_entered_date])
    planned_month_only = models.BooleanField(
        _("planned by month only"),
        default=False,
        help_text=_("The plan named only a month; it is due at the end of that month."),
    )
    actual_date = models.DateField(
        _("actual date"), null=True, blank=True, validators=[validate_not_future]
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    objects = TaskNodeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task node")
        verbose_name_plural = _("task plan (倒排工期)")
        ordering = ["project_id", "planned_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="task_node_unique_name"),
        ]
        indexes = [
            # The reminder scan and the three-list view read open nodes by planned date.
            models.Index(
                fields=["planned_date", "project"],
                name="task_node_open_due",
                condition=Q(actual_date__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.planned_date = plan_due(self.planned_date, self.planned_month_only)
        super().save(*args, **kwargs)
