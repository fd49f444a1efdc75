"""Load the demo zones, projects and users from ``fixtures/``; a second run changes nothing."""

from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from approvals import permissions
from approvals.checklist import checklist_generate
from approvals.dates import parse_partial_date
from approvals.models import Batch, BatchEntry, Category, Milestone, Project, Stage
from zones.models import Enterprise, Role, Zone, ZoneRole

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
#: The seed's notes name the projects signed at a 三个一批 event ("三个一批签约项目") and its
#: date (as_of), not the round's number: the demo records them as the first round of that year.
SIGNING_NOTE = "三个一批签约"
DEFAULT_DEMO_PASSWORD = "projectdesk-demo"  # documented in README; for the demo only

#: username, display name, role, zones (None: every zone of 晋中市)
DEMO_PEOPLE = [
    ("officer", "李明", Role.OFFICER, ["综改区晋中开发区", "平遥经济技术开发区"]),
    ("supervisor", "王芳", Role.SUPERVISOR, ["综改区晋中开发区", "平遥经济技术开发区"]),
    ("leader", "张建国", Role.LEADER, ["综改区晋中开发区", "平遥经济技术开发区"]),
    ("statistician", "赵丽", Role.STATISTICIAN, None),
]


def read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


class Command(BaseCommand):
    help = "Load demo zones, projects and users (idempotent). Password: $DEMO_PASSWORD."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        zones_created = self._zones()
        people = self._people()
        projects_created = self._projects(people)
        self._signing_round()
        # Checklists for the signed projects, so that the demo shows what blocks their start;
        # generated in the name of a demo person who may do it.
        by = people.get("admin") or people.get("officer")
        if by is not None:
            signed = Project.objects.filter(stage=Stage.SIGNED, zone__isnull=False)
            for project in permissions.scope(signed, by, permissions.GENERATE):
                checklist_generate(project=project, by=by)
        self.stdout.write(
            f"seed_demo: {zones_created} zones and {projects_created} projects created "
            f"({Zone.objects.count()} zones, {Project.objects.count()} projects in total)."
        )

    def _signing_round(self) -> None:
        """The seed's projects signed at a 三个一批 event: their signing date and the round's
        list, so that the dashboard and the reports have a round to show (added once)."""
        for row in read_csv("seed_projects.csv"):
            as_of = parse_partial_date(row["as_of"])
            if SIGNING_NOTE not in row["notes"] or not as_of or not row["zone"]:
                continue
            project = Project.objects.filter(zone__name=row["zone"], name=row["name"]).first()
            if project is None:
                continue
            event = as_of[0]
            batch, _ = Batch.objects.get_or_create(
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
        user keeps its password (``./desk run`` seeds at every start). With DEBUG off no user
        gets the published default password."""
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        User = get_user_model()
        usernames = ["admin", *(username for username, *_ in DEMO_PEOPLE)]
        people = {u.username: u for u in User.objects.filter(username__in=usernames)}
        if not settings.DEBUG and password == DEFAULT_DEMO_PASSWORD:
            missing = [u for u in usernames if u not in people]
            if missing:
                self.stdout.write(
                    "seed_demo: DEBUG is off and DEMO_PASSWORD is not set: demo users not "
                    f"created ({', '.join(missing)})."
                )
            return people
        if "admin" not in people:
            people["admin"] = User.objects.create_superuser(
                username="admin", email="", password=password, first_name="管理员"
            )
            self.stdout.write("seed_demo: created the demo user admin.")
        for username, display_name, role, zone_names in DEMO_PEOPLE:
            if username in people:
                continue
            user = User.objects.create_user(
                username=username, password=password, is_staff=True, first_name=display_name
            )
            zones = (
                Zone.objects.filter(city="晋中市")
                if zone_names is None
                else Zone.objects.filter(name__in=zone_names)
            )
            ZoneRole.objects.bulk_create(ZoneRole(user=user, zone=z, role=role) for z in zones)
            people[username] = user
            self.stdout.write(f"seed_demo: created the demo user {username}.")
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
                enterprise, _ = Enterprise.objects.get_or_create(name=row["investor"])
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
                total_investment=Decimal(investment) * 10000 if investment else None,
                stage=Stage(row["stage"]),
                progress=notes,
                progress_as_of=as_of[0] if as_of else None,
                officer=officer if zone and zone.pk in officer_zones else None,
                leader=leader if zone and zone.pk in leader_zones else None,
            )
            created += 1
        return created
