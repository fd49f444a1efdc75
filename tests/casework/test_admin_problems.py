"""Problems (堵点) on their admin pages, as the guide's people work them: alice (officer of 晋中)
reports one, starts and resolves it; bob (supervisor) confirms the closing (销号) of what he did
not resolve, and reads why he may not close what he resolved himself, which sue (another
supervisor) closes; stan (statistician) reads and changes nothing; charlie (officer of 祁县)
opens no page of it. Every answer is read again from the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from approvals.casework.problems import problem_add, problem_transition
from approvals.core.display import day_in_words, local_time
from approvals.models import Problem, ProblemChange, ProblemStatus
from tests.factories import UserFactory, ZoneRoleFactory
from zones.models import Role

ADD = reverse("admin:approvals_problem_add")
LIST = reverse("admin:approvals_problem_changelist")
TEXT = "用地指标未落实，影响土地摘牌"


def change_url(problem: Problem) -> str:
    return reverse("admin:approvals_problem_change", args=[problem.pk])


def history_url(problem: Problem) -> str:
    return reverse("admin:approvals_problem_history", args=[problem.pk])


def transition_url(problem: Problem, name: str) -> str:
    return reverse("admin:approvals_problem_transition", args=[problem.pk, name])


def zh(text: str) -> str:
    """A message as the pages write it (Chinese, once its translation is merged)."""
    with translation.override("zh-hans"):
        return gettext(text)


@pytest.fixture
def sue(zone):
    user = UserFactory(username="sue", first_name="苏")
    ZoneRoleFactory(user=user, zone=zone, role=Role.SUPERVISOR)
    return user


@pytest.fixture
def problem(project, alice) -> Problem:
    return problem_add(project=project, by=alice, description=TEXT, department="自然资源局")


@pytest.fixture
def resolved_by_bob(problem, bob) -> Problem:
    problem_transition(
        problem, "resolve", by=bob, resolution="协调市局追加指标", resolved_on=timezone.localdate()
    )
    problem.refresh_from_db()
    return problem


class TestTheOfficersDay:
    def test_it_reports_a_problem_through_the_form(self, as_user, alice, project):
        deadline = timezone.localdate() + dt.timedelta(days=20)
        response = as_user(alice).post(
            ADD,
            {
                "project": project.pk,
                "description": TEXT,
                "category": "land",
                "department": "自然资源局",
                "deadline": deadline.isoformat(),
                "responsible": "",
                "reported_on": timezone.localdate().isoformat(),
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        problem = Problem.objects.get()
        assert (problem.project, problem.description, problem.category) == (project, TEXT, "land")
        assert (problem.department, problem.deadline, problem.status) == (
            "自然资源局",
            deadline,
            ProblemStatus.OPEN,
        )
        assert problem.created_by == alice
        assert list(problem.status_changes.values_list("target", "by")) == [("open", alice.pk)]

    def test_the_same_text_again_is_refused_on_the_form(self, as_user, alice, project, problem):
        response = as_user(alice).post(
            ADD,
            {
                "project": project.pk,
                "description": f" {TEXT} ",
                "category": "other",
                "reported_on": timezone.localdate().isoformat(),
            },
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.non_field_errors()
        with translation.override("zh-hans"):
            expected = gettext(
                "This problem is already recorded for the project (%(status)s, reported on "
                "%(day)s)."
            ) % {"status": problem.get_status_display(), "day": day_in_words(problem.reported_on)}
        assert list(errors) == [expected]
        assert Problem.objects.count() == 1

    def test_the_project_is_found_by_name_among_those_one_sees(
        self, as_user, alice, charlie, project
    ):
        url = reverse("admin:autocomplete")
        query = {"app_label": "approvals", "model_name": "problem", "field_name": "project"}
        found = as_user(alice).get(url, {**query, "term": "大恒"}).json()["results"]
        assert [r["id"] for r in found] == [str(project.pk)]
        assert as_user(charlie).get(url, {**query, "term": "大恒"}).json()["results"] == []

    def test_another_zones_project_cannot_be_chosen(self, as_user, charlie, project):
        response = as_user(charlie).post(
            ADD,
            {
                "project": project.pk,
                "description": TEXT,
                "category": "other",
                "reported_on": timezone.localdate().isoformat(),
            },
        )
        assert response.status_code == 200
        assert "project" in response.context["adminform"].form.errors
        assert not Problem.objects.exists()

    def test_it_starts_and_resolves_it(self, as_user, alice, problem):
        client = as_user(alice)
        page = client.get(change_url(problem)).content.decode()
        assert 'id="transition-start"' in page and 'id="transition-resolve"' in page
        assert 'id="transition-close"' not in page  # 销号 is a supervisor's

        assert client.post(transition_url(problem, "start"), {}).status_code == 302
        problem.refresh_from_db()
        assert problem.status == ProblemStatus.IN_PROGRESS

        today = timezone.localdate()
        client.post(
            transition_url(problem, "resolve"),
            {"resolve-resolution": "已协调追加用地指标", "resolve-resolved_on": today.isoformat()},
        )
        problem.refresh_from_db()
        assert (problem.status, problem.resolution, problem.resolved_on, problem.resolved_by) == (
            ProblemStatus.RESOLVED,
            "已协调追加用地指标",
            today,
            alice,
        )
        assert list(
            problem.status_changes.order_by("at", "id").values_list("transition", "by")
        ) == [
            ("", alice.pk),
            ("start", alice.pk),
            ("resolve", alice.pk),
        ]

    def test_a_resolution_without_its_text_is_refused_and_nothing_changes(
        self, as_user, alice, problem
    ):
        response = as_user(alice).post(
            transition_url(problem, "resolve"),
            {"resolve-resolution": "", "resolve-resolved_on": timezone.localdate().isoformat()},
            follow=True,
        )
        assert response.status_code == 200
        problem.refresh_from_db()
        assert problem.status == ProblemStatus.OPEN and problem.resolution == ""
        assert ProblemChange.objects.filter(problem=problem).count() == 1

    def test_it_edits_the_deadline_but_not_the_text(self, as_user, alice, problem):
        from tests.admin_helpers import change_form_data

        client = as_user(alice)
        later = timezone.localdate() + dt.timedelta(days=40)
        data = change_form_data(client, change_url(problem), deadline=later.isoformat())
        data["description"] = "改写的问题"
        assert client.post(change_url(problem), data).status_code == 302
        problem.refresh_from_db()
        assert (problem.deadline, problem.description) == (later, TEXT)


class TestSavedMeanwhile:
    """The officer opened the problem's page; then a supervisor saved it with another
    department. The officer's save of a new deadline keeps the supervisor's department; the
    department changed on both pages is refused once, naming the supervisor, then kept as the
    officer saves it again."""

    @pytest.fixture
    def opened(self, as_user, alice, bob, problem):
        from tests.admin_helpers import change_form_data

        officers = as_user(alice)
        data = change_form_data(officers, change_url(problem))
        theirs = change_form_data(as_user(bob), change_url(problem), department="市自然资源局")
        assert as_user(bob).post(change_url(problem), theirs).status_code == 302
        return officers, data

    def test_a_field_left_as_it_was_keeps_the_other_save(self, opened, problem):
        client, data = opened
        later = problem.deadline + dt.timedelta(days=30)
        data["deadline"] = later.isoformat()

        assert client.post(change_url(problem), data).status_code == 302

        fresh = Problem.objects.get(pk=problem.pk)
        assert (fresh.department, fresh.deadline) == ("市自然资源局", later)

    def test_the_same_field_changed_is_refused_once_then_saved(self, opened, problem):
        client, data = opened
        data["department"] = "市发展改革委"

        response = client.post(change_url(problem), data)

        assert response.status_code == 200
        form = response.context["adminform"].form
        theirs = Problem.history.filter(id=problem.pk).latest("history_id")
        assert form.non_field_errors() == [
            f"本页打开后，鲍勃（bob）也修改了交办部门（{local_time(theirs.history_date)}）。"
            "页面显示的是您填写的内容：再次保存即以您的为准，或重新打开本页查看对方的修改。"
        ]
        assert Problem.objects.get(pk=problem.pk).department == "市自然资源局"
        assert client.post(change_url(problem), form.data).status_code == 302  # as shown
        assert Problem.objects.get(pk=problem.pk).department == "市发展改革委"


class TestFourEyes:
    def test_who_resolved_it_reads_why_it_cannot_close_it(self, as_user, bob, resolved_by_bob):
        page = as_user(bob).get(change_url(resolved_by_bob)).content.decode()
        assert 'id="transition-close"' not in page
        assert 'id="blocked-close"' in page
        assert zh("You resolved it: another supervisor confirms the closing.") in page

    def test_who_resolved_it_cannot_close_it_by_posting(self, as_user, bob, resolved_by_bob):
        response = as_user(bob).post(transition_url(resolved_by_bob, "close"), {})
        assert response.status_code == 403
        resolved_by_bob.refresh_from_db()
        assert resolved_by_bob.status == ProblemStatus.RESOLVED
        assert resolved_by_bob.closed_by is None

    def test_another_supervisor_closes_it(self, as_user, sue, bob, resolved_by_bob):
        client = as_user(sue)
        page = client.get(change_url(resolved_by_bob)).content.decode()
        assert 'id="transition-close"' in page
        assert client.post(transition_url(resolved_by_bob, "close"), {}).status_code == 302
        resolved_by_bob.refresh_from_db()
        assert (resolved_by_bob.status, resolved_by_bob.closed_by) == (ProblemStatus.CLOSED, sue)
        assert resolved_by_bob.status_changes.filter(transition="close", by=sue).count() == 1
        # 销号 is final: the closed problem's facts are no longer edited
        response = client.post(
            change_url(resolved_by_bob), {"department": "改", "category": "other"}
        )
        assert response.status_code == 403
        resolved_by_bob.refresh_from_db()
        assert resolved_by_bob.department == "自然资源局"

    def test_the_closing_queue_holds_what_others_resolved(
        self, as_user, alice, bob, sue, project, resolved_by_bob
    ):
        mine = problem_add(project=project, by=alice, description="施工用电未接入")
        problem_transition(
            mine, "resolve", by=alice, resolution="已接入", resolved_on=timezone.localdate()
        )
        queue = {"queue": "closing"}
        bobs = as_user(bob).get(LIST, queue).context["cl"].result_list
        assert [p.pk for p in bobs] == [mine.pk]
        sues = as_user(sue).get(LIST, queue).context["cl"].result_list
        assert {p.pk for p in sues} == {mine.pk, resolved_by_bob.pk}

    def test_another_supervisor_sends_it_back_with_a_reason(self, as_user, sue, resolved_by_bob):
        client = as_user(sue)
        client.post(transition_url(resolved_by_bob, "reopen"), {"reopen-reason": ""})
        resolved_by_bob.refresh_from_db()
        assert resolved_by_bob.status == ProblemStatus.RESOLVED  # a reason is needed
        client.post(transition_url(resolved_by_bob, "reopen"), {"reopen-reason": "指标仍未下达"})
        resolved_by_bob.refresh_from_db()
        assert (resolved_by_bob.status, resolved_by_bob.resolved_by) == (
            ProblemStatus.IN_PROGRESS,
            None,
        )
        change = resolved_by_bob.status_changes.get(transition="reopen")
        assert (change.by, change.evidence["reason"]) == (sue, "指标仍未下达")

    def test_a_supervisor_escalates_it_and_an_officer_may_not(self, as_user, alice, bob, problem):
        page = as_user(alice).get(change_url(problem)).content.decode()
        assert 'id="transition-escalate"' not in page and 'id="blocked-escalate"' in page
        as_user(bob).post(transition_url(problem, "escalate"), {"escalate-reason": "已超期"})
        problem.refresh_from_db()
        assert (problem.status, problem.escalated_on) == (
            ProblemStatus.ESCALATED,
            timezone.localdate(),
        )

    def test_an_officer_cannot_close(self, as_user, alice, resolved_by_bob):
        response = as_user(alice).post(transition_url(resolved_by_bob, "close"), {})
        assert response.status_code == 403
        resolved_by_bob.refresh_from_db()
        assert resolved_by_bob.status == ProblemStatus.RESOLVED


class TestWhoSeesWhat:
    def test_a_statistician_reads_and_changes_nothing(self, as_user, stan, problem):
        client = as_user(stan)
        page = client.get(change_url(problem))
        assert page.status_code == 200 and TEXT in page.content.decode()
        assert 'id="transition-start"' not in page.content.decode()
        assert client.get(ADD).status_code == 403
        assert client.post(transition_url(problem, "start"), {}).status_code == 403
        response = client.post(change_url(problem), {"department": "统计员改", "category": "other"})
        assert response.status_code == 403
        problem.refresh_from_db()
        assert (problem.status, problem.department) == (ProblemStatus.OPEN, "自然资源局")

    def test_an_officer_of_another_zone_opens_no_page_of_it(self, as_user, charlie, problem):
        client = as_user(charlie)
        for url in (change_url(problem), history_url(problem)):
            response = client.get(url)
            assert response.status_code in {302, 403, 404}, url
            assert TEXT not in client.get(url, follow=True).content.decode()
        assert client.post(transition_url(problem, "start"), {}).status_code == 404
        assert TEXT not in client.get(LIST, {"q": "用地"}).content.decode()
        problem.refresh_from_db()
        assert problem.status == ProblemStatus.OPEN

    def test_its_history_opens_for_the_zone(self, as_user, bob, problem):
        response = as_user(bob).get(history_url(problem))
        assert response.status_code == 200

    def test_only_administrators_delete(self, as_user, alice, bob, superuser, problem):
        delete = reverse("admin:approvals_problem_delete", args=[problem.pk])
        for person in (alice, bob):
            assert as_user(person).post(delete, {"post": "yes"}).status_code == 403
        assert Problem.objects.filter(pk=problem.pk).exists()
        assert as_user(superuser).get(delete).status_code == 200


class TestTheList:
    def test_it_colours_and_filters_by_the_deadline(self, as_user, alice, project):
        today = timezone.localdate()
        red = problem_add(
            project=project,
            by=alice,
            description="环评批复滞后",
            deadline=today - dt.timedelta(days=45),
            reported_on=today - dt.timedelta(days=60),
        )
        green = problem_add(
            project=project, by=alice, description="招工缺口", deadline=today + dt.timedelta(60)
        )
        client = as_user(alice)
        rows = client.get(LIST).context["cl"].result_list
        colours = {p.pk: p.colour_now for p in rows}
        assert colours == {red.pk: "red", green.pk: "green"}
        filtered = client.get(LIST, {"colour": "red"}).context["cl"].result_list
        assert [p.pk for p in filtered] == [red.pk]

    def test_mine_are_those_one_is_responsible_for(self, as_user, alice, bob, project):
        project.officer = alice
        project.save()
        own = problem_add(project=project, by=bob, description="资金缺口")
        handed = problem_add(project=project, by=alice, description="用工缺口", responsible=bob)
        response = as_user(alice).get(LIST, {"queue": "mine"})
        assert [p.pk for p in response.context["cl"].result_list] == [own.pk]
        with translation.override("zh-hans"):
            shown = gettext("%(person)s (the project's officer)") % {"person": alice}
        assert escape(shown) in response.content.decode()
        bobs = as_user(bob).get(LIST, {"queue": "mine"}).context["cl"].result_list
        assert [p.pk for p in bobs] == [handed.pk]
