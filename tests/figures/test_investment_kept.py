"""The investment report from the sums the worker keeps per zone and month
(approvals/figures/investment.py, ``kept_changes``; ``ZoneFigures.investment``, counted by
``kept.recount_zone``): the same figures as counted live, on the edge cases of
test_investment_sql.py (a month missing, a plan stated once then restated, a cumulative stated
late, a project with no cumulative, a zone behind, two years) plus a third zone and a project of
no zone; read only when they serve (whole zones, no batch, counted at the zone's version); and a
monthly row imported, edited or deleted in one zone recounts that zone's sums only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F

from approvals.figures import investment, kept
from approvals.figures.reports import Selection
from approvals.models import ImportKind, MonthlyProgress, ZoneFigures
from tests import figures
from tests.factories import BatchFactory, ProjectFactory, ZoneFactory
from tests.figures import NOW
from tests.figures.test_investment_sql import SELECTIONS, month
from tests.figures.test_investment_sql import rows as rows  # noqa: F401 (a fixture)
from tests.figures.test_kept import committed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2025, 6, 10)

clock = figures.clock


@pytest.fixture
def third_zone(db):
    return ZoneFactory(name="太谷经济开发区", aliases="太谷经开区", city="晋中市")


@pytest.fixture
def more_rows(rows, third_zone):  # noqa: F811
    """Beside ``rows``: a third zone whose project restates its plan twice and states its
    cumulative in one month only, and a project of no zone."""
    f = ProjectFactory(zone=third_zone, name="月报己")
    month(f, D(2025, 1, 1), "300", "10")
    month(f, D(2025, 2, 1), "350", "20", "35.50")
    month(f, D(2025, 5, 1), "320", "7.25")
    g = ProjectFactory(zone=None, name="月报庚")
    month(g, D(2025, 2, 1), "100", "1", "1")
    month(g, D(2025, 6, 1), None, "2")
    return (*rows, f, g)


def counted_all() -> None:
    """The worker's recount of every zone (as after a change in each)."""
    ZoneFigures.objects.update(version=F("version") + 1)
    kept.recount(list(ZoneFigures.objects.values_list("pk", flat=True)), now=NOW)


@pytest.fixture
def kept_everywhere(more_rows, zone, other_zone, third_zone):
    for each in (zone, other_zone, third_zone):
        ZoneFigures.objects.get_or_create(zone=each)
    counted_all()


def live(monkeypatch, count, *args):
    """``count(*args)`` with the kept sums never read (the live query)."""
    with monkeypatch.context() as patched:
        patched.setattr(investment, "kept_changes", lambda *args, **kwargs: None)
        return count(*args)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_kept_sums_give_the_live_figures(
    kept_everywhere, selection, zone, other_zone, superuser, alice, charlie, monkeypatch
):
    for chosen in (
        selection,
        Selection(zones=(zone.pk,), date_from=selection.date_from, date_to=selection.date_to),
        Selection(zones=(zone.pk, other_zone.pk), date_from=selection.date_from),
    ):
        for user in (None, superuser, alice, charlie):
            assert investment.kept_changes(chosen, user) is not None
            found = investment.investment(chosen, user)
            assert found == live(monkeypatch, investment.investment, chosen, user)
            latest = investment.latest_this_year(chosen, user, TODAY)
            assert latest == live(monkeypatch, investment.latest_this_year, chosen, user, TODAY)
    # the report has figures to compare, the project of no zone in the administrator's totals
    everything = investment.investment(Selection(date_from=D(2025, 2, 1), date_to=D(2025, 2, 28)))
    assert len(everything["zones"]) == 3
    assert everything["totals"][0]["annual_plan_wan"] == 1200.50 + 600 + 1000 + 500 + 350 + 100


def test_the_recount_keeps_the_zone_s_changes_and_its_latest_month(
    kept_everywhere, third_zone, monkeypatch
):
    row = ZoneFigures.objects.get(pk=third_zone.pk)
    assert row.investment == {
        "2025-01": [1, 30000, 1000, 1000],
        "2025-02": [0, 5000, 2000, 2550],
        "2025-05": [0, -3000, 725, 0],
    }
    selection = Selection(zones=(third_zone.pk,))
    latest = live(monkeypatch, investment.latest_this_year, selection, None, D(2025, 11, 14))
    assert row.figures["investment"] == {
        k: latest[0][k] for k in ("month", *kept.INVESTMENT_FIGURES)
    }


def test_the_report_counts_live_where_the_kept_sums_do_not_serve(
    kept_everywhere, zone, lily, more_rows
):
    a = more_rows[0]
    batch = BatchFactory()
    assert investment.kept_changes(Selection(), lily) is None  # a leader: follows projects
    assert investment.kept_changes(Selection(batches=(batch.pk,))) is None
    # a change committed that the worker has not counted yet: the report counts it live
    MonthlyProgress.objects.filter(project=a, month=D(2025, 4, 1)).update(
        completed_month=Decimal("99")
    )
    ZoneFigures.objects.filter(pk=zone.pk).update(version=F("version") + 1)
    assert investment.kept_changes(Selection()) is None
    assert investment.kept_changes(Selection(zones=(zone.pk,))) is None
    found = investment.investment(Selection(zones=(zone.pk,)))
    assert found["zones"][0]["months"][-1]["completed_month_wan"] == 99 + 70
    # sums never counted (a row from before they were kept)
    ZoneFigures.objects.filter(pk=zone.pk).update(counted_version=F("version"), investment=None)
    assert investment.kept_changes(Selection(zones=(zone.pk,))) is None


# --- a change in one zone recounts that zone's sums only ----------------------------------------


def edited(a, **_):
    row = MonthlyProgress.objects.get(project=a, month=D(2025, 4, 1))
    row.completed_month = Decimal("99")
    row.save()


def deleted(a, **_):
    MonthlyProgress.objects.get(project=a, month=D(2025, 4, 1)).delete()


def imported(a, stan, **_):
    from approvals.spreadsheets import imports
    from tests.spreadsheets import test_import_monthly as monthly

    data = monthly.table(monthly.row(a, month="2025年5月", plan=1300, done=99, ytd=600))
    record = imports.receive(ImportKind.MONTHLY_TABLE, data, monthly.FILE, by=stan, source="t")
    assert imports.apply(record, data).applied


#: Each change, and zone A's month it shows in: (month, figure, value in 万元).
CHANGES = {
    "a row edited": (edited, ("2025-04", "completed_month_wan", 99 + 70)),
    "a row deleted": (deleted, ("2025-04", "completed_month_wan", 70)),
    "a table imported": (imported, ("2025-05", "completed_year_wan", 600 + 120.05 + 30)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_monthly_change_in_one_zone_recounts_its_sums_only(
    change,
    more_rows,
    zone,
    other_zone,
    stan,
    clock,
    committed,  # noqa: F811
    celery_inline,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    make, (shown, figure, expected) = CHANGES[change]
    committed()  # the worker counts the zones written so far
    before_a = ZoneFigures.objects.get(pk=zone.pk)
    before_b = ZoneFigures.objects.get(pk=other_zone.pk)
    assert before_a.investment and before_b.investment
    clock.shift(dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        make(more_rows[0], stan=stan)
    after_a = ZoneFigures.objects.get(pk=zone.pk)
    after_b = ZoneFigures.objects.get(pk=other_zone.pk)
    assert after_a.counted_version == after_a.version > before_a.version
    assert after_a.counted_at == NOW + dt.timedelta(minutes=5)
    assert after_a.investment != before_a.investment
    assert after_a.investment == investment.kept_form(investment.zone_changes(zone.pk))
    assert (after_b.version, after_b.counted_at, after_b.investment) == (
        before_b.version,
        before_b.counted_at,
        before_b.investment,
    )
    selection = Selection(zones=(zone.pk,), date_from=D(2025, 1, 1), date_to=D(2025, 5, 31))
    assert investment.kept_changes(selection) is not None
    months = {m["month"]: m for m in investment.investment(selection)["zones"][0]["months"]}
    assert months[shown][figure] == pytest.approx(expected)
