"""The rest of an officer's day on the admin's pages: a service record whose follow-up opens a
problem, the project page's task plan, monthly figures and factor needs, the white list, and the
three lists (三清单) of a zone and a month, for hand-made data whose answer is known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from approvals.casework.problems import problem_add
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    FactorNeed,
    ItemStatus,
    Mode,
    MonthlyProgress,
    Problem,
    ProblemSource,
    ServiceRecord,
    TaskNode,
)
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory

RECORDS_ADD = reverse("admin:approvals_servicerecord_add")
WHITE_LIST = reverse("admin:approvals_whitelistproject_changelist")
THREE_LISTS = reverse("admin:three_lists")
D = dt.date


def project_url(project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


def visit(project, **extra) -> dict:
    return {
        "project": project.pk,
        "day": timezone.localdate().isoformat(),
        "kind": "visit",
        "participants": "艾丽、企业负责人王总",
        "done": "现场查看土地平整进度",
        "follow_up_category": "other",
        **extra,
    }


class TestServiceRecords:
    def test_a_follow_up_opens_exactly_one_problem(self, as_user, alice, project):
        deadline = timezone.localdate() + dt.timedelta(days=15)
        response = as_user(alice).post(
            RECORDS_ADD,
            visit(
                project,
                follow_up="施工用电线路未接入",
                follow_up_category="energy",
                follow_up_department="供电公司",
                follow_up_deadline=deadline.isoformat(),
            ),
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        record = ServiceRecord.objects.get()
        assert (record.project, record.recorded_by, record.done) == (
            project,
            alice,
            "现场查看土地平整进度",
        )
        problem = Problem.objects.get()
        assert (problem.description, problem.category, problem.department) == (
            "施工用电线路未接入",
            "energy",
            "供电公司",
        )
        assert (problem.deadline, problem.source, problem.service_record) == (
            deadline,
            ProblemSource.SERVICE,
            record,
        )
        assert problem.reported_on == record.day and problem.created_by == alice

    def test_without_a_follow_up_no_problem_is_opened(self, as_user, alice, project):
        assert as_user(alice).post(RECORDS_ADD, visit(project)).status_code == 302
        assert ServiceRecord.objects.count() == 1 and not Problem.objects.exists()

    def test_a_follow_up_already_recorded_saves_neither(self, as_user, alice, project):
        problem_add(project=project, by=alice, description="施工用电线路未接入")
        response = as_user(alice).post(RECORDS_ADD, visit(project, follow_up="施工用电线路未接入"))
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["follow_up"]
        assert not ServiceRecord.objects.exists() and Problem.objects.count() == 1

    def test_a_department_without_a_problem_is_refused(self, as_user, alice, project):
        response = as_user(alice).post(RECORDS_ADD, visit(project, follow_up_department="供电"))
        assert response.status_code == 200
        assert "follow_up_department" in response.context["adminform"].form.errors
        assert not ServiceRecord.objects.exists()

    def test_records_are_not_deleted_and_readers_add_none(self, as_user, alice, stan, project):
        as_user(alice).post(RECORDS_ADD, visit(project))
        record = ServiceRecord.objects.get()
        delete = reverse("admin:approvals_servicerecord_delete", args=[record.pk])
        assert as_user(alice).post(delete, {"post": "yes"}).status_code == 403
        assert as_user(stan).post(RECORDS_ADD, visit(project, done="统计员")).status_code == 403
        assert list(ServiceRecord.objects.values_list("pk", flat=True)) == [record.pk]


def new_rows(prefix: str, rows: list[dict], data: dict) -> dict:
    """Add ``rows`` to the inline ``prefix`` of a change form's data."""
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{start + offset}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(start + len(rows))
    return data


class TestTheProjectPage:
    def test_task_nodes_monthly_figures_and_factor_needs_save(self, as_user, alice, project):
        client = as_user(alice)
        data = change_form_data(client, project_url(project))
        new_rows("task_nodes", [{"name": "完成土地摘牌", "planned_date": "2025-03-15"}], data)
        new_rows(
            "monthly_progress",
            [{"month": "2025-03-01", "annual_plan": "12000", "completed_year": "3000"}],
            data,
        )
        new_rows("factor_needs", [{"factor": "land", "requested": "150", "secured": "90"}], data)
        response = client.post(project_url(project), data)
        assert response.status_code == 302, response.context and response.context["errors"]
        node = TaskNode.objects.get()
        assert (node.project, node.name, node.planned_date) == (
            project,
            "完成土地摘牌",
            D(2025, 3, 15),
        )
        month = MonthlyProgress.objects.get()
        assert (month.month, month.completed_year, month.updated_by) == (
            D(2025, 3, 1),
            Decimal("3000"),
            alice,
        )
        need = FactorNeed.objects.get()
        assert (need.factor, need.requested, need.secured, need.missing) == (
            "land",
            Decimal("150"),
            Decimal("90"),
            Decimal("60"),
        )

    def test_a_decreasing_year_to_date_figure_is_refused_on_its_field(
        self, as_user, alice, project
    ):
        MonthlyProgress.objects.create(
            project=project, month=D(2025, 2, 1), completed_year=Decimal("5000")
        )
        client = as_user(alice)
        data = change_form_data(client, project_url(project))
        new_rows("monthly_progress", [{"month": "2025-03-01", "completed_year": "4000"}], data)
        response = client.post(project_url(project), data)
        assert response.status_code == 200
        formset = next(
            f.formset
            for f in response.context["inline_admin_formsets"]
            if f.formset.prefix == "monthly_progress"
        )
        with translation.override("zh-hans"):
            expected = gettext(
                "The year-to-date investment %(value)s is less than %(other)s in %(month)s."
            ) % {"value": Decimal("4000"), "other": Decimal("5000.00"), "month": "2025-02"}
        assert formset.forms[-1].errors["completed_year"] == [expected]
        assert expected in response.content.decode()
        assert list(MonthlyProgress.objects.values_list("month", flat=True)) == [D(2025, 2, 1)]

    def test_a_statistician_reads_the_rows_and_edits_none(self, as_user, stan, project):
        TaskNode.objects.create(project=project, name="主体封顶", planned_date=D(2025, 9, 30))
        response = as_user(stan).get(project_url(project))
        assert response.status_code == 200 and "主体封顶" in response.content.decode()
        formsets = {f.formset.prefix: f for f in response.context["inline_admin_formsets"]}
        assert not formsets["task_nodes"].has_change_permission
        assert not formsets["task_nodes"].has_add_permission


class TestTheWhiteList:
    @pytest.fixture
    def big(self, zone):
        big = ProjectFactory(zone=zone, name="百亿级煤化工项目", total_investment=1_200_000)
        FactorNeed.objects.create(project=big, factor="land", requested=800, secured=500)
        FactorNeed.objects.create(project=big, factor="funds", requested=100000, secured=100000)
        return big

    def test_it_lists_projects_of_ten_yi_or_more_with_what_is_missing(
        self, as_user, alice, zone, big
    ):
        ProjectFactory(zone=zone, name="小项目", total_investment=99_999)
        response = as_user(alice).get(WHITE_LIST)
        rows = list(response.context["cl"].result_list)
        assert [p.pk for p in rows] == [big.pk]
        row = rows[0]
        assert (row.land_requested, row.land_secured) == (Decimal("800"), Decimal("500"))
        assert (row.funds_requested, row.funds_secured) == (Decimal("100000"), Decimal("100000"))
        html = response.content.decode()
        assert "800 / 500" in html and 'class="factor-missing"' in html
        assert "100000 / 100000" in html and html.count('class="factor-missing"') == 1

    def test_it_filters_what_still_misses_something(self, as_user, alice, zone, big):
        whole = ProjectFactory(zone=zone, name="全部落实项目", total_investment=300_000)
        FactorNeed.objects.create(project=whole, factor="water", requested=10, secured=10)
        client = as_user(alice)
        missing = client.get(WHITE_LIST, {"missing": "yes"}).context["cl"].result_list
        assert [p.pk for p in missing] == [big.pk]
        complete = client.get(WHITE_LIST, {"missing": "no"}).context["cl"].result_list
        assert [p.pk for p in complete] == [whole.pk]

    def test_another_zone_sees_none_of_it(self, as_user, charlie, big):
        response = as_user(charlie).get(WHITE_LIST)
        assert list(response.context["cl"].result_list) == []


class TestTheThreeLists:
    @pytest.fixture
    def month(self, zone, alice, lily, project):
        """One project of 晋中 in March 2025: two nodes in two weeks, one problem each for two
        departments (one solved), the month's figures; and another zone's project."""
        project.officer, project.leader, project.responsible_unit = alice, lily, "经信局"
        project.save()
        TaskNode.objects.create(project=project, name="完成土地摘牌", planned_date=D(2025, 3, 4))
        TaskNode.objects.create(
            project=project,
            name="主体封顶",
            planned_date=D(2025, 3, 20),
            actual_date=D(2025, 3, 18),
        )
        TaskNode.objects.create(project=project, name="设备安装", planned_date=D(2025, 4, 10))
        problem_add(project=project, by=alice, description="用地指标", department="自然资源局")
        solved = problem_add(project=project, by=alice, description="电力", department="供电公司")
        Problem.objects.filter(pk=solved.pk).update(status="closed")
        MonthlyProgress.objects.create(
            project=project,
            month=D(2025, 3, 1),
            annual_plan=Decimal("12000"),
            completed_month=Decimal("800"),
            completed_year=Decimal("2600"),
            image_progress="厂房钢结构吊装",
        )
        other = ProjectFactory(name="祁县秘密项目")
        TaskNode.objects.create(project=other, name="秘密节点", planned_date=D(2025, 3, 5))
        return project

    def test_it_shows_the_three_lists_of_a_zone_and_a_month(self, as_user, alice, zone, month):
        response = as_user(alice).get(THREE_LISTS, {"zone": zone.pk, "month": "2025-03"})
        assert response.status_code == 200
        lists = response.context["lists"]
        (row,) = lists.responsibility
        assert (row["project"], row["departments"]) == (month, "自然资源局")
        assert [w.label for w in lists.weeks] == [
            gettext("Week %(week)d (%(start)s – %(end)s)")
            % {"week": 10, "start": "03-03", "end": "03-09"},
            gettext("Week %(week)d (%(start)s – %(end)s)")
            % {"week": 12, "start": "03-17", "end": "03-23"},
        ]
        assert [[n.name for n in w.nodes] for w in lists.weeks] == [["完成土地摘牌"], ["主体封顶"]]
        assert lists.weeks[0].nodes[0].colour_now == "red"  # planned 2025-03-04, long past
        (figures,) = lists.monthly
        assert (figures.completed_month, figures.completed_year) == (
            Decimal("800"),
            Decimal("2600"),
        )
        (progress,) = lists.progress
        assert "●" in progress["nodes"]
        # raised today without a deadline: due in 30 days, green (guide section 12)
        assert "绿色 1" in progress["problems"]
        html = response.content.decode()
        assert "厂房钢结构吊装" in html and "经信局" in html and "设备安装" not in html
        assert "秘密" not in html

    def test_another_zone_cannot_be_asked_for(self, as_user, charlie, zone, month):
        response = as_user(charlie).get(THREE_LISTS, {"zone": zone.pk, "month": "2025-03"})
        assert response.status_code == 200
        assert response.context["lists"] is None and "zone" in response.context["form"].errors
        assert month.name not in response.content.decode()

    def test_a_leader_reads_only_the_projects_it_follows(self, as_user, lily, zone, month):
        ProjectFactory(zone=zone, name="未包联项目")
        response = as_user(lily).get(THREE_LISTS, {"zone": zone.pk, "month": "2025-03"})
        assert [r["project"] for r in response.context["lists"].responsibility] == [month]
        assert "未包联项目" not in response.content.decode()

    def test_nobody_without_a_role_opens_it(self, client, db):
        from tests.factories import UserFactory

        client.force_login(UserFactory(username="nobody"))
        assert client.get(THREE_LISTS).status_code == 403


class ProgressTable(HTMLParser):
    """The progress list's table as it reads on the page: its column headings, and each row's
    cells' text (the row's heading, the project, first)."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "table-progress") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("th", "td") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def progress_columns(html: str) -> dict[str, dict[str, str]]:
    """Each project's row of the progress list, cell by column heading."""
    table = ProgressTable()
    table.feed(html)
    headings, *rows = table.rows
    return {row[0]: dict(zip(headings, row, strict=True)) for row in rows}


class TestTheProgressListsCounts:
    @time_machine.travel(dt.datetime(2025, 3, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    def test_each_column_counts_its_own_rows(self, as_user, alice, zone, project, catalogue):
        """One task node, two approval items and three problems, coloured apart: each count
        under its own heading, as the page's reader sees it."""
        today = timezone.localdate()
        TaskNode.objects.create(project=project, name="完成土地摘牌", planned_date=D(2025, 1, 10))
        for kind in ApprovalType.objects.filter(time_limit__gt=0).order_by("pk")[:2]:
            ApprovalItem.objects.create(
                project=project,
                approval_type=kind,
                mode=Mode.APPROVAL,
                status=ItemStatus.ACCEPTED,
                accepted_on=D(2024, 6, 3),  # due in 2024: red
            )
        for n, deadline in enumerate((D(2025, 1, 15), today, today + dt.timedelta(days=1))):
            problem_add(project=project, by=alice, description=f"问题{n}", deadline=deadline)
        response = as_user(alice).get(THREE_LISTS, {"zone": zone.pk, "month": "2025-03"})
        row = progress_columns(response.content.decode())[project.name]
        assert row["任务节点"] == "● 红色 1"
        assert row["审批事项"] == "● 红色 2"
        assert row["堵点问题"] == "● 红色 1 ● 黄色 2"
