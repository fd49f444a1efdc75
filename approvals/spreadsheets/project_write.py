"""Writing what a chunk of a 三个一批 list plans (``project_plan.Plan``), in the caller's
transaction: new rows with one prepared statement per table (``bulk``), with the creation
records and history naming the import, the file and the person; the few stored rows a list
changes, read whole and written with their history; the requests the round opens
(``from_lists``); then the problems the rows list, the foreseen delays and the next-milestone
and colour dates of the projects whose plans moved."""

from __future__ import annotations

from collections import defaultdict, namedtuple

from simple_history.utils import bulk_update_with_history

from approvals.cases.lateness import colour_date, refresh_colour_dates
from approvals.cases.models.milestones import refresh_next_milestones
from approvals.casework.problems import Listed
from approvals.checklist import foresight
from approvals.core import bulk
from approvals.models import (
    NEXT_STAGE,
    OPEN_STAGES,
    BatchEntry,
    Milestone,
    ProblemSource,
    Project,
    StageChange,
)
from approvals.spreadsheets.project_plan import Plan
from approvals.spreadsheets.project_rows import ENTRY_FIELDS, problems_opened
from approvals.stages.from_lists import open_requests
from zones.models import Enterprise


def write(result: Plan, *, by, record) -> None:
    """Write a plan without errors, in the caller's transaction. Every created project gets
    its creation record and history naming the import, the file and the person."""
    label = str(record.label)
    user_id = by.pk if by is not None else None
    enterprise_ids = _insert_enterprises(result)
    project_ids = _insert_projects(result, enterprise_ids, user_id, label, record)
    _insert_milestones(result, project_ids, user_id, label)
    entry_ids = _insert_entries(result, project_ids)
    _write_changes(result, by, label, record)
    open_requests(
        [
            {**row, "batch_entry_id": stored if stored is not None else entry_ids[new]}
            for row, stored, new in result.requests
        ],
        by=by,
        record=record,
    )
    _open_problems(result, project_ids, by)
    _refresh_plans(result, project_ids)


def _insert_enterprises(result: Plan) -> dict[str, int]:
    """The new enterprises, by the name the rows give: name → id."""
    enterprise_ids = dict(
        zip(
            result.new_enterprises,
            bulk.allocate_ids(Enterprise, len(result.new_enterprises)),
            strict=True,
        )
    )
    bulk.insert(
        Enterprise,
        ({**e, "id": enterprise_ids[name]} for name, e in result.new_enterprises.items()),
    )
    return enterprise_ids


def _insert_projects(result: Plan, enterprise_ids: dict, user_id, label: str, record) -> list:
    """The new projects with their history and the record of their creation (the stage they
    start at, naming the import and the file); their ids, in the plan's order."""
    project_ids = bulk.allocate_ids(Project, len(result.new_projects))
    milestones = _new_milestones_by_project(result)
    projects = []
    for ref, (project_id, values) in enumerate(zip(project_ids, result.new_projects, strict=True)):
        row = {k: v for k, v in values.items() if k != "new_enterprise"}
        if values.get("new_enterprise"):
            row["enterprise_id"] = enterprise_ids[values["new_enterprise"]]
        row.update(_worked_out(row["stage"], milestones.get(ref, ())))
        projects.append({**row, "id": project_id})
    projects = bulk.with_defaults(Project, projects)
    bulk.insert(Project, projects)
    bulk.insert_history(Project, projects, user_id=user_id, reason=label)
    bulk.insert_from(
        StageChange,
        Project,
        project_ids,
        copied={"project_id": "id", "target": "stage"},
        given={
            "by_id": user_id,
            "comment": label,
            "evidence": {"import": record.pk, "file": record.file_name},
        },
    )
    return project_ids


_Planned = namedtuple("_Planned", "stage planned_date actual_date")


def _new_milestones_by_project(result: Plan) -> dict[int, list[_Planned]]:
    """The milestones the plan creates with each new project (by its place in the plan)."""
    found: dict[int, list[_Planned]] = defaultdict(list)
    for m in result.new_milestones:
        if m.project is not None:
            v = m.values
            found[m.project].append(_Planned(v["stage"], v["planned_date"], v.get("actual_date")))
    return found


def _worked_out(stage: str, milestones) -> dict:
    """A new project's stored next-milestone and colour dates, from the milestones it is
    created with (it has no task nodes yet), by the object forms of the rules
    (``Project._next_milestone_planned``, ``lateness.colour_date``): written with the project,
    instead of the two set-based refreshes after it, which took 0.2 s of CPU on SQLite and
    12 s on PostgreSQL for 10,000 new projects on statistics that did not know them yet
    (``benchmarks/import_bench.py``)."""
    heading_for = NEXT_STAGE.get(stage)
    next_on = next((m.planned_date for m in milestones if m.stage == heading_for), None)
    earliest = colour_date(stage, milestones, ()) if stage in OPEN_STAGES else None
    return {
        "next_milestone_on": next_on if heading_for else None,
        "colour_date": earliest.day if earliest else None,
        "colour_stage": earliest.stage if earliest else "",
        "colour_node": earliest.node if earliest else "",
    }


def _insert_milestones(result: Plan, project_ids: list, user_id, label: str) -> None:
    milestone_ids = bulk.allocate_ids(Milestone, len(result.new_milestones))
    milestones = bulk.with_defaults(
        Milestone,
        (
            {
                **m.values,
                "id": i,
                **({"project_id": project_ids[m.project]} if m.project is not None else {}),
            }
            for i, m in zip(milestone_ids, result.new_milestones, strict=True)
        ),
    )
    bulk.insert(Milestone, milestones)
    bulk.insert_history(Milestone, milestones, user_id=user_id, reason=label)


def _insert_entries(result: Plan, project_ids: list) -> list[int]:
    """The new entries; their ids when a request from the list points at one (else none are
    taken before inserting)."""
    if not result.new_entries:
        return []
    numbered = any(new is not None for _row, _stored, new in result.requests)
    entry_ids = bulk.allocate_ids(BatchEntry, len(result.new_entries)) if numbered else []
    bulk.insert(
        BatchEntry,
        (
            {
                **e.values,
                "batch_id": result.batch.pk,
                **({"project_id": project_ids[e.project]} if e.project is not None else {}),
                **({"id": entry_ids[i]} if numbered else {}),
            }
            for i, e in enumerate(result.new_entries)
        ),
        with_ids=numbered,
    )
    return entry_ids


def _open_problems(result: Plan, project_ids: list, by) -> None:
    """The rows' 存在问题, reported on the round's date, due 30 days after it (guide 11)."""
    if not result.problems:
        return
    batch = result.batch
    problems_opened(
        [
            Listed(project_ids[ref] if ref is not None else project_id, text)
            for project_id, ref, text in result.problems
        ],
        by=by,
        reported_on=batch.event_date if batch is not None else result.today,
        source=ProblemSource.LIST_IMPORT,
        batch=batch,
    )


def _refresh_plans(result: Plan, project_ids: list) -> None:
    """Plans moved on stored projects: which of them head for a late start now. (A new project
    has no checklist yet, so it cannot be at risk.) Milestones written in bulk bypass
    Milestone.save() and its signal: the stored next-milestone and colour dates of the stored
    projects they belong to are set here (a new project's were written with it)."""
    planned = {m.values["project_id"] for m in result.new_milestones if m.project is None}
    if result.moved_milestones:
        planned |= set(
            Milestone.objects.filter(pk__in=list(result.moved_milestones)).values_list(
                "project_id", flat=True
            )
        )
    if planned:
        foresight.refresh(planned)
    if planned:  # new projects were written with theirs (``_worked_out``)
        among = bulk.among("id", list(planned), Project)
        refresh_next_milestones(among)
        refresh_colour_dates(among)


def _write_changes(result: Plan, by, label: str, record) -> None:
    """Facts filled or corrected on stored projects, milestones moved and entries changed: read
    whole, set, and written with their history (these are the few rows a list changes). A
    project whose facts an earlier import wrote and this list corrects has both imports named in
    its history (which ``provenance`` reads back: the facts are this import's now)."""
    changed = list(Project.objects.filter(pk__in=result.project_fills))
    fields: set[str] = set()
    for project in changed:
        for attribute, value in result.project_fills[project.pk].items():
            if attribute == "enterprise_id" and isinstance(value, str):
                value = Enterprise.objects.get(name=value).pk
            setattr(project, attribute, value)
            fields.add(attribute)
        earlier = result.corrections.get(project.pk)
        if earlier is not None:
            project._change_reason = record.correction_label(earlier.import_id, earlier.file_name)
    if changed:
        bulk_update_with_history(
            changed, Project, sorted(fields), default_user=by, default_change_reason=label
        )
    moved = list(Milestone.objects.filter(pk__in=result.moved_milestones))
    for milestone in moved:
        milestone.planned_date, milestone.planned_month_only = result.moved_milestones[milestone.pk]
    if moved:
        bulk_update_with_history(
            moved,
            Milestone,
            ["planned_date", "planned_month_only"],
            default_user=by,
            default_change_reason=label,
        )
    entries = list(BatchEntry.objects.filter(pk__in=result.entry_changes))
    for entry in entries:
        for name, value in result.entry_changes[entry.pk].items():
            setattr(entry, name, value)
    if entries:
        BatchEntry.objects.bulk_update(entries, [*ENTRY_FIELDS, "source"])
