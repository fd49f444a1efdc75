"""The checklist as officers see it in the admin: the project page, the items list, the item
page with its status buttons, the holiday calendar."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.models import ApprovalItem, ItemStatus, Mode, Stage
from tests.factories import ProjectFactory
from tests.flows import administrator

D = dt.date
ITEMS = reverse("admin:approvals_approvalitem_changelist")


def project_url(project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


def item_url(item) -> str:
    return reverse("admin:approvals_approvalitem_change", args=[item.pk])


def generate_url(project) -> str:
    return reverse("admin:approvals_project_generate_checklist", args=[project.pk])


@pytest.fixture
def signed(zone):
    return ProjectFactory(zone=zone, stage=Stage.SIGNED, name="晋能控股年产8GW电池项目")


def frozen_at(moment: dt.datetime):
    """A fixture freezing the clock at ``moment``, for a test to name before the people it
    logs in: made on the real today, an account could be more than the password's 90 days
    old at ``moment`` (the suite run in September, or with PROJECTDESK_TEST_TODAY)."""

    @pytest.fixture
    def frozen():
        with time_machine.travel(moment, tick=False):
            yield

    return frozen


new_years_eve = frozen_at(dt.datetime(2026, 12, 31, 10, 0))
late_november = frozen_at(dt.datetime(2026, 11, 25, 10, 0))


class TestTheProjectPage:
    def test_without_a_checklist_it_says_the_project_cannot_be_ready(self, as_user, alice, signed):
        page = as_user(alice).get(project_url(signed)).content.decode()
        assert "尚未生成审批清单：项目不能视为具备开工条件。" in page
        assert (
            "尚未生成审批事项清单，请先从目录生成。" in page
        )  # why 确认具备开工条件 is not offered

    def test_it_lists_exactly_the_blocking_items_in_chinese(self, as_user, alice, signed):
        checklist_generate(project=signed, by=administrator())
        signed.approval_items.exclude(approval_type__code__in=["LX03", "HP01"]).update(
            mode=Mode.NOT_APPLICABLE
        )
        page = as_user(alice).get(project_url(signed)).content.decode()
        assert "开工前未办结事项" in page
        assert (
            "<li>LX03 用地预审与选址意见书（未启动）</li><li>HP01 环境影响评价审批（未启动）</li>"
            in page
        )
        assert (
            "以下开工前审批事项尚未办结：LX03 用地预审与选址意见书（未启动）、"
            "HP01 环境影响评价审批（未启动）。" in page
        )
        assert 'id="transition-mark_ready"' not in page

    def test_when_all_is_settled_the_ready_button_is_offered(self, as_user, alice, signed):
        checklist_generate(project=signed, by=administrator())
        signed.approval_items.update(mode=Mode.NOT_APPLICABLE)
        page = as_user(alice).get(project_url(signed)).content.decode()
        assert "无：开工前需办结的事项均已办结。" in page
        assert 'id="transition-mark_ready"' in page

    def test_the_generate_button_adds_the_items_once(self, as_user, alice, signed):
        client = as_user(alice)
        first = client.post(generate_url(signed), follow=True).content.decode()
        assert "新增21项，保留已有0项" in first
        second = client.post(generate_url(signed), follow=True).content.decode()
        assert "新增0项，保留已有21项" in second
        assert signed.approval_items.count() == 21

    def test_the_list_action_generates_for_the_selected_projects(self, as_user, alice, zone):
        one, two = ProjectFactory(zone=zone), ProjectFactory(zone=zone)
        response = as_user(alice).post(
            reverse("admin:approvals_project_changelist"),
            {"action": "generate_checklists", "_selected_action": [one.pk, two.pk]},
            follow=True,
        )
        assert response.content.decode().count("新增21项") == 2
        assert ApprovalItem.objects.filter(project__in=[one, two]).count() == 42

    def test_a_statistician_cannot_generate(self, as_user, stan, signed):
        assert as_user(stan).post(generate_url(signed)).status_code == 403
        assert signed.approval_items.count() == 0

    def test_an_officer_of_another_zone_cannot_generate(self, as_user, charlie, signed):
        assert as_user(charlie).post(generate_url(signed)).status_code == 404
        assert signed.approval_items.count() == 0


class TestTheItemPage:
    def test_an_officer_moves_an_item_through_its_buttons(self, as_user, alice, signed):
        checklist_generate(project=signed, by=administrator())
        lx08 = signed.approval_items.get(approval_type__code="LX08")
        client = as_user(alice)
        url = reverse("admin:approvals_approvalitem_transition", args=[lx08.pk, "start_preparing"])
        client.post(url)
        url = reverse("admin:approvals_approvalitem_transition", args=[lx08.pk, "accept"])
        page = client.post(url, {"accept-accepted_on": "2025-09-26"}, follow=True).content.decode()
        assert "部门受理已完成，现为“已受理”" in page
        lx08.refresh_from_db()
        assert (lx08.status, lx08.deadline) == (ItemStatus.ACCEPTED, D(2025, 10, 16))
        assert 'id="transition-approve"' in page and "文号" in page

    def test_another_zones_officer_cannot_open_or_change_it(self, as_user, charlie, signed):
        checklist_generate(project=signed, by=administrator())
        lx08 = signed.approval_items.get(approval_type__code="LX08")
        client = as_user(charlie)
        assert "不存在" in client.get(item_url(lx08), follow=True).content.decode()
        url = reverse("admin:approvals_approvalitem_transition", args=[lx08.pk, "start_preparing"])
        assert client.post(url).status_code == 404
        lx08.refresh_from_db()
        assert lx08.status == ItemStatus.NOT_STARTED

    def test_a_statistician_sees_it_without_buttons(self, as_user, stan, signed):
        checklist_generate(project=signed, by=administrator())
        lx08 = signed.approval_items.get(approval_type__code="LX08")
        page = as_user(stan).get(item_url(lx08)).content.decode()
        assert 'id="transition-' not in page and "您无权进行此项变更" in page
        url = reverse("admin:approvals_approvalitem_transition", args=[lx08.pk, "start_preparing"])
        assert as_user(stan).post(url).status_code == 403

    def test_a_deadline_counted_monday_to_friday_is_flagged(
        self, new_years_eve, as_user, alice, signed
    ):
        checklist_generate(project=signed, by=administrator())
        lx08 = signed.approval_items.get(approval_type__code="LX08")
        ApprovalItem.objects.filter(pk=lx08.pk).update(status=ItemStatus.PREPARING)
        client = as_user(alice)
        url = reverse("admin:approvals_approvalitem_transition", args=[lx08.pk, "accept"])
        page = client.post(url, {"accept-accepted_on": "2026-12-28"}, follow=True).content.decode()
        assert "官方日历尚未覆盖2027年" in page


class TestTheItemsList:
    @pytest.fixture
    def running(self, zone, other_zone):
        """Three accepted items in alice's zone with known deadlines, one in charlie's."""
        projects = [
            ProjectFactory(zone=zone),
            ProjectFactory(zone=zone),
            ProjectFactory(zone=other_zone),
        ]
        items = []
        for project, code, deadline in [
            (projects[0], "LX03", D(2025, 11, 28)),  # green on 2025-10-23
            (projects[0], "HP01", D(2025, 10, 24)),  # yellow
            (projects[1], "SG02", D(2025, 9, 1)),  # red
            (projects[2], "LX08", D(2025, 9, 1)),  # red, other zone
        ]:
            checklist_generate(project=project, by=administrator())
            item = project.approval_items.get(approval_type__code=code)
            ApprovalItem.objects.filter(pk=item.pk).update(
                mode=Mode.APPROVAL,
                status=ItemStatus.ACCEPTED,
                accepted_on=D(2025, 8, 1),
                deadline=deadline,
            )
            items.append(item)
        return items

    @time_machine.travel(dt.datetime(2025, 10, 23, 10, 0), tick=False)
    @pytest.mark.parametrize(
        ("query", "codes"),
        [
            ({"colour": "green"}, ["LX03"]),
            ({"colour": "yellow"}, ["HP01"]),
            ({"colour": "red"}, ["SG02"]),
            ({"status__exact": "accepted"}, ["HP01", "LX03", "SG02"]),
            ({"approval_type__agency": "生态环境局", "status__exact": "accepted"}, ["HP01"]),
            ({"mode__exact": "unified"}, ["LX04", "LX04", "LX05", "LX05"]),
        ],
    )
    def test_it_filters_by_colour_status_agency_and_mode(
        self, as_user, alice, running, query, codes
    ):
        response = as_user(alice).get(ITEMS, query)
        assert sorted(i.approval_type.code for i in response.context["cl"].result_list) == codes

    @time_machine.travel(dt.datetime(2025, 10, 23, 10, 0), tick=False)
    def test_it_shows_deadline_days_left_and_colour(self, as_user, alice, running):
        page = as_user(alice).get(ITEMS, {"colour": "yellow"}).content.decode()
        assert "2025年10月24日" in page or "2025-10-24" in page
        assert re.search(r'<td class="field-days_left[ "][^>]*>1</td>', page)
        assert "黄色" in page

    def test_an_officer_sees_only_items_of_its_zones(self, as_user, alice, charlie, running):
        mine = as_user(alice).get(ITEMS, {"status__exact": "accepted"}).context["cl"].result_list
        assert {i.project.zone.name for i in mine} == {"综改区晋中开发区"}
        theirs = (
            as_user(charlie).get(ITEMS, {"status__exact": "accepted"}).context["cl"].result_list
        )
        assert [i.approval_type.code for i in theirs] == ["LX08"]

    def test_it_filters_by_zone(self, as_user, superuser, running, other_zone):
        response = as_user(superuser).get(
            ITEMS, {"project__zone__id__exact": other_zone.pk, "status__exact": "accepted"}
        )
        assert [i.approval_type.code for i in response.context["cl"].result_list] == ["LX08"]

    def test_it_runs_the_same_queries_for_few_items_as_for_many(self, as_user, alice, zone):
        client = as_user(alice)

        def queries_for(projects: int) -> int:
            ApprovalItem.objects.all().delete()
            for _ in range(projects):
                checklist_generate(project=ProjectFactory(zone=zone), by=administrator())
            ApprovalItem.objects.filter(mode=Mode.APPROVAL).update(
                status=ItemStatus.ACCEPTED, accepted_on=D(2025, 9, 1), deadline=D(2025, 10, 1)
            )
            client.get(ITEMS, {"all": ""})  # first-visit reads (thresholds, calendar) cached
            with CaptureQueriesContext(connection) as captured:
                response = client.get(ITEMS, {"all": ""})
            assert len(response.context["cl"].result_list) == projects * 21
            return len(captured)

        assert queries_for(1) == queries_for(8)


def test_the_holiday_table_warns_about_next_year_until_it_is_entered(
    late_november, as_user, superuser
):
    from approvals.models import CalendarDay

    url = reverse("admin:approvals_calendarday_changelist")
    assert "官方日历尚未覆盖2027年" in as_user(superuser).get(url).content.decode()
    CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert "官方日历尚未覆盖2027年" not in as_user(superuser).get(url).content.decode()


class TestTheAuditRecords:
    def test_records_cannot_be_added_changed_or_deleted_in_the_admin(
        self, as_user, superuser, signed, alice
    ):
        checklist_generate(project=signed, by=administrator())
        lx01 = signed.approval_items.get(approval_type__code="LX01")
        from approvals.stages import workflow

        workflow.run_transition(lx01, "start_preparing", by=alice)
        record = lx01.status_changes.get(transition="start_preparing")
        client = as_user(superuser)
        change = reverse("admin:approvals_itemstatuschange_change", args=[record.pk])
        assert client.get(reverse("admin:approvals_itemstatuschange_add")).status_code == 403
        assert client.post(change, {"comment": "改过"}).status_code == 403
        delete = reverse("admin:approvals_itemstatuschange_delete", args=[record.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        record.refresh_from_db()
        assert record.comment == ""


def test_an_officer_marks_an_item_not_applicable_on_the_project_page(as_user, alice, signed):
    from tests.admin_helpers import change_form_data

    checklist_generate(project=signed, by=administrator())
    client = as_user(alice)
    data = change_form_data(client, project_url(signed))
    index = next(
        i
        for i in range(21)
        if str(data[f"approval_items-{i}-id"])
        == str(signed.approval_items.get(approval_type__code="HP05").pk)
    )
    data[f"approval_items-{index}-mode"] = Mode.NOT_APPLICABLE
    data[f"approval_items-{index}-mode_reason"] = "不涉及危险化学品"
    response = client.post(project_url(signed), data)
    assert response.status_code == 302
    assert signed.approval_items.get(approval_type__code="HP05").mode == Mode.NOT_APPLICABLE
    assert signed.approval_items.get(approval_type__code="HP05").status == ItemStatus.NOT_STARTED


def test_an_items_field_history_is_visible(as_user, alice, signed):
    checklist_generate(project=signed, by=administrator())
    lx08 = signed.approval_items.get(approval_type__code="LX08")
    client = as_user(alice)
    client.post(
        reverse("admin:approvals_approvalitem_transition", args=[lx08.pk, "start_preparing"])
    )
    page = client.get(
        reverse("admin:approvals_approvalitem_history", args=[lx08.pk])
    ).content.decode()
    assert "未启动 &rarr; 准备材料" in page and "<td>艾丽（alice）</td>" in page


def test_the_status_change_list_runs_the_same_queries_for_few_rows_as_for_many(
    as_user, alice, zone
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.stages import workflow

    client = as_user(alice)
    url = reverse("admin:approvals_itemstatuschange_changelist")

    def queries_with(projects: int) -> int:
        for _ in range(projects):
            project = ProjectFactory(zone=zone)
            checklist_generate(project=project, by=administrator())
            for item in project.approval_items.filter(mode=Mode.APPROVAL)[:3]:
                workflow.run_transition(item, "start_preparing", by=alice)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(6)


def test_a_checklist_row_keeps_its_approval_type(as_user, alice, signed):
    from approvals.models import ApprovalType
    from tests.admin_helpers import change_form_data

    checklist_generate(project=signed, by=administrator())
    client = as_user(alice)
    data = change_form_data(client, project_url(signed))
    data["approval_items-0-approval_type"] = ApprovalType.objects.get(code="TC02").pk
    assert client.post(project_url(signed), data).status_code == 302
    codes = sorted(signed.approval_items.values_list("approval_type__code", flat=True))
    assert len(codes) == len(set(codes)) == 21


def test_the_items_list_warns_when_a_deadline_counts_monday_to_friday(
    new_years_eve, as_user, alice, signed
):
    from approvals.stages import workflow

    checklist_generate(project=signed, by=administrator())
    lx08 = signed.approval_items.get(approval_type__code="LX08")
    workflow.run_transition(lx08, "start_preparing", by=alice)
    workflow.run_transition(lx08, "accept", by=alice, accepted_on=D(2026, 12, 28))
    assert "部分办结期限延伸至2027年" in as_user(alice).get(ITEMS).content.decode()


def test_a_project_created_in_the_admin_records_who_created_it(as_user, alice, zone):
    from tests.admin_helpers import change_form_data

    client = as_user(alice)
    data = change_form_data(client, reverse("admin:approvals_project_add"))
    data.update(name="新建测试项目", zone=zone.pk, authorisation="filing")
    response = client.post(reverse("admin:approvals_project_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    project = zone.projects.get(name="新建测试项目")
    assert project.stage == Stage.RESERVE
    assert project.stage_changes.get().by == alice
