"""三清单 (guide section 10) of a zone and a month, as a page of the admin (``admin:three_lists``):

- the responsibility list (责任清单): per project its officer, leader, responsible unit and the
  departments answering for its unsolved problems;
- the task list (任务清单): the task nodes planned in the month, by ISO week, planned and actual,
  coloured like milestones, and the month's figures of the monthly progress (月调度);
- the progress list (进度清单): per project the colour of its next milestone and how many of its
  open task nodes, running approval items and unsolved problems are red, yellow and green.

Everything is read over the projects ``permissions.scope`` gives the person (a leader: those it
follows); the zones offered are ``permissions.zones_visible``. Each list is a fixed number of
queries, whatever the number of projects.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.access import permissions
from approvals.cases.colours import (
    Colour,
    MilestoneColours,
    badge,
    problem_filter,
    task_node_colour,
    task_node_filter,
)
from approvals.checklist.services import colour_bounds
from approvals.core import units
from approvals.core.dates import end_of_month
from approvals.models import (
    NEXT_STAGE,
    UNSOLVED,
    ApprovalItem,
    MonthlyProgress,
    Problem,
    Project,
    Stage,
    TaskNode,
)
from zones.models import Zone

COLOURS = (Colour.RED, Colour.YELLOW, Colour.GREEN)


class ThreeListsForm(forms.Form):
    zone = forms.ModelChoiceField(
        label=gettext_lazy("zone"), queryset=Zone.objects.none(), empty_label=None
    )
    month = forms.DateField(
        label=gettext_lazy("month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["zone"].queryset = permissions.zones_visible(user).order_by("name")


@dataclass
class Week:
    label: str
    nodes: list[TaskNode] = field(default_factory=list)


@dataclass
class ThreeLists:
    zone: Zone
    month: dt.date
    responsibility: list[dict]
    weeks: list[Week]
    monthly: list[MonthlyProgress]
    progress: list[dict]


def counts_cell(counts: dict[str, int]) -> str:
    """ "● 红色 2 ● 黄色 1": how many rows are of each colour (a dash when none is coloured)."""
    shown = [(c.ink, c.label, counts.get(c.value, 0)) for c in COLOURS if counts.get(c.value)]
    if not shown:
        return "—"
    return format_html_join(
        " ",
        '<span class="colour-count"><strong style="color:{}">●</strong> {} {}</span>',
        shown,
    )


def _by_colour(queryset, rules) -> dict[int, dict[str, int]]:
    """Per project, how many rows of ``queryset`` each colour's rule finds: one grouped query."""
    rows = (
        queryset.order_by()
        .values("project_id")
        .annotate(**{c.value: Count("pk", filter=rules(c.value)) for c in COLOURS})
    )
    return {row["project_id"]: {c.value: row[c.value] for c in COLOURS} for row in rows}


def three_lists(zone: Zone, month: dt.date, user) -> ThreeLists:
    first, last = month.replace(day=1), end_of_month(month)
    today = timezone.localdate()
    colours = MilestoneColours.on(today)
    scoped = permissions.scope(Project.objects.filter(zone=zone), user)
    projects = list(scoped.select_related("officer", "leader").order_by("name", "pk"))
    by_id = {p.pk: p for p in projects}
    ids = scoped.order_by().values("pk")  # a subquery: no list of every id in the SQL
    return ThreeLists(
        zone,
        first,
        _responsibility(projects, ids),
        _weeks(ids, by_id, first, last, colours),
        _monthly(ids, by_id, first),
        _progress(projects, ids, today, colours),
    )


def _responsibility(projects: list[Project], ids) -> list[dict]:
    """The responsibility list (责任清单): each project, the departments of its unsolved problems."""
    departments: dict[int, set[str]] = defaultdict(set)
    for project_id, department in (
        Problem.objects.filter(project__in=ids, status__in=UNSOLVED)
        .exclude(department="")
        .values_list("project_id", "department")
    ):
        departments[project_id].add(department)
    return [
        {"project": p, "departments": "、".join(sorted(departments[p.pk])) or "—"} for p in projects
    ]


def _weeks(ids, by_id: dict, first: dt.date, last: dt.date, colours) -> list[Week]:
    """The task list (任务清单): the month's task nodes by ISO week, each with its colour today."""
    weeks: dict[tuple[int, int], Week] = {}
    nodes = TaskNode.objects.filter(project__in=ids, planned_date__range=(first, last))
    for node in nodes.order_by("planned_date", "project_id", "pk"):
        node.project = by_id[node.project_id]
        node.colour_now = task_node_colour(node, colours)
        year, week, _day = node.planned_date.isocalendar()
        if (year, week) not in weeks:
            monday = dt.date.fromisocalendar(year, week, 1)
            weeks[(year, week)] = Week(
                _("Week %(week)d (%(start)s – %(end)s)")
                % {
                    "week": week,
                    "start": f"{monday:%m-%d}",
                    "end": f"{monday + dt.timedelta(days=6):%m-%d}",
                }
            )
        weeks[(year, week)].nodes.append(node)
    return list(weeks.values())


def _monthly(ids, by_id: dict, first: dt.date) -> list[MonthlyProgress]:
    """The task list's monthly figures (月调度) of the month, by project name."""
    monthly = list(MonthlyProgress.objects.filter(project__in=ids, month=first))
    for row in monthly:
        row.project = by_id[row.project_id]
        # investment read in 亿元 to two decimals, as everywhere (``units.shown``)
        row.annual_plan_shown = units.shown(row.annual_plan)
        row.completed_month_shown = units.shown(row.completed_month)
        row.completed_year_shown = units.shown(row.completed_year)
    monthly.sort(key=lambda row: (row.project.name, row.project_id))
    return monthly


def _progress(projects: list[Project], ids, today: dt.date, colours) -> list[dict]:
    """The progress list (进度清单): each project's next milestone and its colour, and how many
    of its task nodes, approval items and problems are of each colour."""
    node_counts = _by_colour(
        TaskNode.objects.filter(project__in=ids), lambda c: task_node_filter(c, colours)
    )
    bounds = colour_bounds(today)
    item_counts = _by_colour(ApprovalItem.objects.filter(project__in=ids), bounds.filter)
    problem_counts = _by_colour(
        Problem.objects.filter(project__in=ids), lambda c: problem_filter(c, colours)
    )
    progress = []
    for p in projects:
        heading = NEXT_STAGE.get(p.stage, "")
        milestone = colours.colour(p.next_milestone_on, at_risk=p.at_risk) if heading else None
        progress.append(
            {
                "project": p,
                "next_milestone": Stage(heading).label if heading else "—",
                "planned": p.next_milestone_on,
                "milestone": badge(milestone),
                "nodes": counts_cell(node_counts.get(p.pk, {})),
                "items": counts_cell(item_counts.get(p.pk, {})),
                "problems": counts_cell(problem_counts.get(p.pk, {})),
            }
        )
    return progress


def three_lists_page(request):
    user = request.user
    if not permissions.has(user, permissions.VIEW):
        raise PermissionDenied
    zones = permissions.zones_visible(user).order_by("name")
    first_zone = zones.first()
    data = {
        "zone": request.GET.get("zone") or (first_zone.pk if first_zone else ""),
        "month": request.GET.get("month") or f"{timezone.localdate():%Y-%m}",
    }
    form = ThreeListsForm(data, user=user)
    lists = None
    if first_zone is not None and form.is_valid():
        lists = three_lists(form.cleaned_data["zone"], form.cleaned_data["month"], user)
    context = {
        **admin.site.each_context(request),
        "title": _("Three lists (三清单)"),
        "form": form,
        "lists": lists,
        "no_zone": first_zone is None,
        "labels": {
            name: Project._meta.get_field(name).verbose_name
            for name in ("officer", "leader", "responsible_unit")
        },
    }
    return TemplateResponse(request, "admin/approvals/three_lists.html", context)
