"""The zone dashboard on the admin index and the reports page, as people see them through the
test client: the figures worked out by hand in tests/figures/__init__.py, each person's scope, the zone
filter, the links behind the colour counts, the .xlsx downloads and constant query counts."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from approvals.models import Category, Milestone, Stage, ZoneFigures
from tests import figures
from tests.factories import ProjectFactory, UserFactory
from tests.figures import D, listed, reached

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

clock = figures.clock
rounds = figures.rounds
guide_example = figures.guide_example
two_round_lists = figures.two_round_lists
readiness_cases = figures.readiness_cases

INDEX = reverse("admin:index")
REPORTS = reverse("admin:reports")


def tile(html: str, key: str) -> str:
    """The value shown on a dashboard tile."""
    found = re.search(
        rf'id="tile-{key}".*?class="dashboard-value[^"]*"[^>]*>\s*([^<]*?)\s*<', html, re.S
    )
    assert found, f"no tile {key}"
    return found.group(1)


def note(html: str, key: str) -> str:
    """The words under a dashboard tile's value."""
    found = re.search(rf'id="tile-{key}".*?class="dashboard-note[^"]*">(.*?)<', html, re.S)
    assert found, f"no note on tile {key}"
    return unescape(found.group(1)).strip()


def chart(html: str, name: str) -> dict:
    """The data of a chart as the theme's Chart.js reads it: the canvas's data-value."""
    found = re.search(
        rf'id="chart-{name}".*?<canvas class="chart"[^>]*data-value="([^"]*)"', html, re.S
    )
    assert found, f"no data for the {name} chart"
    return json.loads(unescape(found.group(1)))


def stage_row(html: str, stage: str) -> list[str]:
    row = re.search(rf'<tr id="stage-{stage}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", row)


def test_an_officer_sees_its_zones_figures(as_user, alice, guide_example):
    html = as_user(alice).get(INDEX).content.decode()
    assert tile(html, "start_rate") == "70.0 %"  # 祁县's three signings are not alice's
    assert tile(html, "production_rate") == "57.1 %"
    assert tile(html, "output_rate") == "100.0 %"
    assert note(html, "start_rate") == "近12个月签约的 10 个项目中已开工 7 个"
    assert note(html, "production_rate") == "近12个月签约且已开工的 7 个项目中已投产 4 个"
    assert note(html, "output_rate") == (
        "近12个月签约且已达产的 2 个项目年产值 15.00 亿元，预期 15.00 亿元"
    )
    # 10 projects of 1亿 … 10亿: 2 at capacity (1+2), 2 in production (3+4), 3 building (5+6+7),
    # 3 signed (8+9+10).
    assert stage_row(html, Stage.AT_CAPACITY) == ["2", "3.00"]
    assert stage_row(html, Stage.IN_PRODUCTION) == ["2", "7.00"]
    assert stage_row(html, Stage.UNDER_CONSTRUCTION) == ["3", "18.00"]
    assert stage_row(html, Stage.SIGNED) == ["3", "27.00"]
    funnel = chart(html, "funnel")
    # How many reached each stage: 10 signed, 7 of them started, 4 producing, 2 at capacity.
    assert funnel["datasets"][0]["data"] == [10, 10, 7, 7, 4, 2]


def test_the_administrator_sees_every_zone_and_filters_by_one(
    as_user, superuser, guide_example, zone, other_zone
):
    client = as_user(superuser)
    assert tile(client.get(INDEX).content.decode(), "start_rate") == "61.5 %"  # 8 of 13
    only_qi = client.get(INDEX, {"zone": other_zone.pk}).content.decode()
    assert tile(only_qi, "start_rate") == "33.3 %"
    assert f'<option value="{other_zone.pk}" selected>' in only_qi


def test_a_zone_not_ones_own_is_no_filter(as_user, alice, guide_example, other_zone):
    html = as_user(alice).get(INDEX, {"zone": other_zone.pk}).content.decode()
    assert tile(html, "start_rate") == "70.0 %"
    assert 'id="dashboard-zone"' not in html  # one zone: nothing to choose


def test_a_leader_sees_the_projects_it_follows(as_user, lily, guide_example):
    for project in guide_example[:4]:  # the four in production or at capacity
        project.leader = lily
        project.save()
    html = as_user(lily).get(INDEX).content.decode()
    assert tile(html, "start_rate") == "100.0 %"
    assert tile(html, "production_rate") == "100.0 %"
    assert stage_row(html, Stage.SIGNED) == ["0", "0.00"]


def test_readiness_and_the_latest_round(as_user, bob, readiness_cases, two_round_lists):
    html = as_user(bob).get(INDEX).content.decode()
    # readiness_cases: 5 projects, 3 ready; 7 applicable items, 5 settled. two_round_lists
    # adds A, B and C (at reserve: not counted).
    assert tile(html, "readiness") == "60.0 %"
    assert note(html, "readiness") == (
        "现处于已签约或具备开工条件阶段的 5 个项目中具备开工条件 3 个；"
        "其审批事项：已办结 3 · 承诺制 1 · 统一服务 1 · 不涉及 3 · 未办结 2"
    )
    latest = re.search(r'id="dashboard-latest-batch"(.*?)</table>', html, re.S).group(1)
    assert "2025" in latest
    rows = re.findall(
        r'<th scope="row"[^>]*>([^<]*)</th><td[^>]*>(\d+)</td><td[^>]*>([\d.]+)</td>', latest
    )
    # Round 2 in 晋中: C and A starting works, 6亿 + 2.5亿.
    assert [(count, inv) for _, count, inv in rows] == [
        ("0", "0.00"),
        ("2", "8.50"),
        ("0", "0.00"),
        ("2", "8.50"),
    ]
    rounds_chart = chart(html, "rounds")
    assert rounds_chart["labels"] == [str(b) for b in figures_batches()]
    assert [d["data"] for d in rounds_chart["datasets"]] == [[2, 0], [1, 2], [0, 0]]


def figures_batches():
    from approvals.models import Batch

    return Batch.objects.order_by("year", "round")


def test_colour_counts_link_to_the_filtered_list(as_user, bob, zone, other_zone):
    today = dt.date.today()
    red = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    Milestone.objects.create(
        project=red, stage=Stage.READY, planned_date=today - dt.timedelta(days=60)
    )
    yellow = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    Milestone.objects.create(
        project=yellow, stage=Stage.READY, planned_date=today + dt.timedelta(days=2)
    )
    elsewhere = ProjectFactory(zone=other_zone, stage=Stage.SIGNED)
    Milestone.objects.create(
        project=elsewhere, stage=Stage.READY, planned_date=today - dt.timedelta(days=60)
    )
    client = as_user(bob)
    html = client.get(INDEX).content.decode()
    assert tile(html, "red") == "1"
    assert tile(html, "yellow") == "1"
    assert tile(html, "at_risk") == "0"
    link = re.search(r'<a class="dashboard-tile[^"]*" id="tile-red" href="([^"]+)"', html).group(1)
    listed_page = client.get(link.replace("&amp;", "&")).content.decode()
    assert red.name in listed_page
    assert yellow.name not in listed_page
    assert elsewhere.name not in listed_page


def test_starts_and_productions_per_month(as_user, bob, zone):
    today = dt.date.today()
    this_month = today.replace(day=1)
    started = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
    reached(started, Stage.UNDER_CONSTRUCTION, this_month)
    producing = ProjectFactory(zone=zone, stage=Stage.IN_PRODUCTION)
    reached(producing, Stage.UNDER_CONSTRUCTION, this_month)
    reached(producing, Stage.IN_PRODUCTION, this_month)
    long_ago = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
    reached(long_ago, Stage.UNDER_CONSTRUCTION, D(2020, 1, 1))
    monthly = chart(as_user(bob).get(INDEX).content.decode(), "monthly")
    assert len(monthly["labels"]) == 12
    assert monthly["labels"][-1] == f"{today:%Y-%m}"
    starts, productions = (d["data"] for d in monthly["datasets"])
    assert starts[-1] == 2 and sum(starts) == 2
    assert productions[-1] == 1 and sum(productions) == 1


def test_no_role_no_figures(as_user, db, guide_example):
    stranger = UserFactory(username="stranger")
    html = as_user(stranger).get(INDEX).content.decode()
    assert 'id="dashboard"' not in html
    assert as_user(stranger).get(REPORTS).status_code == 403


def test_the_dashboard_costs_the_same_queries_for_few_projects_as_for_many(
    as_user, bob, zone, rounds
):
    def queries() -> int:
        client = as_user(bob)
        client.get(INDEX)  # warm: sessions, settings caches
        ZoneFigures.objects.all().delete()  # the figures counted afresh each time (first visit)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            project = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
            reached(project, Stage.SIGNED, D(2025, 3, 1))
            reached(project, Stage.UNDER_CONSTRUCTION, D(2025, 4, 1))
            listed(rounds[i % 2], project, Category.SIGN, 1000)

    add(3)
    few = queries()
    add(30)
    assert queries() == few


def test_figures_are_kept_and_counted_again_by_the_worker_after_a_change(
    as_user, bob, zone, guide_example, celery_inline, django_capture_on_commit_callbacks
):
    """A second visit reads the figures kept from the first; a change made through the desk
    (a milestone saved), once committed, has the worker count the zone again: the next visit
    reads the new figures, as kept."""
    client = as_user(bob)

    def visit() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(INDEX).content.decode()
        return len(captured), tile(html, "start_rate")

    first, rate = visit()
    again, same = visit()
    assert (rate, same) == ("70.0 %", "70.0 %")
    assert again < first - 5  # the aggregates were not run again
    not_started = guide_example[9]
    with django_capture_on_commit_callbacks(execute=True):
        reached(not_started, Stage.UNDER_CONSTRUCTION, D(2025, 10, 1))
    after, rate = visit()
    assert after == again  # counted by the worker, not by the visit
    assert rate == "80.0 %"  # 8 of 10


# --- the reports page ------------------------------------------------------------------------


def report_cells(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="table-{table}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        re.findall(r"<t[hd][^>]*>\s*([^<]*?)\s*</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_reports_page_shows_the_figures_and_filters_them(
    as_user, stan, guide_example, zone, rounds
):
    client = as_user(stan)
    html = client.get(REPORTS).content.decode()
    conversion = dict((row[0], row[1]) for row in report_cells(html, "conversion"))
    assert "70.0 %" in conversion.values() and "57.1 %" in conversion.values()
    assert "100.0 %" in conversion.values()
    by_category = report_cells(html, "sanpi")
    assert by_category[0][1:] == ["10", "55.00"]  # 签约: 1亿 + … + 10亿
    # Round 2 lists 祁县's projects only: nothing of stan's.
    html = client.get(REPORTS, {"batch": [rounds[1].pk]}).content.decode()
    assert report_cells(html, "sanpi")[0][1:] == ["0", "0.00"]


def test_the_reports_page_refuses_a_zone_not_ones_own_and_a_reversed_period(
    as_user, stan, other_zone
):
    client = as_user(stan)
    html = client.get(REPORTS, {"zone": other_zone.pk}).content.decode()
    assert 'class="errorlist' in html
    assert 'id="table-conversion"' not in html
    html = client.get(
        REPORTS, {"date_from": "2025-05-01", "date_to": "2025-04-01"}
    ).content.decode()
    assert 'id="table-conversion"' not in html
    assert re.search(r'<ul class="errorlist[^>]*>\s*<li>[^<]+</li>', html)


def test_each_report_downloads_as_xlsx_with_the_same_figures(as_user, bob, guide_example, zone):
    client = as_user(bob)
    response = client.get(REPORTS, {"zone": zone.pk, "download": "conversion"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    rows = [[c for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    values = [row[1] for row in rows[1:]]
    assert values[:3] == [10, 7, "70.0 %"]
    sanpi = client.get(REPORTS, {"download": "sanpi"})
    sheets = load_workbook(io.BytesIO(sanpi.content)).worksheets
    assert len(sheets) == 2
    first_row = next(sheets[0].iter_rows(min_row=2, values_only=True))
    assert first_row[1:] == (10, 55.0)


def test_the_reports_page_keeps_its_figures_until_the_data_changes(
    as_user, stan, guide_example, django_capture_on_commit_callbacks
):
    client = as_user(stan)

    def visit() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(REPORTS).content.decode()
        rate = dict((row[0], row[1]) for row in report_cells(html, "conversion"))
        return len(captured), sorted(v for v in rate.values() if v.endswith("%"))[0]

    first, _ = visit()
    again, _ = visit()
    assert again < first - 5
    with django_capture_on_commit_callbacks(execute=True):  # the zone's version goes up
        reached(guide_example[9], Stage.UNDER_CONSTRUCTION, D(2025, 10, 1))
    after, _ = visit()
    assert after > again + 5
    html = client.get(REPORTS).content.decode()
    assert "80.0 %" in html  # 8 of the 10 signed have started now


def test_a_leader_can_narrow_to_the_zone_of_a_project_it_follows_there(
    as_user, lily, other_zone, guide_example
):
    """lily leads in 晋中 only, but follows one of 祁县's signings: 祁县 is hers to choose,
    as in the project list's zone filter (permissions.zones_visible)."""
    followed = ProjectFactory(zone=other_zone, stage=Stage.UNDER_CONSTRUCTION, leader=lily)
    reached(followed, Stage.SIGNED, D(2025, 3, 1))
    reached(followed, Stage.UNDER_CONSTRUCTION, D(2025, 5, 1))
    client = as_user(lily)
    html = client.get(INDEX).content.decode()
    assert f'<option value="{other_zone.pk}"' in html
    only_qi = client.get(INDEX, {"zone": other_zone.pk}).content.decode()
    assert tile(only_qi, "start_rate") == "100.0 %"  # her one followed project there
    reports_page = client.get(REPORTS, {"zone": other_zone.pk}).content.decode()
    assert 'class="errorlist' not in reports_page
