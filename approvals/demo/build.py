"""Playing the demo's story (``story``) through the desk, as its people would have: the
statistician imports each round's list, the progress tables and the monthly tables
(``sheets``, through ``approvals.spreadsheets.imports``); officers ask for stage changes and
the zone's supervisors decide them (``workflow``); problems are worked off and closed
(``casework.problems``); today's reminders are found and filed (``reminders``). Every record
says who did it, as a record made by hand or by an import does.

Built once, on the first run: the day of that run is the anchor, kept as the ``source`` of the
demo's imports (``anchor()`` reads it back), and a second run finds it and changes nothing."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from approvals.casework.problems import (
    FollowUp,
    problem_add,
    problem_transition,
    service_record_add,
)
from approvals.checklist import foresight
from approvals.core.display import day_in_words
from approvals.demo import sheets
from approvals.demo.story import DAY, CatalogueItem, DemoProject, Story, tell
from approvals.models import (
    UNSOLVED,
    ApprovalType,
    CalendarDay,
    ImportKind,
    LimitUnit,
    Milestone,
    Problem,
    ProblemCategory,
    Project,
    ServiceKind,
    SpreadsheetImport,
    Stage,
    StageRequest,
    TaskNode,
)
from approvals.reminders import services as reminders
from approvals.spreadsheets import imports
from approvals.stages import workflow
from approvals.stages.models import RequestKind
from zones.models import Role, Zone, ZoneRole

#: The demo's imports name it, and the anchor, in their source: "seed_demo · 2026-12-06".
SOURCE = "seed_demo"
CITY = "晋中市"
#: The other zones' people (no logins: the demo's logins are accounts/demo_accounts.py's):
#: an officer and a supervisor each, in the zones' order by name.
COLLEAGUES = (
    ("刘洋", "孙敏"),
    ("陈磊", "马丽"),
    ("杨帆", "胡静"),
    ("赵鹏", "郭芳"),
    ("黄涛", "林娜"),
    ("周杰", "何艳"),
    ("吴强", "高霞"),
    ("郑伟", "罗娟"),
    ("冯刚", "谢婷"),
)
#: A one-pixel PNG: the photo a demo request attaches as its evidence.
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2"
    "21bc330000000049454e44ae426082"
)


def anchor() -> dt.date | None:
    """The day the demo was built, or None when it has not been."""
    first = (
        SpreadsheetImport.objects.filter(source__startswith=f"{SOURCE} · ")
        .order_by("pk")
        .values_list("source", flat=True)
        .first()
    )
    return dt.date.fromisoformat(first.split(" · ")[1]) if first else None


@dataclass
class Desk:
    """The people and projects the story is played with."""

    story: Story
    statistician: object
    officers: dict[str, object]  # zone name → the officer who does its casework
    supervisors: dict[str, list]  # zone name → its supervisors
    ids: dict[int, int] = field(default_factory=dict)  # DemoProject.key → Project.pk
    last_table: dt.date | None = None  # the day of the last progress table imported
    done: Counter = field(default_factory=Counter)

    @property
    def source(self) -> str:
        return f"{SOURCE} · {self.story.anchor.isoformat()}"

    def project(self, p: DemoProject) -> Project:
        return Project.objects.get(pk=self.ids[p.key])

    def supervisor(self, zone: str, key: int, besides=None):
        """A supervisor of the zone (where it has two, by turns), never ``besides``."""
        found = [s for s in self.supervisors[zone] if s != besides]
        return found[key % len(found)]


# --- people ------------------------------------------------------------------------------------


def _zones() -> list[Zone]:
    """The city's zones by name, sorted here: PostgreSQL's collation orders Chinese otherwise
    than SQLite, and the story must be the same on both."""
    return sorted(Zone.objects.filter(city=CITY), key=lambda zone: zone.name)


def colleagues(zones: list[Zone], people: dict[str, object]) -> None:
    """An officer and a supervisor in each zone the demo people do not work in, created once
    without a password (they do not log in: they fill the other zones' lists and decisions)."""
    User = get_user_model()
    covered = set(
        ZoneRole.objects.filter(user__in=people.values(), role=Role.OFFICER).values_list(
            "zone_id", flat=True
        )
    )
    for index, zone in enumerate(z for z in zones if z.pk not in covered):
        for role, name in zip((Role.OFFICER, Role.SUPERVISOR), COLLEAGUES[index], strict=True):
            username = f"zone{index + 1}-{role}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, first_name=name, is_staff=True)
                user.set_unusable_password()
                user.save()
                ZoneRole.objects.create(user=user, zone=zone, role=role)


def _desk(story: Story, zones: list[Zone], statistician) -> Desk:
    officers, supervisors = {}, {}
    roles = ZoneRole.objects.filter(zone__in=zones, user__is_active=True).select_related(
        "user", "zone"
    )
    for held in roles.order_by("user__username"):
        if held.role == Role.OFFICER:
            officers.setdefault(held.zone.name, held.user)
        elif held.role == Role.SUPERVISOR:
            supervisors.setdefault(held.zone.name, []).append(held.user)
    return Desk(story, statistician, officers, supervisors)


def _names(zones: list[Zone]) -> dict[str, tuple[list[str], list[str]]]:
    """zone → its officers' and leaders' names as the lists write them."""
    found: dict[str, tuple[list[str], list[str]]] = {z.name: ([], []) for z in zones}
    for held in ZoneRole.objects.filter(
        zone__in=zones, role__in=[Role.OFFICER, Role.LEADER], user__is_active=True
    ).select_related("user", "zone"):
        found[held.zone.name][0 if held.role == Role.OFFICER else 1].append(held.user.first_name)
    return {zone: (sorted(o), sorted(leaders)) for zone, (o, leaders) in found.items()}


def catalogue() -> list[CatalogueItem]:
    return [
        CatalogueItem(
            t.code,
            t.name,
            t.before_works,
            t.default_mode,
            t.time_limit,
            t.limit_unit == LimitUnit.WORKING_DAYS,
            t.committable,
        )
        for t in ApprovalType.objects.filter(is_active=True).order_by("sort_order", "code")
    ]


# --- the story, played ---------------------------------------------------------------------------


def build(*, today: dt.date, seed_event: dt.date, people: dict[str, object], out) -> Desk | None:
    """Play the story as of ``today`` (the anchor); None when the demo people it needs are
    missing (with DEBUG off there are none)."""
    statistician = people.get("statistician")
    if statistician is None or "officer" not in people:
        return None
    started = time.monotonic()
    zones = _zones()
    colleagues(zones, people)
    items = catalogue()
    story = tell(today, seed_event, [(z.name, _industries(z)) for z in zones], _names(zones), items)
    desk = _desk(story, zones, statistician)
    by_key = {p.key: p for p in story.projects}
    for event in story.events:
        if event.kind == "approval_table":
            _approval_table(desk, event.day, items)
        elif event.kind == "round":
            _round(desk, event.round)
        elif event.kind == "list_requests":
            _list_requests(desk, event.round)
        elif event.kind == "production":
            _ask_and_decide(desk, by_key[event.project], "start_production", event.day)
        elif event.kind == "capacity":
            _ask_and_decide(desk, by_key[event.project], "reach_capacity", event.day)
        elif event.kind == "stop":
            p = by_key[event.project]
            _ask_and_decide(desk, p, STOP[p.stopped[0]], event.day)
        elif event.kind == "visit":
            _visit(desk, by_key[event.project])
        elif event.kind in ("resolve", "close"):
            _work_problem(desk, by_key[event.project], event.kind, event.day, event.text)
        elif event.kind == "monthly":
            _monthly(desk, dt.date(today.year, event.round, 1))
    _today(desk, people)
    out.write(
        _(
            "seed_demo: the demo's desk as of %(day)s: %(projects)d projects in %(rounds)d "
            "rounds, %(steps)d steps, in %(seconds).1f s."
        )
        % {
            "day": day_in_words(today),
            "projects": len(story.projects),
            "rounds": len(story.rounds),
            "steps": sum(desk.done.values()),
            "seconds": time.monotonic() - started,
        }
    )
    return desk


def _industries(zone: Zone) -> list[str]:
    return [i for i in zone.lead_industries.split("、") if i]


def _import(desk: Desk, kind: str, name: str, data: bytes, **spec) -> None:
    record = imports.receive(
        kind, data, name, by=desk.statistician, source=desk.source, keep_file=False, **spec
    )
    report = imports.apply(record, data)
    if not report.applied:  # the demo's own files: a refusal is a bug of the story
        raise RuntimeError(f"{name}: {[str(e) for e in report.errors[:5]]}")
    desk.done[kind] += 1


def _round(desk: Desk, index: int) -> None:
    listed = desk.story.rounds[index]
    name, data = sheets.round_list(index, listed, desk.story.projects)
    spec = {"year": listed.year, "round": listed.number, "event_date": listed.event}
    _import(desk, ImportKind.PROJECT_LIST, name, data, **spec)
    new = [p for p in desk.story.projects if p.first_round == index]
    found = {
        (zone, name): pk
        for pk, zone, name in Project.objects.filter(
            zone__city=CITY, name__in=[p.name for p in new]
        ).values_list("pk", "zone__name", "name")
    }
    desk.ids.update((p.key, found[(p.zone, p.name)]) for p in new)


def _approval_table(desk: Desk, day: dt.date, items: list[CatalogueItem]) -> None:
    name, data, rows = sheets.approval_table(day, desk.last_table, desk.story.projects, items)
    if rows:
        _import(desk, ImportKind.APPROVAL_TABLE, name, data)
        desk.last_table = day


def _monthly(desk: Desk, month: dt.date) -> None:
    name, data, rows = sheets.monthly_table(month, desk.story.projects)
    if rows:
        _import(desk, ImportKind.MONTHLY_TABLE, name, data)


def _list_requests(desk: Desk, index: int) -> None:
    """The requests a round's list opened (来自清单, where the import opens them): decided by the
    zone's supervisors, but for a few of the latest round, left for the demo's supervisor."""
    latest = index == len(desk.story.rounds) - 1
    keys = [p for p in desk.story.projects if index in p.listings and p.key in desk.ids]
    pending = StageRequest.objects.pending().filter(
        project__in=[desk.ids[p.key] for p in keys], kind=RequestKind.LIST
    )
    zone_of = {desk.ids[p.key]: p for p in keys}
    for position, stage_request in enumerate(pending.order_by("pk")):
        p = zone_of[stage_request.project_id]
        if latest and position % 4 == 0:
            continue  # waits for a decision
        supervisor = desk.supervisor(p.zone, p.key)
        workflow.decide(stage_request, by=supervisor, approve=True, comment="核实无误，同意")
        desk.done["list request decided"] += 1


#: Why the demo's stalled projects stopped, by the day they did.
STOP_REASONS = (
    "企业资金链紧张，项目暂缓实施",
    "市场变化，企业调整投资计划",
    "用地规划调整，项目暂停",
)
STOP = {Stage.SUSPENDED: "suspend", Stage.WITHDRAWN: "withdraw"}
EVIDENCE = {
    "start_production": lambda p, day: {"production_date": day},
    "suspend": lambda p, day: {"reason": STOP_REASONS[p.key % len(STOP_REASONS)]},
    "withdraw": lambda p, day: {"reason": STOP_REASONS[p.key % len(STOP_REASONS)]},
    "reach_capacity": lambda p, day: {
        "capacity_date": day,
        "actual_annual_output": p.capacity_output,
    },
}
NEEDED = {
    "start_production": Stage.UNDER_CONSTRUCTION,
    "reach_capacity": Stage.IN_PRODUCTION,
    "suspend": Stage.SIGNED,
    "withdraw": Stage.SIGNED,
}


def _ask(
    desk: Desk, p: DemoProject, transition: str, note: str, missing: str = "", **evidence
) -> StageRequest:
    """The officer asks, with a photo of the site as the change's document, or, ``missing``
    given, without it and saying why (容缺)."""
    project = desk.project(p)
    officer = project.officer or desk.officers[p.zone]
    photos = [] if missing else [ContentFile(PHOTO, name="现场照片.png")]
    return workflow.request_transition(
        project,
        transition,
        officer,
        note=note,
        attachments=photos,
        documents_missing_reason=missing,
        **evidence,
    )


def _ask_and_decide(desk: Desk, p: DemoProject, transition: str, day: dt.date) -> None:
    """The officer asks with the date it happened; a supervisor of the zone approves. Skipped
    when the project is not where the story has it (a start the lists reported that this desk
    does not turn into a stage)."""
    if desk.project(p).stage != NEEDED[transition]:
        desk.done[f"{transition} skipped"] += 1
        return
    stage_request = _ask(desk, p, transition, "", **EVIDENCE[transition](p, day))
    workflow.decide(stage_request, by=desk.supervisor(p.zone, p.key), approve=True)
    desk.done[transition] += 1


def _visit(desk: Desk, p: DemoProject) -> None:
    """The zone's officer visits the project and records the problem found, due by a date."""
    officer, visit = desk.officers[p.zone], p.visit
    service_record_add(
        project=desk.project(p),
        by=officer,
        day=visit.visited,
        kind=ServiceKind.VISIT,
        participants=f"{officer.first_name}；企业负责人；{visit.department}",
        done="走访企业，了解项目推进情况",
        follow_up=FollowUp(
            description=visit.text,
            category=visit.category,
            department=visit.department,
            deadline=visit.deadline,
        ),
    )
    desk.done["visit"] += 1


def _work_problem(desk: Desk, p: DemoProject, step: str, day: dt.date, text: str) -> None:
    problem = Problem.objects.filter(project_id=desk.ids[p.key], description=text).first()
    if problem is None:
        return
    plan = next(plan for plan in (p.problem, p.visit) if plan and plan.text == text)
    officer = desk.officers[p.zone]
    if step == "resolve" and problem.status in UNSOLVED:
        problem_transition(
            problem, "resolve", by=officer, resolution=plan.resolution, resolved_on=day
        )
        desk.done["problem resolved"] += 1
    elif step == "close" and problem.status == "resolved":
        problem_transition(problem, "close", by=desk.supervisor(p.zone, p.key, besides=officer))
        desk.done["problem closed"] += 1


# --- today ---------------------------------------------------------------------------------------


def _mine(desk: Desk, officer, stage: str) -> list[DemoProject]:
    """The demo officer's projects at ``stage`` today, in the story's order."""
    ids = set(Project.objects.filter(officer=officer, stage=stage).values_list("pk", flat=True))
    return [p for p in desk.story.projects if desk.ids.get(p.key) in ids]


def _today(desk: Desk, people: dict[str, object]) -> None:
    """The anchor day: the progress tables of today, the demo officer's problems and task plan,
    requests waiting for the demo's supervisors, and today's reminders."""
    today = desk.story.anchor
    officer = people["officer"]
    _replan(desk)
    building = _mine(desk, officer, Stage.UNDER_CONSTRUCTION)
    _officers_problems(desk, officer, building[:4], today)
    for p in building[4:7]:
        _task_plan(desk.project(p), today)
    _waiting_requests(desk, officer, building, today)
    reminders.run(_working_day_until(today))
    desk.done["reminder scan"] += 1


def _replan(desk: Desk) -> None:
    """Plans long past moved by the zone's officer, as on the project page (the milestone's
    history names the officer; the foreseen delay follows the new plan)."""
    ahead = {Stage.SIGNED: Stage.UNDER_CONSTRUCTION, Stage.UNDER_CONSTRUCTION: Stage.IN_PRODUCTION}
    moved = []
    for p in desk.story.projects:
        project = desk.project(p) if p.replanned else None
        if project is None or project.stage not in ahead:
            continue
        milestone = Milestone.objects.filter(project=project, stage=ahead[project.stage]).first()
        if milestone is None:
            continue
        milestone.planned_date = p.replanned
        milestone._history_user = desk.officers[p.zone]
        milestone._change_reason = "计划调整：原计划已逾期，重新排定"
        milestone.save()
        moved.append(project.pk)
    foresight.refresh(moved)
    desk.done["plan moved"] += len(moved)


def _officers_problems(desk: Desk, officer, projects: list[DemoProject], today: dt.date) -> None:
    """Problems the officer reported on four of its projects: one red, one late, one due soon
    (being worked on), one due next month."""
    for p, (text, category, due, start) in zip(
        projects,
        (
            ("电力增容方案未获批复，影响设备调试", ProblemCategory.ENERGY, -45, False),
            ("施工许可变更手续办理缓慢", ProblemCategory.APPROVALS, -12, False),
            ("厂区道路与市政管网衔接未完成", ProblemCategory.OTHER, 5, True),
            ("技术工人招聘缺口约80人", ProblemCategory.OTHER, 40, False),
        ),
        strict=False,
    ):
        problem = problem_add(
            project=desk.project(p),
            by=officer,
            description=text,
            category=category,
            deadline=today + due * DAY,
            reported_on=min(today - 3 * DAY, today + (due - 30) * DAY),
        )
        if start:
            problem_transition(problem, "start", by=officer)
        desk.done["problem reported"] += 1


def _task_plan(project: Project, today: dt.date) -> None:
    """A task plan (倒排工期) counted back from the planned production: one node late."""
    for name, offset, done in (
        ("主体结构封顶", -50, -48),
        ("设备采购合同签订", -20, None),
        ("设备安装完成", 25, None),
        ("单机调试", 70, None),
    ):
        node = TaskNode(
            project=project,
            name=name,
            planned_date=today + offset * DAY,
            actual_date=today + done * DAY if done is not None else None,
        )
        node.save()


def _waiting_requests(desk: Desk, officer, building: list[DemoProject], today: dt.date) -> None:
    """What waits for the demo's supervisors today: starts of production and a capacity the
    officer asks for, with a photo (one without, saying why: 容缺); one asked earlier was sent
    back."""
    asked = 0
    for p in building[7:]:
        if asked == 2:
            break
        day = today - (2 + asked * 3) * DAY
        if asked == 0:
            _ask(desk, p, "start_production", "试生产已开始，附现场照片", production_date=day)
        else:
            missing = "试生产报告待企业盖章后补交"
            _ask(desk, p, "start_production", "", missing=missing, production_date=day)
        asked += 1
        desk.done["request waiting"] += 1
    producing = _mine(desk, officer, Stage.IN_PRODUCTION)
    for p in producing[:1]:
        rejected = _ask(
            desk,
            p,
            "reach_capacity",
            "",
            capacity_date=today - 20 * DAY,
            actual_annual_output=(p.output * 8000).quantize(Decimal("1")),
        )
        workflow.decide(
            rejected,
            by=desk.supervisor(p.zone, p.key),
            approve=False,
            comment="请补充近12个月的产值统计或纳税证明",
        )
        desk.done["request rejected"] += 1
    for p in producing[1:2]:
        _ask(
            desk,
            p,
            "reach_capacity",
            "近12个月产值已达设计产能",
            capacity_date=today - 6 * DAY,
            actual_annual_output=(p.output * 10000).quantize(Decimal("1")),
        )
        desk.done["request waiting"] += 1


def _working_day_until(day: dt.date) -> dt.date:
    """The scan does nothing on a day off: the last working day up to ``day``."""
    calendar = CalendarDay.objects.calendar()
    while not calendar.is_working_day(day):
        day -= DAY
    return day
