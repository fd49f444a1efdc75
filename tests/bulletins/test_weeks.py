"""Which week a bulletin reports and on which day the worker writes it: the first working day of
a week on the official calendar (chinesecalendar), holidays moving it; the weekly task makes one
per zone and city, and a second run no second row."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals import tasks
from approvals.bulletins import services
from approvals.models import Bulletin
from tests.bulletins.conftest import D
from tests.factories import ZoneFactory


def at_eight(day: dt.date):
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(8), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    )


def test_the_week_reported_is_the_last_full_week():
    assert services.week_reported(D(2026, 12, 7)) == D(2026, 11, 30)  # a Monday
    assert services.week_reported(D(2026, 12, 13)) == D(2026, 11, 30)  # a Sunday
    assert services.week_reported(D(2026, 10, 8)) == D(2026, 9, 28)


@pytest.mark.django_db
def test_after_the_national_day_holiday_the_first_working_day_is_thursday():
    # 2026-10-01..07 off: Monday 5 to Wednesday 7 are holidays, Thursday 8 the week's first
    first = [
        day
        for day in (D(2026, 10, 5) + dt.timedelta(days=n) for n in range(7))
        if services.first_working_day_of_week(day)
    ]
    assert first == [D(2026, 10, 8)]


@pytest.mark.django_db
def test_an_ordinary_week_starts_on_monday_and_a_sunday_is_never_the_first():
    assert services.first_working_day_of_week(D(2026, 12, 7))
    assert not services.first_working_day_of_week(D(2026, 12, 8))
    assert not services.first_working_day_of_week(D(2026, 12, 13))  # a Sunday


@pytest.fixture
def zones(db):
    return [
        ZoneFactory(name="综改区晋中开发区", city="晋中市"),
        ZoneFactory(name="祁县经济开发区", city="晋中市"),
        ZoneFactory(name="朔州经济开发区", city="朔州市"),
    ]


def test_the_weekly_task_makes_one_per_zone_and_city_once(zones):
    with at_eight(D(2026, 10, 8)):
        made = tasks.weekly_bulletins()
        assert len(made) == 3 + 2
        again = tasks.weekly_bulletins()
    assert sorted(again) == sorted(made)
    kept = Bulletin.objects.all()
    assert kept.count() == 5
    assert {b.week_start for b in kept} == {D(2026, 9, 28)}
    assert {b.period_end for b in kept} == {D(2026, 10, 4)}
    assert sorted(b.city for b in kept if b.zone_id is None) == ["晋中市", "朔州市"]
    assert all(b.weekly and b.file for b in kept)


def test_on_a_holiday_monday_and_a_sunday_the_task_does_nothing(zones):
    for day in (D(2026, 10, 5), D(2026, 10, 11)):
        with at_eight(day):
            assert tasks.weekly_bulletins() == []
    assert not Bulletin.objects.exists()


def test_made_again_a_weekly_one_replaces_its_file(zones):
    zone = zones[0]
    first = services.make(zone=zone, week=D(2026, 11, 30), weekly=True)
    old = first.file.name
    second = services.make(zone=zone, week=D(2026, 12, 2), weekly=True)
    assert second.pk == first.pk and Bulletin.objects.count() == 1
    assert second.file.storage.exists(second.file.name)
    assert second.file.name == old or not first.file.storage.exists(old)
    # one asked for by a person is kept beside it
    services.make(zone=zone, week=D(2026, 11, 30), weekly=False)
    assert Bulletin.objects.count() == 2


def test_the_schedule_entry_runs_every_morning_at_eight(db):
    from django_celery_beat.models import PeriodicTask

    entry = PeriodicTask.objects.get(task="approvals.tasks.weekly_bulletins")
    crontab = entry.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "8", "*")
    assert str(crontab.timezone) == "Asia/Shanghai"
    assert "approvals.tasks.weekly_bulletins" in tasks.SCHEDULED_TASKS


def test_each_bulletin_made_is_announced_to_its_groups(zones, monkeypatch):
    from approvals.channels import delivery

    announced = []
    monkeypatch.setattr(delivery, "announce_bulletin", lambda b, now=None: announced.append(b.pk))
    with at_eight(D(2026, 12, 7)):
        made = tasks.weekly_bulletins()
    assert sorted(announced) == sorted(made) and len(made) == 5
