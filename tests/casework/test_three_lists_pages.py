"""The three lists' page shows 50 projects at a time, in as many queries for 60 projects as for
3; the whole month of the zone is an .xlsx to print, scoped like the page (issue 21)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from approvals.admin.three_lists import PAGE
from approvals.casework.problems import problem_add
from approvals.models import MonthlyProgress, Project, TaskNode
from tests.admin.test_speed_queries import get
from tests.casework.test_casework_queries import THREE_LISTS, fresh_projects
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

D = dt.date
MARCH = {"month": "2025-03"}


def with_lists(projects: list[Project], by) -> list[Project]:
    for n, project in enumerate(projects):
        TaskNode.objects.create(project=project, name=f"节点{n}", planned_date=D(2025, 3, 3))
        MonthlyProgress.objects.create(
            project=project, month=D(2025, 3, 1), completed_year=Decimal(100 + n)
        )
        problem_add(project=project, by=by, description=f"问题{n}", department=f"部门{n}")
    return projects


def test_the_page_shows_fifty_projects_in_as_many_queries_as_three(as_user, zone, alice):
    client = as_user(alice)
    params = {"zone": zone.pk, **MARCH}

    def page_of(count: int, page: int = 1):
        with_lists(fresh_projects(zone, count, officer=alice), alice)
        sqls, response = get(client, THREE_LISTS, {**params, "page": page}, warm=True)
        return len(sqls), response

    few, response = page_of(3)
    assert len(response.context["lists"].responsibility) == 3
    many, response = page_of(PAGE + 10)
    assert many == few
    lists = response.context["lists"]
    names = sorted(p.name for p in Project.objects.all())
    assert [r["project"].name for r in lists.responsibility] == names[:PAGE]
    assert len(lists.progress) == len(lists.monthly) == len(lists.weeks[0].nodes) == PAGE
    html = response.content.decode()
    assert "第 1 / 2 页，共 60 个项目" in html and 'id="three-lists-next"' in html
    assert names[PAGE] not in html

    _, response = page_of(PAGE + 10, page=2)
    assert [r["project"].name for r in response.context["lists"].responsibility] == names[PAGE:]


def workbook(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.fixture
def month(zone, other_zone, alice, lily, charlie):
    """60 projects of 晋中 with a node, figures and a problem in March 2025; lily follows one;
    another zone's project with the same."""
    projects = with_lists(fresh_projects(zone, PAGE + 10, officer=alice), alice)
    Project.objects.filter(pk=projects[7].pk).update(leader=lily)
    with_lists([ProjectFactory(zone=other_zone, name="祁县的项目", officer=charlie)], charlie)
    return projects


def test_the_download_has_every_project_of_the_month(as_user, alice, zone, month):
    sheets = workbook(
        as_user(alice).get(THREE_LISTS, {"zone": zone.pk, **MARCH, "download": "xlsx"})
    )

    responsibility, tasks, monthly, progress = sheets.values()
    names = sorted(p.name for p in month)
    assert [row[0] for row in responsibility[1:]] == names
    assert responsibility[0][0] == "项目" and responsibility[1][1] == str(alice)
    assert sorted(row[1] for row in tasks[1:]) == names and tasks[1][3] == dt.datetime(2025, 3, 3)
    assert {row[0] for row in monthly[1:]} == set(names)
    assert [row[0] for row in progress[1:]] == names
    assert "祁县的项目" not in str(sheets)


def test_a_leader_downloads_only_the_projects_it_follows(as_user, lily, zone, month):
    sheets = workbook(
        as_user(lily).get(THREE_LISTS, {"zone": zone.pk, **MARCH, "download": "xlsx"})
    )
    assert [row[0] for row in sheets[next(iter(sheets))][1:]] == [month[7].name]


def test_an_officer_of_another_zone_downloads_none_of_it(as_user, charlie, zone, month):
    response = as_user(charlie).get(THREE_LISTS, {"zone": zone.pk, **MARCH, "download": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response.context["lists"] is None
    assert month[0].name not in response.content.decode()
