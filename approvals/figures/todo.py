"""我的待办: what each person should look at first, on the admin index. An officer: its projects
late or at risk, its approval items and problems (堵点) yellow or red, its unread reminders; a
supervisor also the requests and the problems' closings (销号) awaiting it, its zones' red
projects and their open projects without an officer (项目管家未指定, each linked to its page,
where one is assigned), whose problems are its own meanwhile (``followers``); a leader the
projects it follows that are red and their escalated problems.
A handful of queries whatever the number of projects; each list shows its first rows and links
to the whole of it (the admin's list, filtered: ``links.changelist_url``).

``todo()`` gives plain data (texts, counts, colours, links): the admin index's context
(``projectdesk/unfold.py``), which templates/admin/index.html only shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.access import permissions
from approvals.cases.colours import (
    ATTENTION,
    Colour,
    ItemColours,
    MilestoneColours,
    problem_colour,
    problem_filter,
)
from approvals.cases.followers import without_officer
from approvals.cases.lateness import colour_filter, stored_colour, stored_colour_date
from approvals.core.counts import count_up_to
from approvals.figures.links import changelist_url
from approvals.models import (
    OPEN_STAGES,
    ApprovalItem,
    CalendarDay,
    Problem,
    ProblemStatus,
    Project,
    Reminder,
    StageRequest,
)
from zones.models import Zone

SHOWN = 8
#: A section's total is counted up to this (``core.counts``): beyond, "1000+".
TOTAL_SHOWN = 1000
#: Up to how many zones a title names one by one (more: how many).
NAMED_ZONES = 3


def awaiting_count(user) -> int | None:
    """How many stage requests wait for ``user``'s decision (None: not a decider): the to-do
    list's section and the admin index's banner (``ToDo.awaiting``)."""
    if not permissions.may_decide_somewhere(user):
        return None
    return count_up_to(StageRequest.objects.awaiting(user), TOTAL_SHOWN)


@dataclass
class Row:
    text: str
    url: str
    colour: Colour | None = None


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    more: str = ""


@dataclass
class Awaiting:
    """The admin index's banner: how many stage requests wait for the person's decision, and
    the queue that lists them."""

    count: int
    url: str


@dataclass
class ToDo:
    sections: list[Section]
    awaiting: Awaiting | None  # None: the person decides nothing


def _projects(queryset, colours: MilestoneColours, wanted: str) -> tuple[list[Row], int]:
    """The projects of colour ``wanted``, the worst of their open dates (``lateness``), the
    earliest first, each with the open date that gives its colour."""
    found = queryset.filter(stage__in=OPEN_STAGES).filter(colour_filter(wanted, colours))
    rows = []
    for project in found.order_by(F("colour_date").asc(nulls_last=True), "pk")[:SHOWN]:
        earliest = stored_colour_date(project)
        rows.append(
            Row(
                f"{project.name} · {earliest.label} {earliest.day}" if earliest else project.name,
                reverse("admin:approvals_project_change", args=[project.pk]),
                stored_colour(project, colours),
            )
        )
    # up to a bound: a city's red projects are tens of thousands, counted whole on every
    # home page (40 ms at 100,000 projects, issue 21); "1000+" says as much
    return rows, count_up_to(found, TOTAL_SHOWN)


def todo(user, *, unread: int | None = None) -> ToDo:
    """The sections ``user`` sees, in their order: each is shown to whom it concerns (an
    officer, a handler of problems, a decider, a closer, a leader) and built on its own below.
    ``unread``: the unread reminders' count when the page has it already (the header's)."""
    today = timezone.localdate()
    colours = MilestoneColours.on(today)
    sections: list[Section] = []
    mine = Project.objects.visible_to(user).filter(officer=user)
    if mine.exists():
        sections.append(_my_projects(mine, user, colours))
        sections.append(_my_items(user, today))
    own_problems = Problem.objects.visible_to(user).handled_by(user)
    if own_problems.exists():
        sections.append(_my_problems(own_problems, colours))
    if unread is None:
        unread = Reminder.objects.unread(user).count()
    if unread or Reminder.objects.inbox(user).exists():
        sections.append(_reminders(unread))
    awaiting = awaiting_count(user)
    if awaiting is not None:
        sections.append(_awaiting(awaiting))
    if permissions.may_close_somewhere(user):
        sections.append(_closing(user, colours))
    if permissions.may_decide_somewhere(user):
        sections.append(_zones_red(user, colours))
    if permissions.supervises_somewhere(user):
        sections.append(_without_officer(user))
    followed = Project.objects.filter(leader=user)
    if permissions.leads(user) and followed.exists():
        sections.append(_followed_red(followed, user, colours))
        sections.append(_escalated(user, colours))
    return ToDo(sections, _banner(awaiting))


def _my_projects(mine, user, colours: MilestoneColours) -> Section:
    rows, total = _projects(mine, colours, ATTENTION)
    return Section(
        "late",
        _("My projects due soon, late or at risk"),
        rows,
        total,
        changelist_url("approvals.project", colour=ATTENTION, officer__id__exact=user.pk),
    )


def _my_items(user, today: dt.date) -> Section:
    bounds = ItemColours.on(today, CalendarDay.objects.calendar())
    items = ApprovalItem.objects.visible_to(user).handled_by(user).filter(bounds.filter(ATTENTION))
    item_rows = [
        Row(
            f"{item.project} · {item.approval_type.code} {item.approval_type.name} · {item.deadline}",
            reverse("admin:approvals_approvalitem_change", args=[item.pk]),
            bounds.colour(item),
        )
        for item in items.select_related("project", "approval_type").order_by("deadline")[:SHOWN]
    ]
    return Section(
        "items",
        _("My approval items due or late"),
        item_rows,
        count_up_to(items, TOTAL_SHOWN),
        changelist_url("approvals.approvalitem", colour=ATTENTION, handler="me"),
    )


def _my_problems(own_problems, colours: MilestoneColours) -> Section:
    late = own_problems.filter(problem_filter(ATTENTION, colours))
    return Section(
        "problems",
        _("My problems due or late"),
        _problem_rows(late.order_by("deadline"), colours),
        count_up_to(late, TOTAL_SHOWN),
        changelist_url("approvals.problem", queue="mine", colour=ATTENTION),
    )


def _reminders(unread: int) -> Section:
    return Section(
        "reminders",
        _("Unread reminders"),
        [],
        unread,
        changelist_url("approvals.reminder", unread=1),
    )


def _awaiting(awaiting: int) -> Section:
    return Section(
        "awaiting",
        _("Requests awaiting my decision"),
        [],
        awaiting,
        changelist_url("approvals.stagerequest", queue="awaiting"),
    )


def _closing(user, colours: MilestoneColours) -> Section:
    closing = Problem.objects.awaiting_closing(user)
    return Section(
        "closing",
        _("Problems awaiting my closing (销号)"),
        _problem_rows(closing.order_by("resolved_on"), colours),
        count_up_to(closing, TOTAL_SHOWN),
        changelist_url("approvals.problem", queue="closing"),
    )


def zones_red_title(user) -> str:
    """The title of the red projects of the zones ``user`` decides in, naming what it covers:
    "全部开发区" for whoever decides everywhere (an administrator's page covers every zone, not
    "本开发区"), the zones by name when they are few, else how many."""
    covered = permissions.zones_seen_whole(user, permissions.DECIDE)
    if covered is None:
        return _("Red projects of every zone")
    names = sorted(Zone.objects.filter(pk__in=covered).values_list("name", flat=True))
    if not names:
        return _("Red projects of my zones")
    if len(names) <= NAMED_ZONES:
        return _("Red projects of %(zones)s") % {"zones": "、".join(names)}
    return _("Red projects of my %(count)d zones") % {"count": len(names)}


def _zones_red(user, colours: MilestoneColours) -> Section:
    zones = permissions.scope(Project.objects.all(), user, permissions.DECIDE)
    rows, total = _projects(zones, colours, Colour.RED)
    return Section(
        "zone_red",
        zones_red_title(user),
        rows,
        total,
        changelist_url("approvals.project", colour=Colour.RED),
    )


def _without_officer(user) -> Section:
    """The open projects of the zones ``user`` supervises that have no officer: the newest
    first (the primary key's index), each linked to its page, where the officer is chosen
    among those who may be one there (``permissions.officer_choices``)."""
    projects = Project.objects.filter(without_officer(user), stage__in=OPEN_STAGES)
    rows = [
        Row(
            f"{project.name} · {project.zone}",
            reverse("admin:approvals_project_change", args=[project.pk]),
        )
        for project in projects.select_related("zone").order_by("-pk")[:SHOWN]
    ]
    return Section(
        "without_officer",
        _("Projects without an officer (项目管家未指定)"),
        rows,
        count_up_to(projects, TOTAL_SHOWN),
        changelist_url(
            "approvals.project", officer__isnull="True", stage__in=",".join(OPEN_STAGES)
        ),
    )


def _followed_red(followed, user, colours: MilestoneColours) -> Section:
    rows, total = _projects(followed, colours, Colour.RED)
    return Section(
        "followed_red",
        _("Projects I follow that are red"),
        rows,
        total,
        changelist_url("approvals.project", colour=Colour.RED, leader__id__exact=user.pk),
    )


def _escalated(user, colours: MilestoneColours) -> Section:
    escalated = Problem.objects.filter(project__leader=user, status=ProblemStatus.ESCALATED)
    return Section(
        "escalated",
        _("Problems escalated to me"),
        _problem_rows(escalated.order_by("deadline"), colours),
        count_up_to(escalated, TOTAL_SHOWN),
        changelist_url("approvals.problem", status__exact=ProblemStatus.ESCALATED),
    )


def _banner(awaiting: int | None) -> Awaiting | None:
    if awaiting is None:
        return None
    return Awaiting(
        awaiting,
        changelist_url("approvals.stagerequest", queue="awaiting", status__exact="pending"),
    )


def _problem_rows(problems, colours: MilestoneColours) -> list[Row]:
    return [
        Row(
            f"{problem.project} · {problem.description[:40]} · {problem.deadline or '—'}",
            reverse("admin:approvals_problem_change", args=[problem.pk]),
            problem_colour(problem, colours),
        )
        for problem in problems.select_related("project")[:SHOWN]
    ]
