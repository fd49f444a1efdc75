"""``manage.py seed_demo --seed-only``: every seed row loaded, demo people in their zones, idempotent
(the demo's desk built on the seed: tests/demo/test_demo_desk.py)."""

import csv
import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command

from approvals.models import ApprovalItem, Project, Stage, StageChange
from zones.models import Enterprise, Role, Zone, ZoneRole

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def rows(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def snapshot() -> dict:
    return {
        "zones": list(Zone.objects.values().order_by("pk")),
        "projects": list(Project.objects.values().order_by("pk")),
        "enterprises": list(Enterprise.objects.values().order_by("pk")),
        "roles": list(ZoneRole.objects.values().order_by("pk")),
        "changes": StageChange.objects.count(),
        "items": list(ApprovalItem.objects.values().order_by("pk")),
    }


@pytest.fixture(autouse=True)
def demo(settings):
    settings.DEBUG = True  # as ./desk run starts it: the embedded demo


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--seed-only", stdout=StringIO())


def test_every_zone_is_loaded_with_its_aliases(seeded):
    for row in rows("seed_zones.csv"):
        zone = Zone.objects.get(name=row["name"])
        assert zone.city == row["city"]
        assert zone.alias_list() == [a for a in row["aliases"].split("|") if a]
    assert Zone.objects.count() == len(rows("seed_zones.csv"))


def test_every_project_is_loaded_at_its_stage(seeded):
    for row in rows("seed_projects.csv"):
        project = Project.objects.get(name=row["name"], zone__name=row["zone"] or None)
        assert project.stage == Stage(row["stage"])
        if row["total_investment_yi"]:
            assert project.total_investment == Decimal(row["total_investment_yi"]) * 10000
        if row["investor"]:
            assert project.enterprise.name == row["investor"]
    assert Project.objects.count() == len(rows("seed_projects.csv"))


def test_the_investment_is_kept_in_10k_yuan(seeded):
    project = Project.objects.get(name="电力管涵项目工程")
    assert project.total_investment == Decimal("1258")
    assert project.total_investment_yi == Decimal("0.1258")


def test_a_zone_can_be_found_by_alias(seeded):
    assert Zone.objects.matching("晋中开发区").name == "综改区晋中开发区"
    assert Zone.objects.matching("祁县经开区 ").name == "祁县经济开发区"


def test_demo_people_log_in_with_the_demo_password(seeded, monkeypatch):
    for username in ["admin", "officer", "supervisor", "leader", "statistician"]:
        assert authenticate(username=username, password="projectdesk-demo") is not None, username
    assert ZoneRole.objects.filter(
        user__username="statistician", role=Role.STATISTICIAN
    ).count() == (Zone.objects.filter(city="晋中市").count())


def test_the_password_comes_from_demo_password(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-secret-42")
    call_command("seed_demo", "--seed-only", stdout=StringIO())
    assert authenticate(username="officer", password="another-secret-42") is not None


def test_running_it_twice_changes_nothing(seeded):
    before = snapshot()
    out = StringIO()
    call_command("seed_demo", "--seed-only", stdout=out)
    assert snapshot() == before
    assert "新建 0 个开发区、0 个项目" in out.getvalue()


def test_the_projects_signed_at_the_events_form_a_round(seeded):
    """The five seed rows noted "三个一批签约…" on 2025-04-07: a round of five signings with
    their investment as the seed gives it, and each project's signing date."""
    from approvals.figures import reports
    from approvals.models import Batch

    noted = [r for r in rows("seed_projects.csv") if "三个一批签约" in r["notes"]]
    assert len(noted) == 5
    batch = Batch.objects.get()
    assert (batch.year, batch.round, batch.event_date) == (2025, 1, dt.date(2025, 4, 7))
    assert sorted(e.name for e in batch.entries.all()) == sorted(r["name"] for r in noted)
    figures = reports.sanpi(reports.Selection())
    total = sum(Decimal(r["total_investment_yi"]) for r in noted)
    assert figures["categories"]["sign"] == {"count": 5, "investment_yi": float(total)}
    assert reports.conversion(reports.Selection())["signed"] == 5


def test_signed_demo_projects_get_their_checklist(seeded):
    signed = Project.objects.filter(stage=Stage.SIGNED, zone__isnull=False)
    assert signed.exists()
    assert all(p.approval_items.count() == 21 for p in signed)


class TestPasswords:
    """``./desk run`` seeds at every start: a password someone chose survives it, and outside
    the demo nobody gets the published one."""

    def test_a_changed_password_survives_seeding_again(self, seeded):
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.get(username="admin")
        admin.set_password("chosen-by-the-administrator-7")
        admin.save()

        call_command("seed_demo", "--seed-only", stdout=StringIO())

        assert authenticate(username="admin", password="chosen-by-the-administrator-7")
        assert authenticate(username="admin", password="projectdesk-demo") is None

    def test_missing_demo_users_are_created_and_present_ones_left_alone(self, seeded):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        users.filter(username="leader").delete()
        officer = users.get(username="officer")
        officer.set_password("officer-own-password-9")
        officer.first_name = "改名"
        officer.save()

        out = StringIO()
        call_command("seed_demo", "--seed-only", stdout=out)

        assert authenticate(username="leader", password="projectdesk-demo") is not None
        officer.refresh_from_db()
        assert officer.first_name == "改名"
        assert officer.check_password("officer-own-password-9")
        assert "已创建演示用户 leader" in out.getvalue()
        assert "已创建演示用户 officer" not in out.getvalue()

    def test_with_debug_off_no_user_gets_the_default_password(self, db, settings):
        from django.contrib.auth import get_user_model

        settings.DEBUG = False
        out = StringIO()
        call_command("seed_demo", "--seed-only", stdout=out)

        assert get_user_model().objects.count() == 0
        assert "不创建演示用户" in out.getvalue()
        assert Project.objects.count() == len(rows("seed_projects.csv"))

    def test_with_debug_off_no_demo_user_is_created_even_with_a_chosen_password(
        self, db, settings, monkeypatch
    ):
        from django.contrib.auth import get_user_model

        settings.DEBUG = False
        monkeypatch.setenv("DEMO_PASSWORD", "a-password-for-this-site-3")
        out = StringIO()
        call_command("seed_demo", "--seed-only", stdout=out)
        assert get_user_model().objects.count() == 0
        assert "不创建演示用户" in out.getvalue()

    def test_with_debug_off_a_demo_account_left_over_cannot_log_in(self, seeded, settings):
        assert authenticate(username="officer", password="projectdesk-demo") is not None
        settings.DEBUG = False
        for username in ["admin", "officer", "sysadmin", "secadmin", "auditor"]:
            assert authenticate(username=username, password="projectdesk-demo") is None


def test_the_three_demo_administrators_hold_their_roles(seeded):
    from zones.models import Administrator, AdminRole

    assert dict(Administrator.objects.values_list("user__username", "role")) == {
        "sysadmin": AdminRole.SYSTEM,
        "secadmin": AdminRole.SECURITY,
        "auditor": AdminRole.AUDIT,
    }
    for username in ["sysadmin", "secadmin", "auditor"]:
        assert authenticate(username=username, password="projectdesk-demo") is not None
    assert not ZoneRole.objects.filter(user__administrator__isnull=False).exists()


def test_the_officers_day_is_seeded_once_through_the_services(seeded):
    from approvals.models import (
        FactorNeed,
        MonthlyProgress,
        Problem,
        ProblemStatus,
        ServiceRecord,
        TaskNode,
        WhiteListProject,
    )

    officer = ZoneRole.objects.filter(user__username="officer", role=Role.OFFICER).first().user
    visit = ServiceRecord.objects.get(recorded_by=officer)
    follow_up = Problem.objects.get(service_record=visit)
    assert follow_up.status == ProblemStatus.OPEN and follow_up.created_by == officer
    resolved = Problem.objects.get(status=ProblemStatus.RESOLVED)
    assert resolved.resolved_by == officer  # waits for the supervisor's 销号
    assert TaskNode.objects.filter(project=visit.project).count() == 4
    assert MonthlyProgress.objects.exists() and FactorNeed.objects.exists()
    assert set(FactorNeed.objects.values_list("project", flat=True)) == set(
        WhiteListProject.objects.filter(officer=officer).values_list("pk", flat=True)
    )
    counts = [m.objects.count() for m in (ServiceRecord, Problem, TaskNode, FactorNeed)]
    call_command("seed_demo", "--seed-only", stdout=StringIO())
    assert [m.objects.count() for m in (ServiceRecord, Problem, TaskNode, FactorNeed)] == counts
