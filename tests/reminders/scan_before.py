"""The reminder scan as it stood at commit 8693639, before issue 21 made it read and record a
chunk of subjects at a time: kept as the oracle the chunked scan is compared with
(``test_scan_in_chunks``), with the ladder's ``Adder`` of commit 63d7f4c (unsaved ``Reminder``
instances, before it gave ``Found`` tuples). Not used by the desk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import MilestoneColours, item_red_from, warnings
from approvals.cases.followers import followers, supervisors_by_zone
from approvals.cases.lateness import stage_ahead
from approvals.casework.models.problem import handlers
from approvals.checklist import foresight
from approvals.core.display import day_in_words
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
from approvals.reminders.ladder import Rung, ladder, rung

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
    """The reminders due on ``day`` (unsaved), in a few queries whatever the number of
    projects: late milestones and items by their partial indexes, the zones' supervisors, the
    projects at risk."""
    day = day or timezone.localdate()
    result = Scan(day)
    calendar = CalendarDay.objects.calendar()
    if not calendar.is_working_day(day):
        result.working_day = False
        return result
    rules = rules or warnings()
    supervisors = supervisors_by_zone()
    types = ContentType.objects.get_for_models(Milestone, ApprovalItem, TaskNode, Problem)
    add = Adder(day, result.reminders, supervisors)
    _late_milestones(result, add, types[Milestone], rules)
    _late_items(result, add, types[ApprovalItem], rules, calendar)
    _late_task_nodes(result, add, types[TaskNode], rules)
    _late_problems(result, add, types[Problem], rules)
    _at_risk(result, add, types[Milestone], rules)
    return result


def _ladder_row(project: dict) -> dict:
    """A project's values as the ladder reads them beside a late thing (``PROJECT``):
    "project_id", "project__name", …"""
    return {"project_id": project["id"], **{f"project__{k}": v for k, v in project.items()}}


def _late_milestones(result: Scan, add: Adder, milestone_type, rules) -> None:
    """Milestones past their planned date, of open projects that have not reached their stage,
    climb the ladder; red by the colours' rule (days_red)."""
    day = result.day
    colours = MilestoneColours.on(day, rules)
    # Only what the partial index holds, written literally (SQLite takes a partial index only
    # when the WHERE implies its condition), unordered and without a join: joined to the
    # projects, an analysed SQLite started from the projects and read every project's
    # milestones by project id instead. Their projects come in a second query, by primary key.
    late_milestones = Milestone.objects.filter(
        actual_date__isnull=True, planned_date__lt=day
    ).order_by()
    projects = {
        p["id"]: _ladder_row(p)
        for p in Project.objects.filter(
            pk__in=late_milestones.values("project_id"), stage__in=OPEN_STAGES
        )
        .order_by()
        .values("id", "stage", "name", "officer_id", "leader_id", "zone_id")
    }
    for m_id, m_stage, planned, project_id in late_milestones.values_list(
        "id", "stage", "planned_date", "project_id"
    ):
        project = projects.get(project_id)
        # An open project stands where its stage says (only a suspended one stands elsewhere).
        if project is None or not stage_ahead(m_stage, project["project__stage"]):
            continue
        late = (day - planned).days
        red = colours.days_red(planned)
        what = _("%(plan)s is %(day)s") % {
            "plan": PLANNED_DATE_LABELS[m_stage],
            "day": day_in_words(planned),
        }
        short = Stage(m_stage).label
        for step in ladder(late, red, rules):
            add(milestone_type, m_id, project, step, what, late, red is not None, short)


def _late_items(result: Scan, add: Adder, item_type, rules, calendar) -> None:
    """Running approval items past their deadline climb the ladder, to their own officer (or
    whoever follows the project); red from ``item_red_from`` (working days)."""
    day = result.day
    late_items = ApprovalItem.objects.filter(
        status=ItemStatus.ACCEPTED,  # literally: the partial index approval_item_running_due
        deadline__lt=day,
        mode=Mode.APPROVAL,
    ).order_by()
    for item in late_items.values(
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
        turned_red = item_red_from(item["deadline"], calendar, rules)
        red = (day - turned_red).days if day >= turned_red else None
        what = _("%(item)s due on %(day)s") % {
            "item": f"{item['approval_type__code']} {item['approval_type__name']}",
            "day": day_in_words(item["deadline"]),
        }
        officer = item["officer_id"] or item["project__officer_id"]
        for step in ladder(late, red, rules):
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


def _late_task_nodes(result: Scan, add: Adder, node_type, rules) -> None:
    """Task nodes (倒排工期) climb the milestones' ladder by their planned date."""
    day = result.day
    colours = MilestoneColours.on(day, rules)
    late_nodes = TaskNode.objects.filter(actual_date__isnull=True, planned_date__lt=day).order_by()
    for node in late_nodes.values(
        "id",
        "name",
        "planned_date",
        *PROJECT,
    ):
        if node["project__stage"] not in OPEN_STAGES:
            continue
        late = (day - node["planned_date"]).days
        red = colours.days_red(node["planned_date"])
        what = _("task node “%(node)s” planned on %(day)s") % {
            "node": node["name"],
            "day": day_in_words(node["planned_date"]),
        }
        for step in ladder(late, red, rules):
            add(node_type, node["id"], node, step, what, late, red is not None, node["name"])


def _late_problems(result: Scan, add: Adder, problem_type, rules) -> None:
    """Unsolved problems past their deadline climb the same ladder: who handles the problem
    (``handlers``), the zone's supervisors, the leader when red (guide sections 6 and 12);
    ``problems.escalate_red`` then marks a red one escalated."""
    day = result.day
    colours = MilestoneColours.on(day, rules)
    late_problems = Problem.objects.filter(
        status__in=list(UNSOLVED),
        deadline__lt=day,  # literally: the partial index's condition
    ).order_by()
    for problem in late_problems.values(
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
        what = _("problem “%(problem)s” (%(department)s) due on %(day)s") % {
            "problem": short,
            "department": problem["department"] or "—",
            "day": day_in_words(problem["deadline"]),
        }
        handled_by = handlers(
            problem["responsible_id"],
            problem["project__officer_id"],
            problem["project__zone_id"],
            add.supervisors,
        )
        for step in ladder(late, red, rules):
            add(
                problem_type,
                problem["id"],
                problem,
                step,
                what,
                late,
                red is not None,
                _("problem: %(problem)s") % {"problem": short},
                handlers=handled_by,
                link=("admin:approvals_problem_change", problem["id"]),
            )


def _at_risk(result: Scan, add: Adder, milestone_type, rules) -> None:
    """The officer hears, weekly, of a project heading for a late start: about its start
    milestone, with the earliest date and the item deciding it. At risk as worked out for the
    scan's day (reading only); the weeks count from the day it was first found at risk, or from
    the scan's day when that is later (a scan for an earlier day than the one stored)."""
    day = result.day
    result.at_risk = foresight.at_risk(day)
    ids = sorted(result.at_risk)
    projects, start_of, names = {}, {}, {}
    deciding = sorted({i for _d, i in result.at_risk.values() if i})
    for chunk in foresight._chunks(ids):
        projects.update(
            (p["id"], p)
            for p in Project.objects.filter(pk__in=chunk).values(
                "id", "name", "officer_id", "leader_id", "zone_id", "at_risk_since"
            )
        )
        starts = Milestone.objects.filter(project__in=chunk, stage=Stage.UNDER_CONSTRUCTION)
        start_of.update(
            (m["project_id"], m) for m in starts.values("id", "project_id", "planned_date")
        )
    for chunk in foresight._chunks(deciding):
        names.update(
            (pk, f"{code} {name}")
            for pk, code, name in ApprovalItem.objects.filter(pk__in=chunk).values_list(
                "pk", "approval_type__code", "approval_type__name"
            )
        )
    for pk in ids:
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
            "planned": day_in_words(start["planned_date"]),
            "earliest": day_in_words(when),
            "item": names.get(item_id, "—"),
        }
        short = _("start of works")
        add(milestone_type, start["id"], row, step, what, 0, False, short)


# --- the ladder's Adder as it stood before issue 21 made it give tuples (``ladder.Found``) ---


class Adder:
    """Turns one (subject, rung) into reminders for the step's recipients, appended to
    ``reminders`` (unsaved, dated ``day``, each with the day its period began: ``began``). A
    scan may make tens of thousands: the wording is translated and the links' shape reversed
    once."""

    def __init__(self, day: dt.date, reminders: list[Reminder], supervisors: dict[int, list[int]]):
        self.day = day
        self.reminders = reminders
        self.supervisors = supervisors
        self.wording = _Wording()
        self.links: dict[str, Callable[[int], str]] = {}

    def __call__(
        self,
        subject_type,
        subject_id,
        row,
        rung: Rung,
        what,
        late,
        red,
        short,
        *,
        handlers: list[int] | None = None,
        item_id=None,
        link: tuple[str, int] | None = None,
    ) -> None:
        """``handlers``: who stands at the officer's step (an item's 经办人, a problem's
        handlers); by default whoever follows the project (``followers``)."""
        project_id = row["project_id"]
        step, period, began = rung
        if step in (Step.OFFICER, Step.AT_RISK):
            recipients = handlers
            if recipients is None:
                recipients = followers(
                    row["project__officer_id"], row["project__zone_id"], self.supervisors
                )
        elif step == Step.SUPERVISOR:
            recipients = self.supervisors.get(row["project__zone_id"], [])
        else:
            recipients = [row["project__leader_id"]]
        title = self.wording.title(step, row["project__name"], short, late)[:200]
        body = self.wording.body(step, row["project__name"], what, late, red)
        if item_id:
            link = ("admin:approvals_approvalitem_change", item_id)
        link = self.link(*(link or ("admin:approvals_project_change", project_id)))
        period_began = self.day - dt.timedelta(days=began)
        for recipient in filter(None, dict.fromkeys(recipients)):
            reminder = Reminder(
                subject_type=subject_type,
                subject_id=subject_id,
                project_id=project_id,
                step=step,
                recipient_id=recipient,
                period=period,
                day=self.day,
                title=title,
                body=body,
                link=link,
            )
            reminder.period_began = period_began  # not stored: the outbox reads it
            self.reminders.append(reminder)

    def link(self, name: str, pk: int) -> str:
        if name not in self.links:
            self.links[name] = _link_maker(name)
        return self.links[name](pk)


def _link_maker(name: str):
    """pk → the admin page's path, reversed once: ``reverse()`` per reminder was a tenth of a
    large scan."""
    marker = "987654321987654321"
    head, tail = reverse(name, args=[marker]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


class _Wording:
    """A reminder's title and text, in the active language (the task runs in the site's)."""

    def __init__(self):
        self.titles = {
            Step.AT_RISK: _("[Foreseen delay] %(project)s · %(subject)s"),
            Step.OFFICER: _("[Late] %(project)s · %(subject)s: %(days)d days late"),
            Step.SUPERVISOR: _("[To follow up] %(project)s · %(subject)s: %(days)d days late"),
            Step.LEADER: _("[Red] %(project)s · %(subject)s: %(days)d days late"),
        }
        self.foreseen = _("%(project)s: %(what)s.")
        self.late = _("%(project)s: %(what)s, %(days)d days ago.")
        self.red = " " + _("It is red.")

    def title(self, step: str, project: str, short: str, late: int) -> str:
        """The subject line: the step, the project and what of it (a stage or an item)."""
        return self.titles[step] % {"project": project, "subject": short, "days": late}

    def body(self, step: str, project: str, what: str, late: int, red: bool) -> str:
        if step == Step.AT_RISK:
            return self.foreseen % {"project": project, "what": what}
        text = self.late % {"project": project, "what": what, "days": late}
        return text + self.red if red else text
