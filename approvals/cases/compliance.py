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

from django.db.models import Exists, OuterRef, Q

from approvals.cases.models.project import Project, has_checklist, start_approvals_settled
from approvals.checklist.models import BLOCKING_START, ApprovalItem

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
