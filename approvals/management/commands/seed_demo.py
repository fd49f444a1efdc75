"""Load the demo zones, projects and users from ``fixtures/``, and build the demo's desk on them
(``approvals.demo``: 晋中's rounds since 2023 and a current year); a second run changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import os
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.demo_accounts import DEMO_ADMINISTRATORS, DEMO_PEOPLE, demo_usernames
from approvals.access import permissions
from approvals.casework.problems import (
    FollowUp,
    problem_add,
    problem_transition,
    service_record_add,
)
from approvals.checklist.services import checklist_generate
from approvals.core import units
from approvals.core.dates import parse_partial_date
from approvals.core.display import day_in_words
from approvals.demo import build as demo
from approvals.management.base import DeskCommand
from approvals.models import (
    WHITE_LIST_INVESTMENT,
    Batch,
    BatchEntry,
    Category,
    Factor,
    FactorNeed,
    Milestone,
    MonthlyProgress,
    ProblemCategory,
    Project,
    ServiceKind,
    ServiceRecord,
    Stage,
    TaskNode,
)
from zones.models import Administrator, Enterprise, Role, Zone, ZoneRole

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
#: The seed's notes name the projects signed at a 三个一批 event ("三个一批签约项目") and its
#: date (as_of), not the round's number: the demo records them as the first round of that year.
SIGNING_NOTE = "三个一批签约"
DEFAULT_DEMO_PASSWORD = "projectdesk-demo"  # documented in README; for the demo only
#: The round of the seed's signings, when the seed notes none.
SEED_EVENT = dt.date(2025, 4, 7)


def read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


class Command(DeskCommand):
    help = gettext_lazy(
        "Load the demo's zones, projects and users and build the demo's desk on them (a second "
        "run changes nothing). Password of the demo users: $DEMO_PASSWORD."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed-only",
            action="store_true",
            help=gettext_lazy(
                "Only the seed's zones, projects and people, without the demo's desk."
            ),
        )

    def handle(self, *args, seed_only: bool = False, **options) -> None:
        started = time.monotonic()
        with transaction.atomic():
            self._seed(seed_only)
        self.stdout.write(
            _("seed_demo: done in %(seconds).1f s.") % {"seconds": time.monotonic() - started}
        )

    def _seed(self, seed_only: bool) -> None:
        zones_created = self._zones()
        people = self._people()
        projects_created = self._projects(people)
        event = self._signing_round()
        self._casework(people)
        # Checklists for the seed's signed projects, so that the demo shows what blocks their
        # start; generated in the name of a demo person who may do it.
        by = people.get("admin") or people.get("officer")
        if by is not None:
            seeded = [row["name"] for row in read_csv("seed_projects.csv")]
            signed = Project.objects.filter(stage=Stage.SIGNED, zone__isnull=False)
            for project in permissions.scope(signed, by, permissions.GENERATE).filter(
                name__in=seeded
            ):
                checklist_generate(project=project, by=by)
        self.stdout.write(
            _(
                "seed_demo: %(zones)d zones and %(projects)d projects created (%(all_zones)d "
                "zones, %(all_projects)d projects in total)."
            )
            % {
                "zones": zones_created,
                "projects": projects_created,
                "all_zones": Zone.objects.count(),
                "all_projects": Project.objects.count(),
            }
        )
        # The demo's desk (approvals/demo): built once, on the day of the first run.
        built = demo.anchor()
        if built is not None:
            self.stdout.write(
                _("seed_demo: the demo's desk was built as of %(day)s: kept.")
                % {"day": day_in_words(built)}
            )
        elif not seed_only:
            today = timezone.localdate()
            demo.build(today=today, seed_event=event, people=people, out=self.stdout)

    def _signing_round(self) -> dt.date:
        """The seed's projects signed at a 三个一批 event: their signing date and the round's
        list, so that the dashboard and the reports have a round to show (added once). Returns
        the event's date."""
        event = SEED_EVENT
        for row in read_csv("seed_projects.csv"):
            as_of = parse_partial_date(row["as_of"])
            if SIGNING_NOTE not in row["notes"] or not as_of or not row["zone"]:
                continue
            project = Project.objects.filter(zone__name=row["zone"], name=row["name"]).first()
            if project is None:
                continue
            event = as_of[0]
            batch, __ = Batch.objects.get_or_create(
                year=event.year, round=1, defaults={"event_date": event}
            )
            if not Milestone.objects.filter(project=project, stage=Stage.SIGNED).exists():
                Milestone.objects.create(
                    project=project, stage=Stage.SIGNED, planned_date=event, actual_date=event
                )
            BatchEntry.objects.get_or_create(
                batch=batch,
                project=project,
                defaults={
                    "category": Category.SIGN,
                    "name": project.name,
                    "enterprise": row["investor"],
                    "total_investment": project.total_investment,
                    "source": "seed_projects.csv",
                },
            )
        return event

    def _casework(self, people: dict[str, object]) -> None:
        """An officer's day on three of its projects — a visit whose follow-up opened a problem,
        a problem resolved and waiting for the supervisor's 销号, a task plan with a late node,
        last month's figures — and the factor needs of its white-list projects, entered through
        the services in the officer's name (added once, dated from today)."""
        officer = people.get("officer")
        if officer is None or ServiceRecord.objects.filter(recorded_by=officer).exists():
            return
        today = timezone.localdate()
        mine = Project.objects.filter(officer=officer, zone__isnull=False).order_by("name")
        open_ = list(mine.filter(stage__in=[Stage.SIGNED, Stage.UNDER_CONSTRUCTION])[:3])
        if not open_:
            return
        _visit_and_task_plan(open_[0], officer, today)
        if len(open_) > 1:
            _resolved_problem(open_[1], officer, today)
        _last_months_figures(open_, officer, today)
        _factor_needs(mine.filter(total_investment__gte=WHITE_LIST_INVESTMENT))

    def _zones(self) -> int:
        created = 0
        for row in read_csv("seed_zones.csv"):
            _, was_created = Zone.objects.get_or_create(
                name=row["name"],
                defaults={
                    "aliases": "\n".join(a for a in row["aliases"].split("|") if a),
                    "city": row["city"],
                    "lead_industries": "、".join(i for i in row["lead_industries"].split("|") if i),
                    "notes": row["notes"],
                },
            )
            created += was_created
        return created

    def _people(self) -> dict[str, object]:
        """The demo users, created when missing and never touched when present: an existing
        user keeps its password (``./desk run`` seeds at every start). With DEBUG off no demo
        user is created at all: their names are published, they may not log in there, and
        ``check --deploy`` reports any that exists."""
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        User = get_user_model()
        usernames = demo_usernames()
        people = {u.username: u for u in User.objects.filter(username__in=usernames)}
        if not settings.DEBUG:
            missing = [u for u in usernames if u not in people]
            if missing:
                self.stdout.write(
                    _(
                        "seed_demo: DEBUG is off: demo users not created (%(names)s); the "
                        "demo's accounts exist only in the demo."
                    )
                    % {"names": "、".join(missing)}
                )
            return people
        # Hashed once for every demo user created now (the hash is what takes the time; the
        # password is the published demo one anyway).
        hashed = make_password(password) if set(usernames) - set(people) else ""

        def create(username: str, first_name: str, **flags):
            user = User(username=username, first_name=first_name, is_staff=True, **flags)
            user.password = hashed
            user.save()
            password_validation.password_changed(password, user)  # as set_password's save does
            return user

        if "admin" not in people:
            people["admin"] = create("admin", "管理员", is_superuser=True)
            self.stdout.write(_("seed_demo: created the demo user %(name)s.") % {"name": "admin"})
        for username, display_name, role, zone_names in DEMO_PEOPLE:
            if username in people:
                continue
            user = create(username, display_name)
            zones = (
                Zone.objects.filter(city="晋中市")
                if zone_names is None
                else Zone.objects.filter(name__in=zone_names)
            )
            ZoneRole.objects.bulk_create(ZoneRole(user=user, zone=z, role=role) for z in zones)
            people[username] = user
            self.stdout.write(_("seed_demo: created the demo user %(name)s.") % {"name": username})
        for username, display_name, admin_role in DEMO_ADMINISTRATORS:
            if username in people:
                continue
            user = create(username, display_name)
            Administrator.objects.create(user=user, role=admin_role)
            people[username] = user
            self.stdout.write(_("seed_demo: created the demo user %(name)s.") % {"name": username})
        return people

    def _projects(self, people: dict[str, object]) -> int:
        officer, leader = people.get("officer"), people.get("leader")
        officer_zones = ZoneRole.objects.zone_ids(officer, Role.OFFICER) if officer else set()
        leader_zones = ZoneRole.objects.zone_ids(leader, Role.LEADER) if leader else set()
        created = 0
        for row in read_csv("seed_projects.csv"):
            zone = Zone.objects.get(name=row["zone"]) if row["zone"] else None
            if Project.objects.filter(zone=zone, name=row["name"]).exists():
                continue
            enterprise = None
            if row["investor"]:
                enterprise, __ = Enterprise.objects.get_or_create(name=row["investor"])
            as_of = parse_partial_date(row["as_of"])
            notes = row["notes"]
            if zone is None and row["city"]:
                notes = f"所在城市：{row['city']}；{notes}"
            investment = row["total_investment_yi"]
            Project.objects.create(
                name=row["name"],
                zone=zone,
                enterprise=enterprise,
                industry=row["industry"],
                total_investment=units.wan(investment, "亿元") if investment else None,
                stage=Stage(row["stage"]),
                progress=notes,
                progress_as_of=as_of[0] if as_of else None,
                officer=officer if zone and zone.pk in officer_zones else None,
                leader=leader if zone and zone.pk in leader_zones else None,
            )
            created += 1
        return created


# --- the demo officer's casework (``Command._casework``) ---------------------------------------


def _visit_and_task_plan(project: Project, officer, today: dt.date) -> None:
    """A visit whose follow-up opened a problem, and a task plan with a late node."""
    day = dt.timedelta(days=1)
    service_record_add(
        project=project,
        by=officer,
        day=today - 12 * day,
        kind=ServiceKind.ON_SITE,
        participants=f"{officer.first_name}；企业项目负责人；自然资源局",
        done="现场办公，协调土地摘牌时间",
        follow_up=FollowUp(
            description="用地指标尚未落实，影响土地摘牌",
            category=ProblemCategory.LAND,
            department="自然资源局",
            deadline=today - 5 * day,
        ),
    )
    for name, offset, done in (
        ("完成土地摘牌", -5, None),
        ("主体封顶", 60, None),
        ("设备安装", 120, None),
        ("签订投资协议", -40, -41),
    ):
        TaskNode.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                "planned_date": today + offset * day,
                "actual_date": today + done * day if done is not None else None,
            },
        )


def _resolved_problem(project: Project, officer, today: dt.date) -> None:
    """A problem the officer resolved, waiting for the supervisor's closing (销号)."""
    day = dt.timedelta(days=1)
    problem = problem_add(
        project=project,
        by=officer,
        description="双回路供电接入方案待批复",
        category=ProblemCategory.ENERGY,
        department="供电公司",
        deadline=today + 15 * day,
        reported_on=today - 20 * day,
    )
    problem_transition(
        problem, "resolve", by=officer, resolution="供电公司已出具接入批复", resolved_on=today - day
    )


def _last_months_figures(projects: list[Project], officer, today: dt.date) -> None:
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for project in projects:
        if project.total_investment:
            plan = (project.total_investment * Decimal("0.2")).quantize(Decimal("1"))
            MonthlyProgress.objects.get_or_create(
                project=project,
                month=month,
                defaults={
                    "annual_plan": plan,
                    "completed_month": (plan / 12).quantize(Decimal("1")),
                    "completed_year": (plan * month.month / 12).quantize(Decimal("1")),
                    "image_progress": project.progress[:200],
                    "updated_by": officer,
                },
            )


def _factor_needs(white_list) -> None:
    """The white-list projects' land, energy and funds: requested, partly secured."""
    for project in white_list:
        for factor, requested, secured in (
            (Factor.LAND, project.land_area_mu or Decimal("300"), Decimal("200")),
            (Factor.ENERGY, Decimal("12000"), Decimal("12000")),
            (
                Factor.FUNDS,
                (project.total_investment * Decimal("0.3")).quantize(Decimal("1")),
                Decimal("0"),
            ),
        ):
            FactorNeed.objects.get_or_create(
                project=project,
                factor=factor,
                defaults={"requested": requested, "secured": min(secured, requested)},
            )
