"""存在问题 opens problems (guide sections 11 and 12): a quarterly list's row opens a problem of
its project, reported on the round's event date (not after today); a monthly table's row opens
one reported on the month's last day (not after today); each is due 30 days after the import, or
after the event when that is later. The same project and text is the
same problem: imported again it is not opened twice, and a resolved or closed one is not
reopened — the preview says so on the row. Nothing is opened when the file fails.

Every outcome is checked on a fresh read from the database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from approvals.casework.problems import problem_transition
from approvals.core.display import day_in_words
from approvals.models import (
    ImportKind,
    Problem,
    ProblemSource,
    ProblemStatus,
    Project,
)
from approvals.spreadsheets import imports
from tests.factories import ProjectFactory
from tests.spreadsheet_files import Title, xlsx

pytestmark = pytest.mark.django_db

D = dt.date
EVENT = D(2025, 3, 28)
TODAY = D(2025, 4, 15)  # the day of the imports: after EVENT
DUE = TODAY + dt.timedelta(days=30)
LIST_HEADER = ["序号", "项目名称", "所在开发区", "类别", "总投资（亿元）", "存在问题"]
MONTHLY_HEADER = ["序号", "项目名称", "所在开发区", "月份", "累计完成投资（万元）", "存在问题"]
LAND = "用地指标未落实，需市级协调"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def clock():
    """The imports run on TODAY: what is due when is counted from it."""
    nine = dt.datetime.combine(TODAY, dt.time(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(nine, tick=True):
        yield


def quarterly(*rows) -> bytes:
    return xlsx({"清单": [Title("晋中市2025年第一季度“三个一批”项目清单"), LIST_HEADER, *rows]})


def list_row(name: str, problem: str = "", category: str = "开工") -> list:
    return [1, name, "晋中开发区", category, 2.5, problem]


def import_list(data: bytes, by, *, round_: int = 1, event=EVENT, dry_run=False):
    record = imports.receive(
        ImportKind.PROJECT_LIST,
        data,
        "清单.xlsx",
        by=by,
        source="test",
        year=2025,
        round=round_,
        event_date=event,
    )
    return (imports.preview if dry_run else imports.apply)(record, data)


def monthly(*rows) -> bytes:
    return xlsx({"月调度": [Title("晋中开发区重点项目月调度表"), MONTHLY_HEADER, *rows]})


def monthly_row(project, month: str = "2025年3月", ytd=1500, problem: str = LAND) -> list:
    return [1, project.name, "晋中开发区", month, ytd, problem]


def import_monthly(data: bytes, by, *, dry_run=False):
    record = imports.receive(ImportKind.MONTHLY_TABLE, data, "月调度.xlsx", by=by, source="test")
    return (imports.preview if dry_run else imports.apply)(record, data)


def problems() -> list[tuple]:
    """Every problem, read afresh: (project, text, status, reported on, due, source)."""
    return list(
        Problem.objects.order_by("pk").values_list(
            "project__name", "description", "status", "reported_on", "deadline", "source"
        )
    )


def resolve(problem: Problem, by) -> None:
    problem_transition(
        problem, "resolve", by=by, resolution="市里已协调用地指标", resolved_on=timezone.localdate()
    )


def changes_of(report, kind: str = "changed") -> list[list[str]]:
    return [c for sample in report.samples[kind] for c in sample["changes"]]


# --- the quarterly list ---------------------------------------------------------------------------


class TestTheQuarterlyList:
    def test_a_listed_problem_opens_once_due_30_days_after_the_import(self, project, stan):
        data = quarterly(list_row(project.name, LAND), list_row("晋中新材料产业园项目", "资金缺口"))
        report = import_list(data, stan)
        assert report.applied, report.errors
        due = DUE  # the event was before the import
        assert problems() == [
            (project.name, LAND, ProblemStatus.OPEN, EVENT, due, ProblemSource.LIST_IMPORT),
            ("晋中新材料产业园项目", "资金缺口", ProblemStatus.OPEN, EVENT, due, ProblemSource.LIST_IMPORT),
        ]  # fmt: skip
        for problem in Problem.objects.all():
            assert problem.created_by == stan and problem.batch.event_date == EVENT
            assert problem.history.get().history_user == stan
        new = Project.objects.get(name="晋中新材料产业园项目")
        assert Problem.objects.get(description="资金缺口").project == new

    def test_the_preview_says_what_it_would_open_and_opens_nothing(self, project, stan):
        data = quarterly(list_row(project.name, LAND), list_row("晋中新材料产业园项目", "资金缺口"))
        report = import_list(data, stan, dry_run=True)
        assert report.ok and not report.applied
        due = day_in_words(DUE)  # in the sentence the preview writes
        opened = [
            c for c in changes_of(report) + changes_of(report, "created") if c[0] == "存在问题"
        ]
        assert len(opened) == 2 and all(due in c[2] for c in opened)
        assert not Problem.objects.exists()

    def test_a_problem_listed_for_an_event_to_come_is_due_30_days_after_the_event(
        self, project, stan
    ):
        event = D(2025, 6, 28)  # later than the import
        report = import_list(quarterly(list_row(project.name, LAND)), stan, event=event)
        assert report.applied, report.errors
        assert [(p[3], p[4]) for p in problems()] == [(TODAY, D(2025, 7, 28))]

    def test_the_same_list_again_opens_none_twice(self, project, stan):
        data = quarterly(list_row(project.name, LAND))
        import_list(data, stan)
        before = problems()
        report = import_list(data, stan)
        assert report.applied and report.changes_nothing
        assert problems() == before and len(before) == 1
        later = import_list(
            quarterly(list_row(project.name, f" {LAND} ")), stan, round_=2, event=D(2025, 6, 28)
        )
        assert later.applied and problems() == before, "the same text is the same problem"

    def test_a_resolved_problem_listed_again_is_not_reopened_and_the_preview_says_so(
        self, project, stan, alice
    ):
        import_list(quarterly(list_row(project.name, LAND)), stan)
        resolve(Problem.objects.get(), alice)
        data = quarterly(list_row(project.name, LAND))
        preview = import_list(data, stan, round_=2, event=D(2025, 6, 28), dry_run=True)
        said = [w for w in preview.warnings if w.column == "存在问题"]  # (and 总投资 differs)
        assert [w.row for w in said] == [3]
        assert str(ProblemStatus.RESOLVED.label) in said[0].reason
        report = import_list(data, stan, round_=2, event=D(2025, 6, 28))
        assert report.applied
        assert [p[2] for p in problems()] == [ProblemStatus.RESOLVED]

    @pytest.mark.parametrize("written", ["无", "暂无", "/", "—", " 无。"])
    def test_no_problem_written_opens_none(self, project, stan, written):
        report = import_list(quarterly(list_row(project.name, written)), stan)
        assert report.applied and not Problem.objects.exists()

    def test_a_file_that_fails_opens_no_problem(self, project, stan):
        data = quarterly(
            list_row(project.name, LAND), [2, "另一个项目", "火星开发区", "开工", 1, "资金"]
        )
        report = import_list(data, stan)
        assert not report.ok and not Problem.objects.exists()


# --- the monthly table -------------------------------------------------------------------------


class TestTheMonthlyTable:
    def test_a_problem_is_reported_on_the_months_last_day_due_30_days_after_the_import(
        self, project, stan
    ):
        report = import_monthly(monthly(monthly_row(project)), stan)
        assert report.applied, report.errors
        assert problems() == [
            (project.name, LAND, ProblemStatus.OPEN, D(2025, 3, 31), DUE, ProblemSource.MONTHLY_IMPORT)
        ]  # fmt: skip
        problem = Problem.objects.get()
        assert problem.batch is None and problem.created_by == stan

    def test_a_problem_of_this_month_is_reported_today(self, project, stan):
        today = timezone.localdate()
        report = import_monthly(monthly(monthly_row(project, month=f"{today:%Y年%m月}")), stan)
        assert report.applied, report.errors
        problem = Problem.objects.get()
        assert (problem.reported_on, problem.deadline) == (today, today + dt.timedelta(days=30))

    def test_a_problem_listed_in_several_months_opens_once_at_the_first(self, project, stan):
        data = monthly(
            monthly_row(project, month="2025年3月", ytd=1500),
            monthly_row(project, month="2025年2月", ytd=900),
        )
        report = import_monthly(data, stan)
        assert report.applied, report.errors
        assert [(p[3], p[4]) for p in problems()] == [(D(2025, 2, 28), DUE)]

    def test_the_same_table_again_opens_none_twice(self, project, stan):
        data = monthly(monthly_row(project))
        import_monthly(data, stan)
        before = problems()
        report = import_monthly(data, stan)
        assert report.changes_nothing and problems() == before
        april = import_monthly(monthly(monthly_row(project, month="2025年4月", ytd=2000)), stan)
        assert april.applied and problems() == before

    def test_a_closed_problem_listed_again_is_not_reopened_and_the_preview_says_so(
        self, project, stan, alice, bob
    ):
        import_monthly(monthly(monthly_row(project)), stan)
        problem = Problem.objects.get()
        resolve(problem, alice)
        problem_transition(Problem.objects.get(), "close", by=bob)
        april = monthly(monthly_row(project, month="2025年4月", ytd=2000))
        preview = import_monthly(april, stan, dry_run=True)
        assert [(w.row, w.column) for w in preview.warnings] == [(3, "存在问题")]
        assert str(ProblemStatus.CLOSED.label) in preview.warnings[0].reason
        assert import_monthly(april, stan).applied
        assert [p[2] for p in problems()] == [ProblemStatus.CLOSED]

    def test_an_open_problem_listed_again_says_nothing(self, project, stan):
        import_monthly(monthly(monthly_row(project)), stan)
        preview = import_monthly(
            monthly(monthly_row(project, month="2025年4月", ytd=2000)), stan, dry_run=True
        )
        assert preview.warnings == [] and not [
            c for c in changes_of(preview, "created") if c[0] == "存在问题"
        ]

    def test_the_preview_says_what_it_would_open_and_opens_nothing(self, project, stan):
        preview = import_monthly(monthly(monthly_row(project)), stan, dry_run=True)
        opened = [c for c in changes_of(preview, "created") if c[0] == "存在问题"]
        assert len(opened) == 1 and day_in_words(DUE) in opened[0][2]
        assert not Problem.objects.exists()

    def test_a_table_that_fails_opens_no_problem(self, project, stan):
        other = ProjectFactory(zone=project.zone, name="另一个项目")
        data = monthly(monthly_row(project), monthly_row(other, ytd="很多"))
        report = import_monthly(data, stan)
        assert not report.ok and not Problem.objects.exists()
