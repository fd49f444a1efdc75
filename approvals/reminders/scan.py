"""The daily scan (guide sections 6 and 11): ``scan(day)`` finds, set-based, the late milestones,
approval items, task nodes (倒排工期) and problems (堵点), and the projects at risk, one step per
kind, and climbs the ladder (``ladder``) with each to decide who must hear of it today. It only
reads: the reminders it finds are unsaved (the outbox records them). It does nothing on a day
off of the official calendar.

``chunks(found)`` gives the reminders a chunk of subjects at a time (the late things' ids read
once through their partial indexes, then ``CHUNK`` subjects a query), each subject's reminders
in one chunk, so that the outbox records them as it goes and nothing holds the whole scan:
issue 21 measured 100,000 projects with 570,793 reminders due at 887 MB when the scan was one
list (benchmarks/reminder_scan.py). ``scan(day)`` collects the chunks, for small runs and tests.

A chunk's ids go as one parameter (``core.bulk.among``: ``IN (SELECT unnest(…))`` on
PostgreSQL, ``json_each`` on SQLite), not one placeholder each: at 100,000 projects the
placeholders were a fifth of the scan's Python, and PostgreSQL hashed all the projects for each
chunk where it now joins by primary key (benchmarks/README.md section 18).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import MilestoneColours, item_red_from, warnings
from approvals.cases.followers import followers, supervisors_by_zone
from approvals.cases.lateness import stage_ahead
from approvals.casework.models.problem import handlers
from approvals.checklist import foresight
from approvals.core import bulk
from approvals.models import (
    OPEN_STAGES,
    PLANNED_DATE_LABELS,
    UNSOLVED,
    ApprovalItem,
    CalendarDay,
    ItemStatus,
    Milestone,
    Mode,
    Problem,
    Project,
    Reminder,
    Stage,
    Step,
    TaskNode,
)
from approvals.reminders.ladder import Adder, Found, ladder, rung

#: Subjects read, turned into reminders and recorded at a time.
CHUNK = 5000

#: What a step reads of a late thing's project beside the thing itself: the stage, which must be
#: open, and what the ladder (``Adder``) reads to word the reminder and find its recipients.
PROJECT = (
    "project_id",
    "project__stage",
    "project__name",
    "project__officer_id",
    "project__leader_id",
    "project__zone_id",
)


@dataclass
class Scan:
    day: dt.date
    reminders: list[Reminder] = field(default_factory=list)
    working_day: bool = True
    #: project id → (earliest start, deciding item): the projects at risk on ``day``.
    at_risk: dict[int, tuple[dt.date, int | None]] = field(default_factory=dict)


def scan(day: dt.date | None = None, rules=None) -> Scan:
    """The reminders due on ``day`` (unsaved), all in one list: ``chunks`` collected."""
    result = Scan(day or timezone.localdate())
    for chunk in chunks(result, rules):
        result.reminders.extend(found.reminder() for found in chunk)
    return result


def chunks(result: Scan, rules=None) -> Iterator[list[Found]]:
    """The reminders due on ``result.day`` (``Found``: not saved), a chunk of subjects at a time, in a few
    queries a chunk whatever the number of projects: late milestones, items, task nodes and
    problems by their partial indexes, the zones' supervisors once, the projects at risk last
    (the outbox relies on it: a subject both late and at risk is heard of at the higher step,
    recorded first). Sets ``result.working_day`` and ``result.at_risk`` as it goes."""
    day = result.day
    calendar = CalendarDay.objects.calendar()
    if not calendar.is_working_day(day):
        result.working_day = False
        return
    rules = rules or warnings()
    supervisors = supervisors_by_zone()
    types = ContentType.objects.get_for_models(Milestone, ApprovalItem, TaskNode, Problem)
    add = Adder(day, [], supervisors)
    for steps in (
        _late_milestones(result, add, types[Milestone], rules),
        _late_items(result, add, types[ApprovalItem], rules, calendar),
        _late_task_nodes(result, add, types[TaskNode], rules),
        _late_problems(result, add, types[Problem], rules),
        _at_risk(result, add, types[Milestone], rules),
    ):
        for _chunk in steps:
            if add.reminders:
                yield add.reminders
                add.reminders = []


def _by_chunks(model, late) -> Iterator:
    """The rows of ``late`` (a queryset of ``model`` with its partial index's condition), a
    chunk of ids at a time: their ids read once, in order, then each chunk's rows by id."""
    ids = sorted(late.order_by().values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        yield model.objects.filter(bulk.among("id", ids[start : start + CHUNK], model)).order_by(
            "id"
        )


def _climber(rules):
    """``ladder`` under ``rules``, each (days late, days red) climbed once a scan: 153,838 late
    subjects at 100,000 projects share a few hundred."""
    return cache(lambda late, red: ladder(late, red, rules))


def _ladder_row(project: dict) -> dict:
    """A project's values as the ladder reads them beside a late thing (``PROJECT``):
    "project_id", "project__name", …"""
    return {"project_id": project["id"], **{f"project__{k}": v for k, v in project.items()}}


def _late_milestones(result: Scan, add: Adder, milestone_type, rules) -> Iterator[None]:
    """Milestones past their planned date, of open projects that have not reached their stage,
    climb the ladder; red by the colours' rule (days_red)."""
    day = result.day
    climb = _climber(rules)
    colours = MilestoneColours.on(day, rules)
    plan_is = _("%(plan)s is %(day)s")
    stages = {stage: str(stage.label) for stage in Stage}
    # Only what the partial index holds, written literally (SQLite takes a partial index only
    # when the WHERE implies its condition), unordered and without a join.
    late_milestones = Milestone.objects.filter(actual_date__isnull=True, planned_date__lt=day)
    for chunk in _by_chunks(Milestone, late_milestones):
        rows = list(chunk.values_list("id", "stage", "planned_date", "project_id"))
        # Their projects in a second query, by primary key: joined to the projects, an analysed
        # SQLite started from the projects and read every project's milestones by project id.
        projects = {
            p["id"]: _ladder_row(p)
            for p in Project.objects.filter(
                bulk.among("id", {row[3] for row in rows}, Project),
                stage__in=OPEN_STAGES,
            )
            .order_by()
            .values("id", "stage", "name", "officer_id", "leader_id", "zone_id")
        }
        for m_id, m_stage, planned, project_id in rows:
            project = projects.get(project_id)
            # An open project stands where its stage says (only a suspended one elsewhere).
            if project is None or not stage_ahead(m_stage, project["project__stage"]):
                continue
            late = (day - planned).days
            red = colours.days_red(planned)
            what = plan_is % {"plan": PLANNED_DATE_LABELS[m_stage], "day": add.words(planned)}
            short = stages[m_stage]
            for step in climb(late, red):
                add(milestone_type, m_id, project, step, what, late, red is not None, short)
        yield


def _late_items(result: Scan, add: Adder, item_type, rules, calendar) -> Iterator[None]:
    """Running approval items past their deadline climb the ladder, to their own officer (or
    whoever follows the project); red from ``item_red_from`` (working days)."""
    day = result.day
    climb = _climber(rules)
    red_from = cache(lambda deadline: item_red_from(deadline, calendar, rules))
    due_on = _("%(item)s due on %(day)s")
    late_items = ApprovalItem.objects.filter(
        status=ItemStatus.ACCEPTED,  # literally: the partial index approval_item_running_due
        deadline__lt=day,
        mode=Mode.APPROVAL,
    ).order_by()
    for chunk in _by_chunks(ApprovalItem, late_items):
        for item in chunk.values(
            "id",
            "deadline",
            "officer_id",
            "approval_type__code",
            "approval_type__name",
            *PROJECT,
        ):
            if item["project__stage"] not in OPEN_STAGES:
                continue
            late = (day - item["deadline"]).days
            turned_red = red_from(item["deadline"])
            red = (day - turned_red).days if day >= turned_red else None
            what = due_on % {
                "item": f"{item['approval_type__code']} {item['approval_type__name']}",
                "day": add.words(item["deadline"]),
            }
            officer = item["officer_id"] or item["project__officer_id"]
            for step in climb(late, red):
                add(
                    item_type,
                    item["id"],
                    item,
                    step,
                    what,
                    late,
                    red is not None,
                    f"{item['approval_type__code']} {item['approval_type__name']}",
                    handlers=followers(officer, item["project__zone_id"], add.supervisors),
                    item_id=item["id"],
                )
        yield


def _late_task_nodes(result: Scan, add: Adder, node_type, rules) -> Iterator[None]:
    """Task nodes (倒排工期) climb the milestones' ladder by their planned date."""
    day = result.day
    climb = _climber(rules)
    colours = MilestoneColours.on(day, rules)
    planned_on = _("task node “%(node)s” planned on %(day)s")
    late_nodes = TaskNode.objects.filter(actual_date__isnull=True, planned_date__lt=day).order_by()
    for chunk in _by_chunks(TaskNode, late_nodes):
        for node in chunk.values(
            "id",
            "name",
            "planned_date",
            *PROJECT,
        ):
            if node["project__stage"] not in OPEN_STAGES:
                continue
            late = (day - node["planned_date"]).days
            red = colours.days_red(node["planned_date"])
            what = planned_on % {"node": node["name"], "day": add.words(node["planned_date"])}
            for step in climb(late, red):
                add(node_type, node["id"], node, step, what, late, red is not None, node["name"])
        yield


def _late_problems(result: Scan, add: Adder, problem_type, rules) -> Iterator[None]:
    """Unsolved problems past their deadline climb the same ladder: who handles the problem
    (``handlers``), the zone's supervisors, the leader when red (guide sections 6 and 12);
    ``problems.escalate_red`` then marks a red one escalated."""
    day = result.day
    climb = _climber(rules)
    colours = MilestoneColours.on(day, rules)
    due_on = _("problem “%(problem)s” (%(department)s) due on %(day)s")
    problem_is = _("problem: %(problem)s")
    late_problems = Problem.objects.filter(
        status__in=list(UNSOLVED),
        deadline__lt=day,  # literally: the partial index's condition
    ).order_by()
    for chunk in _by_chunks(Problem, late_problems):
        for problem in chunk.values(
            "id",
            "description",
            "department",
            "deadline",
            "responsible_id",
            *PROJECT,
        ):
            if problem["project__stage"] not in OPEN_STAGES:
                continue
            late = (day - problem["deadline"]).days
            red = colours.days_red(problem["deadline"])
            text = problem["description"]
            short = text if len(text) <= 30 else text[:29] + "…"
            what = due_on % {
                "problem": short,
                "department": problem["department"] or "—",
                "day": add.words(problem["deadline"]),
            }
            handled_by = handlers(
                problem["responsible_id"],
                problem["project__officer_id"],
                problem["project__zone_id"],
                add.supervisors,
            )
            for step in climb(late, red):
                add(
                    problem_type,
                    problem["id"],
                    problem,
                    step,
                    what,
                    late,
                    red is not None,
                    problem_is % {"problem": short},
                    handlers=handled_by,
                    link=("admin:approvals_problem_change", problem["id"]),
                )
        yield


def _at_risk(result: Scan, add: Adder, milestone_type, rules) -> Iterator[None]:
    """The officer hears, weekly, of a project heading for a late start: about its start
    milestone, with the earliest date and the item deciding it. At risk as worked out for the
    scan's day (reading only); the weeks count from the day it was first found at risk, or from
    the scan's day when that is later (a scan for an earlier day than the one stored)."""
    day = result.day
    result.at_risk = foresight.at_risk(day)
    ids = sorted(result.at_risk)
    for start_at in range(0, len(ids), CHUNK):
        chunk = ids[start_at : start_at + CHUNK]
        projects = {
            p["id"]: p
            for p in Project.objects.filter(bulk.among("id", chunk, Project))
            .order_by()
            .values("id", "name", "officer_id", "leader_id", "zone_id", "at_risk_since")
        }
        starts = Milestone.objects.filter(
            bulk.among("project", chunk, Milestone), stage=Stage.UNDER_CONSTRUCTION
        )
        start_of = {m["project_id"]: m for m in starts.values("id", "project_id", "planned_date")}
        deciding = {result.at_risk[pk][1] for pk in chunk} - {None}
        names = {
            pk: f"{code} {name}"
            for pk, code, name in ApprovalItem.objects.filter(
                bulk.among("id", deciding, ApprovalItem)
            )
            .order_by()
            .values_list("pk", "approval_type__code", "approval_type__name")
        }
        for pk in chunk:
            p, start = projects[pk], start_of.get(pk)
            when, item_id = result.at_risk[pk]
            if start is None:
                continue
            since = p["at_risk_since"]
            since = day if since is None or since > day else since
            step = rung(Step.AT_RISK, (day - since).days, rules.at_risk_every_days)
            row = _ladder_row(p)
            what = _(
                "works planned to start on %(planned)s can start on %(earliest)s at the earliest "
                "(%(item)s decides it)"
            ) % {
                "planned": add.words(start["planned_date"]),
                "earliest": add.words(when),
                "item": names.get(item_id, "—"),
            }
            short = _("start of works")
            add(milestone_type, start["id"], row, step, what, 0, False, short)
        yield
