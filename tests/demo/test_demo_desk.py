"""``manage.py seed_demo`` builds a working desk (issue 19): 晋中's projects listed in five rounds
since 2023 and a current year anchored to the day of the first run — late work, reminders, red
problems and requests waiting — the same desk for the same day, and a second run changes nothing.

Built once for the module (about 300 projects through the imports and services), on a frozen
Wednesday; each test runs in a savepoint of that build and is rolled back."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accounts.demo_accounts import DEMO_PEOPLE, demo_usernames
from approvals.cases import compliance
from approvals.cases.colours import ATTENTION, Colour, MilestoneColours
from approvals.cases.lateness import colour_filter, project_colour
from approvals.demo import build, story
from approvals.figures import dashboard, todo
from approvals.models import (
    OPEN_STAGES,
    UNSOLVED,
    Batch,
    BatchEntry,
    MonthlyProgress,
    Problem,
    ProblemStatus,
    Project,
    Reminder,
    RequestStatus,
    Stage,
    StageRequest,
)
from approvals.stages.models import RequestKind
from zones.models import Role, Zone, ZoneRole

ANCHOR = dt.date(2026, 6, 10)  # a Wednesday, no holiday
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Built:
    def __init__(self, output: str) -> None:
        self.output = output


@pytest.fixture(scope="module")
def desk(django_db_setup, django_db_blocker):
    """seed_demo run once on ANCHOR (DEBUG on, as ./desk run starts it), kept for the module."""
    nine = dt.datetime.combine(ANCHOR, dt.time(9), tzinfo=SHANGHAI)
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        with time_machine.travel(nine, tick=False), transaction.atomic():
            # A transactional test before this module flushed the catalogue its migration loads.
            __import__("approvals.migrations.0003_approval_catalogue", fromlist=["load"]).load(
                apps, None
            )
            out = StringIO()
            call_command("seed_demo", stdout=out)
            built = Built(out.getvalue())
            yield built
            transaction.set_rollback(True)


@pytest.fixture
def on_anchor(desk, db, settings):
    settings.DEBUG = True
    return desk


def person(username: str):
    return get_user_model().objects.get(username=username)


def snapshot() -> dict:
    """Every row of the desk's own tables (zones, people, projects, their records, histories,
    imports, reminders), as stored."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in ("approvals", "zones", "auth"):
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return rows


# --- the desk built -------------------------------------------------------------------------------


def test_it_builds_jinzhong_in_five_rounds_since_2023(on_anchor):
    rounds = list(Batch.objects.order_by("event_date"))
    assert len(rounds) == 5
    assert rounds[0].event_date.year == 2023 and rounds[-1].event_date < ANCHOR
    assert (rounds[2].year, rounds[2].round, rounds[2].event_date) == (2025, 1, dt.date(2025, 4, 7))
    jinzhong = Zone.objects.filter(city="晋中市")
    assert jinzhong.count() == 9
    demo = Project.objects.filter(batch_entries__source__startswith="晋中市").distinct()
    assert demo.count() == story.PROJECTS
    assert set(demo.values_list("zone__city", flat=True)) == {"晋中市"}
    assert demo.values("zone").distinct().count() == 9


def test_the_same_day_tells_the_same_story_and_the_desk_holds_it(on_anchor):
    """Seeded: the same anchor gives the same story; the desk holds it, round by round."""
    zones = build._zones()
    told = [
        story.tell(
            ANCHOR,
            dt.date(2025, 4, 7),
            [(z.name, build._industries(z)) for z in zones],
            build._names(zones),
            build.catalogue(),
        )
        for _ in range(2)
    ]
    assert told[0] == told[1]
    later = story.rounds(ANCHOR + dt.timedelta(days=30), dt.date(2025, 4, 7))
    assert [r.event for r in later] != [r.event for r in told[0].rounds]
    for index, listed in enumerate(told[0].rounds):
        batch = Batch.objects.get(year=listed.year, round=listed.number)
        demo_entries = BatchEntry.objects.filter(batch=batch, source__startswith="晋中市")
        assert demo_entries.count() == sum(index in p.listings for p in told[0].projects)
    by_zone = {z.name: 0 for z in zones}
    for p in told[0].projects:
        by_zone[p.zone] += 1
    for zone in zones:
        demo = Project.objects.filter(zone=zone, batch_entries__source__startswith="晋中市")
        assert demo.distinct().count() == by_zone[zone.name], zone.name


def test_the_anchor_is_the_day_of_the_first_run(on_anchor):
    assert build.anchor() == ANCHOR
    assert "截至 2026年6月10日" in on_anchor.output  # ANCHOR, in a sentence


# --- what the demo people see --------------------------------------------------------------------


@pytest.mark.parametrize("username", ["officer", "supervisor", "supervisor2"])
def test_the_dashboard_shows_red_yellow_and_foreseen_delay(on_anchor, username):
    board = dashboard.board(person(username))
    counts = {tile.key: int(tile.value) for tile in board.colours}
    assert counts["red"] > 0 and counts["yellow"] > 0 and counts["at_risk"] > 0, counts
    problems = {tile.key: int(tile.value) for tile in board.problems}
    assert problems["problems_red"] > 0


def demo_projects():
    """The projects the demo's lists named (not the seed's own)."""
    return Project.objects.filter(batch_entries__source__startswith="晋中市").distinct()


def test_the_demo_holds_open_projects_on_time(on_anchor):
    """Beside the late ones, open projects on time (green): the case file's rule, read on each
    project's rows, and the lists' query on the stored colour date find the same ones."""
    colours = MilestoneColours.on(ANCHOR)
    open_ = list(demo_projects().filter(stage__in=OPEN_STAGES).order_by("pk"))
    by_rule = {
        p.pk: project_colour(p, colours, p.milestones.all(), p.task_nodes.all()) for p in open_
    }
    green = sorted(pk for pk, colour in by_rule.items() if colour == Colour.GREEN)
    assert 0 < len(green) < len(open_)
    queried = demo_projects().filter(colour_filter(Colour.GREEN, colours))
    assert sorted(queried.values_list("pk", flat=True)) == green
    late = demo_projects().filter(colour_filter(ATTENTION, colours))
    assert not late.filter(pk__in=green).exists()


def test_the_demo_holds_closed_and_open_problems(on_anchor):
    demo = demo_projects()
    closed = Problem.objects.filter(project__in=demo, status=ProblemStatus.CLOSED)
    assert closed.exists()
    assert all(p.closed_by_id and p.closed_by_id != p.resolved_by_id for p in closed)
    assert Problem.objects.filter(project__in=demo, status__in=UNSOLVED).exists()


def test_the_demo_holds_this_years_monthly_figures_in_its_zones(on_anchor):
    """月调度: the monthly tables of the anchor's year, imported month by month until the
    anchor's, for projects of each of the demo's nine zones."""
    rows = MonthlyProgress.objects.filter(project__in=demo_projects())
    assert rows.exists()
    months = sorted(set(rows.values_list("month", flat=True)))
    assert months == [dt.date(ANCHOR.year, m, 1) for m in range(1, ANCHOR.month)]
    zones = set(rows.values_list("project__zone__name", flat=True))
    assert zones == set(Zone.objects.filter(city="晋中市").values_list("name", flat=True))
    assert rows.filter(completed_month__isnull=False).exists()


def test_the_officers_todo_lists_late_work_and_reminders(on_anchor):
    sections = {s.key: s for s in todo.todo(person("officer")).sections}
    late = sections["late"]
    assert late.total > 0 and late.rows
    assert sections["items"].total > 0 and sections["problems"].total > 0
    shown = [row.colour for key in ("late", "items", "problems") for row in sections[key].rows]
    assert "red" in shown and "yellow" in shown
    assert sections["reminders"].total > 0
    assert Reminder.objects.inbox(person("officer")).count() == sections["reminders"].total


def test_requests_wait_for_the_demo_supervisors(on_anchor):
    for username in ("supervisor", "supervisor2"):
        assert StageRequest.objects.awaiting(person(username)).count() > 0, username
    sections = {s.key: s for s in todo.todo(person("supervisor")).sections}
    assert sections["awaiting"].total > 0 and sections["closing"].total > 0
    by_hand = StageRequest.objects.pending().filter(kind=RequestKind.HAND)
    assert by_hand.filter(attachments__isnull=False).exists()
    assert by_hand.exclude(documents_missing_reason="").filter(attachments__isnull=True).exists()


def test_the_lists_caught_projects_up_a_few_before_permits(on_anchor):
    """Later rounds list as started projects signed in earlier ones: the import opened requests
    from the list, the zones' supervisors approved them (a few of the latest still wait), and a
    few of those projects started with before-works items open (the compliance flag)."""
    from_lists = StageRequest.objects.filter(kind=RequestKind.LIST)
    approved = from_lists.filter(status=RequestStatus.APPROVED)
    assert approved.count() > 0
    waiting = from_lists.filter(status=RequestStatus.PENDING)
    assert waiting.count() > 0
    assert all(r.requested_by.username == "statistician" for r in from_lists)
    started = approved.filter(target_stage=Stage.UNDER_CONSTRUCTION).values("project")
    flagged = compliance.flagged_projects().filter(pk__in=started)
    assert 0 < flagged.count() <= started.count() // 4
    assert compliance.flagged_projects().count() == flagged.count()  # none created by a list


def test_two_supervisors_in_each_zone_the_demo_logs_in_to(on_anchor):
    logins = set(demo_usernames())
    zones = {z for _u, _n, role, names in DEMO_PEOPLE if role == Role.OFFICER for z in names}
    for zone in zones:
        supervisors = ZoneRole.objects.filter(
            zone__name=zone, role=Role.SUPERVISOR, user__username__in=logins
        ).values_list("user__username", flat=True)
        assert len(set(supervisors)) == 2, zone
        for username in supervisors:
            assert person(username).has_usable_password()


# --- a second run --------------------------------------------------------------------------------


def test_a_second_run_changes_nothing(on_anchor):
    before = snapshot()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "演示数据：已于 2026年6月10日 建立，保持不变。" in out.getvalue()  # ANCHOR, in words


def test_a_second_run_days_later_changes_nothing_and_keeps_passwords(on_anchor):
    officer = person("officer")
    officer.set_password("chosen-by-the-officer-19")
    officer.save()
    before = snapshot()
    later = dt.datetime.combine(ANCHOR + dt.timedelta(days=9), dt.time(9), tzinfo=SHANGHAI)
    with time_machine.travel(later, tick=False):
        call_command("seed_demo", stdout=StringIO())
    assert snapshot() == before
    assert person("officer").check_password("chosen-by-the-officer-19")


def test_its_summary_line_says_in_chinese_how_long_it_took(on_anchor):
    """The command's last line reports the time it took, in Chinese, as a number of seconds
    that parses (digits, a point, a digit: "nan" fails). Only the report is checked: how fast the build is belongs to a benchmark, not
    to a test."""
    last = on_anchor.output.splitlines()[-1]
    assert re.fullmatch(r"演示数据：完成，用时 \d+\.\d 秒。", last), last
