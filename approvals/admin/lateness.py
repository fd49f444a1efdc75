"""How late a project is, on its pages: the next milestone and the project's colour in the list
(its filter is ``colour_filters.ProjectColourFilter``), every milestone's colour on the project
page, and a foreseen delay with the date works can start at the earliest and the item deciding
it."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.admin.at_scale import ParentKnownInline
from approvals.admin.base import MergesMeanwhile, StoredOnceFormSet, TabularInline
from approvals.cases.colours import MilestoneColours, badge
from approvals.cases.lateness import (
    colour_note,
    milestone_colour,
    of_record,
    stage_reached,
    stored_colour,
)
from approvals.checklist import foresight
from approvals.models import FORWARD_STAGES, ApprovalItem, Milestone, Project, Stage


def next_milestone_cell(project: Project, colours: MilestoneColours | None = None) -> str:
    """The stage a project heads for and its planned date, the project's colour (the worst of
    its open dates, from the stored colour date) and, where it is not the next milestone, the
    date that makes it red or yellow, for the list."""
    if not project.next_milestone_stage:
        return "—"
    colours = colours or MilestoneColours.on(timezone.localdate())
    label = Stage(project.next_milestone_stage).label
    planned = project.next_milestone_date
    colour = stored_colour(project, colours)
    when = planned.isoformat() if planned else gettext("not planned")
    if colour is None:
        return format_html("{} · {}", label, when)
    note = colour_note(project, colours)
    return format_html(
        '{} · {} <strong style="color:{}" title="{}">●</strong> {}{}',
        label,
        when,
        colour.ink,
        colour.label,
        colour.label,
        f" · {note}" if note else "",
    )


class MilestoneForm(MergesMeanwhile):
    """A row of the project page. On a row of record every field is disabled, so that a posted
    value is ignored, not only hidden: relabelling the signed row as the start of works moved
    开工率 with no decision (issue 17)."""

    class Meta:
        model = Milestone
        fields = ("stage", "planned_date", "planned_month_only")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.of_record = self.instance.pk is not None and of_record(self.instance)
        if self.of_record:
            for name in self._meta.fields:
                if name in self.fields:
                    self.fields[name].disabled = True


class MilestoneFormSet(StoredOnceFormSet):
    """A new row, or an open row given another stage, plans a stage still ahead: the milestone
    of a stage the project has reached is written by the change that reached it. (A stage
    another stored row has is refused as every inline's: ``StoredOnceFormSet``.)"""

    def clean(self) -> None:
        for form in self.forms:
            if form.of_record or not form.has_changed():
                continue
            stage = form.cleaned_data.get("stage")
            if stage and stage_reached(self.instance, stage):
                form.add_error(
                    "stage",
                    _(
                        "The project has reached this stage: its milestone is recorded by "
                        "the stage change, not planned here."
                    ),
                )
        super().clean()  # after: a stage reached is said once, not also as stored


class MilestoneInline(ParentKnownInline, TabularInline):
    model = Milestone
    form = MilestoneForm
    formset = MilestoneFormSet
    extra = 0
    max_num = len(FORWARD_STAGES) - 1
    fields = ("stage", "planned_date", "planned_month_only", "actual_date", "colour")
    readonly_fields = ("actual_date", "colour")  # the date is set by the change that reaches it
    # Nobody deletes a milestone here: a plan given up is a date cleared (the row keeps its
    # history), and a row of record is the workflow's. No role holds delete_milestone either.
    can_delete = False

    @admin.display(description=_("colour"))
    def colour(self, obj: Milestone) -> str:
        if not obj.pk:
            return ""
        return badge(milestone_colour(obj))


def foreseen_delay(project: Project) -> dict | None:
    """What the project page says of a foreseen delay: the planned start, the earliest start
    and the item deciding it."""
    if not project.at_risk:
        return None
    start, item_id = foresight.foresee([project.pk]).get(project.pk, (None, None))
    planned = (
        project.milestones.filter(stage=Stage.UNDER_CONSTRUCTION)
        .values_list("planned_date", flat=True)
        .first()
    )
    item = ApprovalItem.objects.select_related("approval_type").filter(pk=item_id).first()
    return {"planned": planned, "earliest": start, "item": item, "since": project.at_risk_since}
