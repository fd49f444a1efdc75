"""A later list corrects what an earlier import wrote (guide section 12): a fact an import wrote
and nobody changed since is updated by a list of the same round or a later one, with both files
named in the project's history; a fact a person entered is kept and the difference warned; an
older round never overwrites a newer import's fact. Where a fact came from is read from the
project's history (``approvals.spreadsheets.provenance``), once per chunk."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import BatchEntry, Project, SpreadsheetImport, Stage
from approvals.spreadsheets import imports, provenance
from approvals.spreadsheets.models import REASON_LENGTH, import_named
from approvals.spreadsheets.project_list import BatchSpec
from tests.admin_helpers import change_form_data
from tests.project_lists import ROUND_1, received, row, workbook
from zones.models import Enterprise

pytestmark = pytest.mark.django_db

D = dt.date
ROUND_2 = BatchSpec(2025, 2, D(2025, 6, 27))
NAME = "晋中碳纤维项目"


def imported(by, yi, *, spec=ROUND_1, name="a.xlsx", dry_run=False, **cells):
    data = workbook(row(1, NAME, stage="在建", yi=yi, **cells))
    record = received(data, by=by, spec=spec, name=name)
    action = imports.preview if dry_run else imports.apply
    return action(record, data), record


def stored() -> Project:
    return Project.objects.get(name=NAME)


def edited_by_hand(client, project: Project, **changes) -> None:
    url = reverse("admin:approvals_project_change", args=[project.pk])
    response = client.post(url, change_form_data(client, url, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors


class TestAnImportsFact:
    def test_a_corrected_list_of_the_same_round_updates_it_naming_both_files(self, stan):
        _report, first = imported(stan, 8, name="晋中清单.xlsx")
        report, second = imported(stan, 9, name="晋中清单（更正）.xlsx")

        assert stored().total_investment == Decimal("90000")
        assert report.warnings == [] and report.changed == 1
        fact, entry = report.samples["changed"][0]["changes"]
        assert fact == [
            "总投资（万元）",
            "80000 万元",
            "90000 万元",
        ]  # the project's, as the round's
        assert entry[1:] == ["80000.00", "90000.00"]
        latest = stored().history.latest()
        reason = latest.history_change_reason
        assert "晋中清单.xlsx" in reason and "晋中清单（更正）.xlsx" in reason
        assert f"#{first.pk}" in reason and f"#{second.pk}" in reason
        assert latest.history_user == stan
        # the round's entry reports the corrected figure, and the fact follows it
        assert BatchEntry.objects.get().total_investment == stored().total_investment

    def test_a_later_round_updates_it_and_a_person_editing_another_field_changes_nothing(
        self, stan, alice, as_user
    ):
        imported(stan, 8)
        edited_by_hand(as_user(alice), stored(), progress="主体施工")
        report, _ = imported(stan, 9, spec=ROUND_2, name="b.xlsx")
        assert stored().total_investment == Decimal("90000")
        assert report.warnings == []

    def test_a_fact_corrected_once_is_corrected_again_by_a_third_list(self, stan):
        imported(stan, 8)
        imported(stan, 9, name="b.xlsx")
        imported(stan, 10, spec=ROUND_2, name="c.xlsx")
        assert stored().total_investment == Decimal("100000")
        reason = stored().history.latest().history_change_reason
        assert "c.xlsx" in reason and "b.xlsx" in reason and "a.xlsx" not in reason

    def test_an_older_round_after_a_newer_one_keeps_it_and_says_whose_it_is(self, stan):
        _report, newer = imported(stan, 9, spec=ROUND_2, name="二季度.xlsx")
        report, _ = imported(stan, 8, spec=ROUND_1, name="一季度.xlsx")

        assert stored().total_investment == Decimal("90000")
        [warning] = report.warnings
        assert warning.column == "总投资（亿元）"
        assert "保留原值" in warning.reason and f"#{newer.pk}" in warning.reason
        assert "二季度.xlsx" in warning.reason and "2025-06-27" in warning.reason
        # the older round keeps its own figure, as reported
        entries = BatchEntry.objects.order_by("batch__round")
        assert [e.total_investment for e in entries] == [Decimal("80000"), Decimal("90000")]

    def test_a_preview_shows_the_correction_and_writes_nothing(self, stan):
        imported(stan, 8)
        report, _ = imported(stan, 9, name="b.xlsx", dry_run=True)
        assert report.changed == 1 and report.warnings == []
        assert stored().total_investment == Decimal("80000")


class TestThePortfolio:
    """A list without a round (the zone's 重点项目清单) stands where it was imported: it corrects
    any import's fact, and a round held before that day does not correct its facts."""

    HEADER = ["序号", "项目名称", "所在开发区", "当前阶段", "总投资（亿元）"]

    def portfolio(self, by, yi):
        data = workbook(
            [1, NAME, "晋中开发区", "在建", yi], header=self.HEADER, title="重点项目清单"
        )
        record = imports.receive(
            "project_list", data, "重点项目.xlsx", by=by, source="test", year=None, round=None
        )
        return imports.apply(record, data), record

    def test_it_corrects_a_rounds_fact(self, stan):
        _report, first = imported(stan, 8, spec=ROUND_2)
        report, second = self.portfolio(stan, 9)
        assert report.ok and report.warnings == []
        assert stored().total_investment == Decimal("90000")
        reason = stored().history.latest().history_change_reason
        assert f"#{second.pk}" in reason and f"#{first.pk}" in reason and "重点项目.xlsx" in reason

    def test_an_earlier_round_imported_after_it_keeps_its_fact(self, stan):
        self.portfolio(stan, 9)
        report, _ = imported(stan, 8, spec=ROUND_2)
        assert stored().total_investment == Decimal("90000")
        [warning] = [w for w in report.warnings if w.column == "总投资（亿元）"]
        assert "重点项目.xlsx" in warning.reason


class TestAPersonsFact:
    def test_a_hand_edit_after_the_import_is_kept_and_the_difference_warned(
        self, stan, alice, as_user
    ):
        imported(stan, 8)
        edited_by_hand(as_user(alice), stored(), total_investment="85000")
        report, _ = imported(stan, 9, name="b.xlsx")

        assert stored().total_investment == Decimal("85000")
        [warning] = report.warnings
        assert "保留原值" in warning.reason and "人工录入" in warning.reason
        assert BatchEntry.objects.get().total_investment == Decimal("90000")

    def test_a_project_entered_by_hand_keeps_its_facts(self, stan, zone):
        Project.objects.create(zone=zone, name=NAME, total_investment=Decimal("70000"))
        report, _ = imported(stan, 9)
        assert stored().total_investment == Decimal("70000")
        [warning] = [w for w in report.warnings if w.column == "总投资（亿元）"]
        assert "人工录入" in warning.reason

    def test_a_fact_changed_outside_the_history_counts_as_a_persons(self, stan):
        imported(stan, 8)
        Project.objects.filter(name=NAME).update(total_investment=Decimal("85000"))
        imported(stan, 9, name="b.xlsx")
        assert stored().total_investment == Decimal("85000")

    def test_other_facts_follow_the_same_rule_each_on_its_own(self, stan, alice, as_user):
        """The import wrote the investment and the enterprise; a person changed the enterprise
        only: the next list corrects the investment and keeps the person's enterprise."""
        imported(stan, 8, enterprise="大恒能源")
        edited_by_hand(as_user(alice), stored(), industry="光伏")  # a fact the list leaves empty
        project = stored()
        project.enterprise = Enterprise.objects.create(name="大恒新能源")
        project.save()
        report, _ = imported(stan, 9, name="b.xlsx", enterprise="大恒能源")
        project = stored()
        assert (project.total_investment, project.enterprise.name) == (
            Decimal("90000"),
            "大恒新能源",
        )
        assert [w.column for w in report.warnings] == ["项目单位"]


class TestTheDashboard:
    def test_it_shows_the_corrected_investment_in_yi(
        self, stan, bob, as_user, celery_inline, django_capture_on_commit_callbacks
    ):
        """Each import committed, the worker (inline) counts the zone again: the dashboard
        shows the corrected figure (approvals/figures/kept.py)."""

        def under_construction() -> float:
            html = as_user(bob).get(reverse("admin:index")).content.decode()
            found = re.search(
                rf'<tr id="stage-{Stage.UNDER_CONSTRUCTION}"[^>]*>(.*?)</tr>', html, re.S
            )
            return float(re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", found.group(1))[1])

        with django_capture_on_commit_callbacks(execute=True):
            imported(stan, 8)
        assert under_construction() == 8.0
        with django_capture_on_commit_callbacks(execute=True):
            imported(stan, 9.5, name="b.xlsx")
        assert under_construction() == 9.5


class TestReadingTheHistory:
    def test_the_import_a_reason_names_is_read_back_whatever_the_language_and_length(self, stan):
        from django.utils import translation

        record = SpreadsheetImport.objects.create(
            token="t", kind="project_list", file_name="很长的文件名" * 30 + ".xlsx"
        )
        for language in ("en", "zh-hans"):
            with translation.override(language):
                label = record.label
                correction = record.correction_label(7, "另一个很长的文件名" * 20 + ".xlsx")
            assert len(label) <= REASON_LENGTH and len(correction) <= REASON_LENGTH
            assert import_named(label) == import_named(correction) == record.pk
            assert "#7" in correction and "另一个" in correction
        # labels written before the import's number came first
        assert import_named("导入“清单 #3.xlsx”（第12次导入）") == 12
        assert import_named("import of “清单 #3.xlsx” (#12)") == 12

    def test_a_reason_that_names_no_import_is_a_persons(self):
        for reason in (None, "", "签约：上传协议", "导入“清单.xlsx”"):
            assert import_named(reason) is None

    def test_a_list_without_a_round_corrects_any_imports_fact_and_never_a_persons(self):
        source = provenance.Written(1, "a.xlsx", D(2025, 6, 27))
        assert provenance.may_correct(source, None)
        assert provenance.may_correct(source, D(2025, 6, 27))
        assert not provenance.may_correct(source, D(2025, 6, 26))
        assert not provenance.may_correct(None, None)

    def test_the_history_is_asked_once_per_chunk_however_many_projects_differ(self, stan, settings):
        """Two queries for the chunk (the projects' history, the imports it names), none when
        nothing differs."""
        rows = lambda yi: workbook(*(row(n, f"项目{n}", yi=yi) for n in range(1, 41)))  # noqa: E731

        def queries(data: bytes, name: str) -> int:
            record = received(data, by=stan, name=name)
            with CaptureQueriesContext(connection) as captured:
                imports.preview(record, data)
            return sum("approvals_historicalproject" in q["sql"] for q in captured.captured_queries)

        imports.apply(received(rows(8), by=stan), rows(8))
        assert queries(rows(8), "same.xlsx") == 0
        assert queries(rows(9), "b.xlsx") == 1
        settings.SPREADSHEET_CHUNK_ROWS = 10
        assert queries(rows(9), "c.xlsx") == 4
