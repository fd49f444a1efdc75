"""Making and keeping 督办通报 (issue 23): ``make`` writes one for a zone or a city and a week
and keeps it (a weekly one once per zone or city and week: made again, it replaces the file of
the one kept); ``make_weekly`` makes every zone's and every city's on the first working day of
a week, for the week before (the worker's task, ``approvals.tasks.weekly_bulletins``).

The first working day is the official calendar's (``CalendarDay.objects.calendar()``:
chinesecalendar and the administrators' days), as for the reminders: after the National Day
holiday of 2026 it is Thursday 8 October; a week without a working day has none."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.bulletins import content as contents
from approvals.bulletins import document
from approvals.models import Bulletin, CalendarDay
from zones.models import Zone


def week_reported(today: dt.date) -> dt.date:
    """The Monday of the week before ``today``'s: the last full week."""
    return contents.monday_of(today) - dt.timedelta(days=7)


def first_working_day_of_week(today: dt.date, calendar=None) -> bool:
    """Whether ``today`` is a working day and no earlier day of its week (from Monday) was."""
    calendar = calendar or CalendarDay.objects.calendar()
    if not calendar.is_working_day(today):
        return False
    monday = contents.monday_of(today)
    earlier = (monday + dt.timedelta(days=n) for n in range((today - monday).days))
    return not any(calendar.is_working_day(d) for d in earlier)


def _stored_name(zone: Zone | None, city: str, week: dt.date) -> str:
    # ASCII in storage (any file system); the download gives the Chinese name.
    place = (
        f"zone{zone.pk}"
        if zone is not None
        else f"city-{hashlib.sha1(city.encode()).hexdigest()[:10]}"
    )
    return f"bulletin-{week:%Y%m%d}-{place}.docx"


def render(*, zone: Zone | None = None, city: str = "", week: dt.date, today=None) -> bytes:
    """The .docx of ``zone``'s or ``city``'s bulletin for the week holding ``week``."""
    buffer = io.BytesIO()
    document.write(contents.build(zone=zone, city=city, week=week, today=today), buffer)
    return buffer.getvalue()


def make(
    *,
    zone: Zone | None = None,
    city: str | None = None,
    week: dt.date,
    weekly: bool,
    user=None,
    today: dt.date | None = None,
) -> Bulletin:
    """Write and keep the bulletin of ``zone`` or ``city`` for the week holding ``week`` (any
    day of it). A weekly one exists once per zone or city and week: made again (a worker's
    retry, a second run), its file is replaced and the same row returned. One asked for by a
    person (``weekly=False``) is kept beside it, a row each time."""
    city = city or ""
    monday = contents.monday_of(week)
    data = render(zone=zone, city=city, week=monday, today=today)
    start, end = contents.week_period(monday)
    name = _stored_name(zone, city, monday)
    if weekly:
        kept = _weekly_kept(zone, city, monday)
        if kept is not None:
            return _replace(kept, data, name, user)
    bulletin = Bulletin(
        zone=zone,
        city="" if zone is not None else city,
        week_start=monday,
        period_start=start,
        period_end=end,
        weekly=weekly,
        made_by=user,
    )
    bulletin.file.save(name, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            bulletin.save()
    except IntegrityError:  # another worker kept this week's weekly one meanwhile
        bulletin.file.delete(save=False)
        kept = _weekly_kept(zone, city, monday)
        if not weekly or kept is None:
            raise
        return _replace(kept, data, name, user)
    return bulletin


def _weekly_kept(zone: Zone | None, city: str, monday: dt.date) -> Bulletin | None:
    found = Bulletin.objects.filter(weekly=True, week_start=monday)
    found = found.filter(zone=zone) if zone is not None else found.filter(zone=None, city=city)
    return found.first()


def _replace(kept: Bulletin, data: bytes, name: str, user) -> Bulletin:
    old = kept.file.name
    kept.file.save(name, ContentFile(data), save=False)
    kept.made_at = timezone.now()
    kept.made_by = user
    kept.save(update_fields=["file", "made_at", "made_by"])
    if old and old != kept.file.name:
        kept.file.storage.delete(old)
    return kept


def cities_with_zones() -> list[str]:
    return sorted(set(Zone.objects.exclude(city="").values_list("city", flat=True)))


def make_weekly(today: dt.date | None = None) -> list[Bulletin]:
    """On the first working day of a week, every zone's and every city's weekly bulletin of
    the week before; on any other day nothing."""
    today = today or timezone.localdate()
    if not first_working_day_of_week(today):
        return []
    week = week_reported(today)
    made = [
        make(zone=zone, week=week, weekly=True, today=today)
        for zone in Zone.objects.order_by("name")
    ]
    made += [make(city=city, week=week, weekly=True, today=today) for city in cities_with_zones()]
    return made


def run_job(job) -> Bulletin:
    """A city's bulletin asked for on the reports page, in the worker: a city of 100,000
    projects takes 5.3 s on PostgreSQL and 8.4 on SQLite (benchmarks/README.md section 26),
    too long for a request; a zone's (0.27 s) is made in the request."""
    from approvals.jobs import services as jobs

    payload = job.payload
    jobs.report(job, 0, 1)
    made = make(
        city=payload["city"],
        week=dt.date.fromisoformat(payload["week"]),
        weekly=False,
        user=job.created_by,
    )
    jobs.report(job, 1, 1)
    jobs.finish(
        job,
        _("The bulletin is made: %(file)s. Download it on the reports page.")
        % {"file": made.download_name},
        result={"bulletin": made.pk},
    )
    return made
