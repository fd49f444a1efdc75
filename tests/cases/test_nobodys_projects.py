"""Nobody's project is nobody's (guide section 12, issue 19): a project without an officer is
followed by its zone's supervisors — the reminders the officer would get, its problems, and a
section of their 我的待办 with the way to assign an officer; a person holding two steps of the
ladder for one subject hears of it once a period; a problem raised without a deadline is due 30
days later and takes its colours.

Time stands still on Tuesday 2025-07-15, a working day. The 晋中 zone has alice (officer), bob
and dora (supervisors; dora also leads the project nobody keeps); 祁县 has charlie (officer) and
oscar (supervisor)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.cases.colours import Colour, MilestoneColours, problem_colour
from approvals.casework import problems as problem_services
from approvals.casework.problems import FollowUp
from approvals.models import (
    Milestone,
    Problem,
    Project,
    Reminder,
    ServiceKind,
    Stage,
    Step,
)
from approvals.reminders import services as reminders
from tests.admin_helpers import change_form_data
from tests.cases.test_lateness_pages import section, todo
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory
from zones.models import Role

D = dt.date
TODAY = D(2025, 7, 15)
PLANNED = D(2025, 6, 2)  # the ready milestone: 3 June is its first day late, 3 July its first red
INDEX = reverse("admin:index")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(
        dt.datetime.combine(TODAY, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def supervisor(username: str, name: str, zone):
    user = UserFactory(username=username, first_name=name)
    ZoneRoleFactory(user=user, zone=zone, role=Role.SUPERVISOR)
    return user


@pytest.fixture
def dora(zone):
    return supervisor("dora", "朵拉", zone)


@pytest.fixture
def oscar(other_zone):
    return supervisor("oscar", "奥斯卡", other_zone)


@pytest.fixture
def orphan(zone, bob, dora, oscar):
    """A signed project of 晋中 without an officer, led by dora; its ready milestone planned for
    2 June."""
    project = ProjectFactory(zone=zone, name="晋中无人管家项目", stage=Stage.SIGNED, leader=dora)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=PLANNED)
    return project


def heard(subject) -> dict[str, list[tuple[dt.date, str]]]:
    """Recipient → the (day, step) of each reminder recorded about ``subject``, read afresh."""
    found: dict[str, list[tuple[dt.date, str]]] = {}
    for username, day, step in (
        Reminder.objects.filter(subject_id=subject.pk, subject_type__model=subject._meta.model_name)
        .order_by("day", "recipient__username")
        .values_list("recipient__username", "day", "step")
    ):
        found.setdefault(username, []).append((day, step))
    return found


def officer_step(day: dt.date, subject) -> set[str]:
    """Who the scan of ``day`` tells of ``subject`` at the officer's step."""
    return {
        r.recipient.username
        for r in reminders.scan(day).reminders
        if r.step == Step.OFFICER and r.subject_id == subject.pk
    }


# --- the reminders -----------------------------------------------------------------------------


class TestTheReminders:
    def test_the_zones_supervisors_hear_where_the_officer_would(self, orphan):
        milestone = orphan.milestones.get()
        assert officer_step(D(2025, 6, 3), milestone) == {"bob", "dora"}  # not oscar

    def test_an_officer_assigned_is_the_one_who_hears(self, orphan, alice):
        Project.objects.filter(pk=orphan.pk).update(officer=alice)
        assert officer_step(D(2025, 6, 3), orphan.milestones.get()) == {"alice"}

    def test_on_the_red_day_each_supervisor_hears_once_though_dora_holds_three_steps(self, orphan):
        reminders.run(D(2025, 7, 3))  # day 31: officer, supervisor and leader steps all due
        assert heard(orphan.milestones.get()) == {
            "bob": [(D(2025, 7, 3), Step.SUPERVISOR)],
            "dora": [(D(2025, 7, 3), Step.LEADER)],
        }

    def test_day_by_day_each_hears_once_a_period(self, orphan):
        """Every working day from the first late one: a week's reminder each (the officer's
        step, then the supervisors'), never two the same day, and dora the leader's too."""
        day = D(2025, 6, 3)
        while day <= TODAY:
            reminders.run(day)
            day += dt.timedelta(days=1)
        weekly = [
            (D(2025, 6, 3), Step.OFFICER),
            (D(2025, 6, 10), Step.SUPERVISOR),
            (D(2025, 6, 17), Step.SUPERVISOR),
            (D(2025, 6, 24), Step.SUPERVISOR),
            (D(2025, 7, 1), Step.SUPERVISOR),
            (D(2025, 7, 8), Step.SUPERVISOR),
            (D(2025, 7, 15), Step.SUPERVISOR),
        ]
        assert heard(orphan.milestones.get()) == {
            "bob": weekly,
            "dora": sorted([*weekly, (D(2025, 7, 3), Step.LEADER)]),
        }


# --- problems ------------------------------------------------------------------------------------


class TestProblems:
    def test_nobody_named_it_is_the_officers_else_the_zones_supervisors(
        self, orphan, alice, bob, dora, oscar
    ):
        problem = problem_services.problem_add(project=orphan, by=bob, description="用地指标未落实")

        def handling() -> tuple[list[int], set[str]]:
            fresh = Problem.objects.get(pk=problem.pk)
            by_query = {
                who.username
                for who in (alice, bob, dora, oscar)
                if Problem.objects.handled_by(who).filter(pk=problem.pk).exists()
            }
            return sorted(fresh.handlers()), by_query

        assert handling() == (sorted([bob.pk, dora.pk]), {"bob", "dora"})
        Project.objects.filter(pk=orphan.pk).update(officer=alice)
        assert handling() == ([alice.pk], {"alice"})
        Problem.objects.filter(pk=problem.pk).update(responsible=dora)
        assert handling() == ([dora.pk], {"dora"})

    def test_the_supervisors_are_reminded_of_it_and_see_it_in_their_to_do(
        self, orphan, as_user, bob, dora
    ):
        # reported on 1 June without a deadline: due 1 July, two weeks late today
        late = problem_services.problem_add(
            project=orphan, by=bob, description="用电增容待批复", reported_on=D(2025, 6, 1)
        )
        assert officer_step(TODAY, late) == {"bob", "dora"}
        reminders.run(TODAY)
        assert {who: len(days) for who, days in heard(late).items()} == {"bob": 1, "dora": 1}
        total, html = todo(as_user(bob))["problems"]
        assert total == 1 and "用电增容待批复" in html

    def test_raised_without_a_deadline_it_is_due_30_days_later_and_takes_its_colours(
        self, orphan, bob
    ):
        problem = problem_services.problem_add(project=orphan, by=bob, description="用工缺口")
        dated = problem_services.problem_add(
            project=orphan, by=bob, description="资金缺口", deadline=D(2025, 9, 1)
        )
        problem = Problem.objects.get(pk=problem.pk)
        assert (problem.reported_on, problem.deadline) == (TODAY, D(2025, 8, 14))
        assert Problem.objects.get(pk=dated.pk).deadline == D(2025, 9, 1)  # a deadline given
        cleared = Problem.objects.get(pk=dated.pk)
        cleared.deadline = None  # as a change form leaves it
        cleared.save()
        assert Problem.objects.get(pk=dated.pk).deadline == D(2025, 8, 14)
        colours = {
            day: problem_colour(problem, MilestoneColours.on(day))
            for day in (TODAY, D(2025, 8, 7), D(2025, 9, 13), D(2025, 9, 14))
        }
        assert colours == {
            TODAY: Colour.GREEN,
            D(2025, 8, 7): Colour.YELLOW,  # due within a week
            D(2025, 9, 13): Colour.YELLOW,  # 30 days late
            D(2025, 9, 14): Colour.RED,
        }

    def test_a_service_records_follow_up_is_due_30_days_after_the_visit(self, orphan, bob):
        _record, problem = problem_services.service_record_add(
            project=orphan,
            by=bob,
            day=D(2025, 7, 1),
            kind=ServiceKind.VISIT,
            participants="企业负责人",
            done="现场了解用地情况",
            follow_up=FollowUp("土地证待办理"),
        )
        assert Problem.objects.get(pk=problem.pk).deadline == D(2025, 7, 31)


# --- 我的待办: 项目管家未指定, and assigning one ---------------------------------------------------


class TestProjectsWithoutAnOfficer:
    @pytest.fixture
    def desk(self, orphan, zone, other_zone, alice, charlie):
        """Beside the orphan: a project of 晋中 with its officer, a withdrawn one without, and
        one of 祁县 without."""
        return {
            "orphan": orphan,
            "kept": ProjectFactory(zone=zone, name="晋中有管家项目", officer=alice),
            "withdrawn": ProjectFactory(zone=zone, name="晋中已退出项目", stage=Stage.WITHDRAWN),
            "elsewhere": ProjectFactory(zone=other_zone, name="祁县无人管家项目"),
        }

    def test_a_supervisor_sees_its_zones_open_projects_without_one(
        self, desk, as_user, alice, bob, oscar
    ):
        client = as_user(bob)
        total, html = todo(client)["without_officer"]
        assert total == 1 and "晋中无人管家项目" in html
        for key in ("kept", "withdrawn", "elsewhere"):
            assert desk[key].name not in html, key
        assert unescape(re.search(r'<li>.*?<a href="([^"]*)"', html, re.S).group(1)) == reverse(
            "admin:approvals_project_change", args=[desk["orphan"].pk]
        )
        more = unescape(re.search(r'<th scope="row"[^>]*><a href="([^"]*)"', html).group(1))
        listed = client.get(more)
        assert listed.status_code == 200
        assert [p.name for p in listed.context["cl"].result_list] == ["晋中无人管家项目"]
        assert "祁县无人管家项目" in todo(as_user(oscar))["without_officer"][1]
        assert "without_officer" not in todo(as_user(alice))  # an officer supervises nothing

    def test_its_link_assigns_an_officer_of_the_zone_and_no_other(
        self, desk, as_user, alice, bob, dora, charlie
    ):
        client = as_user(bob)
        _total, html = todo(client)["without_officer"]
        url = unescape(re.search(r'<li>.*?<a href="([^"]*)"', html, re.S).group(1))
        project = desk["orphan"]
        offered = client.get(
            reverse("admin:approvals_project_people", args=["officer"]), {"project": project.pk}
        ).json()["results"]
        assert {row["id"] for row in offered} == {str(alice.pk), str(bob.pk), str(dora.pk)}

        refused = client.post(url, change_form_data(client, url, officer=charlie.pk))
        assert refused.status_code == 200 and refused.context["adminform"].form.errors["officer"]
        assert Project.objects.get(pk=project.pk).officer_id is None

        done = client.post(url, change_form_data(client, url, officer=alice.pk))
        assert done.status_code == 302, done.context and done.context["adminform"].form.errors
        assert Project.objects.get(pk=project.pk).officer == alice
        assert todo(client)["without_officer"][0] == 0

    def test_the_index_takes_as_many_queries_for_30_such_projects_as_for_3(
        self, zone, as_user, bob
    ):
        def unkept(first: int, last: int) -> None:
            for n in range(first, last):
                ProjectFactory(zone=zone, name=f"无人管家项目{n:02d}", stage=Stage.SIGNED)

        unkept(0, 3)
        client = as_user(bob)
        client.get(INDEX)  # the session and the caches warm

        def queries() -> int:
            client.get(INDEX)  # the dashboard's figures counted for this state of the data
            with CaptureQueriesContext(connection) as captured:
                response = client.get(INDEX)
            assert response.status_code == 200
            box = section(response.content.decode(), "todo-without_officer")
            assert box
            return len(captured.captured_queries)

        few = queries()
        assert todo(client)["without_officer"][0] == 3
        unkept(3, 30)
        many = queries()
        assert todo(client)["without_officer"][0] == 30
        assert many == few


# --- a departed officer ------------------------------------------------------------------------


class TestADepartedOfficer:
    """An officer made inactive follows nothing: its projects go back to the zone's supervisors
    (guide section 12: a list naming a departed officer names none), recorded in their history
    with the reason, until another officer is assigned."""

    def released(self, project) -> tuple[int | None, str]:
        fresh = Project.objects.get(pk=project.pk)
        return fresh.officer_id, fresh.history.latest("history_id").history_change_reason or ""

    def test_its_projects_are_followed_by_the_supervisors_once_it_is_made_inactive(
        self, orphan, alice
    ):
        orphan.officer = alice
        orphan.save()
        milestone = orphan.milestones.get()
        assert officer_step(D(2025, 6, 3), milestone) == {"alice"}
        alice.is_active = False
        alice.save()
        officer, reason = self.released(orphan)
        assert officer is None and "项目管家已停用" in reason
        assert officer_step(D(2025, 6, 3), milestone) == {"bob", "dora"}
        # who it was stays in the history
        assert orphan.history.filter(officer_id=alice.pk).exists()

    def test_a_deactivation_that_bypassed_the_save_is_caught_by_the_daily_job(
        self, orphan, alice, charlie
    ):
        Project.objects.filter(pk=orphan.pk).update(officer=alice)
        kept = ProjectFactory(zone=charlie.zone_roles.get().zone, officer=charlie)
        type(alice).objects.filter(pk=alice.pk).update(is_active=False)  # no signal
        assert self.released(orphan)[0] == alice.pk
        reminders.run(TODAY)
        assert self.released(orphan)[0] is None
        assert Project.objects.get(pk=kept.pk).officer_id == charlie.pk  # active: kept
