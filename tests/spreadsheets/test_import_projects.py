"""Importing a quarterly 三个一批 list (guide sections 8.1 and 11): batches and their entries,
matching by code then by name within the zone, new projects with a stage that came from
somewhere, facts filled (a stored one is corrected only where an import wrote it:
test_corrections_by_provenance), plans set by the category, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from approvals.checklist import foresight
from approvals.checklist.services import checklist_generate
from approvals.models import (
    BatchEntry,
    Milestone,
    Mode,
    Project,
    SpreadsheetImport,
    Stage,
    StageChange,
)
from approvals.spreadsheets import imports
from approvals.spreadsheets.project_list import BatchSpec
from approvals.stages import workflow
from tests.factories import EnterpriseFactory, ProjectFactory
from tests.project_lists import ROUND_1, received, row, state, workbook
from zones.models import Enterprise

D = dt.date
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def run(data: bytes, *, by=None, spec=ROUND_1, dry_run=False, name="清单.xlsx"):
    record = received(data, by=by, spec=spec, name=name)
    action = imports.preview if dry_run else imports.apply
    return action(record, data), record


class TestANewProject:
    def test_it_is_created_with_its_facts_entry_milestone_and_stage_record(self, stan, zone):
        data = workbook(
            row(
                1,
                "晋中碳纤维项目（一期）",
                stage="已签约",
                yi=2.5,
                code="２５０９－１４０６０２－８９－０５－８６４９７６",
            )
        )
        report, record = run(data, by=stan)

        assert (report.created, report.errors) == (1, [])
        project = Project.objects.get(name="晋中碳纤维项目（一期）")
        assert (project.zone, project.stage, project.total_investment, project.code) == (
            zone,
            Stage.SIGNED,
            Decimal("25000.00"),
            "2509-140602-89-05-864976",
        )
        assert project.enterprise.name == "大恒能源"
        created = project.stage_changes.get()
        assert (created.source, created.target, created.by) == ("", Stage.SIGNED, stan)
        assert "清单.xlsx" in created.comment and created.evidence["import"] == record.pk
        entry = BatchEntry.objects.get(project=project)
        assert (entry.batch.year, entry.batch.round, entry.category, entry.total_investment) == (
            2025,
            1,
            "start",
            Decimal("25000.00"),
        )
        assert "清单.xlsx · 清单 · 3" == entry.source
        # the stage column wins over the category (开工): the past event dates no milestone
        assert not project.milestones.exists()
        assert report.samples["created"][0]["outcome"] == "新建，阶段：已签约"
        assert project.history.count() == 1

    def test_a_row_planning_the_date_wins_over_the_event_date_and_a_month_means_its_end(self, stan):
        run(
            workbook(row(1, "甲项目", start="2025年6月"), row(2, "乙项目", start=D(2025, 5, 20))),
            by=stan,
        )
        assert Milestone.objects.get(project__name="甲项目").planned_date == D(2025, 6, 30)
        assert Milestone.objects.get(project__name="甲项目").planned_month_only
        assert Milestone.objects.get(project__name="乙项目").planned_date == D(2025, 5, 20)

    def test_without_a_stage_column_it_starts_in_reserve_for_a_round_still_ahead(self, stan):
        with time_machine.travel(dt.datetime(2025, 3, 1, 10, 0, tzinfo=TZ), tick=False):
            report, _ = run(
                workbook(["甲项目", "晋中开发区", "签约"], header=["项目名称", "开发区", "类别"]),
                by=stan,
            )
        project = Project.objects.get(name="甲项目")
        assert project.stage == Stage.RESERVE
        signing = project.milestones.get()
        assert (signing.stage, signing.planned_date, signing.actual_date) == (
            Stage.SIGNED,
            D(2025, 3, 28),
            None,
        )
        assert report.samples["created"][0]["outcome"] == "计划签约日期：2025年3月28日"

    def test_the_sheet_name_gives_the_category(self, stan):
        data = workbook(["甲项目", "晋中开发区"], header=["项目名称", "园区"], sheet=" 投产一批 ")
        report, _ = run(data, by=stan)
        assert report.ok
        assert BatchEntry.objects.get().category == "produce"
        assert Milestone.objects.get().stage == Stage.IN_PRODUCTION
        assert Project.objects.get().stage == Stage.IN_PRODUCTION


class TestAnExistingProject:
    @pytest.fixture
    def listed(self, zone, alice):
        project = ProjectFactory(
            zone=zone,
            name="大恒能源7GW光伏垂直一体化项目",
            code="2509-140602-89-05-864976",
            total_investment=500000,
            enterprise__name="大恒能源",
            industry="",
        )
        return project

    @pytest.mark.parametrize("stored_plan", [None, D(2099, 12, 31)])
    def test_a_start_planned_by_the_list_flags_a_foreseen_delay(
        self, stan, listed, alice, catalogue, stored_plan
    ):
        """Works planned two days from now; LX08 (10 working days, not applied for) cannot be
        settled by then: the project is at risk as soon as the list is imported, whether the
        list plans the start first or moves a stored plan."""
        Project.objects.filter(pk=listed.pk).update(stage=Stage.SIGNED, officer=alice)
        listed.refresh_from_db()
        checklist_generate(project=listed, by=alice)
        for item in listed.start_blockers().exclude(approval_type__code="LX08"):
            workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason="测试")
        if stored_plan:
            Milestone.objects.create(
                project=listed, stage=Stage.UNDER_CONSTRUCTION, planned_date=stored_plan
            )
        foresight.refresh()
        listed.refresh_from_db()
        assert listed.at_risk_since is None
        soon = timezone.localdate() + dt.timedelta(days=2)
        ahead = BatchSpec(soon.year + 1, 1, soon + dt.timedelta(days=30))  # the category plans
        report, _ = run(workbook(row(1, listed.name, start=soon)), by=stan, spec=ahead)
        assert report.ok and report.changed == 1
        listed.refresh_from_db()
        assert listed.at_risk_since == timezone.localdate()

    def test_it_is_matched_by_code_first_then_by_name_in_its_zone(self, stan, listed):
        report, _ = run(
            workbook(
                row(1, "另一个名字的项目", code="2509-140602-89-05-864976"),
                row(2, "大恒能源7GW光伏垂直一体化项目 "),
            ),
            by=stan,
        )
        assert report.errors[0].reason.startswith("与第3行是同一项目")
        assert Project.objects.count() == 1

    @pytest.mark.parametrize("chunk_rows", [5000, 1], ids=["one-chunk", "a-chunk-each"])
    @pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "preview"])
    def test_two_rows_with_one_code_are_refused_at_the_second(
        self, stan, zone, settings, chunk_rows, dry_run
    ):
        """A code is one project's: two new rows giving it are one project named twice, whether
        they fall in one chunk (neither stored yet: the database would refuse the second) or
        in two (the first stored when the second is compared)."""
        settings.SPREADSHEET_CHUNK_ROWS = chunk_rows
        before = state()
        code = "2509-140602-89-05-864976"
        report, _ = run(
            workbook(row(1, "甲项目", code=code), row(2, "乙项目", code=code), row(3, "丙项目")),
            by=stan,
            dry_run=dry_run,
        )
        assert [(e.row, e.column) for e in report.errors] == [(4, "项目代码")]
        assert report.errors[0].reason == (
            f"项目代码 {code} 与第3行相同：一份清单中每个项目只能出现一次。"
        )
        assert not report.applied and state() == before

    def test_empty_facts_are_filled_and_different_ones_kept_with_a_warning(self, stan, listed):
        data = workbook(
            ["大恒能源7GW光伏垂直一体化项目", "晋中开发区", "开工", 80, "光伏", "SECRET"],
            header=["项目名称", "所在开发区", "类别", "总投资（亿元）", "行业", "备注"],
        )
        report, _ = run(data, by=stan)
        listed.refresh_from_db()
        assert listed.total_investment == Decimal("500000")  # kept
        assert listed.industry == "光伏"  # filled
        assert any("保留原值" in w.reason for w in report.warnings)
        entry = BatchEntry.objects.get(project=listed)
        assert entry.total_investment == Decimal("800000.00")  # as reported in this list
        assert report.changed == 1 and listed.history.first().history_user == stan

    def test_a_different_stage_is_a_warning_never_applied(self, stan, listed):
        report, _ = run(workbook(row(1, "大恒能源7GW光伏垂直一体化项目", stage="已投产")), by=stan)
        assert listed.stage == Project.objects.get(pk=listed.pk).stage == Stage.RESERVE
        assert any("阶段只能经审批的申请变更" in w.reason for w in report.warnings)
        assert StageChange.objects.filter(project=listed).count() == 1  # its creation only

    def test_the_category_moves_its_milestone_and_the_move_is_in_history(self, stan, listed):
        with time_machine.travel(dt.datetime(2025, 3, 1, 10, 0, tzinfo=TZ), tick=False):
            Milestone.objects.create(
                project=listed, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2025, 1, 31)
            )
            run(workbook(row(1, "大恒能源7GW光伏垂直一体化项目")), by=stan)  # a round ahead
        milestone = Milestone.objects.get(project=listed)
        assert milestone.planned_date == D(2025, 3, 28)
        history = list(milestone.history.order_by("history_id"))
        assert [h.planned_date for h in history] == [D(2025, 1, 31), D(2025, 3, 28)]
        assert history[-1].history_user == stan

    def test_a_project_listed_in_two_rounds_keeps_an_entry_for_each(self, stan, listed):
        run(workbook(row(1, "大恒能源7GW光伏垂直一体化项目", category="签约", yi=40)), by=stan)
        run(
            workbook(row(1, "大恒能源7GW光伏垂直一体化项目", category="开工", yi=50)),
            by=stan,
            spec=BatchSpec(2025, 3, D(2025, 9, 26)),
        )
        entries = BatchEntry.objects.filter(project=listed).order_by("batch__round")
        assert [(e.batch.round, e.category, e.total_investment) for e in entries] == [
            (1, "sign", Decimal("400000.00")),
            (3, "start", Decimal("500000.00")),
        ]

    def test_an_enterprise_written_with_other_brackets_is_the_one_recorded(self, stan, listed):
        recorded = listed.enterprise
        recorded.name = "大恒能源（集团）有限公司"
        recorded.save()
        other_way = "大恒能源(集团) 有限公司"
        data = workbook(
            row(1, listed.name, enterprise=other_way), row(2, "甲项目", enterprise=other_way)
        )
        report, _ = run(data, by=stan)
        assert report.errors == []
        assert list(Enterprise.objects.values_list("pk", flat=True)) == [recorded.pk]
        assert Project.objects.get(name="甲项目").enterprise_id == recorded.pk
        # the round's entry keeps the list as it reported the enterprise
        assert set(BatchEntry.objects.values_list("enterprise", flat=True)) == {other_way}

    def test_of_two_recorded_under_one_key_the_list_takes_the_one_the_form_names(self, stan):
        # recorded before the key existed, as lists did: two spellings of one company
        first = EnterpriseFactory(name="大恒能源(集团)")
        EnterpriseFactory(name="大恒能源（集团）")
        data = workbook(row(1, "甲项目", enterprise="大恒能源 （集团）"))
        report, _ = run(data, by=stan)
        assert report.errors == []
        taken = Project.objects.get(name="甲项目").enterprise
        assert taken == Enterprise.recorded_as("大恒能源 （集团）") == first
        assert Enterprise.objects.count() == 2

    def test_of_two_projects_recorded_under_one_key_the_list_takes_the_one_the_form_names(
        self, stan, zone
    ):
        # recorded before the project form refused the second spelling
        first = ProjectFactory(zone=zone, name="示范园（二期）", total_investment=None)
        ProjectFactory(zone=zone, name="示范园(二期)", total_investment=None)
        report, _ = run(workbook(row(1, "示范园 (二期)", yi="3.5")), by=stan)
        assert report.errors == []
        assert Project.recorded_as(zone.pk, "示范园 (二期)") == first
        assert Project.objects.get(pk=first.pk).total_investment == Decimal("35000")
        assert Project.objects.count() == 2

    @pytest.mark.parametrize("chunk_rows", [5000, 1])
    def test_a_new_enterprise_written_two_ways_is_made_once(self, stan, settings, chunk_rows):
        settings.SPREADSHEET_CHUNK_ROWS = chunk_rows
        data = workbook(
            row(1, "甲项目", enterprise="晋中华为技术（山西）有限公司"),
            row(2, "乙项目", enterprise="晋中华为技术(山西)有限公司"),
        )
        report, _ = run(data, by=stan)
        assert report.errors == []
        (enterprise,) = Enterprise.objects.all()
        assert (enterprise.name, enterprise.name_key) == (
            "晋中华为技术（山西）有限公司",  # as the list first wrote it
            "晋中华为技术(山西)有限公司",
        )
        assert set(Project.objects.values_list("enterprise_id", flat=True)) == {enterprise.pk}

    def test_the_officer_column_finds_the_officer_of_the_zone_by_name(
        self, stan, alice, listed, charlie
    ):
        listed.officer = None
        listed.save()
        report, _ = run(
            workbook(
                row(1, "大恒能源7GW光伏垂直一体化项目", officer="艾丽"),
                row(2, "新项目", officer="查理"),
            ),
            by=stan,
        )
        assert Project.objects.get(pk=listed.pk).officer == alice
        assert Project.objects.get(name="新项目").officer is None  # 查理 works in another zone
        assert any("查理" in w.reason for w in report.warnings)


class TestAllOrNothing:
    def test_three_bad_rows_in_forty_are_all_reported_and_nothing_is_saved(self, stan):
        rows = [row(n, f"第{n}号项目", yi=1) for n in range(1, 41)]
        rows[4][4] = "火星开发区"  # unknown zone
        rows[17][7] = "-3"  # negative amount
        rows[29][8] = "2025年13月"  # impossible date
        before = state()
        report, _ = run(workbook(*rows), by=stan)
        assert sorted((e.row, e.column) for e in report.errors) == [
            (7, "所在开发区"),
            (20, "总投资（亿元）"),
            (32, "计划开工时间"),
        ]
        assert all(e.sheet == "清单" and e.reason for e in report.errors)
        assert state() == before

    def test_an_enterprise_name_longer_than_its_column_is_an_error_at_its_cell(self, stan):
        long_name = "晋中" + "新材料" * 66 + "有限公司"  # 204 characters: no enterprise's name
        data = workbook(row(1, "甲项目"), row(2, "乙项目", enterprise=long_name))
        before = state()
        report, _ = run(data, by=stan)
        assert [(e.row, e.column, e.reason) for e in report.errors] == [
            (4, "项目单位", "企业名称超过200个字符。")
        ]
        assert state() == before

    def test_a_longer_industry_or_unit_is_cut_to_its_column_with_a_warning(self, stan):
        industry = "新一代信息技术" * 8  # 56 characters, the column keeps 50
        unit = "晋中国家农业高新技术产业示范区管理委员会" * 6  # 120, the column keeps 100
        data = workbook(
            ["甲项目", "晋中开发区", "开工", 1, industry, unit],
            header=["项目名称", "所在开发区", "类别", "总投资（亿元）", "行业", "责任单位"],
        )
        report, _ = run(data, by=stan)
        assert report.errors == []
        assert sorted((w.row, w.column, w.reason) for w in report.warnings) == [
            (3, "行业", "超过50个字符：只保存前50个字符。"),
            (3, "责任单位", "超过100个字符：只保存前100个字符。"),
        ]
        project = Project.objects.get(name="甲项目")
        assert (project.industry, project.responsible_unit) == (industry[:50], unit[:100])

    def test_a_zone_where_the_importer_holds_no_role_is_an_error(self, charlie, zone):
        report, _ = run(workbook(row(1, "甲项目")), by=charlie)
        assert report.errors[0].reason == f"您无权为“{zone}”导入。"
        assert not Project.objects.exists()

    def test_a_leader_may_not_import_at_all(self, lily):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            run(workbook(row(1, "甲项目")), by=lily)

    def test_a_new_round_needs_its_event_date_and_an_old_one_keeps_its_own(self, stan):
        report, _ = run(workbook(row(1, "甲项目")), by=stan, spec=BatchSpec(2026, 1))
        assert "请填写活动日期" in report.errors[0].reason
        run(workbook(row(1, "甲项目")), by=stan)
        report, _ = run(workbook(row(1, "甲项目")), by=stan, spec=BatchSpec(2025, 1, D(2025, 4, 1)))
        assert "2025年3月28日" in report.errors[0].reason

    def test_reimporting_the_same_file_changes_nothing_and_says_so(self, stan, zone):
        data = workbook(
            row(1, "甲项目", stage="在建", yi=1.2, start="2025.06"),
            row(2, "乙项目", category="签约"),
        )
        run(data, by=stan)
        before = state()
        report, record = run(data, by=stan, dry_run=True)
        assert (report.created, report.changed, report.unchanged) == (0, 0, 2)
        assert report.changes_nothing and report.notes  # and that the same file was imported
        report, _ = run(data, by=stan)
        assert state() == before

    def test_a_preview_writes_nothing(self, stan):
        before = state()
        report, _ = run(workbook(row(1, "甲项目")), by=stan, dry_run=True)
        assert report.created == 1 and state() == before


class TestPostgreSQLStatistics:
    def test_a_large_import_counts_its_rows_for_the_planner_as_it_goes(
        self, postgres, stan, settings
    ):
        """Planned on the statistics of an empty table, looking up a chunk's names in a zone
        of thousands compared every pair (40 s of a 100,000-row import): the import counts the
        table again as it grows, inside its transaction."""
        from django.db import connection

        settings.SPREADSHEET_CHUNK_ROWS = 500
        report, _ = run(workbook(*(row(n, f"批量项目{n}") for n in range(1, 1501))), by=stan)
        assert report.created == 1500
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
                [["approvals_project", "approvals_milestone", "approvals_batchentry"]],
            )
            counted = dict(cursor.fetchall())
        assert counted == {
            "approvals_project": 1000,  # counted after 1,000 new rows, not yet after 1,500
            "approvals_milestone": 1000,
            "approvals_batchentry": 1000,
        }


class TestTheCommand:
    def command(self, tmp_path, data: bytes, *options: str, stdout=None, stderr=None) -> None:
        """``import_projects`` of ``data`` written to a file, for the first round of 2025."""
        path = tmp_path / "清单.xlsx"
        path.write_bytes(data)
        call_command(
            "import_projects",
            str(path),
            "--batch",
            "2025-1",
            "--event-date",
            "2025-03-28",
            *options,
            stdout=stdout or io.StringIO(),
            stderr=stderr or io.StringIO(),
        )

    def test_it_imports_and_says_what_it_did(self, tmp_path, zone, stan):
        out = io.StringIO()
        self.command(tmp_path, workbook(row(1, "甲项目")), "--user", "stan", stdout=out)
        assert "新增 1" in out.getvalue()
        assert StageChange.objects.get(project__name="甲项目").by == stan

    def test_without_a_user_the_record_names_the_command_line(self, tmp_path, zone):
        self.command(tmp_path, workbook(row(1, "甲项目")))
        record = SpreadsheetImport.objects.get()
        assert record.by is None and record.source.startswith("命令行：")
        assert StageChange.objects.get(project__name="甲项目").by is None

    def test_a_bad_file_exits_non_zero_listing_the_rows_and_saves_nothing(self, tmp_path, zone):
        err = io.StringIO()
        with pytest.raises(CommandError):
            self.command(tmp_path, workbook(row(1, "甲项目", zone="无此开发区")), stderr=err)
        assert "第3行" in err.getvalue() and "无此开发区" in err.getvalue()
        assert not Project.objects.exists()

    def test_a_dry_run_saves_nothing(self, tmp_path, zone):
        out = io.StringIO()
        self.command(tmp_path, workbook(row(1, "甲项目")), "--dry-run", stdout=out)
        assert "试运行，未保存任何内容" in out.getvalue() and not Project.objects.exists()
        assert not SpreadsheetImport.objects.exists()  # not even the record of the import
