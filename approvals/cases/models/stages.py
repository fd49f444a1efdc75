"""The stages of a project: the forward path, the open stages, those with a milestone, and each
stage's next and previous one (the stage machine is ``Project``'s, in ``project``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    RESERVE = "reserve", _("Reserve / negotiation")
    SIGNED = "signed", _("Signed")
    READY = "ready", _("Ready to start works")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    IN_PRODUCTION = "in_production", _("In production")
    AT_CAPACITY = "at_capacity", _("At design capacity")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: The forward path, one step at a time.
FORWARD_STAGES = [
    Stage.RESERVE,
    Stage.SIGNED,
    Stage.READY,
    Stage.UNDER_CONSTRUCTION,
    Stage.IN_PRODUCTION,
    Stage.AT_CAPACITY,
]
#: Stages a project can be suspended or withdrawn from (at capacity, the case is closed).
OPEN_STAGES = FORWARD_STAGES[:-1]
#: Stages that have a milestone: the planned and actual date of reaching them.
MILESTONE_STAGES = FORWARD_STAGES[1:]
NEXT_STAGE = dict(zip(FORWARD_STAGES, FORWARD_STAGES[1:], strict=False))
PREVIOUS_STAGE = {after: before for before, after in NEXT_STAGE.items()}

#: A milestone's plan named as people say it: "计划开工日期", not "计划" glued to a stage's name
#: ("计划已开工" reads as "planned: has started", which no plan says). The import preview's rows
#: and its per-row text name plans so.
PLANNED_DATE_LABELS = {
    Stage.SIGNED: _("planned signing date"),
    Stage.READY: _("planned date ready to start works"),
    Stage.UNDER_CONSTRUCTION: _("planned start of works date"),
    Stage.IN_PRODUCTION: _("planned production date"),
    Stage.AT_CAPACITY: _("planned date at design capacity"),
}
