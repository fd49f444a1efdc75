"""Importing a quarterly 三个一批 project list (guide sections 8.1 and 11).

Set-based: the file is read once; everything a row may touch (zones, projects, enterprises,
people, milestones, the batch's entries) is fetched in a few queries; each row is compared in
memory; only what changed is written, with bulk operations, in one transaction. A row that
cannot be understood is reported (sheet, row, column, reason) and then nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from zones.models import Enterprise, Zone

from .. import permissions
from ..models import (
    CATEGORY_MILESTONE,
    Batch,
    BatchEntry,
    Category,
    Milestone,
    Project,
    Stage,
    StageChange,
)
from ..project_code import is_project_code, normalise_project_code
from . import cells
from .people import People
from .reading import Column, Row, SpreadsheetRefused, naming, sheets_with_header
from .report import Report

Progress = Callable[[int, int | None], None]
BATCH_SIZE = 1000

#: Header names of section 8.1 → the field each fills.
HEADERS = {
    "序号": "sequence",
    **dict.fromkeys(["项目代码", "项目统一代码", "项目审批代码"], "code"),
    "项目名称": "name",
    **dict.fromkeys(
        ["项目单位", "建设单位", "项目业主单位", "申报单位", "投资主体", "企业名称"], "enterprise"
    ),
    **dict.fromkeys(["所在开发区", "开发区", "所属开发区", "园区"], "zone"),
    **dict.fromkeys(["行业", "所属行业", "产业类别", "行业领域"], "industry"),
    **dict.fromkeys(["类别", "批次类别", "三个一批类别"], "category"),
    **dict.fromkeys(["当前阶段", "项目状态", "建设阶段"], "stage"),
    **dict.fromkeys(["总投资", "计划总投资", "签约投资额", "项目投资额"], "total_investment"),
    "预计年产值": "expected_annual_output",
    **dict.fromkeys(["建设内容及规模", "建设规模及内容", "建设内容"], "content"),
    "计划签约时间": "planned_sign",
    **dict.fromkeys(["计划开工时间", "开工时间"], "planned_start"),
    **dict.fromkeys(["计划投产时间", "投产时间"], "planned_production"),
    "计划竣工时间": "planned_completion",
    **dict.fromkeys(["包联领导", "包保责任领导"], "leader"),
    "责任单位": "responsible_unit",
    **dict.fromkeys(["项目管家", "代办员", "责任人"], "officer"),
    **dict.fromkeys(["形象进度", "项目进展情况", "本月进展"], "progress"),
    **dict.fromkeys(["存在问题", "问题和建议", "问题和困难"], "problems"),
    "备注": "notes",
}
REQUIRED = ("name", "zone")
#: Planned-date columns → their milestone (竣工 plans production when 投产 is not given).
PLANNED = {
    "planned_sign": Stage.SIGNED,
    "planned_start": Stage.UNDER_CONSTRUCTION,
    "planned_production": Stage.IN_PRODUCTION,
    "planned_completion": Stage.IN_PRODUCTION,
}
#: Facts a row fills when the project has none and reports when it has another (section 11).
FACTS = (
    "code",
    "enterprise_id",
    "industry",
    "content",
    "total_investment",
    "expected_annual_output",
    "officer_id",
    "leader_id",
    "responsible_unit",
    "progress",
)
FACT_COLUMN = {"enterprise_id": "enterprise", "officer_id": "officer", "leader_id": "leader"}
ENTRY_FIELDS = (
    "category",
    "name",
    "enterprise",
    "total_investment",
    "expected_annual_output",
    "content",
    "progress",
    "problems",
    "notes",
)
PROJECT_FIELDS = ("id", "zone_id", "name", "code", "stage", *FACTS[1:])


@dataclass(frozen=True)
class BatchSpec:
    year: int
    round: int
    event_date: dt.date | None = None


@dataclass
class Line:
    """One row, understood."""

    row: Row
    columns: dict[str, Column]
    name: str = ""
    key: str = ""
    zone: Zone | None = None
    category: str = ""
    stage: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    enterprise: str = ""
    officer: str = ""
    leader: str = ""
    planned: dict[str, tuple[dt.date, bool]] = field(default_factory=dict)
    entry: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str:
        column = self.columns.get(name)
        return column.header if column else ""

    @property
    def where(self) -> tuple[str, int]:
        return self.row.sheet, self.row.number


@dataclass
class Plan:
    """What the import would write; ``write`` writes it."""

    report: Report
    batch: Batch | None = None
    new_enterprises: dict[str, Enterprise] = field(default_factory=dict)
    new_projects: list[Project] = field(default_factory=list)
    new_stages: dict[int, str] = field(default_factory=dict)  # id(project) → stage as listed
    project_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    new_milestones: list[Milestone] = field(default_factory=list)
    moved_milestones: dict[int, tuple[dt.date, bool]] = field(default_factory=dict)
    new_entries: list[BatchEntry] = field(default_factory=list)
    entry_changes: dict[int, dict[str, Any]] = field(default_factory=dict)


# --- reading the rows ----------------------------------------------------------------------


def _read(row: Row, columns: dict[str, Column], sheet_category: str, zones, report) -> Line:
    line = Line(row, columns)

    def value(name: str) -> Any:
        column = columns.get(name)
        return row.value(column) if column else ""

    def fail(name: str, reason: str) -> None:
        report.error(row.sheet, row.number, line.header(name), reason)

    line.name = cells.display_name(value("name"))
    line.key = cells.name_key(line.name)
    if not line.key:
        fail("name", _("The project name is empty."))
    elif len(line.name) > 200:
        fail("name", _("The project name is longer than 200 characters."))
    zone_text = cells.text(value("zone"))
    line.zone = zones.get(cells.name_key(zone_text))
    if line.zone is None:
        fail("zone", _("“%(zone)s” is not a known zone or alias.") % {"zone": zone_text})
    code = normalise_project_code(cells.text(value("code")))
    if code and not is_project_code(code):
        fail(
            "code",
            _("“%(code)s” is not a project code (dddd-dddddd-dd-dd-dddddd).") % {"code": code},
        )
    written = value("category")
    try:
        line.category = cells.category(written) if not cells.is_blank(written) else sheet_category
    except cells.CellError as error:
        fail("category", str(error))
    if not line.category and cells.is_blank(written):
        fail("category", _("No category: write 签约, 开工 or 投产, or name the sheet after it."))
    if not cells.is_blank(value("stage")):
        try:
            line.stage = cells.stage(value("stage"))
        except cells.CellError as error:
            fail("stage", str(error))
    for name in ("total_investment", "expected_annual_output"):
        try:
            line.facts[name] = cells.amount(value(name), getattr(columns.get(name), "unit", ""))
        except cells.CellError as error:
            fail(name, str(error))
    for name, stage in PLANNED.items():
        try:
            planned = cells.date(value(name))
        except cells.CellError as error:
            fail(name, str(error))
            continue
        if planned and not (name == "planned_completion" and stage in line.planned):
            line.planned[stage] = planned
    line.facts["code"] = code or None
    line.facts["industry"] = cells.text(value("industry"))[:50]
    line.facts["responsible_unit"] = cells.text(value("responsible_unit"))[:100]
    line.facts["content"] = cells.text(value("content"))
    line.facts["progress"] = cells.text(value("progress"))
    line.enterprise = cells.display_name(value("enterprise"))[:200]
    line.officer = cells.text(value("officer"))
    line.leader = cells.text(value("leader"))
    line.entry = {
        "category": line.category,
        "name": line.name[:200],
        "enterprise": line.enterprise,
        "total_investment": line.facts.get("total_investment"),
        "expected_annual_output": line.facts.get("expected_annual_output"),
        "content": line.facts["content"],
        "progress": line.facts["progress"],
        "problems": cells.text(value("problems")),
        "notes": cells.text(value("notes")),
    }
    return line


def read_lines(source, file_name: str, report: Report, *, by=None, progress=None) -> list[Line]:
    """Every data row of every sheet with a header; what cannot be understood goes to the
    report, with the rows of zones ``by`` may not import for."""
    zones = {}
    for zone in Zone.objects.all():
        for key in zone.normalised_names():
            zones.setdefault(key, zone)
    allowed = permissions.import_zones(by)
    lines: list[Line] = []
    found = False
    try:
        for sheet, _unknown in sheets_with_header(source, file_name, HEADERS, naming(*REQUIRED)):
            found = True
            try:
                sheet_category = cells.category(sheet.name)
            except cells.CellError:
                sheet_category = ""
            for row in sheet.rows:
                line = _read(row, sheet.columns, sheet_category, zones, report)
                if line.zone and allowed is not None and line.zone.pk not in allowed:
                    report.error(
                        *line.where,
                        line.header("zone"),
                        _("You may not import for “%(zone)s”.") % {"zone": line.zone},
                    )
                lines.append(line)
                if progress and len(lines) % 2000 == 0:
                    progress(len(lines), None)
    except SpreadsheetRefused as refused:
        report.error(file_name, 0, "", str(refused))
        return []
    if not found:
        report.error(
            file_name,
            0,
            "",
            _(
                "No sheet has a header row naming the columns 项目名称 and 所在开发区 (or their synonyms)."
            ),
        )
    report.rows = len(lines)
    return lines


# --- comparing with what is stored ---------------------------------------------------------


def plan(source, file_name: str, spec: BatchSpec, *, by=None, progress=None, lock=False) -> Plan:
    """Read and compare, writing nothing: the preview, and the first half of an import."""
    report = Report(file_name=file_name)
    result = Plan(report)
    lines = read_lines(source, file_name, report, by=by, progress=progress)
    result.batch = _batch(spec, report)
    if report.errors:
        return result
    zone_ids = {line.zone.pk for line in lines}
    codes = {line.facts["code"] for line in lines if line.facts["code"]}
    projects = Project.objects.filter(zone_id__in=zone_ids) | Project.objects.filter(code__in=codes)
    if lock:
        projects = projects.select_for_update(of=("self",))
    stored = list(projects.only(*PROJECT_FIELDS).order_by())
    by_code = {p.code: p for p in stored if p.code}
    by_name = {(p.zone_id, cells.name_key(p.name)): p for p in stored}
    matched = _match(lines, by_code, by_name, report)
    if report.errors:
        return result
    entries = {}
    if result.batch.pk:
        found = BatchEntry.objects.filter(batch=result.batch, project_id__in=set(matched.values()))
        entries = {e.project_id: e for e in found}
    milestones: dict[int, dict[str, Milestone]] = defaultdict(dict)
    for milestone in Milestone.objects.filter(project_id__in=set(matched.values())):
        milestones[milestone.project_id][milestone.stage] = milestone
    names = {line.enterprise for line in lines if line.enterprise}
    enterprises = {e.name: e for e in Enterprise.objects.filter(name__in=names)}
    people = People(zone_ids, stored)
    stored_by_id = {p.pk: p for p in stored}
    for done, line in enumerate(lines, 1):
        facts = _people_and_enterprise(line, people, enterprises, result)
        project = stored_by_id.get(matched.get(id(line)))
        if project is None:
            _plan_new(result, line, facts)
        else:
            _plan_existing(
                result,
                line,
                project,
                facts,
                entries.get(project.pk),
                milestones[project.pk],
                people,
            )
        if progress and done % 2000 == 0:
            progress(done, len(lines))
    return result


def _batch(spec: BatchSpec, report: Report) -> Batch | None:
    batch = Batch.objects.filter(year=spec.year, round=spec.round).first()
    if batch is None:
        if spec.event_date is None:
            report.error(
                "",
                0,
                "",
                _("Batch %(year)d-%(round)d is new: give its event date.")
                % {"year": spec.year, "round": spec.round},
            )
            return None
        return Batch(year=spec.year, round=spec.round, event_date=spec.event_date)
    if spec.event_date and spec.event_date != batch.event_date:
        report.error(
            "",
            0,
            "",
            _("Batch %(batch)s was held on %(date)s, not on %(given)s.")
            % {"batch": batch, "date": batch.event_date, "given": spec.event_date},
        )
    return batch


def _match(lines: list[Line], by_code, by_name, report: Report) -> dict[int, int]:
    """id(line) → the stored project it is: by code first, then by name within the zone. A
    project named twice in one list is an error on the second row."""
    matched: dict[int, int] = {}
    seen: dict[tuple, int] = {}
    for line in lines:
        code = line.facts["code"]
        project = by_code.get(code) if code else None
        if project is not None and project.zone_id != line.zone.pk:
            report.error(
                *line.where,
                line.header("code"),
                _("Code %(code)s is the code of a project of another zone.") % {"code": code},
            )
            continue
        project = project or by_name.get((line.zone.pk, line.key))
        identity = ("stored", project.pk) if project else ("new", line.zone.pk, line.key)
        if identity in seen:
            report.error(
                *line.where,
                line.header("name"),
                _("The same project as row %(row)d: a list names each project once.")
                % {"row": seen[identity]},
            )
            continue
        seen[identity] = line.row.number
        if project is not None:
            matched[id(line)] = project.pk
    return matched


def _people_and_enterprise(line: Line, people: People, enterprises, result: Plan) -> dict:
    facts = dict(line.facts)
    for kind in ("officer", "leader"):
        name = getattr(line, kind)
        user_id, problem = people.find(line.zone, kind, name) if name else (None, "")
        facts[f"{kind}_id"] = user_id
        if problem:
            result.report.warn(*line.where, line.header(kind), problem)
    enterprise = None
    if line.enterprise:
        enterprise = enterprises.get(line.enterprise) or result.new_enterprises.get(line.enterprise)
        if enterprise is None:
            enterprise = Enterprise(name=line.enterprise, created_in_zone=line.zone)
            result.new_enterprises[line.enterprise] = enterprise
    facts["enterprise_id"] = enterprise
    return facts


def _planned(line: Line, event_date: dt.date) -> dict[str, tuple[dt.date, bool, bool]]:
    """stage → (planned date, month only, planned by the category): the category's milestone
    is due on the event date unless the row plans it."""
    dates = {stage: (*planned, False) for stage, planned in line.planned.items()}
    stage = CATEGORY_MILESTONE[line.category]
    dates[stage] = (*dates[stage][:2], True) if stage in dates else (event_date, False, True)
    return dates


def _shown_day(day: dt.date | None, month_only: bool = False) -> str:
    if day is None:
        return "—"
    return f"{day:%Y-%m}" if month_only else day.isoformat()


def _plan_new(result: Plan, line: Line, facts: dict) -> None:
    values = {k: v for k, v in facts.items() if k != "enterprise_id" and v not in (None, "")}
    project = Project(name=line.name, zone=line.zone, stage=line.stage or Stage.RESERVE, **values)
    project._enterprise = facts["enterprise_id"]  # may be new: its id comes when written
    result.new_projects.append(project)
    for stage, (day, month_only, _category) in _planned(line, result.batch.event_date).items():
        result.new_milestones.append(
            Milestone(project=project, stage=stage, planned_date=day, planned_month_only=month_only)
        )
    result.new_entries.append(
        BatchEntry(batch=result.batch, project=project, source=_source(result, line), **line.entry)
    )
    changes = [[str(_("stage")), "—", str(Stage(project.stage).label)]]
    result.report.count("created", *line.where, f"{line.name}（{line.zone}）", changes)


def _source(result: Plan, line: Line) -> str:
    return f"{result.report.file_name} · {line.row.sheet} · {line.row.number}"[:200]


def _same(old: Any, new: Any) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return old == new


def _label(attribute: str) -> str:
    return str(Project._meta.get_field(attribute.removesuffix("_id")).verbose_name)


def _plan_existing(result: Plan, line: Line, project, facts, entry, milestones, people) -> None:
    report = result.report
    changes: list[list[str]] = []
    if line.key != cells.name_key(project.name):
        report.warn(
            *line.where,
            line.header("name"),
            _("The list names it “%(listed)s”; “%(kept)s” is kept.")
            % {"listed": line.name, "kept": project.name},
        )
    fills = {}
    for attribute in FACTS:
        new = facts.get(attribute)
        if new in (None, ""):
            continue
        new_id = new.pk if isinstance(new, Enterprise) else new
        old = getattr(project, attribute)
        if old in (None, ""):
            fills[attribute] = new
            changes.append([_label(attribute), "—", people.shown(attribute, new)])
        elif new_id is None or not _same(old, new_id):
            report.warn(
                *line.where,
                line.header(FACT_COLUMN.get(attribute, attribute)),
                _("The list says %(listed)s; %(kept)s is kept.")
                % {"listed": people.shown(attribute, new), "kept": people.shown(attribute, old)},
            )
    if fills:
        result.project_changes[project.pk] = fills
    if line.stage and line.stage != project.stage:
        report.warn(
            *line.where,
            line.header("stage"),
            _(
                "The list says “%(listed)s”; the project is at “%(kept)s”: a stage changes only by an approved request."
            )
            % {"listed": Stage(line.stage).label, "kept": Stage(project.stage).label},
        )
    for stage, (day, month_only, by_category) in _planned(line, result.batch.event_date).items():
        label = _("planned %(stage)s") % {"stage": Stage(stage).label}
        milestone = milestones.get(stage)
        if milestone is None:
            result.new_milestones.append(
                Milestone(
                    project_id=project.pk,
                    stage=stage,
                    planned_date=day,
                    planned_month_only=month_only,
                )
            )
            changes.append([label, "—", _shown_day(day, month_only)])
        elif (milestone.planned_date, milestone.planned_month_only) == (day, month_only):
            continue
        elif milestone.planned_date is None or by_category:  # the category sets or moves it
            changes.append(
                [
                    label,
                    _shown_day(milestone.planned_date, milestone.planned_month_only),
                    _shown_day(day, month_only),
                ]
            )
            result.moved_milestones[milestone.pk] = (day, month_only)
        else:
            report.warn(
                *line.where,
                "",
                _("The list plans %(stage)s for %(listed)s; %(kept)s is kept.")
                % {"stage": Stage(stage).label, "listed": day, "kept": milestone.planned_date},
            )
    if entry is None:
        result.new_entries.append(
            BatchEntry(
                batch=result.batch,
                project_id=project.pk,
                source=_source(result, line),
                **line.entry,
            )
        )
        changes.append([str(result.batch), "—", str(Category(line.category).label)])
    else:
        differ = {
            f: line.entry[f] for f in ENTRY_FIELDS if not _same(getattr(entry, f), line.entry[f])
        }
        if differ:
            differ["source"] = _source(result, line)
            result.entry_changes[entry.pk] = differ
            for name, value in differ.items():
                if name != "source":
                    old = getattr(entry, name)
                    changes.append(
                        [
                            f"{result.batch} · {BatchEntry._meta.get_field(name).verbose_name}",
                            str(old or "—"),
                            str(value or "—"),
                        ]
                    )
    report.count(
        "changed" if changes else "unchanged",
        *line.where,
        f"{project.name}（{line.zone}）",
        changes,
    )


# --- writing --------------------------------------------------------------------------------


def write(result: Plan, *, by, record, progress: Progress | None = None) -> None:
    """Write a plan without errors, in the caller's transaction. Every created project gets
    its creation record naming the import, the file and the person."""
    label = str(record.label)
    batch = result.batch
    if batch.pk is None:
        batch.save()
    Enterprise.objects.bulk_create(result.new_enterprises.values(), batch_size=BATCH_SIZE)
    for project in result.new_projects:
        if project._enterprise is not None:
            project.enterprise = project._enterprise
    bulk_create_with_history(
        result.new_projects,
        Project,
        batch_size=BATCH_SIZE,
        default_user=by,
        default_change_reason=label,
    )
    StageChange.objects.bulk_create(
        (
            StageChange(
                project=project,
                transition="",
                source="",
                target=project.stage,
                by=by,
                comment=label,
                evidence={"import": record.pk, "file": record.file_name},
            )
            for project in result.new_projects
        ),
        batch_size=BATCH_SIZE,
    )
    if progress:
        progress(len(result.new_projects), None)
    _write_fills(result, by, label)
    # Milestones and entries of new projects point at them; Django takes their new ids.
    bulk_create_with_history(
        result.new_milestones,
        Milestone,
        batch_size=BATCH_SIZE,
        default_user=by,
        default_change_reason=label,
    )
    if result.moved_milestones:
        moved = list(Milestone.objects.filter(pk__in=result.moved_milestones))
        for milestone in moved:
            milestone.planned_date, milestone.planned_month_only = result.moved_milestones[
                milestone.pk
            ]
        bulk_update_with_history(
            moved,
            Milestone,
            ["planned_date", "planned_month_only"],
            batch_size=BATCH_SIZE,
            default_user=by,
            default_change_reason=label,
        )
    BatchEntry.objects.bulk_create(result.new_entries, batch_size=BATCH_SIZE)
    if result.entry_changes:
        changed = list(BatchEntry.objects.filter(pk__in=result.entry_changes))
        for entry in changed:
            for name, value in result.entry_changes[entry.pk].items():
                setattr(entry, name, value)
        BatchEntry.objects.bulk_update(changed, [*ENTRY_FIELDS, "source"], batch_size=BATCH_SIZE)
    record.batch = batch


def _write_fills(result: Plan, by, label: str) -> None:
    """Facts a row filled on stored projects: read whole, set, written with their history."""
    if not result.project_changes:
        return
    projects = list(Project.objects.filter(pk__in=result.project_changes))
    fields: set[str] = set()
    for project in projects:
        for attribute, value in result.project_changes[project.pk].items():
            if isinstance(value, Enterprise):
                value = value.pk
            setattr(project, attribute, value)
            fields.add(attribute)
    bulk_update_with_history(
        projects,
        Project,
        sorted(fields),
        batch_size=BATCH_SIZE,
        default_user=by,
        default_change_reason=label,
    )


def run(
    source, file_name: str, spec: BatchSpec, *, by, record, dry_run=False, progress=None
) -> Report:
    """Plan and, unless ``dry_run`` or a row cannot be understood, write: all or nothing, on
    rows locked for the while (a preview taken earlier is compared again here)."""
    with transaction.atomic():
        result = plan(source, file_name, spec, by=by, progress=progress, lock=not dry_run)
        if result.report.ok and not dry_run:
            write(result, by=by, record=record, progress=progress)
            result.report.applied = True
    return result.report
