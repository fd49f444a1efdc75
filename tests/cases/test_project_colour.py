"""A project's colour is the worst of its open dates (guide section 12, issue 19): every milestone
not reached and every task node not done, not only the next milestone; red > yellow > 预计延误 >
green; approval items and problems set none of it; a suspended or withdrawn project has none.
The rule one project at a time (``lateness.project_colour``, from its rows) and as the lists'
query (``lateness.colour_filter``, on the stored colour date) agree on generated data, and every
page reads it: the list and its filter, the case file, the dashboard, 我的待办, and the reminder
scan chases each late milestone.

Time stands still on Friday 2025-09-26, a working day: a date is green from 10-04, yellow from
08-27 to 10-03, red before 08-27 (tests/cases/test_lateness_pages.py)."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from approvals.cases.case_file import case_file
from approvals.cases.colours import ATTENTION, Colour, MilestoneColours
from approvals.cases.lateness import (
    OpenDate,
    colour_date,
    colour_filter,
    project_colour,
    refresh_colour_dates,
    stored_colour,
    stored_colour_date,
)
from approvals.figures import reports
from approvals.models import (
    MILESTONE_STAGES,
    OPEN_STAGES,
    Milestone,
    Problem,
    Project,
    Stage,
    Step,
    TaskNode,
)
from approvals.reminders import services as reminders
from approvals.stages import workflow
from tests.cases.test_lateness_pages import dot, listed, section, shows, todo
from tests.factories import ProjectFactory
from tests.figures.test_dashboard import tile

D = dt.date
TODAY = D(2025, 9, 26)  # a Friday, a working day
NOW = dt.datetime(2025, 9, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TWO_MONTHS_AGO = D(2025, 7, 26)
INDEX = reverse("admin:index")


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOW, tick=False):
        yield


def colours() -> MilestoneColours:
    return MilestoneColours.on(timezone.localdate())


def fresh(project: Project) -> Project:
    return Project.objects.get(pk=project.pk)


def by_rows(project: Project) -> Colour | None:
    """The object form, from the project's rows as they are in the database."""
    project = fresh(project)
    return project_colour(project, colours(), project.milestones.all(), project.task_nodes.all())


def red_ids() -> set[int]:
    return set(
        Project.objects.filter(colour_filter(Colour.RED, colours())).values_list("pk", flat=True)
    )


# --- the rule and its query agree -------------------------------------------------------------


@pytest.fixture
def generated(zone, alice):
    """200 projects at every stage (suspended ones where they stood), each with random plans:
    milestones planned or not, some reached, task nodes done or not, some at risk; all written
    one row at a time, as pages and services write them."""
    rng = random.Random(19)

    def day(spread: int = 150) -> dt.date:
        return TODAY + dt.timedelta(days=rng.randint(-spread, spread))

    made = []
    for n in range(200):
        stage = rng.choice(list(Stage))
        project = ProjectFactory(
            zone=zone,
            officer=alice,
            stage=stage,
            stage_before_suspension=rng.choice(OPEN_STAGES) if stage == Stage.SUSPENDED else "",
            at_risk_since=day() if rng.random() < 0.25 else None,
        )
        for milestone_stage in MILESTONE_STAGES:
            if rng.random() < 0.6:
                Milestone.objects.create(
                    project=project,
                    stage=milestone_stage,
                    planned_date=day() if rng.random() < 0.85 else None,
                    actual_date=day(60) if rng.random() < 0.2 else None,
                )
        for k in range(rng.choice([0, 0, 1, 2, 3])):
            TaskNode.objects.create(
                project=project,
                name=f"节点{n}-{k}",
                planned_date=day(),
                actual_date=day(60) if rng.random() < 0.3 else None,
            )
        made.append(project)
    return made


def agree_on(day: dt.date, projects: list[Project]) -> set:
    """On ``day``: each project's colour from its rows, from its stored date, and the lists'
    query for every colour (and 'attention') find the same projects; the stored date is the
    earliest open one, and which one it is. The colours met."""
    with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=NOW.tzinfo), tick=False):
        today = colours()
        rows = Project.objects.filter(pk__in=[p.pk for p in projects]).prefetch_related(
            "milestones", "task_nodes"
        )
        by_object = {}
        for project in rows:
            milestones, nodes = project.milestones.all(), project.task_nodes.all()
            by_object[project.pk] = project_colour(project, today, milestones, nodes)
            assert stored_colour(project, today) == by_object[project.pk], project
            assert stored_colour_date(project) == colour_date(project.stage, milestones, nodes)
        for colour in [*Colour, ATTENTION]:
            wanted = (
                {Colour.RED, Colour.YELLOW, Colour.AT_RISK} if colour == ATTENTION else {colour}
            )
            by_query = set(
                Project.objects.filter(colour_filter(colour, today)).values_list("pk", flat=True)
            )
            assert by_query == {pk for pk, c in by_object.items() if c in wanted}, (day, colour)
        return set(by_object.values())


def test_the_rule_and_its_query_agree_on_generated_projects(generated):
    seen = set()
    for day in (TODAY, TODAY - dt.timedelta(days=45), TODAY + dt.timedelta(days=45)):
        seen |= agree_on(day, generated)
    assert seen == {*Colour, None}  # every colour met, and projects with none


def test_the_stored_dates_written_in_bulk_agree_too(generated):
    """The query form written for every project at once (the import, the daily job) stores
    what the rows' rule says, whatever was stored before."""
    Project.objects.update(colour_date=D(2000, 1, 1), colour_stage="", colour_node="x")
    refresh_colour_dates()
    assert agree_on(TODAY, generated) == {*Colour, None}


def test_the_bulk_refresh_writes_only_the_projects_whose_stored_date_differs(generated):
    """The daily job runs the query form over every project: where every stored date is right
    it writes none; a stored date, stage or node gone wrong (a date where none is planned, none
    where one is) is rewritten, and only those, agreeing with the rows' rule."""
    assert refresh_colour_dates() == 0
    with_date = [p for p in map(fresh, generated) if p.colour_date is not None]
    by_node = next(p for p in with_date if p.colour_node)
    by_stage = next(p for p in with_date if p.colour_stage)
    emptied = next(p for p in with_date if p not in (by_node, by_stage))
    without = next(p for p in map(fresh, generated) if p.colour_date is None)
    Project.objects.filter(pk=emptied.pk).update(colour_date=None)
    Project.objects.filter(pk=without.pk).update(colour_date=TODAY)
    Project.objects.filter(pk=by_node.pk).update(colour_node="x")
    Project.objects.filter(pk=by_stage.pk).update(colour_stage="")
    wrong = {emptied.pk, without.pk, by_node.pk, by_stage.pk}
    assert len(wrong) == 4
    assert refresh_colour_dates() == 4
    assert agree_on(TODAY, generated) == {*Colour, None}
    assert refresh_colour_dates() == 0


def test_the_migration_fills_what_the_rule_says(generated):
    """Migration 0029 keeps its own copy of the query form: on the models as they are now, it
    fills the stored dates as the rule does."""
    from django.apps import apps

    fill = importlib.import_module("approvals.migrations.0029_project_colour_date")
    Project.objects.update(colour_date=None, colour_stage="", colour_node="")
    fill.fill_colour_dates(apps, None)
    assert agree_on(TODAY, generated) == {*Colour, None}


# --- one project late on a milestone that is not the next ------------------------------------


@pytest.fixture
def late_start(zone, alice, lily):
    """Signed; the next milestone (ready to start) has no plan; the start of works was planned
    two months ago."""
    project = ProjectFactory(
        zone=zone, name="晋中开工延误项目", stage=Stage.SIGNED, officer=alice, leader=lily
    )
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=None)
    start = Milestone.objects.create(
        project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=TWO_MONTHS_AGO
    )
    return project, start


def test_it_is_red_in_the_list_and_its_red_filter(late_start, as_user, alice):
    project, _ = late_start
    client = as_user(alice)
    cell = listed(client)[project.name]
    assert dot(cell) == shows(Colour.RED)
    assert "具备开工条件 · 未计划" in cell  # the next milestone, as it is
    assert f"延误：已开工 {TWO_MONTHS_AGO}" in cell  # and the one that makes it late
    assert set(listed(client, "?colour=red")) == {project.name}
    assert set(listed(client, "?colour=attention")) == {project.name}
    assert listed(client, "?colour=green") == {}


def test_it_is_red_in_the_case_file(late_start, as_user, alice):
    project, _ = late_start
    case = case_file(fresh(project))
    assert case.colour == Colour.RED
    assert case.colour_by == OpenDate(TWO_MONTHS_AGO, stage=Stage.UNDER_CONSTRUCTION)
    page = as_user(alice).get(reverse("admin:approvals_project_change", args=[project.pk]))
    shown = section(page.content.decode(), "case-colour")
    assert dot(shown) == shows(Colour.RED)
    assert f"已开工，计划 {TWO_MONTHS_AGO}" in shown


def test_the_dashboard_counts_it_red(late_start, as_user, bob, zone):
    assert reports.colour_counts(reports.Selection(zones=(zone.pk,)), bob)["red"] == 1
    html = as_user(bob).get(INDEX).content.decode()
    assert (tile(html, "red"), tile(html, "yellow"), tile(html, "at_risk")) == ("1", "0", "0")


def test_my_to_do_lists_it_red(late_start, as_user, alice, bob, lily):
    project, _ = late_start
    total, html = todo(as_user(alice))["late"]
    assert total == 1 and project.name in html and f"已开工 {TWO_MONTHS_AGO}" in html
    assert 'title="红色">●</strong>' in html
    total, html = todo(as_user(bob))["zone_red"]
    assert total == 1 and project.name in html
    total, html = todo(as_user(lily))["followed_red"]
    assert total == 1 and project.name in html


def test_the_reminder_scan_chases_the_late_start(late_start, bob):
    """The ladder runs for the start of works though it is not the next milestone: 62 days
    late, red for 31 days — the officer, the supervisor and the leader hear of it."""
    project, start = late_start
    milestone_type = ContentType.objects.get_for_model(Milestone)
    found = [
        r
        for r in reminders.scan(TODAY).reminders
        if (r.subject_type_id, r.subject_id) == (milestone_type.pk, start.pk)
    ]
    assert {(r.step, r.recipient.username) for r in found} == {
        (Step.OFFICER, "alice"),
        (Step.SUPERVISOR, "bob"),
        (Step.LEADER, "lily"),
    }
    assert {r.project_id for r in found} == {project.pk}


def test_the_daily_job_catches_up_a_colour_date_written_past(late_start):
    """A row changed without its signal (by hand in the database) is caught up by the daily
    job, for today."""
    project, start = late_start
    Milestone.objects.filter(pk=start.pk).update(planned_date=D(2026, 3, 31))
    assert fresh(project).colour_date == TWO_MONTHS_AGO  # not seen yet
    reminders.run(TODAY)
    assert fresh(project).colour_date == D(2026, 3, 31)
    assert stored_colour(fresh(project), colours()) == Colour.GREEN


def test_a_stage_change_stores_the_colour_date_afresh(late_start, alice, bob):
    """Suspended, the project has no colour and no colour date; resumed, the late start of
    works makes it red again."""
    project, _ = late_start
    asked = workflow.request_transition(project, "suspend", by=alice, reason="资金未到位")
    workflow.decide(asked, by=bob, approve=True)
    assert (fresh(project).colour_date, fresh(project).colour_stage) == (None, "")
    asked = workflow.request_transition(project, "resume", by=alice)
    workflow.decide(asked, by=bob, approve=True)
    project = fresh(project)
    assert (project.stage, project.colour_date) == (Stage.SIGNED, TWO_MONTHS_AGO)
    assert project.colour_stage == Stage.UNDER_CONSTRUCTION
    assert project.pk in red_ids()


# --- no colour, task nodes, reached milestones ------------------------------------------------


@pytest.mark.parametrize(
    ("transition", "evidence"),
    [("suspend", {"reason": "资金未到位"}), ("withdraw", {"reason": "企业放弃投资"})],
)
def test_a_suspended_or_withdrawn_project_has_no_colour(
    late_start, as_user, alice, bob, zone, transition, evidence
):
    """Not even with a foreseen delay stored (the decision clears it; the colour does not
    depend on that)."""
    project, _ = late_start
    asked = workflow.request_transition(project, transition, by=alice, **evidence)
    workflow.decide(asked, by=bob, approve=True)
    Project.objects.filter(pk=project.pk).update(at_risk_since=D(2025, 9, 1))
    project = fresh(project)
    assert project.stage in (Stage.SUSPENDED, Stage.WITHDRAWN) and project.at_risk
    assert (project.colour_date, project.colour_stage, project.colour_node) == (None, "", "")
    assert by_rows(project) is None and stored_colour(project, colours()) is None
    assert case_file(project).colour is None
    assert project.pk not in red_ids()
    client = as_user(alice)
    assert dot(listed(client)[project.name]) is None
    for colour in ("red", "at_risk", "attention"):
        assert listed(client, f"?colour={colour}") == {}, colour
    counts = reports.colour_counts(reports.Selection(zones=(zone.pk,)), bob)
    assert counts == {"red": 0, "yellow": 0, "at_risk": 0}


def test_a_late_task_node_makes_the_project_red_until_it_is_done(zone, alice, as_user):
    project = ProjectFactory(zone=zone, name="晋中倒排工期项目", stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2026, 3, 31))
    assert stored_colour(fresh(project), colours()) == Colour.GREEN
    node = TaskNode.objects.create(project=project, name="完成土地摘牌", planned_date=D(2025, 7, 1))
    assert by_rows(project) == stored_colour(fresh(project), colours()) == Colour.RED
    assert project.pk in red_ids()
    cell = listed(as_user(alice))[project.name]
    assert dot(cell) == shows(Colour.RED) and "延误：完成土地摘牌 2025-07-01" in cell
    node.actual_date = D(2025, 9, 1)
    node.save()
    assert by_rows(project) == stored_colour(fresh(project), colours()) == Colour.GREEN
    node.actual_date = None
    node.save()
    node.delete()
    assert stored_colour(fresh(project), colours()) == Colour.GREEN


def test_a_reached_milestone_never_colours(zone):
    """Under construction: its ready milestone, passed without a date, and its start of works,
    reached late, are long past their plans; only the production planned next year counts."""
    project = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2025, 1, 15))
    Milestone.objects.create(
        project=project,
        stage=Stage.UNDER_CONSTRUCTION,
        planned_date=D(2025, 3, 1),
        actual_date=D(2025, 6, 10),
    )
    Milestone.objects.create(
        project=project, stage=Stage.IN_PRODUCTION, planned_date=D(2026, 6, 30)
    )
    # A milestone ahead whose actual date is known is reached too (the stage will follow).
    ahead = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    Milestone.objects.create(
        project=ahead, stage=Stage.READY, planned_date=D(2025, 5, 1), actual_date=D(2025, 9, 1)
    )
    assert by_rows(project) == stored_colour(fresh(project), colours()) == Colour.GREEN
    assert fresh(project).colour_date == D(2026, 6, 30)
    assert by_rows(ahead) is stored_colour(fresh(ahead), colours()) is None
    assert red_ids() == set()


def test_problems_and_approval_items_do_not_set_it(zone, alice):
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2026, 3, 31))
    Problem.objects.create(
        project=project,
        description="用地指标未落实",
        deadline=D(2025, 6, 1),
        reported_on=D(2025, 5, 1),
    )
    assert by_rows(project) == stored_colour(fresh(project), colours()) == Colour.GREEN


def test_a_page_shows_the_next_milestone_alone_when_it_is_what_colours(zone, alice, as_user):
    project = ProjectFactory(zone=zone, name="晋中按期项目", stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2025, 7, 1))
    Milestone.objects.create(
        project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2025, 8, 1)
    )
    cell = listed(as_user(alice))[project.name]
    assert dot(cell) == shows(Colour.RED)
    assert "2025-07-01" in cell and "延误" not in cell and not re.search("2025-08-01", cell)


def test_my_to_do_counts_a_zones_red_projects_up_to_a_bound(
    late_start, zone, as_user, bob, monkeypatch
):
    """A city's red projects are tens of thousands: the to-do counts them up to a bound and
    says "N+" beyond it (issue 21), the exact figure staying on the dashboard's tiles."""
    from approvals.figures import todo as todo_module

    project, _ = late_start
    for n in range(2):
        other = ProjectFactory(zone=zone, name=f"晋中延误项目{n}", stage=Stage.SIGNED)
        Milestone.objects.create(
            project=other, stage=Stage.UNDER_CONSTRUCTION, planned_date=TWO_MONTHS_AGO
        )
    total, _ = todo(as_user(bob))["zone_red"]
    assert total == 3
    monkeypatch.setattr(todo_module, "TOTAL_SHOWN", 2)
    total, html = todo(as_user(bob))["zone_red"]
    assert total == 2 and "<strong>2+</strong>" in html
