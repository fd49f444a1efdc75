"""Each rule has one home, where it is written twice side by side: for one object, and as a
query on the database. Here the two answer the same over generated data, and the services that
apply a rule (the decision of a stage request, 销号, the reminder ladder, the import of people,
the figures) answer as the rule does.

The homes (issue 18): four eyes of a stage decision and of 销号, who may be an officer or a
leader — ``approvals/access/permissions.py``; settled items — ``approvals/checklist/models.py``;
the warning colours and red — ``approvals/cases/colours.py``; a milestone ahead of the project —
``approvals/cases/lateness.py``; 万元 ↔ 亿元 — ``approvals/core/units.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from approvals.access import permissions
from approvals.cases import colours as colour_rules
from approvals.cases.case_file import case_file
from approvals.cases.colours import ATTENTION, Colour, ItemColours, MilestoneColours
from approvals.cases.lateness import milestone_colour, stage_reached
from approvals.casework import problems as problem_services
from approvals.checklist import counters
from approvals.checklist.models import KIND_OF_ITEM, ItemKind, kind_of
from approvals.checklist.services import checklist_generate
from approvals.core import units
from approvals.figures import reports
from approvals.models import (
    MILESTONE_STAGES,
    OPEN_STAGES,
    ApprovalItem,
    CalendarDay,
    ItemStatus,
    Milestone,
    Mode,
    Problem,
    Project,
    Stage,
    StageRequest,
    Step,
    WarningSettings,
)
from approvals.reminders import services as reminders
from approvals.spreadsheets import cells
from approvals.spreadsheets.exports import ProjectExportResource
from approvals.spreadsheets.people import People
from approvals.stages import workflow
from tests.factories import (
    MilestoneFactory,
    ProjectFactory,
    UserFactory,
    ZoneFactory,
    ZoneRoleFactory,
    administrator,
)
from tests.flows import documents
from zones.models import Administrator, AdminRole, CityRole, Role

D = dt.date
BEIJING = ZoneInfo("Asia/Shanghai")
YEAR = 2025
TODAY = D(YEAR, 6, 11)  # a Wednesday, a working day


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=BEIJING)


def fresh(user):
    """The person as a request would load it: no role read before."""
    return type(user).objects.get(pk=user.pk)


def service_allows(call, *args, **kwargs) -> bool:
    """Whether ``call(*args, **kwargs)`` gets past the permission check; whatever it did is
    rolled back."""

    class Done(Exception):
        pass

    try:
        with transaction.atomic():
            call(*args, **kwargs)
            raise Done
    except PermissionDenied:
        return False
    except Done:
        return True


def person(username: str, zone, role: str, **fields):
    user = UserFactory(username=username, **fields)
    ZoneRoleFactory(user=user, zone=zone, role=role)
    return user


# --- the warning colours and red: approvals/cases/colours.py -------------------------------------


@pytest.fixture
def year_of_milestones(zone, alice, lily):
    """A signed project for every day of the year, its ready milestone planned on that day;
    every fifth at risk, and two with nothing planned (one at risk). Each has alice as officer and
    lily as leader, so the reminder ladder has someone to tell."""
    day, found = D(YEAR, 1, 1), []
    while day.year == YEAR:
        project = ProjectFactory(
            zone=zone,
            stage=Stage.SIGNED,
            officer=alice,
            leader=lily,
            at_risk_since=D(YEAR, 1, 1) if day.toordinal() % 5 == 0 else None,
        )
        found.append(MilestoneFactory(project=project, stage=Stage.READY, planned_date=day))
        day += dt.timedelta(days=1)
    for at_risk_since in (D(YEAR, 1, 1), None):
        unplanned = ProjectFactory(zone=zone, stage=Stage.SIGNED, at_risk_since=at_risk_since)
        MilestoneFactory(project=unplanned, stage=Stage.READY, planned_date=None)
    return found


def working_days(calendar):
    day = D(YEAR, 1, 1)
    while day.year == YEAR:
        if calendar.is_working_day(day):
            yield day
        day += dt.timedelta(days=1)


class TestColours:
    def test_a_milestones_colour_and_its_query_agree_on_every_working_day(self, year_of_milestones):
        """On every working day of a year, each project's next milestone coloured one at a
        time (``MilestoneColours.colour``) and by the lists' query (``filter``), clock frozen."""
        projects = list(Project.objects.with_next_milestone())
        assert len(projects) == len(year_of_milestones) + 2
        calendar = CalendarDay.objects.calendar()
        seen = set()
        with time_machine.travel(at(D(YEAR, 1, 1)), tick=False) as traveller:
            for day in working_days(calendar):
                traveller.move_to(at(day))
                colours = MilestoneColours.on(timezone.localdate())
                assert colours.today == day
                by_object = {
                    p.pk: colours.colour(p.next_milestone_date, at_risk=p.at_risk) for p in projects
                }
                for colour in [*Colour, ATTENTION]:
                    wanted = (
                        {Colour.RED, Colour.YELLOW, Colour.AT_RISK}
                        if colour == ATTENTION
                        else {colour}
                    )
                    by_query = set(
                        Project.objects.with_next_milestone()
                        .filter(colours.filter(colour))
                        .values_list("pk", flat=True)
                    )
                    assert by_query == {pk for pk, c in by_object.items() if c in wanted}, (
                        day,
                        colour,
                    )
                # red, as the reminder ladder counts it (days_red), is the colour red
                for p in projects:
                    red = colours.days_red(p.next_milestone_date)
                    assert (red is not None) == (by_object[p.pk] == Colour.RED), (day, p)
                seen |= set(by_object.values())
        assert seen == {*Colour, None}  # every colour met, and no colour for nothing planned

    def test_the_ladder_tells_the_leader_of_exactly_the_red_milestones(self, year_of_milestones):
        """The reminder scan's leader step (red) names the milestones the colour calls red, and
        counts the days red as ``days_red`` does (the period, in months of red)."""
        rules = WarningSettings.get_solo()
        milestone_type = ContentType.objects.get_for_model(Milestone)
        for day in (D(YEAR, 2, 28), TODAY, D(YEAR, 10, 9), D(YEAR, 12, 31)):
            with time_machine.travel(at(day), tick=False):
                colours = MilestoneColours.on(day)
                red = {m.pk: colours.days_red(m.planned_date) for m in year_of_milestones}
                told = {
                    r.subject_id: r.period
                    for r in reminders.scan(day).reminders
                    if r.step == Step.LEADER and r.subject_type_id == milestone_type.pk
                }
            assert told == {
                pk: days // rules.leader_every_days for pk, days in red.items() if days is not None
            }, day
            assert told, day  # some are red on each of these days

    def test_an_items_colour_its_query_and_the_ladders_red_agree_on_every_working_day(
        self, zone, alice, lily
    ):
        """Running items due on every working day of the year (and a few not running),
        coloured one at a time (``ItemColours.colour``) and by the query (``filter``) on every
        working day; red from ``item_red_from`` as the ladder counts it, the same days."""
        calendar = CalendarDay.objects.calendar()
        deadlines = list(working_days(calendar))
        projects = []
        while sum(p.approval_items.count() for p in projects) < len(deadlines) + 6:
            project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
            checklist_generate(project=project, by=alice)
            projects.append(project)
        items = list(ApprovalItem.objects.filter(project__in=projects).order_by("pk"))
        for item, deadline in zip(items, deadlines, strict=False):
            ApprovalItem.objects.filter(pk=item.pk).update(
                mode=Mode.APPROVAL, status=ItemStatus.ACCEPTED, deadline=deadline
            )
        rest = items[len(deadlines) :]
        ApprovalItem.objects.filter(pk__in=[i.pk for i in rest[:2]]).update(
            mode=Mode.APPROVAL, status=ItemStatus.APPROVED, deadline=TODAY
        )
        ApprovalItem.objects.filter(pk__in=[i.pk for i in rest[2:4]]).update(
            mode=Mode.COMMITMENT, status=ItemStatus.ACCEPTED, deadline=TODAY
        )
        ApprovalItem.objects.filter(pk__in=[i.pk for i in rest[4:]]).update(
            mode=Mode.APPROVAL, status=ItemStatus.ACCEPTED, deadline=None
        )
        items = list(ApprovalItem.objects.filter(project__in=projects))
        rules = WarningSettings.get_solo()
        seen = set()
        with time_machine.travel(at(D(YEAR, 1, 1)), tick=False) as traveller:
            for day in working_days(calendar):
                traveller.move_to(at(day))
                colours = ItemColours.on(day, calendar, rules)
                by_object = {i.pk: colours.colour(i) for i in items}
                for colour in (Colour.GREEN, Colour.YELLOW, Colour.RED, ATTENTION):
                    wanted = {Colour.RED, Colour.YELLOW} if colour == ATTENTION else {colour}
                    by_query = set(
                        ApprovalItem.objects.filter(colours.filter(colour)).values_list(
                            "pk", flat=True
                        )
                    )
                    assert by_query == {pk for pk, c in by_object.items() if c in wanted}, (
                        day,
                        colour,
                    )
                for i in items:
                    if i.deadline is not None and by_object[i.pk] is not None:
                        red_from = colour_rules.item_red_from(i.deadline, calendar, rules)
                        assert (day >= red_from) == (by_object[i.pk] == Colour.RED), (day, i)
                seen |= set(by_object.values())
        assert seen == {Colour.GREEN, Colour.YELLOW, Colour.RED, None}
        # and the ladder's leader step names exactly the red ones, on a day of each colour
        item_type = ContentType.objects.get_for_model(ApprovalItem)
        with time_machine.travel(at(TODAY), tick=False):
            colours = ItemColours.on(TODAY, calendar, rules)
            told = {
                r.subject_id
                for r in reminders.scan(TODAY).reminders
                if r.step == Step.LEADER and r.subject_type_id == item_type.pk
            }
        assert told == {i.pk for i in items if colours.colour(i) == Colour.RED} != set()


# --- a milestone ahead of the project: approvals/cases/lateness.py --------------------------------


def test_a_milestone_is_chased_coloured_and_ticked_by_where_the_project_stands(zone, alice, lily):
    """For a project at each stage (a suspended one where it stood), each milestone late and
    open: coloured on the project page and chased by the ladder exactly when its stage is
    ahead of the project; ticked in the case file exactly when it is not (withdrawn: none)."""
    placements = [(s, "") for s in Stage if s != Stage.SUSPENDED]
    placements += [(Stage.SUSPENDED, s) for s in OPEN_STAGES]
    late = D(YEAR, 3, 3)
    for stage, before in placements:
        project = ProjectFactory(
            zone=zone, stage=stage, stage_before_suspension=before, officer=alice, leader=lily
        )
        for milestone_stage in MILESTONE_STAGES:
            MilestoneFactory(project=project, stage=milestone_stage, planned_date=late)
    with time_machine.travel(at(TODAY), tick=False):
        milestone_type = ContentType.objects.get_for_model(Milestone)
        chased = {
            r.subject_id
            for r in reminders.scan(TODAY).reminders
            if r.subject_type_id == milestone_type.pk
        }
        for project in Project.objects.prefetch_related("milestones"):
            ticks = {s.stage: s.reached for s in case_file(project).steps}
            for milestone in project.milestones.all():
                ahead = not stage_reached(project, milestone.stage)
                where = (project.stage, project.stage_before_suspension, milestone.stage)
                assert (milestone_colour(milestone) is not None) == ahead, where
                # only open projects are chased: a suspended one is coloured, not chased
                assert (milestone.pk in chased) == (ahead and project.stage in OPEN_STAGES), where
                on_path = project.stage != Stage.WITHDRAWN
                assert ticks[milestone.stage] == (on_path and not ahead), where
    assert chased and len(chased) < Milestone.objects.count()


# --- settled: approvals/checklist/models.py ---------------------------------------------------------


def test_settled_one_at_a_time_and_as_a_query_agree_over_every_status_and_mode(zone, alice):
    """Every ItemStatus × Mode: ``ApprovalItem.is_settled`` and ``objects.settled()`` (and
    ``unsettled()``) name the same items, and the case file and the readiness figure count
    them (the figure: the settled among the applicable, i.e. not 不涉及)."""
    combinations = [(s, m) for s in ItemStatus.values for m in Mode.values]
    projects, items = [], []
    while len(items) < len(combinations):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
        checklist_generate(project=project, by=alice)
        projects.append(project)
        items += list(project.approval_items.order_by("pk"))
    for item, (status, mode) in zip(items, combinations, strict=False):
        ApprovalItem.objects.filter(pk=item.pk).update(status=status, mode=mode)
    ApprovalItem.objects.filter(pk__in=[i.pk for i in items[len(combinations) :]]).delete()
    # updates in bulk pass no signal: their writer keeps the checklist counters (as imports do)
    counters.store_projects(p.pk for p in projects)
    items = list(ApprovalItem.objects.filter(project__in=projects))
    assert {(i.status, i.mode) for i in items} == set(combinations)

    by_object = {i.pk for i in items if i.is_settled}
    assert set(ApprovalItem.objects.settled().values_list("pk", flat=True)) == by_object
    assert set(ApprovalItem.objects.unsettled().values_list("pk", flat=True)) == (
        {i.pk for i in items} - by_object
    )
    blocking = {i.pk for i in items if i.approval_type.before_works and not i.is_settled}
    assert set(ApprovalItem.objects.blocking_start().values_list("pk", flat=True)) == blocking
    for project in projects:
        assert case_file(project).settled == sum(
            1 for i in items if i.project_id == project.pk and i.is_settled
        )
    figures = reports.readiness(reports.Selection(zones=(zone.pk,)))
    assert figures["settled"] == sum(
        1 for i in items if i.is_settled and i.mode != Mode.NOT_APPLICABLE
    )
    # the kinds of a checklist's progress: one per item, the same one at a time and as queries
    # (for all items, per project, and as the case file and the readiness figure count them)
    by_kind = {
        kind: {i.pk for i in items if kind_of(i.mode, i.status) == kind} for kind in ItemKind
    }
    for kind, query in KIND_OF_ITEM.items():
        assert set(ApprovalItem.objects.filter(query).values_list("pk", flat=True)) == by_kind[kind]
    counts = {kind.value: len(pks) for kind, pks in by_kind.items()}
    assert ApprovalItem.objects.filter(project__in=projects).progress().counts == counts
    assert figures["progress"] == counts
    per_project = ApprovalItem.objects.filter(project__in=projects).progress_by_project()
    for project in projects:
        mine = [i for i in items if i.project_id == project.pk]
        assert per_project[project.pk].counts == {
            kind.value: sum(1 for i in mine if i.pk in by_kind[kind]) for kind in ItemKind
        }
        assert case_file(project).progress == per_project[project.pk]
    # every item is of one kind; the kinds but 未办结 are the settled items; a commitment or a
    # unified service is never 已办结
    assert sum(counts.values()) == len(items)
    assert set().union(*(by_kind[k] for k in ItemKind if k != ItemKind.OPEN)) == by_object
    assert {(i.status, i.mode) for i in items if i.pk in by_kind[ItemKind.APPROVED]} == {
        (ItemStatus.APPROVED, Mode.APPROVAL)
    }
    # the rule itself: a mode that needs no procedure, or an approval
    assert {(i.status, i.mode) for i in items if i.is_settled} == {
        (s, m)
        for s, m in combinations
        if m in (Mode.COMMITMENT, Mode.UNIFIED, Mode.NOT_APPLICABLE) or s == ItemStatus.APPROVED
    }


# --- who may be an officer or a leader: approvals/access/permissions.py ------------------------------


def test_who_may_fill_a_role_is_one_rule_for_the_form_and_the_import(zone, other_zone, lily):
    """Active and departed people, of this zone and another, administrators given a role:
    ``may_be`` one at a time, the form's choices (``officer_choices`` / ``leader_choices``) and
    the import's names (``People.find``) agree, for each kind and each zone."""
    people = [
        person("olga", zone, Role.OFFICER),
        person("sven", zone, Role.SUPERVISOR),
        lily,
        person("stat", zone, Role.STATISTICIAN),
        person("gone", zone, Role.OFFICER, is_active=False),  # departed
        person("gone_leader", zone, Role.LEADER, is_active=False),
        person("far", other_zone, Role.OFFICER),
        person("both", other_zone, Role.OFFICER),
        administrator("keeper", AdminRole.SYSTEM),
    ]
    ZoneRoleFactory(user=people[-2], zone=zone, role=Role.LEADER)  # leads here, officer there
    ZoneRoleFactory(user=people[-1], zone=zone, role=Role.OFFICER)  # counts for nothing
    choices = {"officer": permissions.officer_choices, "leader": permissions.leader_choices}
    names = People()
    for kind in permissions.PEOPLE_ROLES:
        for where in (zone, other_zone):
            for someone in people:
                by_object = permissions.may_be(fresh(someone), kind, where.pk)
                in_form = choices[kind]({where.pk}).filter(pk=someone.pk).exists()
                in_import = names.find(where, kind, someone.username)[0] == someone.pk
                assert by_object == in_form == in_import, (kind, where, someone)
    may = {
        (kind, where.name, p.username)
        for kind in permissions.PEOPLE_ROLES
        for where in (zone, other_zone)
        for p in people
        if permissions.may_be(fresh(p), kind, where.pk)
    }
    assert may == {
        ("officer", zone.name, "olga"),
        ("officer", zone.name, "sven"),
        ("leader", zone.name, "lily"),
        ("leader", zone.name, "both"),
        ("officer", other_zone.name, "far"),
        ("officer", other_zone.name, "both"),
    }


# --- who follows a project and who handles a problem: approvals/cases/followers.py and -----------
# --- approvals/casework/models/problem.py --------------------------------------------------------


def test_who_follows_a_project_and_who_handles_a_problem_agree_with_their_queries_and_the_scan(
    zone, other_zone
):
    """Generated people (officers and supervisors of two zones, some departed, some
    administrators given a role), projects with and without an officer (one of no zone), and
    late problems with and without a person named: for each person, the projects it follows
    (``followers`` / ``followed_by``) and the problems it handles (``handlers`` /
    ``handled_by``) are the same one at a time and as a query, and so are the zones it
    supervises (``is_supervisor`` / ``supervisor_roles``); the scan tells exactly the handlers
    of each late problem at the officer's step."""
    from approvals.cases.followers import followed_by, project_followers

    rng = random.Random(19)
    zones = [zone, other_zone]
    people = []
    for n in range(16):
        user = UserFactory(username=f"p{n}", is_active=rng.random() > 0.2)
        for where in zones:
            for role in (Role.OFFICER, Role.SUPERVISOR):
                if rng.random() < 0.35:
                    ZoneRoleFactory(user=user, zone=where, role=role)
        if rng.random() < 0.1:
            Administrator.objects.create(user=user, role=AdminRole.SYSTEM)
        people.append(user)
    projects = [
        ProjectFactory(
            zone=rng.choice([zone, other_zone, None]) if n else None,
            stage=Stage.SIGNED,
            officer=rng.choice(people) if rng.random() < 0.5 else None,
        )
        for n in range(24)
    ]
    for n, project in enumerate(projects):
        Problem.objects.create(
            project=project,
            description=f"问题{n}",
            responsible=rng.choice(people) if rng.random() < 0.3 else None,
            reported_on=D(YEAR, 5, 1),
            deadline=D(YEAR, 6, 1),
        )
    problems = list(Problem.objects.select_related("project"))
    for someone in people:
        who = fresh(someone)
        by_query = set(Project.objects.filter(followed_by(who)).values_list("pk", flat=True))
        assert by_query == {p.pk for p in projects if who.pk in project_followers(p)}, who
        by_query = set(Problem.objects.handled_by(who).values_list("pk", flat=True))
        assert by_query == {p.pk for p in problems if who.pk in p.handlers()}, who
        for where in zones:
            in_query = permissions.supervisor_roles({where.pk}).filter(user=who).exists()
            assert permissions.is_supervisor(who, where.pk) == in_query, (who, where)
    told = {p.pk: set() for p in problems}
    for reminder in reminders.scan(D(YEAR, 6, 3)).reminders:  # the problems' first late day
        if reminder.step == Step.OFFICER and reminder.subject_id in told:
            told[reminder.subject_id].add(reminder.recipient_id)
    assert told == {p.pk: set(p.handlers()) for p in problems}
    unkept = [p for p in problems if p.responsible_id is None and p.project.officer_id is None]
    assert any(told[p.pk] for p in unkept)  # the data holds problems the supervisors handle
    assert any(not told[p.pk] for p in unkept)  # and some nobody can: no supervisor, no zone


# --- four eyes: approvals/access/permissions.py -------------------------------------------------------


def city_supervisor(username: str, city: str, **fields):
    user = UserFactory(username=username, **fields)
    CityRole.objects.create(user=user, city=city, role=Role.CITY_SUPERVISOR)
    return user


@pytest.fixture(params=[True, False], ids=["superuser-powers", "no-superuser-powers"])
def deciders(request, settings, zone, other_zone, alice, bob, lily, charlie, superuser):
    """Officers, supervisors and a leader of two zones, a departed supervisor, city supervisors
    of their city (one also an officer of a zone, one departed) and of another, the system
    administrator, and the superuser with and without its demo powers."""
    settings.SUPERUSER_POWERS = request.param
    ZoneFactory(name="太原经济技术开发区", city="太原市")
    both = city_supervisor("carol", zone.city)
    ZoneRoleFactory(user=both, zone=other_zone, role=Role.OFFICER)
    return [
        alice,
        bob,
        person("dora", zone, Role.SUPERVISOR),
        lily,
        charlie,
        person("oscar", other_zone, Role.SUPERVISOR),
        person("gone", zone, Role.SUPERVISOR, is_active=False),
        both,
        city_supervisor("cyril", zone.city),
        city_supervisor("tai", "太原市"),
        city_supervisor("left", zone.city, is_active=False),
        administrator("keeper", AdminRole.SYSTEM),
        superuser,
    ]


def test_four_eyes_of_a_stage_decision(deciders, zone, other_zone):
    """A request asked by each who may ask, in either zone; for each person and each request:
    ``may_decide``, the query (``decidable``, and the queue ``awaiting``) and
    ``workflow.decide`` itself (a rejection, rolled back) agree; nobody decides its own."""
    requests = []
    for asker in deciders:
        for where in (zone, other_zone):
            project = ProjectFactory(zone=where)
            if permissions.may_request(fresh(asker), project):
                requests.append(
                    workflow.request_transition(
                        project,
                        "sign",
                        by=asker,
                        agreement_date=D(YEAR, 4, 7),
                        attachments=documents(),
                    )
                )
    assert {r.requested_by.username for r in requests} >= {"alice", "bob", "dora", "oscar", "carol"}
    decided = 0
    for someone in deciders:
        by_query = set(permissions.decidable(StageRequest.objects.all(), fresh(someone)))
        assert set(StageRequest.objects.awaiting(fresh(someone))) == by_query
        for stage_request in requests:
            by_object = permissions.may_decide(fresh(someone), stage_request)
            by_service = service_allows(
                workflow.decide, stage_request, by=fresh(someone), approve=False, comment="补材料"
            )
            assert by_object == (stage_request in by_query) == by_service, (
                someone,
                stage_request.requested_by,
            )
            if stage_request.requested_by_id == someone.pk:
                assert not by_object  # four eyes
            decided += by_object
    assert decided  # some may decide others' requests
    cyril = next(p for p in deciders if p.username == "cyril")
    own = [r for r in requests if r.requested_by.username in ("bob", "oscar")]
    assert all(permissions.may_decide(fresh(cyril), r) for r in own)  # the zones' own


def test_four_eyes_of_closing_a_problem(deciders, zone, other_zone):
    """A problem of either zone resolved by each who may resolve it, and one still open; for
    each person and each problem: ``may_close_problem``, the query (``closable``, and
    ``awaiting_closing`` for the resolved) and the 销号 service (rolled back) agree; nobody
    closes a problem it resolved itself."""
    found, today = [], timezone.localdate()
    for where in (zone, other_zone):
        project = ProjectFactory(zone=where)
        reporter = next(p for p in deciders if permissions.may_work_problem(fresh(p), project))
        for resolver in deciders:
            if not permissions.may_work_problem(fresh(resolver), project):
                continue
            problem = problem_services.problem_add(
                project=project, by=reporter, description=f"用地指标未落实（{resolver.username}）"
            )
            problem_services.problem_transition(
                problem, "resolve", by=resolver, resolution="已协调", resolved_on=today
            )
            found.append(Problem.objects.get(pk=problem.pk))
        found.append(problem_services.problem_add(project=project, by=reporter, description="缺电"))
    assert {p.resolved_by.username for p in found if p.resolved_by} >= {
        "alice",
        "bob",
        "oscar",
        "carol",
    }
    closed = 0
    for someone in deciders:
        by_query = set(permissions.closable(Problem.objects.all(), fresh(someone)))
        assert set(Problem.objects.awaiting_closing(fresh(someone))) == {
            p for p in by_query if p.resolved_by_id
        }
        for problem in found:
            by_object = permissions.may_close_problem(fresh(someone), problem)
            assert by_object == (problem in by_query), (someone, problem.resolved_by)
            if problem.resolved_by_id is None:
                continue  # nothing to close yet
            by_service = service_allows(
                problem_services.problem_transition, problem, "close", by=fresh(someone)
            )
            assert by_object == by_service, (someone, problem.resolved_by)
            if problem.resolved_by_id == someone.pk:
                assert not by_object  # four eyes
            closed += by_object
    assert closed


# --- 万元 → 亿元: approvals/core/units.py ------------------------------------------------------------

#: Stored amounts in 万元 (two decimals, up to what the columns hold).
EDGES = [
    "0",
    "0.00",
    "0.01",
    "0.05",
    "0.5",
    "1",
    "99.99",
    "9999.99",
    "10000",
    "10000.01",
    "12345.67",
    "50000",
    "99999.99",
    "100000",
    "123456789.12",
    "999999999999.99",
]


def exact_yi(wan: str) -> Decimal:
    with localcontext(prec=60):
        return Decimal(wan) / Decimal(10000)


@pytest.mark.parametrize("wan", EDGES)
def test_wan_to_yi_is_exact_everywhere_a_user_reads_it(db, wan):
    """Against a Decimal oracle (division at 60 digits): the one conversion, and the four
    places that show or read 亿元 — the project page, the export, the figures, the import."""
    oracle = exact_yi(wan)
    amount = Decimal(wan)
    assert units.yi(amount) == oracle
    assert "E" not in str(units.yi(amount)) and not str(units.yi(amount)).endswith(".0")
    assert Project(total_investment=amount).total_investment_yi == oracle
    exported = ProjectExportResource().dehydrate_total_investment(Project(total_investment=amount))
    assert exported == oracle and str(exported) == str(units.yi(amount))
    assert reports.yi(amount) == float(oracle)
    assert cells.amount(f"{oracle}亿元") == amount  # and the import reads it back
    assert cells.amount(str(oracle), "亿元") == amount


@pytest.mark.parametrize(
    "written, unit",
    [
        ("0", "元"),
        ("49", "元"),
        ("50", "元"),
        ("150", "元"),
        ("250", "元"),
        ("12250", "元"),
        ("12350", "元"),
        ("12345", "元"),
        ("99999999999999", "元"),
        ("1.2345665", "亿元"),
        ("1.2345675", "亿元"),
        ("0.000000005", "亿元"),
        ("0.005", "万元"),
        ("0.015", "万元"),
        ("2000.125", "万元"),
    ],
)
def test_an_amount_finer_than_the_columns_is_rounded_once_half_to_even(written, unit):
    """What the import reads in 元, 亿元 or 万元 against a Decimal oracle: exact at 60 digits,
    then rounded once to 0.01 万元, half to even (GB/T 8170)."""
    with localcontext(prec=60):
        scale = {"元": Decimal("0.0001"), "万元": Decimal(1), "亿元": Decimal(10000)}[unit]
        oracle = (Decimal(written) * scale).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert units.wan(Decimal(written), unit) == oracle
    assert cells.amount(f"{written}{unit}") == oracle


def test_the_rounding_is_half_to_even():
    assert units.wan(Decimal("12250"), "元") == Decimal("1.22")
    assert units.wan(Decimal("12350"), "元") == Decimal("1.24")
    assert units.yi(Decimal("0.005")) == Decimal("0")  # finer than a stored amount
    assert units.yi(Decimal("0.015")) == Decimal("0.000002")


# --- seeing: the access rules and their queries ----------------------------------------------------


class TestTheRuleAndItsQueryAgree:
    """Seeing a project or its items: once for an object, once as a query."""

    @pytest.fixture
    def world(self, zone, other_zone, alice, bob, lily, stan, charlie, superuser):
        """Each branch of ``scope``: zone-wide roles (alice, bob, stan, charlie), every zone
        (``everywhere``: a statistician of both), a leader following projects of its zone,
        of another zone and of none (lily), a leader with a zone-wide role elsewhere
        (``both``), and a project's leader who no longer holds a leader's role (``former``)."""
        everywhere = UserFactory(username="everywhere")
        both = UserFactory(username="both")
        former = UserFactory(username="former")
        for where in (zone, other_zone):
            ZoneRoleFactory(user=everywhere, zone=where, role=Role.STATISTICIAN)
        ZoneRoleFactory(user=both, zone=zone, role=Role.LEADER)
        ZoneRoleFactory(user=both, zone=other_zone, role=Role.OFFICER)
        projects = [
            ProjectFactory(zone=zone),
            ProjectFactory(zone=zone, leader=lily),
            ProjectFactory(zone=other_zone),
            ProjectFactory(zone=other_zone, leader=lily),
            ProjectFactory(zone=None, leader=lily),
            ProjectFactory(zone=zone, leader=both),
            ProjectFactory(zone=other_zone, leader=former),
            ProjectFactory(zone=None),
        ]
        people = [alice, bob, lily, stan, charlie, everywhere, both, former, superuser]
        return people, projects

    def test_seeing_projects(self, world):
        people, projects = world
        for someone in people:
            by_query = set(Project.objects.visible_to(someone))
            by_object = {p for p in projects if permissions.may_see(someone, p)}
            assert by_query == by_object, someone

    def test_items_follow_their_project(self, world):
        people, projects = world
        for project in projects:
            checklist_generate(project=project, by=people[-1])
        for someone in people:
            by_query = set(ApprovalItem.objects.visible_to(someone).values_list("pk", flat=True))
            by_object = {
                i.pk for i in ApprovalItem.objects.all() if permissions.may_see(someone, i)
            }
            assert by_query == by_object, someone


def test_the_calendar_model_loads_the_holidays(db):
    CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY)
    assert not CalendarDay.objects.calendar().is_working_day(D(2027, 1, 1))
