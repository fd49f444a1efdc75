"""A 三个一批 round is the event (guide section 12): what importing a round's list does to each
project it names — created at the category's stage, a request from the list for a stored one
behind it, nothing, a warning, or a plan for a round still ahead — and the portfolio
(重点项目清单) imported without a round."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.cases.colours import Colour
from approvals.cases.lateness import milestone_colour
from approvals.models import (
    Batch,
    BatchEntry,
    Milestone,
    Project,
    RequestStatus,
    SpreadsheetImport,
    Stage,
    StageChange,
    StageRequest,
)
from approvals.spreadsheets import imports
from approvals.stages import workflow
from approvals.stages.from_lists import Effect, round_outcome
from tests.factories import ProjectFactory
from tests.project_lists import ROUND_1, received, row, state, workbook

D = dt.date
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
EVENT = ROUND_1.event_date  # 2025-03-28
AFTER = dt.datetime(2025, 4, 7, 10, 0, tzinfo=TZ)  # the day of the import, after the event
BEFORE = dt.datetime(2025, 3, 1, 10, 0, tzinfo=TZ)  # ... and before it


def run(data: bytes, *, by, dry_run=False, when=AFTER, spec=ROUND_1):
    with time_machine.travel(when, tick=False):
        record = received(data, by=by, spec=spec)
        action = imports.preview if dry_run else imports.apply
        return action(record, data), record


def listed(n: int, name: str, **cells) -> list:
    """A row naming a stored project (no enterprise: its own is kept without a word)."""
    return row(n, name, enterprise="", **cells)


def outcomes(report) -> dict[str, str]:
    """Each sampled row's project → what the preview says the round does to it."""
    rows = [r for kind in report.samples.values() for r in kind]
    return {r["title"].split("（")[0]: r.get("outcome", "") for r in rows}


@pytest.fixture
def signed(zone):
    return ProjectFactory(zone=zone, name="大恒能源光伏项目", stage=Stage.SIGNED)


class TestARoundPast:
    def test_new_projects_start_at_their_categorys_stage_dated_on_the_event_and_not_red(self, stan):
        data = workbook(
            row(1, "甲签约项目", category="签约"),
            row(2, "乙开工项目", category="开工"),
            row(3, "丙投产项目", category="投产"),
        )
        report, _ = run(data, by=stan, dry_run=True)
        assert outcomes(report) == {
            "甲签约项目": "新建，阶段：已签约（签约日期 2025年3月28日）",
            "乙开工项目": "新建，阶段：已开工（开工日期 2025年3月28日）",
            "丙投产项目": "新建，阶段：已投产（投产日期 2025年3月28日）",
        }
        assert report.tallies == {"新建（已签约）": 1, "新建（已开工）": 1, "新建（已投产）": 1}
        run(data, by=stan)
        expected = {
            "甲签约项目": Stage.SIGNED,
            "乙开工项目": Stage.UNDER_CONSTRUCTION,
            "丙投产项目": Stage.IN_PRODUCTION,
        }
        for name, stage in expected.items():
            project = Project.objects.get(name=name)
            assert project.stage == stage
            reached = project.milestones.get()  # earlier milestones passed without a date
            assert (reached.stage, reached.actual_date, reached.planned_date) == (
                stage,
                EVENT,
                None,
            )
            with time_machine.travel(AFTER, tick=False):
                assert milestone_colour(reached) == Colour.GREEN
            assert project.next_milestone_on is None  # nothing ahead is late: not red
        assert not StageRequest.objects.exists()

    @pytest.mark.parametrize(
        ("category", "stage", "created", "dated"),
        [
            ("签约", "已开工", Stage.UNDER_CONSTRUCTION, True),
            ("投产", "已签约", Stage.SIGNED, False),
        ],
    )
    def test_a_stage_column_wins_over_the_category(self, stan, category, stage, created, dated):
        run(workbook(row(1, "甲项目", category=category, stage=stage)), by=stan)
        project = Project.objects.get()
        assert project.stage == created
        actual = list(project.milestones.values_list("actual_date", flat=True))
        assert actual == ([EVENT] if dated else [])

    def test_a_stage_column_behind_the_category_asks_for_nothing_now_or_imported_again(
        self, stan, signed
    ):
        """The row's own stage says the category's stage was not reached: the project the list
        creates stays there, and importing the same list again (by a person, who could open
        requests) opens none for it, nor for a stored project the row says is where it is."""
        data = workbook(
            row(1, "甲项目", category="签约", stage="储备"),
            listed(2, signed.name, category="开工", stage="已签约"),
        )
        run(data, by=stan)
        created = Project.objects.get(name="甲项目")
        assert created.stage == Stage.RESERVE
        report, _ = run(data, by=stan, dry_run=True)
        assert report.changed == 0 and not report.warnings, report.warnings
        assert report.tallies == {}
        run(data, by=stan)
        assert not StageRequest.objects.exists()
        created.refresh_from_db()
        signed.refresh_from_db()
        assert (created.stage, signed.stage) == (Stage.RESERVE, Stage.SIGNED)

    def test_a_stored_project_behind_is_not_moved_but_asked_for_by_the_importer(self, stan, signed):
        data = workbook(listed(1, signed.name, category="开工"))
        report, _ = run(data, by=stan, dry_run=True)
        assert outcomes(report) == {signed.name: "将提交补录申请：已签约 → 已开工，待分管领导审批"}
        assert report.tallies == {"将提交的补录申请": 1} and report.changed == 1
        changes_before = StageChange.objects.count()
        report, record = run(data, by=stan)
        project = Project.objects.get(pk=signed.pk)
        assert project.stage == Stage.SIGNED and StageChange.objects.count() == changes_before
        asked = StageRequest.objects.get()
        assert (asked.project, asked.kind, asked.transition, asked.target_stage) == (
            project,
            "list",
            "start_works",
            Stage.UNDER_CONSTRUCTION,
        )
        assert asked.evidence == {"start_date": "2025-03-28"}
        assert asked.requested_by == stan  # a statistician, who may not ask by hand
        assert asked.status == RequestStatus.PENDING
        assert (asked.spreadsheet_import, asked.batch_entry) == (
            record,
            BatchEntry.objects.get(project=project),
        )
        assert asked.source == "清单.xlsx · 清单 · 3"
        assert asked.note == "来自清单：2025年第1批"
        assert not project.milestones.exists(), "the past event plans nothing"

    def test_a_supervisor_approving_the_request_brings_the_project_there(self, stan, bob, signed):
        """The opening side meets the deciding side (``workflow.decide``, ``catch_up``)."""
        run(workbook(listed(1, signed.name, category="投产")), by=stan)
        with time_machine.travel(AFTER, tick=False):
            workflow.decide(StageRequest.objects.get(), by=bob, approve=True)
        project = Project.objects.get(pk=signed.pk)
        assert project.stage == Stage.IN_PRODUCTION
        reached = project.milestones.get(stage=Stage.IN_PRODUCTION)
        assert reached.actual_date == EVENT

    def test_a_stored_project_at_or_past_the_stage_gets_nothing(self, stan, signed):
        report, _ = run(workbook(listed(1, signed.name, category="签约")), by=stan)
        assert outcomes(report) == {signed.name: "已达到该阶段"}
        assert not StageRequest.objects.exists() and not report.warnings

    @pytest.mark.parametrize("closed", [Stage.SUSPENDED, Stage.WITHDRAWN])
    def test_a_suspended_or_withdrawn_project_is_a_warning(self, stan, zone, closed):
        project = ProjectFactory(
            zone=zone, name="甲项目", stage=closed, stage_before_suspension=Stage.SIGNED
        )
        report, _ = run(workbook(listed(1, project.name)), by=stan)
        assert not StageRequest.objects.exists()
        label = {Stage.SUSPENDED: "停缓建", Stage.WITHDRAWN: "已退出"}[closed]
        assert [w.reason for w in report.warnings] == [f"项目{label}，不提交补录申请"]

    def test_a_request_already_waiting_is_a_warning(self, stan, alice, signed):
        StageRequest.objects.create(project=signed, transition="mark_ready", requested_by=alice)
        report, _ = run(workbook(listed(1, signed.name)), by=stan)
        assert StageRequest.objects.count() == 1
        assert [w.reason for w in report.warnings] == ["已有待审批申请，不再提交"]
        assert outcomes(report) == {signed.name: "已有待审批申请，不再提交"}

    def test_a_rejected_request_is_not_reopened_by_importing_again(self, stan, signed):
        data = workbook(listed(1, signed.name))
        run(data, by=stan)
        StageRequest.objects.update(status=RequestStatus.REJECTED)
        report, _ = run(data, by=stan, dry_run=True)
        assert outcomes(report) == {signed.name: "此前的补录申请已被驳回，不再提交"}
        assert report.changes_nothing and not report.tallies
        run(data, by=stan)
        assert list(StageRequest.objects.values_list("status", flat=True)) == ["rejected"]

    def test_the_same_file_again_the_same_day_changes_nothing(self, stan, signed):
        data = workbook(listed(1, signed.name), row(2, "新项目", category="投产"))
        run(data, by=stan)
        before = state()
        report, _ = run(data, by=stan, dry_run=True)
        assert report.changes_nothing
        assert outcomes(report) == {
            "新项目": "已达到该阶段",
            signed.name: "已有待审批申请，不再提交",
        }
        assert not report.warnings, "its own request waiting is no news"
        run(data, by=stan)
        assert state() == before

    def test_the_command_without_a_user_opens_no_request_and_says_why(self, tmp_path, signed):
        path = tmp_path / "清单.xlsx"
        path.write_bytes(workbook(listed(1, signed.name)))
        out = io.StringIO()
        with time_machine.travel(AFTER, tick=False):
            call_command(
                "import_projects", str(path), "--batch", "2025-1", "--event-date", "2025-03-28",
                stdout=out, stderr=io.StringIO(),
            )  # fmt: skip
        assert not StageRequest.objects.exists()
        assert "未指明导入人（--user），不提交补录申请。" in out.getvalue()

    def test_the_queries_do_not_grow_with_the_rows(self, stan, zone):
        def queries(count: int) -> int:
            names = [f"项目{count}-{n}" for n in range(count)]
            for name in names:
                ProjectFactory(zone=zone, name=name, stage=Stage.SIGNED)
            data = workbook(*(listed(n, name) for n, name in enumerate(names, 1)))
            with CaptureQueriesContext(connection) as captured:
                report, _ = run(data, by=stan)
            assert report.tallies == {"将提交的补录申请": count}
            return len(captured)

        run(workbook(row(1, "先导入的项目")), by=stan)  # the round exists for both
        assert queries(3) == queries(30)


class TestARoundAhead:
    def test_the_category_is_a_plan_on_the_event_date(self, stan, signed):
        report, _ = run(workbook(listed(1, signed.name), row(2, "新项目")), by=stan, when=BEFORE)
        assert outcomes(report) == {
            "新项目": "计划开工日期：2025年3月28日",
            signed.name: "计划开工日期：2025年3月28日",
        }
        assert not StageRequest.objects.exists()
        for project in Project.objects.all():
            milestone = project.milestones.get()
            assert (milestone.stage, milestone.planned_date, milestone.actual_date) == (
                Stage.UNDER_CONSTRUCTION,
                EVENT,
                None,
            )
        assert Project.objects.get(name="新项目").stage == Stage.RESERVE

    def test_the_same_file_after_the_event_turns_the_plans_into_requests(self, stan, signed):
        data = workbook(listed(1, signed.name), row(2, "新项目"))
        run(data, by=stan, when=BEFORE)
        report, _ = run(data, by=stan, dry_run=True)  # on 2025-04-07
        assert outcomes(report) == {
            signed.name: "将提交补录申请：已签约 → 已开工，待分管领导审批",
            "新项目": "将提交补录申请：储备/洽谈 → 已开工，待分管领导审批",
        }
        run(data, by=stan)
        asked = StageRequest.objects.order_by("project__name")
        assert [(r.project.name, r.transition, r.evidence) for r in asked] == [
            (signed.name, "start_works", {"start_date": "2025-03-28"}),
            ("新项目", "start_works", {"start_date": "2025-03-28"}),
        ]
        assert {r.batch_entry.batch for r in asked} == {Batch.objects.get()}


class TestThePortfolio:
    """The 陵川 winter-action list: 当前阶段, no 类别."""

    HEADER = ["序号", "项目名称", "所在开发区", "当前阶段", "总投资（亿元）", "行业"]

    def portfolio(self, *names_and_stages) -> bytes:
        rows = [[n, name, "晋中开发区", stage, 1.5, "新材料"] for n, (name, stage) in enumerate(names_and_stages, 1)]  # fmt: skip
        return workbook(*rows, header=self.HEADER, title="陵川县冬季行动重点项目清单")

    def test_the_command_without_a_batch_imports_it_without_a_round(self, tmp_path, zone, stan):
        stored = ProjectFactory(zone=zone, name="已有项目", stage=Stage.SIGNED, industry="")
        path = tmp_path / "重点项目.xlsx"
        path.write_bytes(self.portfolio(("甲项目", "在建"), ("乙项目", ""), ("已有项目", "已投产")))
        out = io.StringIO()
        call_command("import_projects", str(path), "--user", "stan", stdout=out)
        stages = dict(Project.objects.values_list("name", "stage"))
        assert stages == {
            "甲项目": Stage.UNDER_CONSTRUCTION,
            "乙项目": Stage.RESERVE,
            "已有项目": Stage.SIGNED,  # a different stage is a warning only
        }
        assert Project.objects.get(name="甲项目").total_investment == 15000
        assert Project.objects.get(pk=stored.pk).industry == "新材料"  # facts filled
        assert not Batch.objects.exists() and not BatchEntry.objects.exists()
        assert not StageRequest.objects.exists() and not Milestone.objects.exists()
        assert "阶段只能经审批的申请变更" in out.getvalue()
        assert "新建（已开工）：1" in out.getvalue() and "新建（储备/洽谈）：1" in out.getvalue()
        record = SpreadsheetImport.objects.get()
        assert (record.batch_year, record.batch, record.status) == (None, None, "applied")

    def test_the_page_offers_no_round(self, as_user, stan, zone):
        client = as_user(stan)
        upload = reverse("admin:approvals_project_spreadsheet_import")
        file = io.BytesIO(self.portfolio(("甲项目", "在建")))
        file.name = "重点项目.xlsx"
        response = client.post(upload, {"file": file, "list_kind": "portfolio"})
        assert response.status_code == 302, response.content.decode()[:2000]
        page = client.get(response["Location"]).content.decode()
        assert "不属于任何批次（重点项目清单）" in page and "新建，阶段：已开工" in page
        client.post(response["Location"])
        assert Project.objects.get(name="甲项目").stage == Stage.UNDER_CONSTRUCTION
        assert not BatchEntry.objects.exists()

    def test_the_command_refuses_an_event_date_without_a_round(self, tmp_path, zone):
        path = tmp_path / "重点项目.xlsx"
        path.write_bytes(self.portfolio(("甲项目", "在建")))
        with pytest.raises(CommandError, match="--batch"):
            call_command("import_projects", str(path), "--event-date", "2025-03-28")
        assert not Project.objects.exists()

    def test_the_page_asks_for_the_round_unless_no_round_is_chosen(self, as_user, stan, zone):
        file = io.BytesIO(self.portfolio(("甲项目", "在建")))
        file.name = "重点项目.xlsx"
        upload = reverse("admin:approvals_project_spreadsheet_import")
        response = as_user(stan).post(upload, {"file": file, "list_kind": "round"})
        assert response.status_code == 200
        assert response.context["form"].errors["year"] == ["请填写批次，或选择“不属于任何批次”。"]
        assert not SpreadsheetImport.objects.exists()

    def test_with_a_round_chosen_a_row_without_a_category_stays_an_error(self, stan):
        report, _ = run(self.portfolio(("甲项目", "在建")), by=stan)
        assert [e.reason.split("：")[0] for e in report.errors] == ["缺少类别"]
        assert not Project.objects.exists()


def test_the_rule_reads_plain_values():
    """``round_outcome`` over plain values: the one home the preview and the write read."""
    rule = dict(category="start", event_date=EVENT, today=D(2025, 4, 7))
    assert round_outcome(**rule).effect == Effect.CREATED
    assert round_outcome(**rule, stage=Stage.READY).effect == Effect.REQUEST
    assert round_outcome(**rule, stage=Stage.IN_PRODUCTION).effect == Effect.REACHED
    assert round_outcome(**{**rule, "today": D(2025, 3, 27)}, stage="ready").effect == Effect.PLAN
    assert round_outcome(**{**rule, "today": EVENT}, stage="ready").effect == Effect.REQUEST
    assert round_outcome(**rule, stage="ready", entry_request="pending").effect == "own_pending"
    assert round_outcome(category="", event_date=None, today=EVENT, stage="ready").effect == (
        Effect.NOTHING
    )
