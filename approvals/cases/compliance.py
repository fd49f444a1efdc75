"""The compliance flag 开工时前期手续未办结 ("started before permits", guide section 12): the one
home of its rules, each in object form and query form side by side (tests/cases/
test_compliance.py checks that they agree).

A project carries the flag when a catch-up from a 三个一批 list brought it to "under
construction" while items needed before works were open or it had no checklist
(``Project.started_before_permits_on``, the day of that catch-up). The flag is a historical
fact and is never cleared; whether the items have *since* been settled is read from the
checklist as it stands now. Projects created by a list carry no flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.cases.models.project import Project, has_checklist, start_approvals_settled
from approvals.cases.models.stage_changes import StageChange
from approvals.cases.models.stages import Stage
from approvals.checklist.models import BLOCKING_START, ApprovalItem
from approvals.core.display import day_in_words

#: The name the compliance flag's gate is recorded under on the change into "under
#: construction" (``StageChange.gates_not_held``), with the open items counted then.
STARTED_BEFORE_PERMITS = "started_before_permits"
#: The project list's filter (合规提示): its parameter and its values (the flagged, those still
#: with items open, those settled since), which the dashboard's tile links to.
FILTER = ("compliance", "started_before_permits", "still_open", "settled_since")
#: The flag's name on pages: 开工时前期手续未办结.
LABEL = gettext_lazy("Started works before permits were settled")

# --- the moment of the catch-up (object form only: it is judged once, on the locked row) -----


def starts_before_permits(project: Project) -> bool:
    """Whether reaching "under construction" now would start works before permits: an item
    needed before works still open, or no checklist at all."""
    return not has_checklist(project) or not start_approvals_settled(project)


# --- the flag ---------------------------------------------------------------------------------


def flagged(project: Project) -> bool:
    return project.started_before_permits_on is not None


#: ``flagged`` as a condition on projects (an indexed partial: project_started_early).
FLAGGED = Q(started_before_permits_on__isnull=False)


# --- settled since? ------------------------------------------------------------------------


def still_open(project: Project) -> bool:
    """A flagged project whose before-works items are still not all settled (or that still
    has no checklist)."""
    if not flagged(project):
        return False
    return not has_checklist(project) or project.start_blockers().exists()


def still_open_condition() -> Q:
    """``still_open`` as a condition on projects."""
    items = ApprovalItem.objects.filter(project=OuterRef("pk"))
    return FLAGGED & (~Exists(items) | Exists(items.filter(BLOCKING_START)))


def settled_since(project: Project) -> bool:
    return flagged(project) and not still_open(project)


def settled_since_condition() -> Q:
    """``settled_since`` as a condition on projects."""
    return FLAGGED & ~still_open_condition()


def flagged_projects(projects=None):
    """The flagged projects among ``projects`` (every project by default)."""
    return (Project.objects.all() if projects is None else projects).filter(FLAGGED)


# --- the flag as the case file tells it -------------------------------------------------------


@dataclass(frozen=True)
class StartedBeforePermits:
    """The flag of one project: the day of the catch-up, how many before-works items were open
    then and are open now (None: no checklist, then or now)."""

    on: dt.date
    open_then: int | None
    open_now: int | None

    @property
    def settled(self) -> bool:
        """Every before-works item settled since (the object form of ``settled_since``)."""
        return self.open_now == 0

    @property
    def text(self) -> str:
        """开工时前期手续未办结（2025年4月7日补录开工时 3 项未办结；现已全部办结）"""
        day = day_in_words(self.on)
        if self.open_then is None:
            then = _("%(day)s no checklist at the catch-up to works") % {"day": day}
        else:
            then = _("%(day)s %(count)d items open at the catch-up to works") % {
                "day": day,
                "count": self.open_then,
            }
        if self.open_now is None:
            now = _("still no checklist")
        elif self.open_now:
            now = _("%(count)d still open") % {"count": self.open_now}
        else:
            now = _("all settled since")
        return _("%(flag)s (%(then)s; %(now)s)") % {"flag": LABEL, "then": then, "now": now}


def started_before_permits(project: Project) -> StartedBeforePermits | None:
    """The flag of ``project`` with its counts (two queries), None when it carries none."""
    if not flagged(project):
        return None
    counts = project.approval_items.aggregate(
        total=Count("pk"), open=Count("pk", filter=BLOCKING_START)
    )
    open_now = counts["open"] if counts["total"] else None
    return StartedBeforePermits(project.started_before_permits_on, _open_then(project), open_now)


def _open_then(project: Project) -> int | None:
    changes = StageChange.objects.filter(
        project=project, target=Stage.UNDER_CONSTRUCTION, request__isnull=False
    ).order_by("at", "pk")
    for change in changes:
        for gate in change.gates_not_held:
            if gate.get("gate") == STARTED_BEFORE_PERMITS:
                return gate.get("open_items")
    return None
