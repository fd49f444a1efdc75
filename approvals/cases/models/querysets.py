"""How projects are read: those a person sees, those named like a word, and the stage each heads
for with the planned date of reaching it."""

from __future__ import annotations

from django.db import models
from django.db.models import Case, CharField, F, Value, When

from approvals.access import permissions
from approvals.cases.models.stages import NEXT_STAGE
from zones.models import Enterprise


def _next_stage() -> Case:
    """The stage a project heads for, from its own stage ("" when none: closed or suspended)."""
    return Case(
        *[When(stage=s, then=Value(n.value)) for s, n in NEXT_STAGE.items()],
        default=Value(""),
        output_field=CharField(),
    )


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user) -> ProjectQuerySet:
        return permissions.scope(self, user, permissions.VIEW)

    def named_like(self, word: str) -> models.QuerySet:
        """The ids of projects whose name or enterprise's name contains ``word`` as names are
        matched (``name_key__matches``: "(一期)" finds "（一期）"), or whose code contains it, as
        a union of three reads that the trigram indexes serve on PostgreSQL (migrations 0014,
        0047)."""
        by_enterprise = Enterprise.objects.filter(name_key__matches=word).order_by().values("pk")
        unordered = self.order_by()  # the model's ordering joins zones, and a union refuses it
        return (
            unordered.filter(name_key__matches=word)
            .values("pk")
            .union(
                unordered.filter(code__icontains=word).values("pk"),
                unordered.filter(enterprise__in=by_enterprise).values("pk"),
            )
        )

    def with_next_milestone(self) -> ProjectQuerySet:
        """The stage a project heads for next and the planned date of reaching it, from the
        stored date (``next_milestone_on``, indexed): lists, counts by colour and the dashboard
        filter and sort by it without a subquery per project."""
        return self.annotate(
            next_milestone_stage=_next_stage(), next_milestone_date=F("next_milestone_on")
        )
