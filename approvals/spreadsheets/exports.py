"""The tables people take away: the project list as filtered (through django-import-export's
export page, with the headers of the import, so that an exported list reads back in), the
weekly dispatch table (周调度表, guide section 9) with its colours filled in, and the headers of
the blank templates (written by ``blanks``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Manager, Prefetch, QuerySet
from django.utils import timezone
from django.utils.encoding import force_str
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, XLSX

from approvals.cases.colours import Colour, MilestoneColours
from approvals.cases.lateness import stored_colour
from approvals.core import units
from approvals.core.units import yi  # 万元 as 亿元, the unit people read investment in
from approvals.models import (
    OPEN_STAGES,
    ApprovalItem,
    BatchEntry,
    Problem,
    Project,
    Stage,
)
from approvals.spreadsheets import writing

#: A category as the lists write it (the import reads these back).
CATEGORY_WORDS = {"sign": "签约", "start": "开工", "produce": "投产"}


def export_queryset(queryset: QuerySet) -> QuerySet:
    latest_first = BatchEntry.objects.order_by("-batch__year", "-batch__round")
    return (
        queryset.select_related("zone", "enterprise", "officer", "leader")
        .with_next_milestone()
        .prefetch_related(Prefetch("batch_entries", queryset=latest_first, to_attr="entries"))
    )


def next_milestone(
    project: Project, colours: MilestoneColours, stage_words: Mapping[str, str] | None = None
) -> tuple[str, dt.date | None, Colour | None]:
    """The stage a project heads for (in ``stage_words`` when the caller read them once), its
    planned date, and the project's colour (the worst of its open dates,
    ``lateness.stored_colour``)."""
    stage = getattr(project, "next_milestone_stage", "")
    if not stage:
        return "", None, None
    planned = getattr(project, "next_milestone_date", None)
    word = stage_words[stage] if stage_words is not None else str(Stage(stage).label)
    return word, planned, stored_colour(project, colours)


class ProjectExportResource(resources.ModelResource):
    """The project list as people read it: Chinese headers (those the import reads), investment
    in 亿元, the stage and the colour in words."""

    code = fields.Field(attribute="code", column_name="项目代码")
    name = fields.Field(attribute="name", column_name="项目名称")
    enterprise = fields.Field(attribute="enterprise__name", column_name="项目单位")
    zone = fields.Field(attribute="zone__name", column_name="所在开发区")
    industry = fields.Field(attribute="industry", column_name="行业")
    category = fields.Field(column_name="类别")
    stage = fields.Field(column_name="当前阶段")
    next_stage = fields.Field(column_name="下一节点")
    next_date = fields.Field(column_name="计划时间")
    colour = fields.Field(column_name="预警")
    total_investment = fields.Field(column_name="总投资（亿元）")
    expected_annual_output = fields.Field(column_name="预计年产值（亿元）")
    land_area_mu = fields.Field(attribute="land_area_mu", column_name="用地（亩）")
    content = fields.Field(attribute="content", column_name="建设内容及规模")
    officer = fields.Field(column_name="项目管家")
    leader = fields.Field(column_name="包联领导")
    responsible_unit = fields.Field(attribute="responsible_unit", column_name="责任单位")
    progress = fields.Field(attribute="progress", column_name="形象进度")
    notes = fields.Field(attribute="notes", column_name="备注")

    class Meta:
        model = Project
        fields = (
            "code",
            "name",
            "enterprise",
            "zone",
            "industry",
            "category",
            "stage",
            "next_stage",
            "next_date",
            "colour",
            "total_investment",
            "expected_annual_output",
            "land_area_mu",
            "content",
            "officer",
            "leader",
            "responsible_unit",
            "progress",
            "notes",
        )
        export_order = fields

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.colours = MilestoneColours.on(timezone.localdate())
        # Words read once per export, in the language active now: ``get_stage_display`` and
        # the lazy labels per row were a third of the Python time of a 5,000-row export.
        self.stage_words = {stage.value: str(stage.label) for stage in Stage}
        self.colour_words = {colour: str(colour.label) for colour in Colour}
        self.next_of: tuple[int | None, tuple] = (None, ())

    def filter_export(self, queryset, **kwargs):
        # A queryset from the page; projects already read, in order, from the worker.
        return export_queryset(queryset) if isinstance(queryset, QuerySet) else queryset

    def dehydrate_category(self, project: Project) -> str:
        """The category of the latest round that listed it, as the lists write it (签约 …)."""
        entries = getattr(project, "entries", None)
        return CATEGORY_WORDS[entries[0].category] if entries else ""

    def dehydrate_stage(self, project: Project) -> str:
        return self.stage_words.get(project.stage, project.stage)

    def next_milestone(self, project: Project) -> tuple[str, dt.date | None, str]:
        """``next_milestone`` worked out once per project for its three columns."""
        if self.next_of[0] != project.pk:
            stage, planned, colour = next_milestone(project, self.colours, self.stage_words)
            self.next_of = (
                project.pk,
                (stage, planned, self.colour_words[colour] if colour else ""),
            )
        return self.next_of[1]

    def dehydrate_next_stage(self, project: Project) -> str:
        return self.next_milestone(project)[0]

    def dehydrate_next_date(self, project: Project) -> dt.date | None:
        return self.next_milestone(project)[1]

    def dehydrate_colour(self, project: Project) -> str:
        return self.next_milestone(project)[2]

    def dehydrate_total_investment(self, project: Project) -> Decimal | None:
        return yi(project.total_investment)

    def dehydrate_expected_annual_output(self, project: Project) -> Decimal | None:
        return yi(project.expected_annual_output)

    def dehydrate_officer(self, project: Project) -> str:
        return (
            project.officer.get_full_name() or project.officer.username if project.officer else ""
        )

    def dehydrate_leader(self, project: Project) -> str:
        return project.leader.get_full_name() or project.leader.username if project.leader else ""


COLOUR_HEADER = "预警"


def colour_fill(column: int) -> writing.Fill:
    """Fill the cells of the colour column by the colour they name, in the language of the
    export (the words are read in the language active now)."""
    by_word = {str(c.label): c for c in Colour}

    def fill(row_index: int, index: int, value: Any) -> str | None:
        colour = by_word.get(value) if index == column and isinstance(value, str) else None
        return colour.fill if colour else None

    return fill


def project_rows(
    projects: Iterable[Project], fields: list[str] | None = None
) -> tuple[list[str], Iterator[list[Any]]]:
    """The headers and the rows of the project list, each row as ``ProjectExportResource``
    exports it (its dehydrate methods, its fields' widgets), written straight to the file
    without django-import-export's dataset: each field's way to a value is looked up once, not
    once per cell (issue 21, benchmarks/export_bench.py)."""
    resource = ProjectExportResource()
    columns = resource.get_export_fields(fields)
    getters = []
    for field in columns:
        method = field.get_dehydrate_method(resource.get_field_name(field))
        method = method if callable(method) else getattr(resource, method, None)
        getters.append(method or _plain(field) or field.export)
    headers = resource.get_export_headers(fields)
    return headers, ([get(project) for get in getters] for project in projects)


def _plain(field: fields.Field) -> Callable[[Project], Any] | None:
    """``field.export`` for a field read along its attribute with the default widget (text, ""
    for nothing), without its per-call path splitting and widget call: two fifths of the
    time of building the rows in issue 21's profile of the 5,000-row export."""
    if type(field.widget) is not widgets.Widget or not field.attribute:
        return None
    path = field.attribute.split("__")

    def get(project: Project) -> str:  # Field.get_value, then Widget.render
        value = project
        try:
            for name in path:
                value = getattr(value, name, None)
                if value is None:
                    return ""
        except (ValueError, ObjectDoesNotExist):
            return ""
        if callable(value) and not isinstance(value, Manager):
            value = value()
        return "" if value is None else force_str(value)

    return get


def project_table(projects: Iterable[Project], fields: list[str] | None = None) -> writing.Table:
    """The project list as a table to write: the colour column filled in."""
    headers, rows = project_rows(projects, fields)
    fill = colour_fill(headers.index(COLOUR_HEADER)) if COLOUR_HEADER in headers else None
    return writing.Table("项目清单", headers, rows, fill)


class SafeXLSX(XLSX):
    """.xlsx written by ``writing.xlsx``: text stays text, the colour column is filled in."""

    def export_data(self, dataset, **kwargs) -> bytes:
        headers = list(dataset.headers or [])
        table = writing.Table(
            title=dataset.title or "项目清单",
            headers=headers,
            rows=(list(row) for row in dataset),
            fill=colour_fill(headers.index(COLOUR_HEADER)) if COLOUR_HEADER in headers else None,
        )
        return writing.xlsx([table])


class SafeCSV(CSV):
    def export_data(self, dataset, **kwargs) -> str:
        return writing.csv_text(
            writing.Table("", list(dataset.headers or []), (list(r) for r in dataset))
        )


EXPORT_FORMATS = {"xlsx": SafeXLSX, "csv": SafeCSV}


# --- the weekly dispatch table --------------------------------------------------------------

DISPATCH_HEADERS = [
    "序号",
    "项目代码",
    "项目名称",
    "所在开发区",
    "项目单位",
    "总投资（亿元）",
    "当前阶段",
    "下一节点",
    "计划时间",
    "预警",
    "未办结审批事项",
    "存在问题",
    "未解决问题数",
    "未解决问题",
    "项目管家",
    "包联领导",
]


def dispatch_queryset(queryset: QuerySet) -> QuerySet:
    """Every open project of ``queryset`` with what the table shows, in five queries."""
    open_items = ApprovalItem.objects.unsettled().select_related("approval_type")
    unsolved = Problem.objects.unsolved().order_by(
        F("deadline").asc(nulls_last=True), "reported_on", "pk"
    )
    return (
        export_queryset(queryset.filter(stage__in=OPEN_STAGES))
        .prefetch_related(
            Prefetch("approval_items", queryset=open_items, to_attr="open_items"),
            Prefetch("problems", queryset=unsolved, to_attr="unsolved_problems"),
        )
        .order_by("zone__name", "name")
    )


def problem_text(problem: Problem) -> str:
    """An unsolved problem as the table writes it: the text, the department and the deadline."""
    handed = "，".join(
        part
        for part in (
            problem.department,
            f"{problem.deadline:%Y-%m-%d}前" if problem.deadline else "",
        )
        if part
    )
    return f"{problem.description}（{handed}）" if handed else problem.description


def dispatch_rows(projects: Iterable[Project], colours: MilestoneColours) -> Iterator[list[Any]]:
    for number, project in enumerate(projects, 1):
        stage, planned, colour = next_milestone(project, colours)
        open_items = "；".join(
            f"{i.approval_type.code} {i.approval_type.name}（{i.get_status_display()}）"
            for i in sorted(project.open_items, key=lambda i: i.approval_type.sort_order)
        )
        problems = project.entries[0].problems if project.entries else ""  # the latest round's
        unsolved = project.unsolved_problems  # the desk's own, worked off and closed (销号)
        yield [
            number,
            project.code or "",
            project.name,
            str(project.zone or ""),
            project.enterprise.name if project.enterprise else "",
            # a table to read, not to import back: 亿元 to two decimals, as on the pages
            units.yi_shown_number(yi(project.total_investment)),
            str(project.get_stage_display()),
            stage,
            planned,
            str(colour.label) if colour else "",
            open_items,
            problems,
            len(unsolved),
            "；".join(f"{n}. {problem_text(p)}" for n, p in enumerate(unsolved, 1)),
            project.officer.get_full_name() if project.officer else "",
            project.leader.get_full_name() if project.leader else "",
        ]


def dispatch_table(projects, today: dt.date | None = None) -> writing.Table:
    """The table of ``projects``: a queryset (the page), or projects already read with what
    the table shows (the worker, in its chunks)."""
    today = today or timezone.localdate()
    date_column = DISPATCH_HEADERS.index("计划时间")
    fill = colour_fill(DISPATCH_HEADERS.index(COLOUR_HEADER))
    if isinstance(projects, QuerySet):
        projects = dispatch_queryset(projects).iterator(chunk_size=2000)
    rows = dispatch_rows(projects, MilestoneColours.on(today))
    widths = {2: 40, 3: 22, 4: 24, date_column: 12, 10: 50, 11: 40, 13: 60}
    return writing.Table(f"周调度表{today:%Y%m%d}", DISPATCH_HEADERS, rows, fill, widths)


# --- the headers of the blank templates (``blanks``) and of the demo's files ---------------

LIST_TEMPLATE = [
    "序号",
    "项目代码",
    "项目名称",
    "项目单位",
    "所在开发区",
    "行业",
    "类别",
    "当前阶段",
    "总投资（亿元）",
    "预计年产值（亿元）",
    "建设内容及规模",
    "计划签约时间",
    "计划开工时间",
    "计划投产时间",
    "包联领导",
    "责任单位",
    "项目管家",
    "形象进度",
    "存在问题",
    "备注",
]

MONTHLY_TEMPLATE = [
    "序号",
    "项目代码",
    "项目名称",
    "所在开发区",
    "月份",
    "年度计划投资（万元）",
    "本月完成投资（万元）",
    "累计完成投资（万元）",
    "形象进度",
    "存在问题",
]
