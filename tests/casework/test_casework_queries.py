"""The pages of problems, service records, the white list, a project's task plan, monthly
figures and factor needs, and the three lists send as many queries for 3 rows as for 30 (style
guide point 9): no query per row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.casework.problems import problem_add, problem_transition
from approvals.models import (
    Factor,
    FactorNeed,
    MonthlyProgress,
    Problem,
    Project,
    ServiceRecord,
    TaskNode,
)
from tests.admin.test_speed_queries import get
from tests.factories import ProjectFactory

D = dt.date
PROBLEMS = reverse("admin:approvals_problem_changelist")
RECORDS = reverse("admin:approvals_servicerecord_changelist")
WHITE_LIST = reverse("admin:approvals_whitelistproject_changelist")
THREE_LISTS = reverse("admin:three_lists")


def fresh_projects(zone, count: int, **extra) -> list[Project]:
    Project.objects.all().delete()
    return [
        ProjectFactory(zone=zone, name=f"年产{n}万吨氢能装备项目", **extra) for n in range(count)
    ]


class TestConstantQueries:
    @pytest.mark.parametrize("who", ["superuser", "alice", "lily"])
    def test_the_problem_list(self, request, as_user, zone, alice, bob, lily, who):
        client = as_user(request.getfixturevalue(who))
        today = timezone.localdate()

        def queries_for(count: int) -> int:
            for n, project in enumerate(fresh_projects(zone, count, leader=lily)):
                problem_add(
                    project=project,
                    by=alice,
                    description=f"问题{n}",
                    deadline=today + dt.timedelta(days=n - 10),
                    responsible=bob,
                )
            sqls, response = get(client, PROBLEMS, warm=True)
            assert len(response.context["cl"].result_list) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    def test_the_closing_queue(self, as_user, zone, alice, bob):
        client = as_user(bob)

        def queries_for(count: int) -> int:
            for n, project in enumerate(fresh_projects(zone, count)):
                problem = problem_add(project=project, by=alice, description=f"问题{n}")
                problem_transition(
                    problem,
                    "resolve",
                    by=alice,
                    resolution="已解决",
                    resolved_on=problem.reported_on,
                )
            sqls, response = get(client, PROBLEMS, {"queue": "closing"}, warm=True)
            assert len(response.context["cl"].result_list) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    def test_the_service_record_list(self, as_user, zone, alice):
        client = as_user(alice)

        def queries_for(count: int) -> int:
            for n, project in enumerate(fresh_projects(zone, count)):
                record = ServiceRecord.objects.create(
                    project=project, participants="艾丽", done=f"走访{n}", recorded_by=alice
                )
                Problem.objects.create(
                    project=project, description=f"问题{n}", service_record=record
                )
            sqls, response = get(client, RECORDS, warm=True)
            rows = response.context["cl"].result_list
            assert len(rows) == count and {r.problem_count for r in rows} == {1}
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    @pytest.mark.parametrize("who", ["superuser", "alice"])
    def test_the_white_list(self, request, as_user, zone, who):
        client = as_user(request.getfixturevalue(who))

        def queries_for(count: int) -> int:
            for project in fresh_projects(zone, count, total_investment=200_000):
                for factor in (Factor.LAND, Factor.FUNDS):
                    FactorNeed.objects.create(
                        project=project, factor=factor, requested=100, secured=40
                    )
            sqls, response = get(client, WHITE_LIST, warm=True)
            rows = response.context["cl"].result_list
            assert len(rows) == count and {r.land_secured for r in rows} == {Decimal("40")}
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    def test_a_projects_page_whatever_its_plan_figures_and_needs(self, as_user, alice, zone):
        client = as_user(alice)

        def queries_for(count: int) -> int:
            project = ProjectFactory(zone=zone, officer=alice)
            for n in range(count):
                TaskNode.objects.create(
                    project=project, name=f"节点{n}", planned_date=D(2025, 1, 1) + dt.timedelta(n)
                )
                MonthlyProgress.objects.create(
                    project=project, month=D(2020 + n // 12, n % 12 + 1, 1), completed_year=n
                )
            for factor in list(Factor)[: min(count, len(Factor))]:
                FactorNeed.objects.create(project=project, factor=factor, requested=10)
            url = reverse("admin:approvals_project_change", args=[project.pk])
            sqls, _page = get(client, url, warm=True)
            counted = [len(sqls)]
            formsets = {}
            # the rows are drawn by their tabs, fetched when opened (case_tabs.loaded_later)
            for tab in ("plans", "monthly", "factors"):
                sqls, response = get(client, url, {"case_tab": tab}, warm=True)
                formsets.update(
                    (f.formset.prefix, f.formset) for f in response.context["case_tab"].inlines
                )
                counted.append(len(sqls))
            assert len(formsets["task_nodes"].forms) == count
            assert len(formsets["monthly_progress"].forms) == count
            return counted

        assert queries_for(3) == queries_for(20)

    def test_the_three_lists(self, as_user, zone, alice, bob):
        client = as_user(alice)

        def queries_for(count: int) -> int:
            for n, project in enumerate(fresh_projects(zone, count, officer=alice)):
                TaskNode.objects.create(
                    project=project, name="土地摘牌", planned_date=D(2025, 3, 3)
                )
                MonthlyProgress.objects.create(
                    project=project, month=D(2025, 3, 1), completed_year=100
                )
                problem_add(
                    project=project, by=alice, description=f"问题{n}", department=f"部门{n}"
                )
            params = {"zone": zone.pk, "month": "2025-03"}
            sqls, response = get(client, THREE_LISTS, params, warm=True)
            assert len(response.context["lists"].responsibility) == count
            assert len(response.context["lists"].weeks[0].nodes) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)
