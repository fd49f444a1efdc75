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

The page shows ``PAGE`` projects at a time (issue 21, "less to send": one row per project of a
zone of 5,000 was 4.1 MB of HTML, 11,349 model instances and 5,072 ``reverse()``, 1.5–1.7 s at
100,000 projects); the whole month of the zone is the .xlsx download (``?download=xlsx``, the
same lists written by ``writing.xlsx`` in bounded memory), scoped like the page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from approvals.access import permissions
from approvals.admin.imports import download
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
from approvals.spreadsheets import writing
from zones.models import Zone

COLOURS = (Colour.RED, Colour.YELLOW, Colour.GREEN)
#: Projects per page of the page (the download has them all).
PAGE = 50


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
    #: the page shown (None: every project, the download)
    page: Page | None = None


def counts_text(counts: dict[str, int]) -> str:
    """ "红色 2 黄色 1" for the spreadsheet (a dash when none is coloured)."""
    shown = [f"{c.label} {counts[c.value]}" for c in COLOURS if counts.get(c.value)]
    return " ".join(shown) or "—"


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


def three_lists(zone: Zone, month: dt.date, user, *, page: int | str | None = None) -> ThreeLists:
    """The three lists of ``zone``'s projects ``user`` sees, by name: the ``page``-th ``PAGE``
    of them (the lists of those projects only), or all of them when ``page`` is None."""
    first, last = month.replace(day=1), end_of_month(month)
    today = timezone.localdate()
    colours = MilestoneColours.on(today)
    scoped = permissions.scope(Project.objects.filter(zone=zone), user)
    ordered = scoped.select_related("officer", "leader").order_by("name", "pk")
    shown = None
    if page is None:
        projects = list(ordered)
        ids = scoped.order_by().values("pk")  # a subquery: no list of every id in the SQL
    else:
        shown = Paginator(ordered, PAGE).get_page(page)
        projects = list(shown.object_list)
        ids = [p.pk for p in projects]
    by_id = {p.pk: p for p in projects}
    return ThreeLists(
        zone,
        first,
        _responsibility(projects, ids),
        _weeks(ids, by_id, first, last, colours),
        _monthly(ids, by_id, first),
        _progress(projects, ids, today, colours),
        shown,
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
        counts = {
            "nodes": node_counts.get(p.pk, {}),
            "items": item_counts.get(p.pk, {}),
            "problems": problem_counts.get(p.pk, {}),
        }
        progress.append(
            {
                "project": p,
                "next_milestone": Stage(heading).label if heading else "—",
                "planned": p.next_milestone_on,
                "colour": milestone,
                "milestone": badge(milestone),
                "counts": counts,
                **{key: counts_cell(value) for key, value in counts.items()},
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
        zone, month = form.cleaned_data["zone"], form.cleaned_data["month"]
        if request.GET.get("download") == "xlsx":
            lists = three_lists(zone, month, user)
            name = _("Three lists %(zone)s %(month)s.xlsx") % {
                "zone": zone.name,
                "month": f"{month:%Y-%m}",
            }
            return download(writing.xlsx(tables(lists)), name)
        lists = three_lists(zone, month, user, page=request.GET.get("page") or 1)
    query = {key: value for key, value in data.items()}
    context = {
        **admin.site.each_context(request),
        "title": _("Three lists (三清单)"),
        "form": form,
        "lists": lists,
        "no_zone": first_zone is None,
        "query": urlencode(query),
        "labels": {
            name: Project._meta.get_field(name).verbose_name
            for name in ("officer", "leader", "responsible_unit")
        },
    }
    return TemplateResponse(request, "admin/approvals/three_lists.html", context)


def tables(lists: ThreeLists) -> list[writing.Table]:
    """The three lists as the sheets of the download, for printing: the responsibility list, the
    task list's nodes and monthly figures, the progress list (counts as "红色 2 黄色 1")."""
    labels = [str(Project._meta.get_field(n).verbose_name) for n in ("officer", "leader")]
    unit = str(Project._meta.get_field("responsible_unit").verbose_name)

    def fill_colour(column: int):
        def fill(row: int, col: int, value) -> str | None:
            return colour_fills.get(value) if col == column else None

        return fill

    colour_fills = {str(c.label): c.fill for c in Colour}
    return [
        writing.Table(
            _("Responsibility list (责任清单)"),
            [_("project"), *labels, unit, _("departments answering for open problems")],
            [
                [
                    row["project"].name,
                    str(row["project"].officer or "—"),
                    str(row["project"].leader or "—"),
                    row["project"].responsible_unit or "—",
                    row["departments"],
                ]
                for row in lists.responsibility
            ],
        ),
        writing.Table(
            _("Task list (任务清单)"),
            [
                _("week"),
                _("project"),
                _("node"),
                _("planned date"),
                _("actual date"),
                _("colour"),
            ],
            [
                [
                    week.label,
                    node.project.name,
                    node.name,
                    node.planned_date,
                    node.actual_date,
                    pgettext("task node", "done")
                    if node.actual_date
                    else (str(node.colour_now.label) if node.colour_now else "—"),
                ]
                for week in lists.weeks
                for node in week.nodes
            ],
            fill=fill_colour(5),
        ),
        writing.Table(
            _("Monthly progress of %(month)s (100m yuan)") % {"month": f"{lists.month:%Y-%m}"},
            [
                _("project"),
                _("planned this year"),
                _("completed this month"),
                _("completed this year to date"),
                _("image progress (形象进度)"),
            ],
            [
                [
                    row.project.name,
                    row.annual_plan_shown,
                    row.completed_month_shown,
                    row.completed_year_shown,
                    row.image_progress or "—",
                ]
                for row in lists.monthly
            ],
        ),
        writing.Table(
            _("Progress list (进度清单)"),
            [
                _("project"),
                _("next milestone"),
                _("planned date"),
                _("milestone colour"),
                _("task nodes"),
                _("approval items"),
                _("problems"),
            ],
            [
                [
                    row["project"].name,
                    str(row["next_milestone"]),
                    row["planned"],
                    str(Colour(row["colour"]).label) if row["colour"] else "—",
                    *(counts_text(row["counts"][key]) for key in ("nodes", "items", "problems")),
                ]
                for row in lists.progress
            ],
            fill=fill_colour(3),
        ),
    ]
