"""What a 督办通报 (supervision bulletin, issue 23) says, as plain data: the red projects and
those foreseen late (预计延误) with their officer, leader, what is late and for how long, the
problems past their deadline, and the week's figures, for a zone or a city (all its zones) and
the week reported. ``document.py`` writes it as .docx; nothing here knows Word.

The rules are the desk's own, read from their homes: a project's colour is the worst of its
open dates (``cases.lateness``: the stored colour date through ``colour_filter``), a foreseen
delay is ``checklist.foresight``'s, the colours' counts are the dashboard's
(``figures.reports.colour_counts``). The state is taken as of the week's last day (or today,
for a week not over yet) from the records as they stand: a bulletin of an older week says how
late the projects still open then are, with the thresholds of that day.

Days late are calendar days, as the milestones' rule counts them (``MilestoneColours``: red
after 30 days) and as the reminder ladder words them ("… days late"); a problem is late by
calendar days after its deadline (``casework.problems.escalate_red``). A few queries whatever
the number of projects: every table is one query with its joins, the figures a few counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import Colour, MilestoneColours
from approvals.cases.lateness import colour_filter, stored_colour_date
from approvals.checklist import foresight
from approvals.core.display import day, day_in_words
from approvals.figures import reports
from approvals.models import (
    OPEN_STAGES,
    PLANNED_DATE_LABELS,
    UNSOLVED,
    ApprovalItem,
    Milestone,
    Problem,
    Project,
    Reminder,
    Stage,
    StageChange,
)
from zones.models import Zone

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LateProject:
    """A row of the red table (一、红色（滞后）项目) or of the foreseen delays (二、预计延误项目)."""

    project_id: int
    name: str
    zone: str
    officer: str
    leader: str
    late: str  # what is late: "计划开工日期 2026-10-15", a task node, the deciding approval item
    days: int | None  # days late (red), or days the start is foreseen late (预计延误)


@dataclass(frozen=True)
class OverdueProblem:
    """A row of 三、逾期未解决问题: an unsolved problem past its deadline."""

    problem_id: int
    description: str
    project: str
    zone: str
    responsible: str  # the department it is handed to and the person following it
    deadline: dt.date
    days: int


@dataclass(frozen=True)
class WeekFigures:
    """四、本周工作数据: open projects by colour as of the bulletin's day, and what the week saw."""

    open_projects: int
    red: int
    yellow: int
    at_risk: int
    green: int
    stage_changes: int  # stage changes decided (approved) in the week
    new_problems: int  # problems reported in the week
    solved_problems: int  # problems resolved in the week
    reminders: int  # reminders the ladder recorded for people in the week


@dataclass(frozen=True)
class BulletinContent:
    place: str  # the zone's official name, or the city's
    zones: tuple[str, ...]  # the zones it covers
    week_start: dt.date  # the Monday of the week reported
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date  # the day whose state it reports (the week's last day, or today)
    made_on: dt.date
    red: list[LateProject] = field(default_factory=list)
    at_risk: list[LateProject] = field(default_factory=list)
    problems: list[OverdueProblem] = field(default_factory=list)
    figures: WeekFigures | None = None

    @property
    def week_number(self) -> tuple[int, int]:
        """(year, week) of the ISO calendar, as offices number the weeks."""
        year, week, _weekday = self.week_start.isocalendar()
        return year, week

    @property
    def title(self) -> str:
        year, week = self.week_number
        return _("%(place)s key projects supervision bulletin (week %(week)d of %(year)d)") % {
            "place": self.place,
            "week": week,
            "year": year,
        }

    @property
    def issuer(self) -> str:
        return _("%(place)s full-proxy service centre for projects") % {"place": self.place}

    @property
    def period(self) -> str:
        return _("Period: %(start)s to %(end)s") % {
            "start": day_in_words(self.period_start),
            "end": day_in_words(self.period_end),
        }

    @property
    def summary(self) -> str:
        f = self.figures
        return _(
            "As of %(as_of)s, %(open)d open projects: %(red)d red, %(yellow)d yellow, "
            "%(at_risk)d foreseen late, %(green)d green. In the week %(changes)d stage changes "
            "were approved, %(new)d problems were reported and %(solved)d solved, and "
            "%(reminders)d reminders were sent; %(overdue)d problems are past their deadline."
        ) % {
            "as_of": day_in_words(self.as_of),
            "open": f.open_projects,
            "red": f.red,
            "yellow": f.yellow,
            "at_risk": f.at_risk,
            "green": f.green,
            "changes": f.stage_changes,
            "new": f.new_problems,
            "solved": f.solved_problems,
            "reminders": f.reminders,
            "overdue": len(self.problems),
        }


# --- the week ---------------------------------------------------------------------------------


def monday_of(any_day: dt.date) -> dt.date:
    return any_day - dt.timedelta(days=any_day.weekday())


def week_period(any_day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week holding ``any_day``."""
    start = monday_of(any_day)
    return start, start + dt.timedelta(days=6)


def _moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the first moment of ``start`` to the first of the day after ``end``, in the zones'
    time (Asia/Shanghai): stored moments are UTC."""
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + ONE_DAY, dt.time.min, tzinfo=zone),
    )


# --- building it ------------------------------------------------------------------------------


def _name(first: str | None, last: str | None, username: str | None) -> str:
    """A person as a document names them: the name, else the login, else a dash."""
    if username is None:
        return "—"
    return f"{first or ''} {last or ''}".strip() or username


PEOPLE = (
    "officer__first_name",
    "officer__last_name",
    "officer__username",
    "leader__first_name",
    "leader__last_name",
    "leader__username",
)


def _person(row: dict, role: str) -> str:
    return _name(row[f"{role}__first_name"], row[f"{role}__last_name"], row[f"{role}__username"])


def _late_what(row: dict) -> str:
    """The open date that makes the project red (``lateness.stored_colour_date``)."""
    earliest = stored_colour_date(SimpleNamespace(**{k: row[k] for k in COLOUR_FIELDS}))
    if earliest is None:
        return "—"
    label = str(PLANNED_DATE_LABELS[earliest.stage]) if earliest.stage else earliest.node
    return f"{label} {day(earliest.day)}"


COLOUR_FIELDS = ("colour_date", "colour_stage", "colour_node")
ROW_FIELDS = ("pk", "name", "zone__name", *COLOUR_FIELDS, *PEOPLE)


def red_projects(projects, colours: MilestoneColours) -> list[LateProject]:
    """The red projects, the latest first: one query."""
    rows = (
        projects.filter(colour_filter(Colour.RED, colours))
        .order_by("colour_date", "pk")
        .values(*ROW_FIELDS)
    )
    return [
        LateProject(
            row["pk"],
            row["name"],
            row["zone__name"],
            _person(row, "officer"),
            _person(row, "leader"),
            _late_what(row),
            (colours.today - row["colour_date"]).days,
        )
        for row in rows
    ]


def at_risk_projects(projects, colours: MilestoneColours) -> list[LateProject]:
    """The projects whose colour is 预计延误 (the colours' order is red > yellow > 预计延误 >
    green: a red or yellow project foreseen late is counted with its colour, as on the
    dashboard, so that the table and the figures agree). What is late is the approval item
    that settles last; for how long, the days the start of works would fall after its plan. Four queries (the projects, the foresight's
    items, the planned starts, the deciding items' names)."""
    rows = list(
        projects.filter(colour_filter(Colour.AT_RISK, colours))
        .order_by("at_risk_since", "pk")
        .values(*ROW_FIELDS)
    )
    ids = [row["pk"] for row in rows]
    foreseen = foresight.foresee(ids, colours.today) if ids else {}
    planned = dict(
        Milestone.objects.filter(project__in=ids, stage=Stage.UNDER_CONSTRUCTION).values_list(
            "project_id", "planned_date"
        )
    )
    item_ids = [item for _start, item in foreseen.values() if item]
    items = dict(
        ApprovalItem.objects.filter(pk__in=item_ids).values_list("pk", "approval_type__name")
    )
    found = []
    for row in rows:
        start, item = foreseen.get(row["pk"], (None, None))
        plan = planned.get(row["pk"])
        if start and plan:
            late = _("%(item)s: works can start on %(earliest)s at the earliest (planned %(plan)s)")
            late %= {"item": items.get(item, "—"), "earliest": day(start), "plan": day(plan)}
            days = (start - plan).days
        else:  # the stored mark is older than the items' state: shown, not measured
            late, days = str(Colour.AT_RISK.label), None
        found.append(
            LateProject(
                row["pk"],
                row["name"],
                row["zone__name"],
                _person(row, "officer"),
                _person(row, "leader"),
                late,
                days,
            )
        )
    return found


def overdue_problems(zone_ids: list[int], as_of: dt.date) -> list[OverdueProblem]:
    """Unsolved problems past their deadline, the longest overdue first: one query. Who
    answers for it: the department it is handed to and the person responsible, else the
    project's officer (who handles a problem with nobody named, guide section 12)."""
    rows = (
        Problem.objects.filter(project__zone__in=zone_ids, status__in=UNSOLVED, deadline__lt=as_of)
        .order_by("deadline", "pk")
        .values(
            "pk",
            "description",
            "deadline",
            "department",
            "project__name",
            "project__zone__name",
            "responsible__first_name",
            "responsible__last_name",
            "responsible__username",
            "project__officer__first_name",
            "project__officer__last_name",
            "project__officer__username",
        )
    )
    found = []
    for row in rows:
        person = _name(
            row["responsible__first_name"],
            row["responsible__last_name"],
            row["responsible__username"],
        )
        if row["responsible__username"] is None:
            person = _name(
                row["project__officer__first_name"],
                row["project__officer__last_name"],
                row["project__officer__username"],
            )
        answering = " / ".join(part for part in (row["department"], person) if part != "—")
        found.append(
            OverdueProblem(
                row["pk"],
                row["description"],
                row["project__name"],
                row["project__zone__name"],
                answering or "—",
                row["deadline"],
                (as_of - row["deadline"]).days,
            )
        )
    return found


def week_figures(
    zone_ids: list[int], start: dt.date, end: dt.date, colours: MilestoneColours
) -> WeekFigures:
    """The colours counted as the dashboard counts them (``reports.colour_counts``) and the
    week's work: five counts."""
    selection = reports.Selection(zones=tuple(zone_ids))
    counts = reports.colour_counts(selection, today=colours.today)
    open_projects = Project.objects.filter(zone__in=zone_ids, stage__in=OPEN_STAGES).count()
    since, until = _moments(start, end)
    decided = StageChange.objects.filter(
        project__zone__in=zone_ids, request__isnull=False, at__gte=since, at__lt=until
    ).count()
    problems = Problem.objects.filter(project__zone__in=zone_ids)
    new = problems.filter(reported_on__range=(start, end)).count()
    solved = problems.filter(resolved_on__range=(start, end)).count()
    reminders = Reminder.objects.filter(project__zone__in=zone_ids, day__range=(start, end)).count()
    red, yellow, at_risk = counts["red"], counts["yellow"], counts["at_risk"]
    return WeekFigures(
        open_projects=open_projects,
        red=red,
        yellow=yellow,
        at_risk=at_risk,
        green=open_projects - red - yellow - at_risk,
        stage_changes=decided,
        new_problems=new,
        solved_problems=solved,
        reminders=reminders,
    )


def zones_of(*, zone: Zone | None = None, city: str = "") -> list[Zone]:
    if (zone is None) == (not city):
        raise ValueError("a bulletin is of one zone or of one city")
    if zone is not None:
        return [zone]
    return list(Zone.objects.filter(city=city).order_by("name"))


def build(
    *, zone: Zone | None = None, city: str = "", week: dt.date, today: dt.date | None = None
) -> BulletinContent:
    """The bulletin of ``zone`` or ``city`` for the week holding ``week`` (any day of it),
    as the records stand on its last day (or ``today``, for a week not over yet)."""
    today = today or timezone.localdate()
    zones = zones_of(zone=zone, city=city)
    zone_ids = [z.pk for z in zones]
    start, end = week_period(week)
    as_of = min(end, today)
    colours = MilestoneColours.on(as_of)
    projects = Project.objects.filter(zone__in=zone_ids, stage__in=OPEN_STAGES)
    return BulletinContent(
        place=zone.name if zone is not None else city,
        zones=tuple(z.name for z in zones),
        week_start=start,
        period_start=start,
        period_end=end,
        as_of=as_of,
        made_on=today,
        red=red_projects(projects, colours),
        at_risk=at_risk_projects(projects, colours),
        problems=overdue_problems(zone_ids, as_of),
        figures=week_figures(zone_ids, start, end, colours),
    )


__all__ = [
    "BulletinContent",
    "LateProject",
    "OverdueProblem",
    "WeekFigures",
    "build",
    "monday_of",
    "week_period",
]
