"""The escalation ladder (guide sections 6 and 11): who is reminded of what, and when.

``scan(day)`` finds, set-based, the late milestones, approval items, task nodes (倒排工期) and
problems (堵点), and the projects at risk, and decides by the ladder who must hear of each today: the officer from the first
working day late and then every week; the zone's supervisors from the eighth day; the leader
when it turns red and then every month while red; the officer, weekly, of a foreseen delay.
Each becomes a ``Reminder`` row under a unique key (subject, step, recipient, period): the scan
run twice, by two workers or again after a retry, makes each reminder once. ``deliver()`` then
sends the pending ones, each claimed in the database first: into the recipient's inbox in the
desk, and by email when it has an address. A failed email is tried again later, each time
after a longer wait; a claim lapses, so a worker that died after claiming leaves the reminder
to the next run. The scan does nothing on a day off of the official calendar. A problem that
turns red is also escalated to the leader (a status of its own) by ``run()``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import MilestoneColours, item_red_from, warnings
from approvals.cases.lateness import stage_ahead
from approvals.checklist import foresight
from approvals.core.bulk import insert_new
from approvals.models import (
    OPEN_STAGES,
    UNSOLVED,
    ApprovalItem,
    CalendarDay,
    Delivery,
    EmailState,
    ItemStatus,
    Milestone,
    Mode,
    Problem,
    Project,
    Reminder,
    Stage,
    Step,
    TaskNode,
)
from zones.models import Role, ZoneRole

#: How long a claim holds: a worker that died holding one frees it after this.
LEASE = dt.timedelta(minutes=10)
#: Attempts at an email before it is given up (the reminder stays in the inbox).
MAX_ATTEMPTS = 6
#: Rows inserted per statement (17 columns: well under SQLite's 32,766 parameters).
BATCH = 500


def ladder(days_late: int, days_red: int | None, rules) -> list[tuple[str, int]]:
    """The steps due for something ``days_late`` days late (red for ``days_red`` days, or not
    red), each with its period: the officer from day 1, every ``officer_every_days``; the
    supervisors from ``supervisor_after_days``, every ``supervisor_every_days``; the leader
    from the first red day, every ``leader_every_days``."""
    steps = []
    if days_late >= 1:
        steps.append((Step.OFFICER, (days_late - 1) // rules.officer_every_days))
    if days_late >= rules.supervisor_after_days:
        after = days_late - rules.supervisor_after_days
        steps.append((Step.SUPERVISOR, after // rules.supervisor_every_days))
    if days_red is not None and days_red >= 0:
        steps.append((Step.LEADER, days_red // rules.leader_every_days))
    return steps


@dataclass
class Scan:
    day: dt.date
    reminders: list[Reminder] = field(default_factory=list)
    working_day: bool = True
    #: project id → (earliest start, deciding item): the projects at risk on ``day``.
    at_risk: dict[int, tuple[dt.date, int | None]] = field(default_factory=dict)


def scan(day: dt.date | None = None, rules=None) -> Scan:
    """The reminders due on ``day`` (unsaved), in a few queries whatever the number of
    projects: late milestones and items by their partial indexes, the zones' supervisors, the
    projects at risk."""
    day = day or timezone.localdate()
    result = Scan(day)
    calendar = CalendarDay.objects.calendar()
    if not calendar.is_working_day(day):
        result.working_day = False
        return result
    rules = rules or warnings()
    supervisors: dict[int, list[int]] = defaultdict(list)
    for zone_id, user_id in ZoneRole.objects.filter(
        role=Role.SUPERVISOR, user__is_active=True
    ).values_list("zone_id", "user_id"):
        supervisors[zone_id].append(user_id)
    types = ContentType.objects.get_for_models(Milestone, ApprovalItem, TaskNode, Problem)
    add = _Adder(result, supervisors)
    colours = MilestoneColours.on(day, rules)  # red: the colours' rule (days_red)
    # Only what the partial index holds, written literally (SQLite takes a partial index only
    # when the WHERE implies its condition), unordered and without a join: joined to the
    # projects, an analysed SQLite started from the projects and read every project's
    # milestones by project id instead. Their projects come in a second query, by primary key.
    late_milestones = Milestone.objects.filter(
        actual_date__isnull=True, planned_date__lt=day
    ).order_by()
    projects = {  # id → the row the ladder reads ("project_id", "project__name", …)
        p["id"]: {"project_id": p["id"], **{f"project__{k}": v for k, v in p.items()}}
        for p in Project.objects.filter(
            pk__in=late_milestones.values("project_id"), stage__in=OPEN_STAGES
        )
        .order_by()
        .values("id", "stage", "name", "officer_id", "leader_id", "zone_id")
    }
    for m_id, m_stage, planned, project_id in late_milestones.values_list(
        "id", "stage", "planned_date", "project_id"
    ):
        project = projects.get(project_id)
        # An open project stands where its stage says (only a suspended one stands elsewhere).
        if project is None or not stage_ahead(m_stage, project["project__stage"]):
            continue
        late = (day - planned).days
        red = colours.days_red(planned)
        what = _("planned %(stage)s on %(day)s") % {
            "stage": Stage(m_stage).label,
            "day": planned,
        }
        short = Stage(m_stage).label
        for step, period in ladder(late, red, rules):
            add(types[Milestone], m_id, project, step, period, what, late, red is not None, short)
    late_items = ApprovalItem.objects.filter(
        status=ItemStatus.ACCEPTED,  # literally: the partial index approval_item_running_due
        deadline__lt=day,
        mode=Mode.APPROVAL,
    ).order_by()
    for item in late_items.values(
        "id",
        "deadline",
        "officer_id",
        "approval_type__code",
        "approval_type__name",
        "project_id",
        "project__stage",
        "project__name",
        "project__officer_id",
        "project__leader_id",
        "project__zone_id",
    ):
        if item["project__stage"] not in OPEN_STAGES:
            continue
        late = (day - item["deadline"]).days
        turned_red = item_red_from(item["deadline"], calendar, rules)
        red = (day - turned_red).days if day >= turned_red else None
        what = _("%(item)s due on %(day)s") % {
            "item": f"{item['approval_type__code']} {item['approval_type__name']}",
            "day": item["deadline"],
        }
        officer = item["officer_id"] or item["project__officer_id"]
        for step, period in ladder(late, red, rules):
            add(
                types[ApprovalItem],
                item["id"],
                item,
                step,
                period,
                what,
                late,
                red is not None,
                f"{item['approval_type__code']} {item['approval_type__name']}",
                officer=officer,
                item_id=item["id"],
            )
    _late_task_nodes(result, add, types[TaskNode], rules)
    _late_problems(result, add, types[Problem], rules)
    _at_risk(result, add, types[Milestone], rules)
    return result


def _late_task_nodes(result: Scan, add, node_type, rules) -> None:
    """Task nodes (倒排工期) climb the milestones' ladder by their planned date."""
    day = result.day
    colours = MilestoneColours.on(day, rules)
    late_nodes = TaskNode.objects.filter(actual_date__isnull=True, planned_date__lt=day).order_by()
    for node in late_nodes.values(
        "id",
        "name",
        "planned_date",
        "project_id",
        "project__stage",
        "project__name",
        "project__officer_id",
        "project__leader_id",
        "project__zone_id",
    ):
        if node["project__stage"] not in OPEN_STAGES:
            continue
        late = (day - node["planned_date"]).days
        red = colours.days_red(node["planned_date"])
        what = _("task node “%(node)s” planned on %(day)s") % {
            "node": node["name"],
            "day": node["planned_date"],
        }
        for step, period in ladder(late, red, rules):
            add(
                node_type, node["id"], node, step, period, what, late, red is not None, node["name"]
            )


def _late_problems(result: Scan, add, problem_type, rules) -> None:
    """Unsolved problems past their deadline climb the same ladder: the person responsible (or
    the project's officer), the zone's supervisors, the leader when red (guide section 6);
    ``problems.escalate_red`` then marks a red one escalated."""
    day = result.day
    colours = MilestoneColours.on(day, rules)
    late_problems = Problem.objects.filter(
        status__in=list(UNSOLVED),
        deadline__lt=day,  # literally: the partial index's condition
    ).order_by()
    for problem in late_problems.values(
        "id",
        "description",
        "department",
        "deadline",
        "responsible_id",
        "project_id",
        "project__stage",
        "project__name",
        "project__officer_id",
        "project__leader_id",
        "project__zone_id",
    ):
        if problem["project__stage"] not in OPEN_STAGES:
            continue
        late = (day - problem["deadline"]).days
        red = colours.days_red(problem["deadline"])
        text = problem["description"]
        short = text if len(text) <= 30 else text[:29] + "…"
        what = _("problem “%(problem)s” (%(department)s) due on %(day)s") % {
            "problem": short,
            "department": problem["department"] or "—",
            "day": problem["deadline"],
        }
        for step, period in ladder(late, red, rules):
            add(
                problem_type,
                problem["id"],
                problem,
                step,
                period,
                what,
                late,
                red is not None,
                _("problem: %(problem)s") % {"problem": short},
                officer=problem["responsible_id"],
                link=("admin:approvals_problem_change", problem["id"]),
            )


def _at_risk(result: Scan, add, milestone_type, rules) -> None:
    """The officer hears, weekly, of a project heading for a late start: about its start
    milestone, with the earliest date and the item deciding it. At risk as worked out for the
    scan's day (reading only); the weeks count from the day it was first found at risk, or from
    the scan's day when that is later (a scan for an earlier day than the one stored)."""
    day = result.day
    result.at_risk = foresight.at_risk(day)
    ids = sorted(result.at_risk)
    projects, start_of, names = {}, {}, {}
    deciding = sorted({i for _d, i in result.at_risk.values() if i})
    for chunk in foresight._chunks(ids):
        projects.update(
            (p["id"], p)
            for p in Project.objects.filter(pk__in=chunk).values(
                "id", "name", "officer_id", "leader_id", "zone_id", "at_risk_since"
            )
        )
        starts = Milestone.objects.filter(project__in=chunk, stage=Stage.UNDER_CONSTRUCTION)
        start_of.update(
            (m["project_id"], m) for m in starts.values("id", "project_id", "planned_date")
        )
    for chunk in foresight._chunks(deciding):
        names.update(
            (pk, f"{code} {name}")
            for pk, code, name in ApprovalItem.objects.filter(pk__in=chunk).values_list(
                "pk", "approval_type__code", "approval_type__name"
            )
        )
    for pk in ids:
        p, start = projects[pk], start_of.get(pk)
        when, item_id = result.at_risk[pk]
        if start is None:
            continue
        since = p["at_risk_since"]
        since = day if since is None or since > day else since
        period = (day - since).days // rules.at_risk_every_days
        row = {
            "project_id": p["id"],
            "project__name": p["name"],
            "project__officer_id": p["officer_id"],
            "project__leader_id": p["leader_id"],
            "project__zone_id": p["zone_id"],
        }
        what = _(
            "works planned to start on %(planned)s can start on %(earliest)s at the earliest "
            "(%(item)s decides it)"
        ) % {"planned": start["planned_date"], "earliest": when, "item": names.get(item_id, "—")}
        short = _("start of works")
        add(milestone_type, start["id"], row, Step.AT_RISK, period, what, 0, False, short)


class _Adder:
    """Turns one (subject, step, period) into reminders for the step's recipients. A scan may
    make tens of thousands: the wording is translated and the links' shape reversed once."""

    def __init__(self, result: Scan, supervisors: dict[int, list[int]]):
        self.result = result
        self.supervisors = supervisors
        self.wording = _Wording()
        self.links: dict[str, Callable[[int], str]] = {}

    def __call__(
        self,
        subject_type,
        subject_id,
        row,
        step,
        period,
        what,
        late,
        red,
        short,
        *,
        officer=None,
        item_id=None,
        link: tuple[str, int] | None = None,
    ) -> None:
        project_id = row["project_id"]
        if step in (Step.OFFICER, Step.AT_RISK):
            recipients = [officer or row["project__officer_id"]]
        elif step == Step.SUPERVISOR:
            recipients = self.supervisors.get(row["project__zone_id"], [])
        else:
            recipients = [row["project__leader_id"]]
        title = self.wording.title(step, row["project__name"], short, late)[:200]
        body = self.wording.body(step, row["project__name"], what, late, red)
        if item_id:
            link = ("admin:approvals_approvalitem_change", item_id)
        link = self.link(*(link or ("admin:approvals_project_change", project_id)))
        for recipient in filter(None, dict.fromkeys(recipients)):
            self.result.reminders.append(
                Reminder(
                    subject_type=subject_type,
                    subject_id=subject_id,
                    project_id=project_id,
                    step=step,
                    recipient_id=recipient,
                    period=period,
                    day=self.result.day,
                    title=title,
                    body=body,
                    link=link,
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


# --- the outbox -------------------------------------------------------------------------------


def _new(found: Scan) -> list[Reminder]:
    """The found reminders not made before (looked up in chunks of subjects)."""
    subjects: dict[int, set[int]] = defaultdict(set)
    for r in found.reminders:
        subjects[r.subject_type_id].add(r.subject_id)
    existing = set()
    for type_id, ids in subjects.items():
        ids = sorted(ids)
        for start in range(0, len(ids), 5000):
            existing |= set(
                Reminder.objects.filter(
                    subject_type_id=type_id, subject_id__in=ids[start : start + 5000]
                ).values_list("subject_type_id", "subject_id", "step", "recipient_id", "period")
            )
    return [
        r
        for r in found.reminders
        if (r.subject_type_id, r.subject_id, r.step, r.recipient_id, r.period) not in existing
    ]


def record(found: Scan) -> Counter:
    """Insert the reminders not made before; the unique key drops any another scan or worker
    inserted meanwhile. Returns how many this call inserted, by step."""
    return Counter(insert_new(_new(found), "step", batch=BATCH))


def claim(pk: int, now: dt.datetime | None = None) -> bool:
    """Take one pending reminder for a while; False when another worker holds it."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(pk=pk)
        .due(now)
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
        == 1
    )


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8, … minutes, at most a day."""
    return min(dt.timedelta(minutes=2**attempts), dt.timedelta(days=1))


def send(reminder: Reminder, now: dt.datetime | None = None, rules=None) -> bool:
    """Deliver a claimed reminder: into the inbox, then by email if it goes by email. True
    when it is done; False when its email failed and waits for another attempt."""
    now = now or timezone.now()
    rules = rules or warnings()
    done = {"delivered_at": reminder.delivered_at or now, "claimed_until": None}
    recipient = reminder.recipient
    email = reminder.email_status
    if email == EmailState.PENDING and not (rules.email and recipient.email):
        email = EmailState.NONE
    if email == EmailState.PENDING:
        try:
            send_mail(
                reminder.title,
                f"{reminder.body}\n\n{settings.SITE_URL.rstrip('/')}{reminder.link}",
                None,
                [recipient.email],
            )
        except Exception as error:  # any backend's failure: SMTP, connection, configuration
            failed_for_good = reminder.attempts >= MAX_ATTEMPTS
            Reminder.objects.filter(pk=reminder.pk).update(
                **done,
                status=Delivery.FAILED if failed_for_good else Delivery.PENDING,
                email_status=EmailState.FAILED if failed_for_good else EmailState.PENDING,
                next_attempt_at=now + backoff(reminder.attempts),
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
            return False
        email = EmailState.SENT
    Reminder.objects.filter(pk=reminder.pk).update(
        **done, status=Delivery.SENT, email_status=email, sent_at=now, last_error=""
    )
    return True


def deliver(now: dt.datetime | None = None) -> Counter:
    """Send every reminder due now, each claimed first. Returns how many were sent, by step."""
    now = now or timezone.now()
    rules = warnings()
    sent: Counter = Counter()
    seen: set[int] = set()
    while True:
        batch = list(
            Reminder.objects.due(now)
            .exclude(pk__in=seen)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:100]
        )
        if not batch:
            return sent
        seen.update(batch)
        for pk in batch:
            if not claim(pk, now):
                continue  # another worker has it
            reminder = Reminder.objects.select_related("recipient").get(pk=pk)
            if send(reminder, now, rules):
                sent[reminder.step] += 1


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
    lists filter on it); run for an earlier day, it leaves that as it is.

    A dry run writes nothing at all: the scan only reads, and what it reads runs in a
    transaction rolled back (a first read may create a default row, such as the thresholds)."""
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValueError(f"{day} is after today ({today}): reminders are for days that came.")
    if dry_run:
        with transaction.atomic():
            found = scan(day)
            new = Counter(r.step for r in _new(found))
            transaction.set_rollback(True)
        by_step = Counter(r.step for r in found.reminders)
        return Outcome(found.day, found.working_day, by_step, new, Counter())
    found = scan(day)
    by_step = Counter(r.step for r in found.reminders)
    if found.working_day and day == today:
        foresight.store(found.at_risk, today)
    new = record(found)
    if found.working_day:
        from approvals.casework.problems import escalate_red

        escalate_red(found.day)
    return Outcome(found.day, found.working_day, by_step, new, deliver())


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Reminder.objects.unread(user).count()
