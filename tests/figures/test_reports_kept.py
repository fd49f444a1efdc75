"""The reports page's conversion, readiness and problems from what the worker keeps per zone
(``reports.zones_kept``; conversion and readiness counts, the problems per category and
department and per days to resolve, in ``ZoneFigures.figures``, counted by
``kept.recount_zone``): the same figures as counted live, on three zones, a person who sees two
of them, the administrator, officers and the command line; read only when they serve (whole
zones, no batch, counted at the zone's version, and for conversion and problems the page's
default period counted today); and a change in one zone recounts that zone's figures only.

The data, as of 2025-11-14 (the page's default period: 2024-11-15 to 2025-11-14):

* conversion: the guide's example (晋中 10 signed, 祁县 3), a project of 太谷 signed in the period
  and started, one of 太谷 signed before it, a project of no zone signed and started;
* readiness: five projects of 晋中 (``readiness_cases``), one of 太谷 ready, one of no zone;
* problems: days to resolve 晋中 4, 10; 祁县 3, 5; 太谷 7; no zone 12 → six values, the median the
  mean of 祁县's 5 and 太谷's 7 (6.0), which no zone's own median gives; a problem of 太谷
  reported before the period, a red one of 太谷, a yellow one of 祁县, departments shared and
  not, one unnamed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from approvals.figures import casework, investment, kept, registry, reports
from approvals.figures.reports import Selection
from approvals.models import (
    BatchEntry,
    Category,
    Problem,
    ProblemCategory,
    ProblemStatus,
    Stage,
    ZoneFigures,
)
from tests import figures
from tests.factories import ProjectFactory, UserFactory, ZoneFactory, ZoneRoleFactory
from tests.figures import NOW, TODAY, listed, reached
from tests.figures.test_kept import committed  # noqa: F401 (a fixture)
from zones.models import Role, Zone

pytestmark = pytest.mark.django_db
D = dt.date
REPORTS = reverse("admin:reports")
START, END = reports.last_twelve_months(TODAY)
#: The page's default period.
DEFAULT = Selection(date_from=START, date_to=END)
#: The reports served from the kept figures here (sanpi and investment: their own rules).
KEPT_REPORTS = ("conversion", "readiness", "problems")

clock = figures.clock
rounds = figures.rounds
guide_example = figures.guide_example
readiness_cases = figures.readiness_cases


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def problem(project, category, department="", status=ProblemStatus.OPEN, **fields) -> Problem:
    return Problem.objects.create(
        project=project,
        description=f"{category} {department} {fields['reported_on']}",
        category=category,
        department=department,
        status=status,
        **fields,
    )


@pytest.fixture
def third_zone(db):
    return ZoneFactory(name="太谷经济开发区", aliases="太谷经开区", city="晋中市")


@pytest.fixture
def data(clock, guide_example, readiness_cases, zone, other_zone, third_zone, rounds):
    """The data of the module docstring."""
    land, power, funds = ProblemCategory.LAND, ProblemCategory.ENERGY, ProblemCategory.FUNDS
    solved, closed = ProblemStatus.RESOLVED, ProblemStatus.CLOSED
    jz, qx = guide_example[0], ProjectFactory(zone=other_zone, stage=Stage.SIGNED)
    tg = ProjectFactory(zone=third_zone, stage=Stage.UNDER_CONSTRUCTION)
    old = ProjectFactory(zone=third_zone, stage=Stage.SIGNED)
    none = ProjectFactory(zone=None, stage=Stage.UNDER_CONSTRUCTION)
    ready = ProjectFactory(zone=third_zone, stage=Stage.READY)
    ProjectFactory(zone=None, stage=Stage.SIGNED)
    reached(tg, Stage.SIGNED, D(2025, 4, 1))
    reached(tg, Stage.UNDER_CONSTRUCTION, D(2025, 7, 1))
    reached(old, Stage.SIGNED, D(2024, 1, 1))
    reached(none, Stage.SIGNED, D(2025, 2, 1))
    reached(none, Stage.UNDER_CONSTRUCTION, D(2025, 3, 1))
    listed(rounds[1], tg, Category.SIGN, 7000)
    problem(jz, land, "自然资源局", reported_on=days(-60), deadline=days(-40))
    problem(jz, funds, "财政局", solved, reported_on=days(-50), resolved_on=days(-46))
    problem(jz, land, "自然资源局", closed, reported_on=days(-30), resolved_on=days(-20))
    problem(qx, land, "自然资源局", solved, reported_on=days(-90), resolved_on=days(-87))
    problem(
        qx, power, "供电公司", ProblemStatus.IN_PROGRESS, reported_on=days(-20), deadline=days(3)
    )
    problem(qx, power, "", closed, reported_on=days(-15), resolved_on=days(-10))
    problem(tg, funds, "财政局", solved, reported_on=days(-100), resolved_on=days(-93))
    problem(tg, land, "自然资源局", reported_on=days(-80), deadline=days(-70))
    problem(tg, land, "自然资源局", solved, reported_on=days(-400), resolved_on=days(-300))
    problem(none, funds, "财政局", closed, reported_on=days(-40), resolved_on=days(-28))
    return {"ready": ready}


def counted_all() -> None:
    """The worker's recount of every zone (as after a change in each)."""
    for zone in Zone.objects.all():
        ZoneFigures.objects.get_or_create(zone=zone)
    ZoneFigures.objects.update(version=F("version") + 1)
    kept.recount(list(ZoneFigures.objects.values_list("pk", flat=True)), now=NOW)


@pytest.fixture
def kept_everywhere(data):
    counted_all()


@pytest.fixture
def two_zones(zone, other_zone):
    """An officer of 晋中 and 祁县: two of the three zones."""
    person = UserFactory(username="dora", first_name="朵拉")
    for each in (zone, other_zone):
        ZoneRoleFactory(user=person, zone=each, role=Role.OFFICER)
    return person


def never_kept(patched) -> None:
    """The kept figures never read: every report counts live."""
    for module in (reports, investment):  # casework reads them through reports.kept_parts
        patched.setattr(module, "zones_kept", lambda *args, **kwargs: None)


def live(monkeypatch, count, *args):
    with monkeypatch.context() as patched:
        never_kept(patched)
        return count(*args)


def served(selection, user=None) -> bool:
    """Whether all three reports are read from the kept figures."""
    return (
        reports._kept_conversion(selection, user) is not None
        and reports._kept_readiness(selection, user) is not None
        and casework._kept_problems(selection, user, TODAY) is not None
    )


def test_the_kept_figures_give_the_live_ones(
    kept_everywhere, zone, other_zone, third_zone, superuser, alice, charlie, two_zones, monkeypatch
):
    for chosen in (
        DEFAULT,
        dataclasses.replace(DEFAULT, zones=(zone.pk,)),
        dataclasses.replace(DEFAULT, zones=(other_zone.pk, third_zone.pk)),
    ):
        for user in (None, superuser, alice, charlie, two_zones):
            assert served(chosen, user), (chosen, user)
            for name in KEPT_REPORTS:
                count = registry.get(name).figures
                assert count(chosen, user) == live(monkeypatch, count, chosen, user), name
    # the figures compared are those of the module docstring
    everything = casework.problems(DEFAULT)
    assert everything["median_days_to_resolve"] == 6.0
    assert (everything["total"], everything["red"], everything["yellow"]) == (10 - 1, 2, 1)
    assert casework.problems(DEFAULT, two_zones)["median_days_to_resolve"] == 4.5
    conversion = reports.conversion(DEFAULT)
    assert (conversion["signed"], conversion["started"]) == (10 + 3 + 1 + 1, 7 + 1 + 1 + 1)
    # 晋中 the five of readiness_cases and three of the guide's, 祁县 3, 太谷 2, no zone 1
    assert reports.readiness(DEFAULT)["projects"] == 8 + 3 + 2 + 1


def test_the_page_and_the_command_line_show_the_live_figures(
    kept_everywhere, superuser, two_zones, as_user, monkeypatch
):
    def page(user) -> list:
        cache.clear()
        sections = as_user(user).get(REPORTS).context["sections"]
        return [(s["key"], [t.rows for t in s["tables"]]) for s in sections]

    def command(name: str) -> str:
        out = StringIO()
        call_command("report", name, "--from", str(START), "--to", str(END), stdout=out)
        return out.getvalue()

    for user in (superuser, two_zones):
        shown = page(user)
        with monkeypatch.context() as patched:
            never_kept(patched)
            assert shown == page(user)
    for name in KEPT_REPORTS:
        shown = command(name)
        with monkeypatch.context() as patched:
            never_kept(patched)
            assert shown == command(name), name


def test_the_recount_keeps_the_zone_s_problems_of_the_period(kept_everywhere, third_zone):
    figures_kept = ZoneFigures.objects.get(pk=third_zone.pk).figures
    land, funds = ProblemCategory.LAND, ProblemCategory.FUNDS
    # [category, department, total, unsolved, resolved, closed, red, yellow, timed]
    assert sorted(figures_kept["problems_of_period"]["groups"]) == [
        [funds, "财政局", 1, 0, 1, 0, 0, 0, 1],
        [land, "自然资源局", 1, 1, 0, 0, 1, 0, 0],
    ]
    assert figures_kept["problems_of_period"]["days"] == [[7, 1]]


def test_the_median_of_counted_days_is_the_median_of_the_days():
    for values in ([], [3], [3, 4], [1, 1, 2, 9], [5, 5, 5], [2, 8, 8, 9, 30]):
        counted = [[value, values.count(value)] for value in sorted(set(values))]
        assert casework.median_of_counts(counted) == casework.median(values)
    # several zones' counts, a value in two of them
    assert casework.median_of_counts([[4, 1], [10, 1], [4, 1], [7, 2]]) == 7.0


def test_the_reports_count_live_where_the_kept_figures_do_not_serve(
    kept_everywhere, zone, lily, rounds, guide_example, monkeypatch
):
    def all_live(selection, user=None) -> None:
        assert reports._kept_conversion(selection, user) is None
        assert reports._kept_readiness(selection, user) is None
        assert casework._kept_problems(selection, user, TODAY) is None

    all_live(dataclasses.replace(DEFAULT, batches=(rounds[0].pk,)))
    all_live(DEFAULT, lily)  # a leader: follows projects
    # another period: conversion and problems live; readiness (a state of now) kept
    other = Selection(date_from=D(2025, 1, 1), date_to=END)
    assert reports._kept_conversion(other) is None
    assert casework._kept_problems(other, None, TODAY) is None
    assert reports._kept_readiness(other) is not None
    assert reports._kept_conversion(Selection()) is None
    # figures counted on another day: their period and colours are of that day
    assert reports._kept_conversion(DEFAULT) is not None
    ZoneFigures.objects.filter(pk=zone.pk).update(figures=figures_of_day(zone, "2025-11-13"))
    assert reports._kept_conversion(DEFAULT) is None
    assert casework._kept_problems(DEFAULT, None, TODAY) is None
    assert reports._kept_readiness(DEFAULT) is not None
    counted_all()
    # figures kept before the problems were: the problems count live, the rest is kept
    row = ZoneFigures.objects.get(pk=zone.pk)
    del row.figures["problems_of_period"]
    ZoneFigures.objects.filter(pk=zone.pk).update(figures=row.figures)
    assert casework._kept_problems(DEFAULT, None, TODAY) is None
    assert reports._kept_conversion(DEFAULT) is not None
    counted_all()
    # a change committed that the worker has not counted yet: counted live, and shown
    assert served(DEFAULT)
    BatchEntry.objects.create(
        batch=rounds[0],
        project=ProjectFactory(zone=zone, stage=Stage.SIGNED),
        category=Category.SIGN,
        name="新签约",
        total_investment=Decimal(1),
    )
    ZoneFigures.objects.filter(pk=zone.pk).update(version=F("version") + 1)
    all_live(DEFAULT)
    assert reports.conversion(DEFAULT)["signed"] == 10 + 3 + 1 + 1 + 1


def figures_of_day(zone, day: str) -> dict:
    return {**ZoneFigures.objects.get(pk=zone.pk).figures, "day": day}


def test_a_change_in_one_zone_recounts_its_figures_only(
    data,
    zone,
    other_zone,
    guide_example,
    clock,
    committed,  # noqa: F811
    celery_inline,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    committed()  # the worker counts the zones written so far
    before_a = ZoneFigures.objects.get(pk=zone.pk)
    before_b = ZoneFigures.objects.get(pk=other_zone.pk)
    assert served(DEFAULT)
    clock.shift(dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        solved = Problem.objects.get(project=guide_example[0], resolved_on=days(-20))
        solved.resolved_on = days(-29)
        solved.save()
    after_a = ZoneFigures.objects.get(pk=zone.pk)
    after_b = ZoneFigures.objects.get(pk=other_zone.pk)
    assert after_a.counted_version == after_a.version > before_a.version
    assert after_a.figures["problems_of_period"]["days"] == [[1, 1], [4, 1]]
    assert (after_b.version, after_b.counted_at, after_b.figures) == (
        before_b.version,
        before_b.counted_at,
        before_b.figures,
    )
    assert served(DEFAULT)
    found = casework.problems(DEFAULT)
    assert found == live(monkeypatch, casework.problems, DEFAULT)
    assert found["median_days_to_resolve"] == 4.5  # 1, 3, 4, 5, 7, 12
