"""The reminders' daily job and the inbox's unread count; the parts of the job live beside it.

``run(day)`` scans for what is late and at risk (``scan``), by the ladder of escalation
(``ladder``: who hears of what, and when), records the reminders not made before and sends the
pending ones (``outbox``); a problem that turns red is also escalated to the leader (a status of
its own). The task, ``manage.py send_reminders`` and the tests call this module: the public
names of the parts are re-exported here (``reminders.scan(day)``, ``reminders.deliver()``, …).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases import followers
from approvals.cases.lateness import refresh_colour_dates
from approvals.checklist import foresight
from approvals.models import Reminder
from approvals.reminders.ladder import ladder
from approvals.reminders.outbox import (
    BATCH,
    LEASE,
    MAX_ATTEMPTS,
    backoff,
    claim,
    deliver,
    new_reminders,
    record,
    send,
)
from approvals.reminders.scan import Scan, scan
from approvals.reminders.scan import chunks as scan_chunks

__all__ = [
    "BATCH",
    "LEASE",
    "MAX_ATTEMPTS",
    "Outcome",
    "Scan",
    "backoff",
    "claim",
    "deliver",
    "deliver_channels",
    "ladder",
    "record",
    "run",
    "scan",
    "send",
    "unread_count",
]


@dataclass
class Outcome:
    day: dt.date
    working_day: bool
    found: Counter
    new: Counter
    sent: Counter


def run(day: dt.date | None = None, *, dry_run: bool = False) -> Outcome:
    """The daily job, as the task and ``manage.py send_reminders`` run it: for today, or for
    an earlier day missed (never a day to come: its reminders and escalations would record
    what has not happened). Run for today, it also stores which projects are at risk (the
    lists filter on it) and every project's colour date afresh; run for an earlier day, it
    leaves those as they are.

    A dry run writes nothing at all: the scan only reads, and what it reads runs in a
    transaction rolled back (a first read may create a default row, such as the thresholds)."""
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValueError(
            _("%(day)s is after today (%(today)s): reminders are for days that came.")
            % {"day": day, "today": today}
        )
    if dry_run:
        with transaction.atomic():
            found = scan(day)
            new = Counter(r.step for r in new_reminders(found))
            transaction.set_rollback(True)
        by_step = Counter(r.step for r in found.reminders)
        return Outcome(found.day, found.working_day, by_step, new, Counter())
    if day == today:
        # Safety nets: every change stores its project's colour date, and a person made
        # inactive leaves its projects to the supervisors; a writer that forgot, or a row
        # changed by hand in the database, is caught up once a day.
        followers.release_departed()
        refresh_colour_dates()
    # Recorded a chunk at a time as the scan reads them: 570,793 reminders held at once were
    # 887 MB (issue 21, benchmarks/reminder_scan.py).
    found = Scan(day)
    by_step: Counter = Counter()

    def counted(chunks):
        for chunk in chunks:
            by_step.update(r.step for r in chunk)
            yield chunk

    new = record(counted(scan_chunks(found)))
    if found.working_day and day == today:
        foresight.store(found.at_risk, today)
    if found.working_day:
        from approvals.casework.problems import escalate_red

        escalate_red(found.day)
    sent = deliver()
    deliver_channels()
    return Outcome(found.day, found.working_day, by_step, new, sent)


def deliver_channels() -> Counter:
    """What reached the inbox, out by the channels that carry it (企业微信, 钉钉, SMS: issue
    23): queued once per reminder and channel, then sent; how many went, by kind of channel.
    After the inbox and the e-mail, never before nor instead: a channel that fails, or a
    deployment without internet, leaves them as they are."""
    from approvals.channels import delivery as channels

    channels.fan_out()
    return channels.deliver()


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Reminder.objects.unread(user).count()
