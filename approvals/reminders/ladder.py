"""The escalation ladder (guide sections 6, 11 and 12): which steps are due for something late,
who hears of each, and in what words. The officer from the first working day late and then every
week — for a project without an officer, its zone's supervisors (``followers``); the zone's
supervisors from the eighth day; the leader when it turns red and then every month while red;
the officer, weekly, of a foreseen delay. ``scan`` finds what is late and climbs this ladder with
it; a person who holds two steps for one subject hears of it once a period (``outbox``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext as _

from approvals.cases.followers import followers
from approvals.core.display import day_in_words
from approvals.models import Reminder, Step


class Rung(NamedTuple):
    """A step due, which of its reminders is due (``period``: 0 the first, then one a period),
    and how many days ago that period began (0: today)."""

    step: str
    period: int
    began: int


def rung(step: str, days: int, every: int) -> Rung:
    """The rung of a step reached ``days`` days ago, repeated every ``every`` days."""
    return Rung(step, *divmod(days, every))


def ladder(days_late: int, days_red: int | None, rules) -> list[Rung]:
    """The steps due for something ``days_late`` days late (red for ``days_red`` days, or not
    red), each with its period: the officer from day 1, every ``officer_every_days``; the
    supervisors from ``supervisor_after_days``, every ``supervisor_every_days``; the leader
    from the first red day, every ``leader_every_days``."""
    steps = []
    if days_late >= 1:
        steps.append(rung(Step.OFFICER, days_late - 1, rules.officer_every_days))
    if days_late >= rules.supervisor_after_days:
        after = days_late - rules.supervisor_after_days
        steps.append(rung(Step.SUPERVISOR, after, rules.supervisor_every_days))
    if days_red is not None and days_red >= 0:
        steps.append(rung(Step.LEADER, days_red, rules.leader_every_days))
    return steps


class Found(NamedTuple):
    """A reminder the scan found, as the outbox records it: the ``Reminder`` columns it sets
    and the day its step's period began (not stored: the outbox reads it). A tuple, not an
    unsaved model instance: at 20,000 projects making 96,000 instances was a third of the
    scan-and-record's 40 s of CPU (issue 21, benchmarks/reminder_scan.py --projects)."""

    subject_type_id: int
    subject_id: int
    project_id: int
    step: str
    recipient_id: int
    period: int
    day: dt.date
    title: str
    body: str
    link: str
    period_began: dt.date

    def reminder(self) -> Reminder:
        """An unsaved ``Reminder`` of it (``scan(day)``'s, for small runs), ``period_began``
        set on it."""
        values = self._asdict()
        began = values.pop("period_began")
        reminder = Reminder(
            subject_type=ContentType.objects.get_for_id(values.pop("subject_type_id")), **values
        )
        reminder.period_began = began
        return reminder


class Adder:
    """Turns one (subject, rung) into reminders for the step's recipients, appended to
    ``reminders`` (``Found``, dated ``day``, each with the day its period began: ``began``). A
    scan may make hundreds of thousands: the wording is translated and the links' shape
    reversed once."""

    def __init__(self, day: dt.date, reminders: list[Found], supervisors: dict[int, list[int]]):
        self.day = day
        self.reminders = reminders
        self.supervisors = supervisors
        self.wording = _Wording()
        self.links: dict[str, Callable[[int], str]] = {}
        #: A day in a sentence, worked out once a scan: Django's dateformat per subject was a
        #: sixth of the scan's CPU at 20,000 projects.
        self.words = cache(day_in_words)

    def __call__(
        self,
        subject_type,
        subject_id,
        row,
        rung: Rung,
        what,
        late,
        red,
        short,
        *,
        handlers: list[int] | None = None,
        item_id=None,
        link: tuple[str, int] | None = None,
    ) -> None:
        """``handlers``: who stands at the officer's step (an item's 经办人, a problem's
        handlers); by default whoever follows the project (``followers``)."""
        project_id = row["project_id"]
        step, period, began = rung
        if step in (Step.OFFICER, Step.AT_RISK):
            recipients = handlers
            if recipients is None:
                recipients = followers(
                    row["project__officer_id"], row["project__zone_id"], self.supervisors
                )
        elif step == Step.SUPERVISOR:
            recipients = self.supervisors.get(row["project__zone_id"], [])
        else:
            recipients = [row["project__leader_id"]]
        title = self.wording.title(step, row["project__name"], short, late)[:200]
        body = self.wording.body(step, row["project__name"], what, late, red)
        if item_id:
            link = ("admin:approvals_approvalitem_change", item_id)
        link = self.link(*(link or ("admin:approvals_project_change", project_id)))
        period_began = self.day - dt.timedelta(days=began)
        type_id, day, append = subject_type.id, self.day, self.reminders.append
        for recipient in filter(None, dict.fromkeys(recipients)):
            append(
                Found(
                    type_id,
                    subject_id,
                    project_id,
                    step,
                    recipient,
                    period,
                    day,
                    title,
                    body,
                    link,
                    period_began,
                )
            )

    def link(self, name: str, pk: int) -> str:
        if name not in self.links:
            self.links[name] = _link_maker(name)
        return self.links[name](pk)


def _link_maker(name: str):
    """pk → the admin page's path, reversed once: ``reverse()`` per reminder was a tenth of a
    large scan."""
    marker = "987654321987654321"
    head, tail = reverse(name, args=[marker]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


class _Wording:
    """A reminder's title and text, in the active language (the task runs in the site's)."""

    def __init__(self):
        self.titles = {
            Step.AT_RISK: _("[Foreseen delay] %(project)s · %(subject)s"),
            Step.OFFICER: _("[Late] %(project)s · %(subject)s: %(days)d days late"),
            Step.SUPERVISOR: _("[To follow up] %(project)s · %(subject)s: %(days)d days late"),
            Step.LEADER: _("[Red] %(project)s · %(subject)s: %(days)d days late"),
        }
        self.foreseen = _("%(project)s: %(what)s.")
        self.late = _("%(project)s: %(what)s, %(days)d days ago.")
        self.red = " " + _("It is red.")

    def title(self, step: str, project: str, short: str, late: int) -> str:
        """The subject line: the step, the project and what of it (a stage or an item)."""
        return self.titles[step] % {"project": project, "subject": short, "days": late}

    def body(self, step: str, project: str, what: str, late: int, red: bool) -> str:
        if step == Step.AT_RISK:
            return self.foreseen % {"project": project, "what": what}
        text = self.late % {"project": project, "what": what, "days": late}
        return text + self.red if red else text


def title_parts(step: str, project: str, title: str) -> tuple[str, int | None]:
    """What of ``project`` a reminder's ``title`` names and how many days late (None for a
    foreseen delay): ``_Wording.title`` read backwards, in the active language, for the messages
    that take them as parameters (an SMS template's). ("", None) for a title not of this
    wording (made in another language, or cut at 200 characters)."""
    pattern = re.escape(_Wording().titles[step])
    pattern = (
        pattern.replace(re.escape("%(project)s"), re.escape(project))
        .replace(re.escape("%(subject)s"), "(?P<subject>.+?)")
        .replace(re.escape("%(days)d"), "(?P<days>-?[0-9]+)")
    )
    match = re.fullmatch(pattern, title)
    if match is None:
        return "", None
    days = match.groupdict().get("days")
    return match["subject"], int(days) if days is not None else None
