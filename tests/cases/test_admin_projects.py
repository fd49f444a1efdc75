"""The project pages as officers, supervisors, leaders and statisticians see them."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Milestone, Project, Stage
from tests.admin_helpers import change_form_data
from tests.factories import MilestoneFactory, ProjectFactory, UserFactory, ZoneRoleFactory
from tests.flows import document, documents
from zones.models import Role

CHANGELIST = reverse("admin:approvals_project_changelist")


def change_url(project: Project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


def request_url(project: Project, name: str) -> str:
    return reverse("admin:approvals_project_request", args=[project.pk, name])


class TestZoneScoping:
    def test_an_officer_lists_only_the_projects_of_its_zones(
        self, as_user, alice, project, other_project
    ):
        response = as_user(alice).get(CHANGELIST)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [project]

    def test_an_officer_of_another_zone_sees_the_other_list(
        self, as_user, charlie, project, other_project
    ):
        response = as_user(charlie).get(CHANGELIST)
        assert list(response.context["cl"].result_list) == [other_project]

    def test_an_officer_cannot_open_a_project_of_another_zone(self, as_user, charlie, project):
        response = as_user(charlie).get(change_url(project), follow=True)
        assert response.redirect_chain, "the admin sends the officer away"
        assert "不存在" in response.content.decode()

    def test_an_officer_cannot_request_a_change_of_another_zones_project(
        self, as_user, charlie, project
    ):
        response = as_user(charlie).post(
            request_url(project, "sign"), {"sign-agreement_date": "2025-04-07"}
        )
        assert response.status_code == 404
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE

    def test_an_officer_edits_a_project_of_its_zone(self, as_user, alice, project):
        client = as_user(alice)
        data = change_form_data(client, change_url(project), progress="主体结构封顶")
        response = client.post(change_url(project), data)
        assert response.status_code == 302, (
            response.context and response.context["adminform"].form.errors
        )
        project.refresh_from_db()
        assert project.progress == "主体结构封顶"

    def test_an_officer_cannot_post_an_edit_to_another_zones_project(
        self, as_user, alice, charlie, project
    ):
        data = change_form_data(as_user(alice), change_url(project), progress="篡改")
        response = as_user(charlie).post(change_url(project), data)
        assert response.status_code in (302, 403, 404)
        project.refresh_from_db()
        assert project.progress != "篡改"

    def test_a_leader_sees_the_projects_it_follows(self, as_user, lily, zone, project):
        followed = ProjectFactory(zone=zone, leader=lily)
        response = as_user(lily).get(CHANGELIST)
        assert list(response.context["cl"].result_list) == [followed]

    def test_a_superuser_sees_everything(self, as_user, superuser, project, other_project):
        response = as_user(superuser).get(CHANGELIST)
        assert set(response.context["cl"].result_list) == {project, other_project}


class TestStatisticians:
    def test_a_statistician_sees_the_zone_but_gets_no_stage_buttons(self, as_user, stan, project):
        response = as_user(stan).get(change_url(project))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="transition-' not in page
        assert "您无权进行此项变更" in page

    def test_a_statistician_posting_a_request_is_refused(self, as_user, stan, project):
        response = as_user(stan).post(
            request_url(project, "sign"), {"sign-agreement_date": "2025-04-07"}
        )
        assert response.status_code == 403
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE
        assert project.stage_changes.count() == 1

    def test_a_statistician_cannot_save_the_project_form(self, as_user, alice, stan, project):
        data = change_form_data(as_user(alice), change_url(project), progress="统计员修改")
        response = as_user(stan).post(change_url(project), data)
        assert response.status_code == 403
        project.refresh_from_db()
        assert project.progress != "统计员修改"


class TestStageRequestButtons:
    def test_the_page_offers_what_may_be_asked_and_says_why_not_for_the_rest(
        self, as_user, alice, zone
    ):
        project = ProjectFactory(zone=zone, enterprise=None)
        page = as_user(alice).get(change_url(project)).content.decode()
        assert 'id="transition-suspend"' in page and 'id="transition-withdraw"' in page
        assert 'id="transition-sign"' not in page
        assert "未记录项目单位（投资主体）" in page
        assert "可执行于：具备开工条件" in page  # start works, from reserve

    def test_an_officer_asks_to_sign_through_the_button(self, as_user, alice, project):
        response = as_user(alice).post(
            request_url(project, "sign"),
            {
                "sign-agreement_date": "2025-04-07",
                "sign-comment": "三个一批签约",
                "sign-attachments": document("投资协议.pdf"),
            },
            follow=True,
        )
        page = response.content.decode()
        assert "已申请签约，由开发区科室负责人审批" in page
        assert "待审批的申请" in page
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE  # nothing moves before a supervisor decides
        stage_request = project.stage_requests.get()
        assert (stage_request.requested_by, stage_request.note, stage_request.evidence) == (
            alice,
            "三个一批签约",
            {"agreement_date": "2025-04-07"},
        )

    def test_a_missing_date_is_reported_and_nothing_is_asked(self, as_user, alice, project):
        response = as_user(alice).post(request_url(project, "sign"), {}, follow=True)
        assert "签约日期" in response.content.decode()
        assert not project.stage_requests.exists()

    def test_a_request_url_only_takes_posts(self, as_user, alice, project):
        assert as_user(alice).get(request_url(project, "sign")).status_code == 405

    def test_an_unknown_change_is_not_found(self, as_user, alice, project):
        assert as_user(alice).post(request_url(project, "teleport")).status_code == 404

    def test_the_old_direct_transition_url_does_not_exist(self, as_user, alice, project):
        url = change_url(project) + "transition/sign/"
        response = as_user(alice).post(url, {"sign-agreement_date": "2025-04-07"})
        assert response.status_code in (302, 404)
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE

    def test_the_stage_cannot_be_changed_through_the_edit_form(self, as_user, alice, project):
        client = as_user(alice)
        data = change_form_data(client, change_url(project), stage=Stage.AT_CAPACITY)
        client.post(change_url(project), data)
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE


class TestTheList:
    def test_it_shows_stage_and_next_milestone_in_chinese(self, as_user, alice, project):
        MilestoneFactory(project=project, stage=Stage.SIGNED, planned_date=dt.date(2025, 4, 7))
        page = as_user(alice).get(CHANGELIST).content.decode()
        assert "储备/洽谈" in page
        assert "已签约 · 2025-04-07" in page
        # 500000 万元 as 50 亿元, to two decimals
        assert re.search(r'<td class="field-investment_yi[ "][^>]*>50.00</td>', page)

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"stage__exact": "signed"}, ["甲"]),
            ({"industry": "光伏"}, ["乙"]),
            ({"is_commitment__exact": "1"}, ["乙"]),
            ({"q": "2509-140602-89-05-864976"}, ["甲"]),
            ({"q": "晋能控股"}, ["乙"]),
        ],
    )
    def test_it_filters_and_searches(self, as_user, alice, zone, query, expected):
        ProjectFactory(zone=zone, name="甲", stage=Stage.SIGNED, code="2509-140602-89-05-864976")
        ProjectFactory(
            zone=zone, name="乙", industry="光伏", is_commitment=True, enterprise__name="晋能控股"
        )
        response = as_user(alice).get(CHANGELIST, query)
        assert [p.name for p in response.context["cl"].result_list] == expected

    def test_it_filters_by_zone(self, as_user, superuser, project, other_project, zone):
        response = as_user(superuser).get(CHANGELIST, {"zone__id__exact": zone.pk})
        assert list(response.context["cl"].result_list) == [project]

    def test_it_marks_projects_with_a_request_awaiting_decision(self, as_user, alice, zone):
        from approvals.stages import workflow

        waiting = ProjectFactory(zone=zone, name="甲")
        ProjectFactory(zone=zone, name="乙")
        workflow.request_transition(
            waiting, "sign", by=alice, agreement_date=dt.date(2025, 4, 7), attachments=documents()
        )
        response = as_user(alice).get(CHANGELIST)
        marks = {p.name: p.has_pending_request for p in response.context["cl"].result_list}
        assert marks == {"甲": True, "乙": False}
        assert "待审批申请" in response.content.decode()

    def test_it_runs_the_same_queries_for_5_projects_as_for_200(self, as_user, alice, zone):
        client = as_user(alice)

        def queries_for(count: int) -> int:
            Project.objects.all().delete()
            for n in range(count):
                project = ProjectFactory(zone=zone, officer=alice, enterprise__name=f"企业{n}")
                Milestone.objects.create(
                    project=project, stage=Stage.SIGNED, planned_date=dt.date(2025, 1, 1)
                )
            client.get(CHANGELIST, {"all": ""})  # the first visit makes the thresholds' row
            with CaptureQueriesContext(connection) as captured:
                response = client.get(CHANGELIST, {"all": ""})
            assert response.status_code == 200
            assert len(response.context["cl"].result_list) == count
            return len(captured)

        assert queries_for(5) == queries_for(200)


def test_the_admin_index_speaks_chinese(as_user, alice, project):
    page = as_user(alice).get(reverse("admin:index")).content.decode()
    assert "项目全代办服务台" in page and "项目与审批" in page


def test_a_user_without_any_role_sees_no_projects(as_user, project):
    nobody = UserFactory(username="nobody")
    response = as_user(nobody).get(CHANGELIST)
    assert response.status_code == 403


def test_the_officer_and_leader_choices_are_people_of_those_roles_in_ones_zones(
    as_user, alice, bob, lily, stan, charlie, project
):
    form = as_user(alice).get(change_url(project)).context["adminform"].form
    assert set(form.fields["officer"].queryset) == {alice, bob}
    assert set(form.fields["leader"].queryset) == {lily}


def test_a_role_in_another_zone_does_not_make_a_choice_here(
    as_user, alice, lily, other_zone, project
):
    from zones.models import ZoneRole

    ZoneRole.objects.create(user=lily, zone=other_zone, role=Role.OFFICER)
    form = as_user(alice).get(change_url(project)).context["adminform"].form
    assert lily not in set(form.fields["officer"].queryset)


class TestOneProjectOneNameInAZone:
    """A name written another way (full-width brackets, a space) is the project recorded in the
    zone already: the form refuses it, as the lists find it (``Project.recorded_as``)."""

    ADD = reverse("admin:approvals_project_add")

    def add(self, client, zone, name):
        data = change_form_data(client, self.ADD)
        data.update(name=name, zone=zone.pk, authorisation="filing")
        return client.post(self.ADD, data)

    def test_a_new_project_named_as_one_of_its_zone_is_refused_naming_it(
        self, as_user, alice, zone
    ):
        ProjectFactory(zone=zone, name="示范园（一期）标准厂房")
        response = self.add(as_user(alice), zone, "示范园(一期) 标准厂房")
        assert response.status_code == 200
        assert "已登记为“示范园（一期）标准厂房”" in response.content.decode()
        assert list(zone.projects.values_list("name", flat=True)) == ["示范园（一期）标准厂房"]

    def test_the_same_name_in_another_zone_is_another_project(
        self, as_user, alice, zone, other_zone
    ):
        ProjectFactory(zone=other_zone, name="示范园（一期）标准厂房")
        assert self.add(as_user(alice), zone, "示范园(一期)标准厂房").status_code == 302

    def test_a_project_renamed_as_another_of_its_zone_is_refused(self, as_user, alice, project):
        other = ProjectFactory(zone=project.zone, name="示范园（二期）")
        client = as_user(alice)
        data = change_form_data(client, change_url(project), name="示范园 (二期)")
        response = client.post(change_url(project), data)
        assert response.status_code == 200
        assert f"已登记为“{other.name}”" in response.content.decode()
        assert Project.objects.get(pk=project.pk).name == project.name

    def test_two_recorded_before_the_check_stay_editable_under_their_names(
        self, as_user, alice, project
    ):
        Project.objects.filter(pk=project.pk).update(name="示范园(二期)", name_key="示范园(二期)")
        ProjectFactory(zone=project.zone, name="示范园（二期）")
        client = as_user(alice)
        data = change_form_data(client, change_url(project), progress="主体结构封顶")
        assert client.post(change_url(project), data).status_code == 302
        assert Project.objects.get(pk=project.pk).progress == "主体结构封顶"

    def test_the_form_and_the_lists_take_the_first_recorded_of_two(self, zone):
        first = ProjectFactory(zone=zone, name="示范园（二期）")
        ProjectFactory(zone=zone, name="示范园(二期)")  # recorded before the form refused it
        rows = list(Project.objects.values("id", "zone_id", "name_key").order_by("-pk"))
        listed = Project.by_zone_and_key(rows)[(zone.pk, "示范园(二期)")]
        assert listed["id"] == first.pk == Project.recorded_as(zone.pk, "示范园 ( 二期 )").pk


class TestSavedMeanwhile:
    """The project's page was opened; then someone else saved the project (another officer,
    an import). A save of the page keeps what they changed unless this page changed it too;
    then it is refused once, naming who and when, and a second save keeps what was entered."""

    @pytest.fixture
    def dora(self, zone):
        user = UserFactory(username="dora", first_name="朵拉")
        ZoneRoleFactory(user=user, zone=zone, role=Role.OFFICER)
        return user

    @pytest.fixture
    def opened(self, as_user, alice, zone):
        project = ProjectFactory(
            zone=zone, officer=alice, industry="新材料", total_investment=50000
        )
        return project, change_form_data(as_user(alice), change_url(project))

    def _saved_by(self, client, user, project, **changes):
        client.force_login(user)
        data = change_form_data(client, change_url(project), **changes)
        assert client.post(change_url(project), data).status_code == 302

    @time_machine.travel(dt.datetime(2025, 6, 1, 2, 30, tzinfo=dt.UTC), tick=False)
    def test_a_field_changed_meanwhile_and_left_here_keeps_their_value(
        self, client, alice, dora, opened
    ):
        project, data = opened
        self._saved_by(Client(), dora, project, total_investment="80000")
        data["industry"] = "新能源"

        assert client.post(change_url(project), data).status_code == 302

        fresh = Project.objects.get(pk=project.pk)
        assert (fresh.industry, fresh.total_investment) == ("新能源", 80000)

    @time_machine.travel(dt.datetime(2025, 6, 1, 2, 30, tzinfo=dt.UTC), tick=False)
    def test_a_field_changed_here_and_meanwhile_is_refused_once_then_saved(
        self, client, alice, dora, opened
    ):
        project, data = opened
        self._saved_by(
            Client(), dora, project, total_investment="80000", industry="新能源", is_city_key="on"
        )
        data["total_investment"] = "60000"

        response = client.post(change_url(project), data)

        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors() == [
            "本页打开后，朵拉（dora）也修改了总投资（万元）（2025-06-01 10:30）。页面显示的是您填写的"
            "内容：再次保存即以您的为准，或重新打开本页查看对方的修改。"
        ]
        fresh = Project.objects.get(pk=project.pk)
        assert (fresh.total_investment, fresh.industry, fresh.is_city_key) == (
            80000,
            "新能源",
            True,
        )
        again = response.context["adminform"].form.data  # shown: 60000, 新能源, ticked
        assert client.post(change_url(project), again).status_code == 302
        fresh = Project.objects.get(pk=project.pk)
        assert (fresh.total_investment, fresh.industry, fresh.is_city_key) == (
            60000,
            "新能源",
            True,
        )

    def test_nothing_saved_meanwhile_saves_as_before(self, client, opened):
        project, data = opened
        data["industry"] = "新能源"
        assert client.post(change_url(project), data).status_code == 302
        assert Project.objects.get(pk=project.pk).industry == "新能源"
