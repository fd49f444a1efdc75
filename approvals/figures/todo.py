"""我的待办: what each person should look at first, on the admin index. An officer: its projects
late or at risk, its approval items and problems (堵点) yellow or red, its unread reminders; a
supervisor also the requests and the problems' closings (销号) awaiting it and its zones' red
projects; a leader the projects it follows that are red and their escalated problems.
A handful of queries whatever the number of projects; each list shows its first rows and links
to the whole of it."""

from __future__ import annotations

from dataclasses import dataclass, field

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

SHOWN = 8


def awaiting_count(user) -> int | None:
    """How many stage requests wait for ``user``'s decision (None: not a decider): the to-do
    list's section and the admin index's banner (``templatetags/desk.py``)."""
    if not permissions.may_decide_somewhere(user):
        return None
    return StageRequest.objects.awaiting(user).count()


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


def _projects(queryset, colours: MilestoneColours, wanted: str) -> tuple[list[Row], int]:
    found = (
        queryset.filter(stage__in=OPEN_STAGES).with_next_milestone().filter(colours.filter(wanted))
    )
    rows = []
    for project in found.order_by("next_milestone_date")[:SHOWN]:
        colour = colours.colour(project.next_milestone_date, at_risk=project.at_risk)
        when = project.next_milestone_date
        rows.append(
            Row(
                f"{project.name} · {when}" if when else project.name,
                reverse("admin:approvals_project_change", args=[project.pk]),
                colour,
            )
        )
    return rows, found.count()


def todo(user) -> list[Section]:
    today = timezone.localdate()
    colours = MilestoneColours.on(today)
    projects_url = reverse("admin:approvals_project_changelist")
    sections: list[Section] = []
    mine = Project.objects.visible_to(user).filter(officer=user)
    if mine.exists():
        rows, total = _projects(mine, colours, ATTENTION)
        sections.append(
            Section(
                "late",
                _("My projects due soon, late or at risk"),
                rows,
                total,
                f"{projects_url}?colour={ATTENTION}&officer__id__exact={user.pk}",
            )
        )
        bounds = ItemColours.on(today, CalendarDay.objects.calendar())
        items = (
            ApprovalItem.objects.visible_to(user).handled_by(user).filter(bounds.filter(ATTENTION))
        )
        item_rows = [
            Row(
                f"{item.project} · {item.approval_type.code} {item.approval_type.name} · {item.deadline}",
                reverse("admin:approvals_approvalitem_change", args=[item.pk]),
                bounds.colour(item),
            )
            for item in items.select_related("project", "approval_type").order_by("deadline")[
                :SHOWN
            ]
        ]
        sections.append(
            Section(
                "items",
                _("My approval items due or late"),
                item_rows,
                items.count(),
                reverse("admin:approvals_approvalitem_changelist")
                + f"?colour={ATTENTION}&handler=me",
            )
        )
    problems_url = reverse("admin:approvals_problem_changelist")
    own_problems = Problem.objects.visible_to(user).handled_by(user)
    if own_problems.exists():
        late = own_problems.filter(problem_filter(ATTENTION, colours))
        sections.append(
            Section(
                "problems",
                _("My problems due or late"),
                _problem_rows(late.order_by("deadline"), colours),
                late.count(),
                f"{problems_url}?queue=mine&colour={ATTENTION}",
            )
        )
    unread = Reminder.objects.unread(user).count()
    if unread or Reminder.objects.inbox(user).exists():
        sections.append(
            Section(
                "reminders",
                _("Unread reminders"),
                [],
                unread,
                reverse("admin:approvals_reminder_changelist") + "?unread=1",
            )
        )
    awaiting = awaiting_count(user)
    if awaiting is not None:
        sections.append(
            Section(
                "awaiting",
                _("Requests awaiting my decision"),
                [],
                awaiting,
                reverse("admin:approvals_stagerequest_changelist") + "?queue=awaiting",
            )
        )
    if permissions.may_close_somewhere(user):
        closing = Problem.objects.awaiting_closing(user)
        sections.append(
            Section(
                "closing",
                _("Problems awaiting my closing (销号)"),
                _problem_rows(closing.order_by("resolved_on"), colours),
                closing.count(),
                f"{problems_url}?queue=closing",
            )
        )
    if permissions.may_decide_somewhere(user):
        zones = permissions.scope(Project.objects.all(), user, permissions.DECIDE)
        rows, total = _projects(zones, colours, Colour.RED)
        sections.append(
            Section(
                "zone_red", _("Red projects of my zones"), rows, total, f"{projects_url}?colour=red"
            )
        )
    followed = Project.objects.filter(leader=user)
    if followed.exists():
        rows, total = _projects(followed, colours, Colour.RED)
        sections.append(
            Section(
                "followed_red",
                _("Projects I follow that are red"),
                rows,
                total,
                f"{projects_url}?colour=red&leader__id__exact={user.pk}",
            )
        )
        escalated = Problem.objects.filter(project__leader=user, status=ProblemStatus.ESCALATED)
        sections.append(
            Section(
                "escalated",
                _("Problems escalated to me"),
                _problem_rows(escalated.order_by("deadline"), colours),
                escalated.count(),
                f"{problems_url}?status__exact={ProblemStatus.ESCALATED}",
            )
        )
    return sections


def _problem_rows(problems, colours: MilestoneColours) -> list[Row]:
    return [
        Row(
            f"{problem.project} · {problem.description[:40]} · {problem.deadline or '—'}",
            reverse("admin:approvals_problem_change", args=[problem.pk]),
            problem_colour(problem, colours),
        )
        for problem in problems.select_related("project")[:SHOWN]
    ]
