"""Figures follow every change (guide section 12): the dashboard's figures kept per zone
(approvals/figures/kept.py), counted again by the worker after a change commits — in the zones
it touched, only those — and shown with "截至 HH:MM" and "更新中"; the rates saying their cohort
and period in words; a board over several zones composed from the zones' figures."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from approvals.figures import casework, changes, investment, kept, reports
from approvals.figures.reports import Selection
from approvals.models import (
    BatchEntry,
    Category,
    ImportKind,
    MonthlyProgress,
    Problem,
    ProblemCategory,
    Stage,
    ZoneFigures,
)
from tests import figures
from tests.factories import ProjectFactory
from tests.figures import NOW, TODAY, D, reached
from tests.figures.test_dashboard import note, tile
from tests.project_lists import received, row, workbook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

clock = figures.clock
rounds = figures.rounds
guide_example = figures.guide_example
readiness_cases = figures.readiness_cases
two_round_lists = figures.two_round_lists

INDEX = reverse("admin:index")


@pytest.fixture
def sent(monkeypatch) -> list[list[int]]:
    """The recounts sent to the worker (kept here: no worker runs them)."""
    sent: list[list[int]] = []

    def send(zones) -> bool:
        sent.append(list(zones))
        return True

    monkeypatch.setattr(changes, "send", send)
    return sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Commits, as it were, what the test wrote so far: its zones marked and their recounts
    sent (a test runs in one transaction, whose on-commit callbacks never run by themselves)."""

    def commit() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            changes.changed()

    return commit


def fresh(zone) -> ZoneFigures:
    return ZoneFigures.objects.get(pk=zone.pk)


def state_line(html: str) -> str:
    found = re.search(r'id="dashboard-state"[^>]*>(.*?)</div>', html, re.S)
    assert found, "no state line on the dashboard"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


# --- per zone: a change recounts its zone only ---------------------------------------------------


def test_a_change_in_one_zone_recounts_that_zone_and_leaves_the_other_untouched(
    as_user,
    superuser,
    zone,
    other_zone,
    guide_example,
    clock,
    celery_inline,
    committed,
    django_capture_on_commit_callbacks,
):
    committed()  # the worker counts both zones
    as_user(superuser).get(INDEX)
    before_a, before_b = fresh(zone), fresh(other_zone)
    assert before_a.counted_at == before_b.counted_at == NOW
    clock.shift(dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        reached(guide_example[9], Stage.UNDER_CONSTRUCTION, D(2025, 10, 1))  # in 晋中
    after_a, after_b = fresh(zone), fresh(other_zone)
    assert after_a.version == before_a.version + 1 == after_a.counted_version
    assert after_a.counted_at == NOW + dt.timedelta(minutes=5)
    assert after_a.figures["conversion"]["started"] == 8
    # 祁县: neither marked nor counted
    assert (after_b.version, after_b.counted_at, after_b.figures) == (
        before_b.version,
        before_b.counted_at,
        before_b.figures,
    )


def test_a_recount_sent_twice_counts_once(zone, guide_example, clock, committed, celery_inline):
    """A zone's recount queued twice (two changes, a message sent again): the second finds the
    figures counting every change already, and keeps them as they are."""
    from approvals import tasks

    committed()  # counted by the worker, inline
    counted = fresh(zone)
    clock.shift(dt.timedelta(minutes=3))
    assert tasks.recount_figures.delay([zone.pk]).get() == []
    assert fresh(zone).counted_at == counted.counted_at


def test_one_transaction_touching_two_zones_sends_one_recount_of_both(
    zone, other_zone, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        one = ProjectFactory(zone=zone)
        ProjectFactory(zone=other_zone)
        Problem.objects.create(
            project=one, description="用地未落实", category=ProblemCategory.LAND, reported_on=TODAY
        )
    assert sent == [sorted([zone.pk, other_zone.pk])]
    assert fresh(zone).version == fresh(other_zone).version == 1


def test_a_rolled_back_change_marks_nothing(zone, sent, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            ProjectFactory(zone=zone)
            raise RuntimeError
    assert sent == [] and not ZoneFigures.objects.filter(pk=zone.pk).exists()


def test_a_project_moved_to_another_zone_changes_both(
    zone, other_zone, sent, django_capture_on_commit_callbacks
):
    project = ProjectFactory(zone=zone)
    with django_capture_on_commit_callbacks(execute=True):
        project.zone = other_zone
        project.save()
    assert sent == [sorted([zone.pk, other_zone.pk])]


# --- the visit: 截至 and 更新中 -----------------------------------------------------------------


def test_the_dashboard_says_when_its_figures_were_counted_and_that_a_recount_runs(
    as_user, bob, zone, guide_example, clock, sent, committed, django_capture_on_commit_callbacks
):
    committed()
    sent.clear()
    client = as_user(bob)
    html = client.get(INDEX).content.decode()
    assert state_line(html).startswith("截至 10:00 ")
    assert "更新中" not in html
    clock.shift(dt.timedelta(minutes=7))
    with django_capture_on_commit_callbacks(execute=True):
        reached(guide_example[9], Stage.UNDER_CONSTRUCTION, D(2025, 10, 1))
    assert sent == [[zone.pk]]  # sent to the worker, which has not run yet
    html = client.get(INDEX).content.decode()
    assert state_line(html).startswith("截至 10:00 更新中")  # the kept figures meanwhile
    assert tile(html, "start_rate") == "70.0 %"
    kept.recount([zone.pk])  # the worker
    html = client.get(INDEX).content.decode()
    assert state_line(html).startswith("截至 10:07 ")
    assert "更新中" not in html
    assert tile(html, "start_rate") == "80.0 %"


def test_a_recount_lost_is_sent_again_by_a_visit_after_a_minute_once(
    as_user, bob, zone, guide_example, clock, sent, committed, django_capture_on_commit_callbacks
):
    committed()
    sent.clear()
    client = as_user(bob)
    client.get(INDEX)
    with django_capture_on_commit_callbacks(execute=True):
        reached(guide_example[9], Stage.UNDER_CONSTRUCTION, D(2025, 10, 1))
    client.get(INDEX)
    assert sent == [[zone.pk]]  # within the minute: waited for
    clock.shift(dt.timedelta(seconds=61))
    client.get(INDEX)
    client.get(INDEX)
    assert sent == [[zone.pk], [zone.pk]]  # sent again, by one visit


def test_figures_counted_yesterday_are_shown_updating_and_counted_for_today(
    as_user, bob, zone, guide_example, clock, sent
):
    client = as_user(bob)
    client.get(INDEX)
    clock.shift(dt.timedelta(days=1))
    client = as_user(bob)  # a day idle ends the session
    html = client.get(INDEX).content.decode()
    assert state_line(html).startswith("截至 2025-11-14 10:00 更新中")
    client.get(INDEX)
    assert sent == [[zone.pk]]  # once
    kept.recount([zone.pk])
    html = client.get(INDEX).content.decode()
    assert state_line(html).startswith("截至 10:00 ")  # 2025-11-15 10:00
    assert fresh(zone).figures["day"] == "2025-11-15"


def test_a_first_visit_with_nothing_kept_counts_once(as_user, bob, zone, guide_example, sent):
    assert not ZoneFigures.objects.exists()
    html = as_user(bob).get(INDEX).content.decode()
    assert tile(html, "start_rate") == "70.0 %"
    assert fresh(zone).counted_at == NOW
    assert sent == []  # nothing to send: counted


# --- an import that corrects a figure -----------------------------------------------------------


def test_an_import_correcting_a_round_shows_on_the_dashboard_after_the_worker_ran(
    as_user, stan, zone, celery_inline, django_capture_on_commit_callbacks
):
    from approvals.spreadsheets import imports

    client = as_user(stan)
    with django_capture_on_commit_callbacks(execute=True):
        imports.apply(received(workbook(row(1, "晋中储能项目", category="签约", yi=2.0)), stan))
    html = client.get(INDEX).content.decode()
    latest = re.search(r'id="dashboard-latest-batch"(.*?)</table>', html, re.S).group(1)
    assert ">2.00<" in latest
    with django_capture_on_commit_callbacks(execute=True):  # the same round, corrected
        report = imports.apply(
            received(workbook(row(1, "晋中储能项目", category="签约", yi=2.5)), stan)
        )
    assert report.applied
    assert BatchEntry.objects.get().total_investment == 25000  # the correction, stored
    html = client.get(INDEX).content.decode()
    latest = re.search(r'id="dashboard-latest-batch"(.*?)</table>', html, re.S).group(1)
    assert ">2.50<" in latest and ">2.00<" not in latest
    assert "更新中" not in html


def test_a_list_imported_again_unchanged_sends_no_recount_and_a_corrected_one_does(
    zone, other_zone, stan, sent, django_capture_on_commit_callbacks
):
    from approvals.spreadsheets import imports

    with django_capture_on_commit_callbacks(execute=True):
        ProjectFactory(zone=other_zone)
    sent.clear()
    first = workbook(row(1, "晋中储能项目", category="签约", yi=2.0))
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.apply(received(first, stan), first).applied
    assert sent == [[zone.pk]]
    kept_version = ZoneFigures.objects.filter(zone=zone).values_list("version", flat=True).get()
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the same list again
        report = imports.apply(received(first, stan), first)
    assert report.applied and report.unchanged == 1
    assert sent == []
    assert ZoneFigures.objects.get(zone=zone).version == kept_version
    corrected = workbook(row(1, "晋中储能项目", category="签约", yi=2.5))
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.apply(received(corrected, stan), corrected).applied
    assert sent == [[zone.pk]]
    assert ZoneFigures.objects.get(zone=zone).version > kept_version


def test_a_monthly_table_import_marks_the_zone_of_its_projects_only(
    zone, other_zone, stan, sent, settings, tmp_path, django_capture_on_commit_callbacks
):
    from approvals.spreadsheets import imports
    from tests.spreadsheets import test_import_monthly as monthly

    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        project = ProjectFactory(zone=zone, name="年产5万吨锂电池负极材料项目")
        ProjectFactory(zone=other_zone)
    sent.clear()
    data = monthly.table(monthly.row(project))
    record = imports.receive(ImportKind.MONTHLY_TABLE, data, monthly.FILE, by=stan, source="t")
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.apply(record, data).applied
    assert sent == [[zone.pk]]


# --- the rates say what they count --------------------------------------------------------------


def test_the_rates_count_the_projects_signed_in_the_last_twelve_months_and_say_so(
    as_user, bob, zone, clock
):
    """2025-11-14: the period runs from 2024-11-15. A project signed that day counts, one
    signed the day before does not; their words say the cohort and its count."""
    inside = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
    reached(inside, Stage.SIGNED, D(2024, 11, 15))
    reached(inside, Stage.UNDER_CONSTRUCTION, D(2025, 1, 10))
    outside = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    reached(outside, Stage.SIGNED, D(2024, 11, 14))
    html = as_user(bob).get(INDEX).content.decode()
    assert tile(html, "start_rate") == "100.0 %"
    assert note(html, "start_rate") == "近12个月签约的 1 个项目中已开工 1 个"
    assert "转化率均按近12个月签约的项目计（2024年11月15日至2025年11月14日）。" in state_line(html)


def test_cohort_words_for_each_kind_of_selection(rounds):
    assert reports.cohort_words(Selection(date_from=D(2024, 11, 15), date_to=TODAY)) == (
        "近12个月签约"
    )
    assert reports.cohort_words(Selection(date_from=D(2025, 1, 1), date_to=D(2025, 6, 30))) == (
        "2025年1月1日至2025年6月30日签约"
    )
    assert reports.cohort_words(Selection(date_from=D(2025, 1, 1))) == "2025年1月1日以来签约"
    assert reports.cohort_words(Selection(date_to=D(2025, 6, 30))) == "2025年6月30日以前签约"
    assert reports.cohort_words(Selection()) == "累计签约"
    named = Selection(batches=tuple(batch.pk for batch in rounds))
    assert reports.cohort_words(named) == (
        f"{rounds[0]}、{rounds[1]}签约一批所列"  # noqa: RUF001 - the Chinese list comma
    )
    assert reports.last_twelve_months(D(2028, 2, 29)) == (D(2027, 3, 1), D(2028, 2, 29))


def test_the_reports_page_shows_the_last_twelve_months_unless_asked_and_names_its_cohort(
    as_user, stan, guide_example
):
    from tests.figures.test_dashboard import report_cells

    client = as_user(stan)
    html = client.get(reverse("admin:reports")).content.decode()
    assert 'name="date_from" value="2024-11-15"' in html
    assert report_cells(html, "conversion")[0] == ["近12个月签约的项目（基数）", "10"]
    emptied = client.get(reverse("admin:reports"), {"date_from": "", "date_to": ""})
    cells = report_cells(emptied.content.decode(), "conversion")
    assert cells[0] == ["累计签约的项目（基数）", "10"]


# --- composing zones ----------------------------------------------------------------------------


def test_a_board_over_two_zones_is_the_same_as_counting_them_together(
    zone, other_zone, guide_example, readiness_cases, two_round_lists
):
    """Every figure the dashboard shows, composed from the two zones' kept figures, equals the
    same figure counted over both zones at once (they add up)."""
    Problem.objects.create(
        project=guide_example[0],
        description="用地未落实",
        category=ProblemCategory.LAND,
        reported_on=D(2025, 10, 1),
        deadline=D(2025, 10, 20),
    )
    Problem.objects.create(
        project=two_round_lists[3],
        description="资金未到位",
        category=ProblemCategory.FUNDS,
        reported_on=D(2025, 11, 1),
    )
    MonthlyProgress.objects.create(
        project=guide_example[0], month=D(2025, 10, 1), annual_plan=1200, completed_year=600
    )
    MonthlyProgress.objects.create(
        project=two_round_lists[3],
        month=D(2025, 9, 1),
        annual_plan=800,
        completed_month=30,  # 祁县 is behind: nothing in 晋中's October
        completed_year=100,
    )
    names = {zone.pk: zone.name, other_zone.pk: other_zone.name}
    composed = kept.for_board([zone.pk, other_zone.pk], names=names).figures
    both = Selection()
    signed = kept.rates_period(TODAY)
    conversion = reports.conversion(signed)
    assert composed["conversion"] == {
        key: value for key, value in conversion.items() if key != "cohort"
    }
    assert composed["readiness"] == reports.readiness(both)
    assert composed["stages"] == reports.by_stage(both)
    assert composed["rounds"] == reports.sanpi_rounds(both)
    assert composed["months"] == reports.per_month(both, today=TODAY)
    problems = casework.problems(both, today=TODAY)
    assert composed["problems"] == {key: problems[key] for key in kept.PROBLEM_COUNTS}
    assert composed["problems"]["unsolved"] == 2
    assert composed["investment"] == investment.latest_this_year(both, today=TODAY)


def test_a_leader_sees_its_own_projects_of_a_zone_and_they_follow_a_change(
    as_user, lily, other_zone, guide_example, django_capture_on_commit_callbacks
):
    """lily follows one project of 祁县 (no role there): her share of it, not the zone's."""
    followed = ProjectFactory(zone=other_zone, stage=Stage.SIGNED, leader=lily)
    reached(followed, Stage.SIGNED, D(2025, 3, 1))
    client = as_user(lily)
    only_qi = {"zone": other_zone.pk}
    assert tile(client.get(INDEX, only_qi).content.decode(), "start_rate") == "0.0 %"
    with django_capture_on_commit_callbacks(execute=True):
        reached(followed, Stage.UNDER_CONSTRUCTION, D(2025, 5, 1))
    assert tile(client.get(INDEX, only_qi).content.decode(), "start_rate") == "100.0 %"
    assert Category.SIGN  # the round's own projects in 祁县 are not hers
