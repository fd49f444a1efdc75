"""Test oracles: slow, obvious ways of working out what the code stores or computes quickly,
for tests (and the benchmarks) to compare against. Not in production code: nothing there may
come to rely on them."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from approvals.models import Milestone, ProjectQuerySet


def with_next_milestone_worked_out(projects: ProjectQuerySet) -> ProjectQuerySet:
    """As ``with_next_milestone()``, but the planned date worked out from the milestones by a
    subquery per project instead of read from the stored ``next_milestone_on``: what the stored
    date must equal."""
    # Unordered: (project, stage) is unique, and the model ordering would join and sort in
    # every row's subquery.
    planned = (
        Milestone.objects.filter(project=OuterRef("pk"), stage=OuterRef("next_milestone_stage"))
        .order_by()
        .values("planned_date")[:1]
    )
    return projects.with_next_milestone().annotate(next_milestone_date=Subquery(planned))
