"""The figures of casework (approvals/figures/casework.py) on data whose answers are worked out
by hand below: problems (堵点) by category and department, their colours and the median days to
resolve, and the monthly investment (月调度) per zone and month with a project missing a month;
then the same figures from ``manage.py report``, on the dashboard, on the reports page and in
its .xlsx downloads, in the case file and in the weekly dispatch table.

The problems, as of today (T); the defaults colour a deadline yellow from 7 days before it and
red when more than 30 days past it:

=====  ========  ============  ===========  ========  ===========  =============================
zone   category  department    status       reported  deadline     resolved
=====  ========  ============  ===========  ========  ===========  =============================
晋中   land      自然资源局    open         T−60      T−40 (red)
晋中   land      自然资源局    in_progress  T−20      T+3 (yellow)
晋中   energy    供电公司      escalated    T−10      T+60
晋中   funds     财政局        resolved     T−50      T−45         T−46: 4 days
晋中   land      自然资源局    closed       T−30      T−10         T−20: 10 days
祁县   other     (none)        closed       T−15                   T−12: 3 days
=====  ========  ============  ===========  ========  ===========  =============================

晋中: 5 problems over 3 categories, 3 unsolved (1 red, 1 yellow), 2 resolved of which 1 closed;
days to resolve 4 and 10: an even count, median (4 + 10) / 2 = 7.0. Both zones: 3, 4, 10 → 4.0.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals.casework import problems
from approvals.figures import casework as casework_reports
from approvals.figures import changes
from approvals.figures import investment as investment_reports
from approvals.figures.reports import Selection
from approvals.models import MonthlyProgress, Problem, ProblemCategory, ProblemStatus, Stage
from tests import figures
from tests.factories import ProjectFactory
from tests.figures import listed
from tests.spreadsheets.test_exports import xlsx_rows

pytestmark = pytest.mark.django_db

rounds = figures.rounds  # the fixture, found by its name

INDEX = reverse("admin:index")
REPORTS = reverse("admin:reports")
DISPATCH = reverse("admin:approvals_project_dispatch")
D = dt.date
T = timezone.localdate()


def days(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def problem(project, text, category, status=ProblemStatus.OPEN, **fields) -> Problem:
    return Problem.objects.create(
        project=project, description=text, category=category, status=status, **fields
    )


@pytest.fixture
def problem_cases(zone, other_zone, alice):
    a = ProjectFactory(zone=zone, name="甲光伏项目", officer=alice, stage=Stage.SIGNED)
    b = ProjectFactory(zone=zone, name="乙氢能项目", officer=alice, stage=Stage.SIGNED)
    c = ProjectFactory(zone=other_zone, name="丙祁县项目", stage=Stage.SIGNED)
    land, bureau = "land", "自然资源局"
    return {
        "red": problem(
            a, "用地指标未落实", land, department=bureau, reported_on=days(-60), deadline=days(-40)
        ),
        "yellow": problem(
            a,
            "土地摘牌延期",
            land,
            ProblemStatus.IN_PROGRESS,
            department=bureau,
            reported_on=days(-20),
            deadline=days(3),
        ),
        "green": problem(
            b,
            "外线电源未接入",
            "energy",
            ProblemStatus.ESCALATED,
            department="供电公司",
            reported_on=days(-10),
            deadline=days(60),
        ),
        "resolved": problem(
            b,
            "配套资金未到位",
            "funds",
            ProblemStatus.RESOLVED,
            department="财政局",
            reported_on=days(-50),
            deadline=days(-45),
            resolved_on=days(-46),
            resolution="已拨付",
        ),
        "closed": problem(
            a,
            "规划条件未出具",
            land,
            ProblemStatus.CLOSED,
            department=bureau,
            reported_on=days(-30),
            deadline=days(-10),
            resolved_on=days(-20),
            resolution="已出具",
        ),
        "qi": problem(
            c,
            "用工短缺",
            "other",
            ProblemStatus.CLOSED,
            reported_on=days(-15),
            resolved_on=days(-12),
            resolution="已招聘",
        ),
    }


# --- problems -------------------------------------------------------------------------------------


def test_problems_by_category_with_colours_and_an_even_median(problem_cases, zone):
    found = casework_reports.problems(Selection(zones=(zone.pk,)))
    assert Problem.objects.filter(project__zone=zone).count() == 5  # read back: 5 were saved
    assert (found["total"], found["unsolved"], found["resolved"], found["closed"]) == (5, 3, 2, 1)
    assert (found["red"], found["yellow"]) == (1, 1)
    assert found["resolved_with_dates"] == 2
    assert found["median_days_to_resolve"] == 7.0  # (4 + 10) / 2
    land = found["by_category"]["land"]
    assert (land["total"], land["unsolved"], land["resolved"], land["closed"]) == (3, 2, 1, 1)
    assert (land["red"], land["yellow"]) == (1, 1)
    assert found["by_category"]["energy"]["unsolved"] == 1
    assert found["by_category"]["funds"]["resolved"] == 1
    assert found["by_category"]["funds"]["closed"] == 0  # resolved, not yet closed (销号)
    assert found["by_category"]["labour"]["total"] == 0  # every category, even when empty
    assert sum(c["total"] for c in found["by_category"].values()) == 5


def test_problems_by_department_most_unsolved_first(problem_cases, zone):
    found = casework_reports.problems(Selection(zones=(zone.pk,)))
    departments = [
        (row["department"], row["unsolved"], row["resolved"], row["red"])
        for row in found["by_department"]
    ]
    assert departments == [("自然资源局", 2, 1, 1), ("供电公司", 1, 0, 0), ("财政局", 0, 1, 0)]


def test_the_median_of_an_odd_count_is_the_middle_value(problem_cases):
    everything = casework_reports.problems(Selection())
    assert everything["resolved_with_dates"] == 3
    assert everything["median_days_to_resolve"] == 4.0  # 3, 4, 10
    assert casework_reports.median([3, 4, 10]) == 4.0
    assert casework_reports.median([4, 10]) == 7.0
    assert casework_reports.median([]) is None


def test_nothing_resolved_has_no_median(zone):
    project = ProjectFactory(zone=zone)
    problem(project, "环评批复待取得", "environment", deadline=days(5))
    found = casework_reports.problems(Selection())
    assert found["median_days_to_resolve"] is None
    assert (found["unsolved"], found["yellow"]) == (1, 1)


def test_the_period_selects_problems_by_the_day_they_were_reported(problem_cases, zone):
    """Reported from T−35 to T in 晋中: the yellow, the escalated and the closed one."""
    found = casework_reports.problems(Selection(zones=(zone.pk,), date_from=days(-35), date_to=T))
    assert (found["total"], found["unsolved"], found["resolved"], found["red"]) == (3, 2, 1, 0)
    assert found["median_days_to_resolve"] == 10.0


def test_a_zone_filter_and_an_officer_seeing_only_its_zone(problem_cases, other_zone, alice):
    qi = casework_reports.problems(Selection(zones=(other_zone.pk,)))
    assert (qi["total"], qi["closed"], qi["median_days_to_resolve"]) == (1, 1, 3.0)
    hers = casework_reports.problems(Selection(), alice)
    assert hers["total"] == 5  # 晋中's, not 祁县's
    assert casework_reports.problems(Selection(zones=(other_zone.pk,)), alice)["total"] == 0


# --- investment ------------------------------------------------------------------------------------


def month(project, on: dt.date, plan=None, in_month=None, year_to_date=None) -> MonthlyProgress:
    return MonthlyProgress.objects.create(
        project=project,
        month=on,
        annual_plan=plan,
        completed_month=in_month,
        completed_year=year_to_date,
    )


@pytest.fixture
def monthly_cases(zone, other_zone):
    """晋中: A reports Jan–Mar (its plan raised from 1200 to 1500 in March); B reports January
    and March, not February, and states no plan in March. 祁县: C starts in February and misses
    March.

    晋中  Jan: 2 projects, plan 1200+600 = 1800, month 100+50 = 150, year 150, rate 8.3 %
          Feb: B missing: plan 1200+600 = 1800, month 150+0, year 250+50 = 300, rate 16.7 %
          Mar: plan 1500+600 (B's carried) = 2100, month 200+70 = 270, year 450+180 = 630, 30.0 %
    祁县  Jan: not counted (no row yet); Feb: 1000, 300, 300, 30.0 %; Mar: carried, month 0
    All   Jan 1800/150/150; Feb 2800/450/600 (21.4 %); Mar 3100/270/930 (30.0 %)
    """
    a = ProjectFactory(zone=zone, name="甲月报项目")
    b = ProjectFactory(zone=zone, name="乙月报项目")
    c = ProjectFactory(zone=other_zone, name="丙月报项目")
    month(a, D(2025, 1, 1), 1200, 100, 100)
    month(a, D(2025, 2, 1), 1200, 150, 250)
    month(a, D(2025, 3, 1), 1500, 200, 450)
    month(b, D(2025, 1, 1), 600, 50, 50)
    month(b, D(2025, 3, 1), None, 70, 180)
    month(c, D(2025, 2, 1), 1000, 300, 300)
    return a, b, c


FIRST_QUARTER = Selection(date_from=D(2025, 1, 1), date_to=D(2025, 3, 31))


def figures_of(found: dict, zone_name: str) -> list[tuple]:
    zone = next(z for z in found["zones"] if z["zone"] == zone_name)
    return [
        (
            row["month"],
            row["projects"],
            row["annual_plan_wan"],
            row["completed_month_wan"],
            row["completed_year_wan"],
            row["rate"],
        )
        for row in zone["months"]
    ]


def test_investment_per_zone_and_month_carries_a_missing_month(monthly_cases, zone):
    assert MonthlyProgress.objects.filter(project__zone=zone).count() == 5
    found = investment_reports.investment(FIRST_QUARTER)
    assert found["months"] == ["2025-01", "2025-02", "2025-03"]
    assert figures_of(found, "综改区晋中开发区") == [
        ("2025-01", 2, 1800.0, 150.0, 150.0, round(150 / 1800, 6)),
        ("2025-02", 2, 1800.0, 150.0, 300.0, round(300 / 1800, 6)),
        ("2025-03", 2, 2100.0, 270.0, 630.0, 0.3),
    ]
    assert figures_of(found, "祁县经济开发区") == [
        ("2025-02", 1, 1000.0, 300.0, 300.0, 0.3),
        ("2025-03", 1, 1000.0, 0.0, 300.0, 0.3),
    ]
    totals = [
        (t["month"], t["projects"], t["annual_plan_wan"], t["completed_year_wan"], t["rate"])
        for t in found["totals"]
    ]
    assert totals == [
        ("2025-01", 2, 1800.0, 150.0, round(150 / 1800, 6)),
        ("2025-02", 3, 2800.0, 600.0, round(600 / 2800, 6)),  # ratio of sums, not mean of rates
        ("2025-03", 3, 3100.0, 930.0, 0.3),
    ]


def test_without_a_period_the_year_of_the_latest_month(monthly_cases, zone):
    project = ProjectFactory(zone=zone, name="丁往年项目")
    month(project, D(2024, 12, 1), 5000, 900, 4800)  # last year: neither shown nor carried
    found = investment_reports.investment(Selection())
    assert found["months"] == ["2025-01", "2025-02", "2025-03"]
    assert figures_of(found, "综改区晋中开发区")[0][1:3] == (2, 1800.0)


def test_a_new_year_carries_nothing_and_no_cumulative_sums_the_months(zone):
    project = ProjectFactory(zone=zone)
    month(project, D(2024, 12, 1), 800, 100, 700)
    month(project, D(2025, 1, 1), 1000, 40)  # no cumulative stated: the months' sum
    month(project, D(2025, 3, 1), None, 60)
    found = investment_reports.investment(
        Selection(date_from=D(2024, 12, 1), date_to=D(2025, 3, 31))
    )
    assert figures_of(found, "综改区晋中开发区") == [
        ("2024-12", 1, 800.0, 100.0, 700.0, round(700 / 800, 6)),
        ("2025-01", 1, 1000.0, 40.0, 40.0, 0.04),
        ("2025-02", 1, 1000.0, 0.0, 40.0, 0.04),
        ("2025-03", 1, 1000.0, 60.0, 100.0, 0.1),
    ]


def test_rows_of_the_period_s_first_year_before_it_are_not_carried_into_the_next(zone):
    project = ProjectFactory(zone=zone)
    month(project, D(2024, 10, 1), 800, 100, 700)  # before the period, in its first year
    month(project, D(2025, 1, 1), None, 40)  # no plan, no cumulative stated
    found = investment_reports.investment(
        Selection(date_from=D(2024, 11, 1), date_to=D(2025, 1, 31))
    )
    assert figures_of(found, "综改区晋中开发区") == [("2025-01", 1, 0.0, 40.0, 40.0, None)]


def test_batches_named_narrow_both_to_the_projects_they_list(problem_cases, monthly_cases, rounds):
    listed(rounds[0], problem_cases["red"].project, "sign", 1000)  # 甲光伏项目: red, yellow, closed
    listed(rounds[0], monthly_cases[1], "start", 1000)  # 乙月报项目: 600 planned in January
    named = Selection(batches=(rounds[0].pk,), date_from=D(2025, 1, 1), date_to=D(2025, 3, 31))
    found = casework_reports.problems(Selection(batches=(rounds[0].pk,)))
    assert (found["total"], found["unsolved"], found["closed"], found["red"]) == (3, 2, 1, 1)
    invested = investment_reports.investment(named)
    assert figures_of(invested, "综改区晋中开发区")[0] == (
        "2025-01",
        1,
        600.0,
        50.0,
        50.0,
        round(50 / 600, 6),
    )


def test_investment_by_zone_and_for_an_officer(monthly_cases, other_zone, alice):
    only_qi = investment_reports.investment(
        Selection(zones=(other_zone.pk,), date_from=D(2025, 1, 1), date_to=D(2025, 3, 31))
    )
    assert [z["zone"] for z in only_qi["zones"]] == ["祁县经济开发区"]
    assert only_qi["months"] == ["2025-02"]  # chosen alone, the zone ends at its latest month
    hers = investment_reports.investment(FIRST_QUARTER, alice)
    assert [z["zone"] for z in hers["zones"]] == ["综改区晋中开发区"]
    assert hers["totals"][1]["completed_year_wan"] == 300.0


# --- the command ----------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_problems_as_json(problem_cases):
    found = json.loads(run("problems", "--json", "--zone", "晋中开发区"))
    assert (found["unsolved"], found["resolved"], found["closed"]) == (3, 2, 1)
    assert found["median_days_to_resolve"] == 7.0
    assert found["by_category"]["land"]["unsolved"] == 2
    period = json.loads(
        run("problems", "--json", "--from", days(-35).isoformat(), "--to", T.isoformat())
    )
    assert period["total"] == 4  # the three of 晋中 and 祁县's one
    table = run("problems", "--zone", "晋中开发区").splitlines()
    department = next(line.split() for line in table if line.startswith("自然资源局"))
    assert department[1:] == ["2", "1", "1", "1", "1", "3"]
    assert any(line.split()[-1] == "7.0" for line in table if line.strip())


def test_the_command_prints_investment_as_json_and_as_a_table(monthly_cases):
    found = json.loads(
        run(
            "investment",
            "--json",
            "--zone",
            "晋中开发区",
            "--zone",
            "祁县经开区",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
        )
    )
    qi = next(z for z in found["zones"] if z["zone"] == "祁县经济开发区")
    assert [(r["month"], r["completed_year_wan"]) for r in qi["months"]] == [
        ("2025-02", 300.0),
        ("2025-03", 300.0),  # behind 晋中: carried into March
    ]
    text = run("investment", "--from", "2025-01-01", "--to", "2025-03-31")
    assert "30.0 %" in text and "21.4 %" in text  # 祁县 and all zones in February


@pytest.mark.parametrize("report", ["problems", "investment"])
def test_the_command_refuses_an_unknown_zone(db, report):
    with pytest.raises(CommandError, match="没有名为“火星开发区”的开发区") as refused:
        run(report, "--json", "--zone", "火星开发区")
    assert refused.value.returncode == 1


# --- the dashboard ----------------------------------------------------------------------------------


def tile(html: str, key: str) -> str:
    found = re.search(
        rf'id="tile-{key}".*?class="dashboard-value[^"]*"[^>]*>\s*([^<]*?)\s*<', html, re.S
    )
    assert found, f"no tile {key}"
    return found.group(1)


def tile_link(html: str, key: str) -> str:
    found = re.search(rf'<a class="dashboard-tile flex" id="tile-{key}" href="([^"]*)"', html)
    assert found, f"no link on tile {key}"
    return found.group(1).replace("&amp;", "&")


def test_the_dashboard_shows_unsolved_and_red_problems_linking_to_the_list(
    as_user, bob, problem_cases
):
    client = as_user(bob)
    html = client.get(INDEX).content.decode()
    assert tile(html, "problems_unsolved") == "3"
    assert tile(html, "problems_red") == "1"
    changelist = reverse("admin:approvals_problem_changelist")
    assert tile_link(html, "problems_unsolved") == (
        changelist + "?status__in=open,in_progress,escalated"
    )
    # Each link opens the list showing exactly the problems the tile counted.
    for key, expected in (("problems_unsolved", 3), ("problems_red", 1)):
        listed = client.get(tile_link(html, key))
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == expected, key


def test_the_dashboard_narrowed_to_a_zone_links_to_that_zones_problems(
    as_user, superuser, charlie, other_zone, problem_cases
):
    client = as_user(superuser)
    html = client.get(INDEX, {"zone": other_zone.pk}).content.decode()
    assert (tile(html, "problems_unsolved"), tile(html, "problems_red")) == ("0", "0")
    everywhere = client.get(INDEX).content.decode()
    assert tile(everywhere, "problems_unsolved") == "3"
    link = tile_link(everywhere, "problems_unsolved")
    listed = client.get(tile_link(html, "problems_unsolved"))
    assert listed.context["cl"].result_count == 0  # 祁县's one problem is closed
    assert client.get(link).context["cl"].result_count == 3
    assert tile(as_user(charlie).get(INDEX).content.decode(), "problems_unsolved") == "0"


def test_the_dashboard_shows_investment_against_plan_this_year(as_user, bob, zone):
    project = ProjectFactory(zone=zone)
    month(project, D(T.year - 1, 12, 1), 9000, 900, 9000)  # last year's: not counted
    month(project, D(T.year, T.month, 1), 1000, 100, 250)
    html = as_user(bob).get(INDEX).content.decode()
    row = re.search(rf'<tr id="investment-{zone.pk}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<t[hd][^>]*>\s*([^<]*?)\s*</t[hd]>", row)
    # 250 and 1000 万元 in 亿元 to two decimals (0.025 rounds half to even)
    assert cells == [zone.name, f"{T:%Y-%m}", "0.02", "0.10", "25.0 %"]


def test_the_dashboard_shows_no_investment_of_last_year(as_user, bob, zone):
    month(ProjectFactory(zone=zone), D(T.year - 1, 12, 1), 9000, 900, 9000)
    html = as_user(bob).get(INDEX).content.decode()
    assert 'id="dashboard-investment"' in html
    assert f'id="investment-{zone.pk}"' not in html


def test_the_dashboard_counts_again_when_a_problem_or_a_month_changes(
    as_user, bob, alice, zone, problem_cases, celery_inline, django_capture_on_commit_callbacks
):
    """A second visit reads the figures kept; a problem resolved (committed) has the worker
    count the zone again, and the next visit shows it; a month entered raises the zone's
    version too."""
    client = as_user(bob)

    def visit() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(INDEX).content.decode()
        return len(captured), tile(html, "problems_unsolved")

    first, unsolved = visit()
    again, same = visit()
    assert (unsolved, same) == ("3", "3")
    assert again < first - 5  # kept
    with django_capture_on_commit_callbacks(execute=True):
        problems.problem_transition(
            Problem.objects.get(pk=problem_cases["green"].pk),
            "resolve",
            by=alice,
            resolution="电源已接入",
            resolved_on=T,
        )
    assert Problem.objects.get(pk=problem_cases["green"].pk).status == ProblemStatus.RESOLVED
    after, unsolved = visit()
    assert unsolved == "2" and after < first - 5  # counted by the worker, read as kept
    version = changes.version_of([zone.pk])
    with django_capture_on_commit_callbacks(execute=True):
        month(problem_cases["red"].project, D(T.year, 1, 1), 100, 10, 10)  # no other row
    assert changes.version_of([zone.pk]) == version + 1


def add_rows(zone, count: int) -> None:
    for n in range(count):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        problem(project, f"问题{n}", "land", department=f"部门{n % 4}", deadline=days(n - 40))
        problem(
            project,
            f"已解决{n}",
            "funds",
            ProblemStatus.CLOSED,
            reported_on=days(-20),
            resolved_on=days(-n % 10),
            resolution="好",
        )
        month(project, D(T.year, 1, 1), 100, 10, 10)


@pytest.mark.parametrize("url", [INDEX, REPORTS])
def test_the_pages_cost_the_same_queries_for_3_rows_as_for_30(as_user, bob, zone, url):
    def queries() -> int:
        client = as_user(bob)
        client.get(url)  # warm: sessions, settings caches
        cache.clear()  # the figures counted afresh each time
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add_rows(zone, 3)
    few = queries()
    add_rows(zone, 27)
    assert Problem.objects.count() == 60
    assert queries() == few


# --- the reports page --------------------------------------------------------------------------------


def report_cells(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="table-{table}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        re.findall(r"<t[hd][^>]*>\s*([^<]*?)\s*</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_reports_page_shows_both_and_downloads_the_same_figures(
    as_user, stan, problem_cases, monthly_cases
):
    client = as_user(stan)  # statistician of 晋中
    query = {"date_from": "2025-01-01", "date_to": "2025-03-31"}
    html = client.get(REPORTS).content.decode()
    land = str(ProblemCategory.LAND.label)
    categories = {row[0]: row[1:] for row in report_cells(html, "problems_categories")}
    assert categories[land] == ["2", "1", "1", "1", "1", "3"]  # unsolved red yellow resolved…
    summary = dict((row[0], row[1]) for row in report_cells(html, "problems"))
    assert "7.0" in summary.values()
    book = load_workbook(io.BytesIO(client.get(REPORTS, {"download": "problems"}).content))
    assert len(book.worksheets) == 3
    sheet_rows = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert {row[0]: list(row[1:]) for row in sheet_rows}[land] == [2, 1, 1, 1, 1, 3]
    assert list(book.worksheets[0].iter_rows(min_row=2, values_only=True))[-1][1] == 7.0

    html = client.get(REPORTS, query).content.decode()
    rows = report_cells(html, "investment")
    assert rows[2] == ["综改区晋中开发区", "2025-03", "2", "0.21", "0.03", "0.06", "30.0 %"]
    assert not any("祁县" in row[0] for row in rows)  # not stan's zone
    download = client.get(REPORTS, {**query, "download": "investment"})
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    read_back = list(sheet.iter_rows(min_row=2, values_only=True))
    assert list(read_back[2]) == ["综改区晋中开发区", "2025-03", 2, 0.21, 0.03, 0.06, "30.0 %"]


# --- the case file and the dispatch table -------------------------------------------------------------


def test_the_case_file_shows_the_unsolved_problems(as_user, alice, problem_cases):
    project = problem_cases["red"].project
    html = as_user(alice).get(reverse("admin:approvals_project_change", args=[project.pk]))
    html = html.content.decode()
    block = re.search(r'id="case-problems".*?</ul>', html, re.S).group(0)
    red = re.search(rf'id="case-problem-{problem_cases["red"].pk}".*?</li>', block, re.S)
    assert red and "用地指标未落实" in red.group(0) and "红" in red.group(0)
    assert days(-40).isoformat() in red.group(0) and "自然资源局" in red.group(0)
    yellow = re.search(rf'id="case-problem-{problem_cases["yellow"].pk}".*?</li>', block, re.S)
    assert yellow and "黄" in yellow.group(0)
    assert block.index("用地指标未落实") < block.index("土地摘牌延期")  # earliest deadline first
    assert "规划条件未出具" not in block  # closed


def test_the_dispatch_table_counts_and_names_open_problems(as_user, alice, problem_cases):
    _header, rows, _sheet = xlsx_rows(as_user(alice).get(DISPATCH).content)
    by_name = {row["项目名称"]: row for row in rows}
    a = by_name["甲光伏项目"]
    assert a["未解决问题数"] == 2
    assert a["未解决问题"] == (
        f"1. 用地指标未落实（自然资源局，{days(-40).isoformat()}前）；"
        f"2. 土地摘牌延期（自然资源局，{days(3).isoformat()}前）"
    )
    b = by_name["乙氢能项目"]  # one escalated, one resolved
    assert b["未解决问题数"] == 1
    assert b["未解决问题"].startswith("1. 外线电源未接入（供电公司")


def test_the_dispatch_table_costs_the_same_queries_with_problems(as_user, alice, zone):
    client = as_user(alice)

    def queries() -> int:
        client.get(DISPATCH)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DISPATCH).status_code == 200
        return len(captured)

    add_rows(zone, 3)
    few = queries()
    add_rows(zone, 27)
    assert queries() == few
    _header, rows, _sheet = xlsx_rows(client.get(DISPATCH).content)
    assert [row["未解决问题数"] for row in rows] == [1] * 30


def test_the_figures_have_a_decimal_exact_rate(zone):
    project = ProjectFactory(zone=zone)
    month(project, D(2025, 1, 1), Decimal("3000.00"), Decimal("1000.00"), Decimal("1000.00"))
    found = investment_reports.investment(Selection())
    assert found["totals"][0]["rate"] == round(1 / 3, 6)
