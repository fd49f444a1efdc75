"""How late a project is, as people read it on the pages (guide section 6): the next milestone's
colour in the project list and its filter, every milestone's colour on the project page, the
foreseen delay panel, 我的待办 on the admin index, the reminders inbox with its unread count on
every page, and the administrators' thresholds.

Time stands still on Friday 2025-09-26, a working day just before National Day (2025-10-01 to
10-08 off; Sunday 09-28 and Saturday 10-11 are make-up working days). From that day a milestone
is green when due on 10-04 or later, yellow from 08-27 to 10-03, red before 08-27."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.cases.colours import Colour
from approvals.checklist import foresight
from approvals.checklist.services import checklist_generate
from approvals.models import (
    NEXT_STAGE,
    ApprovalItem,
    Milestone,
    Mode,
    Project,
    Reminder,
    Stage,
    Step,
    WarningSettings,
)
from approvals.reminders import services as reminders
from approvals.stages import workflow
from tests.admin_helpers import change_form_data
from tests.factories import MilestoneFactory, ProjectFactory
from tests.flows import administrator, documents

TODAY = dt.date(2025, 9, 26)  # a Friday, a working day
NOW = dt.datetime(2025, 9, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

#: What a person reads in the dot's title.
NAME = {
    Colour.GREEN: "绿色",
    Colour.YELLOW: "黄色",
    Colour.RED: "红色",
    Colour.AT_RISK: "预计延误",
}

PROJECTS = reverse("admin:approvals_project_changelist")
INDEX = reverse("admin:index")
INBOX = reverse("admin:approvals_reminder_changelist")


def D(year: int, month: int, day: int) -> dt.date:  # noqa: N802
    return dt.date(year, month, day)


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOW, tick=False):
        yield


# --- reading the pages ---------------------------------------------------------------------

DOT = re.compile(r'<strong style="color:(#[0-9a-f]{6})"(?: title="([^"]*)")?>●</strong>\s*([^<]*)')


def dot(html: str) -> tuple[str, str] | None:
    """(ink, name) of the coloured dot in a cell, or None when it has none."""
    found = DOT.search(html)
    if not found:
        return None
    ink, title, text = found.groups()
    return ink, unescape((title or text).strip())


def shows(colour: Colour | None) -> tuple[str, str] | None:
    return None if colour is None else (colour.ink, NAME[colour])


def list_cells(html: str) -> dict[str, str]:
    """Project name → the next-milestone cell, for every row of the project list."""
    cells = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        name = re.search(r'<th class="field-name[ "][^>]*><a [^>]*>(.*?)</a>', row, re.S)
        cell = re.search(r'<td class="field-next_milestone[ "][^>]*>(.*?)</td>', row, re.S)
        if name and cell:
            cells[unescape(name.group(1))] = cell.group(1)
    return cells


def listed(client, query: str = "") -> dict[str, str]:
    response = client.get(PROJECTS + query)
    assert response.status_code == 200, response.status_code
    return list_cells(response.content.decode())


def milestone_rows(html: str) -> dict[str, tuple[str, str] | None]:
    """Stage → the colour dot shown in its row of the milestones inline."""
    rows = {}
    inline = section(html, "milestones-group")
    for row in re.findall(
        r'<tbody class="form-group[^"]*\boriginal\b[^"]*"[^>]*>(.*?)</tbody>', inline, re.S
    ):
        stage = re.search(r'<option value="(\w+)" selected>', row)
        colour = re.search(r'<td class="[^"]*\bfield-colour\b[^"]*"[^>]*>(.*?)</td>', row, re.S)
        assert stage and colour, row
        rows[stage.group(1)] = dot(colour.group(1))
    return rows


def section(html: str, element_id: str) -> str:
    """The HTML of the element with this id (a div or a table row)."""
    start = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>', html)
    if not start:
        return ""
    tag, depth, at = start.group(1), 0, start.start()
    for found in re.finditer(rf"<(/?){tag}\b[^>]*>", html[at:]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html[at : at + found.end()]
    raise AssertionError(f"#{element_id} is not closed")


def todo(client) -> dict[str, tuple[int, str]]:
    """我的待办: section key → (the count shown, the section's HTML)."""
    response = client.get(INDEX)
    assert response.status_code == 200
    box = section(response.content.decode(), "my-todo")
    found = {}
    for key in re.findall(r'<tr id="todo-(\w+)"', box):
        html = section(box, f"todo-{key}")
        found[key] = (int(re.search(r"<strong>(\d+)\+?</strong>", html).group(1)), html)
    return found


def unread_shown(html: str) -> int | None:
    """The unread count beside the user's name, or None when the link is absent."""
    link = re.search(r'<a href="([^"]*)" id="unread-reminders"[^>]*>([^<]*)</a>', html)
    if not link:
        return None
    assert unescape(link.group(1)) == INBOX + "?unread=1"
    return int(re.search(r"\d+", link.group(2)).group())


# --- making the cases ----------------------------------------------------------------------


def heading_for(zone, name: str, planned: dt.date | None, stage=Stage.SIGNED, **facts) -> Project:
    """A project at ``stage`` whose next milestone is planned on ``planned``."""
    project = ProjectFactory(zone=zone, name=name, stage=stage, **facts)
    if stage in NEXT_STAGE and planned is not None:
        MilestoneFactory(project=project, stage=NEXT_STAGE[stage], planned_date=planned)
    return project


def item(project: Project, code: str) -> ApprovalItem:
    return project.approval_items.select_related("approval_type").get(approval_type__code=code)


def accept(subject: ApprovalItem, on: dt.date, by) -> ApprovalItem:
    workflow.run_transition(subject, "start_preparing", by=by)
    workflow.run_transition(subject, "accept", by=by, accepted_on=on)
    subject.refresh_from_db()
    return subject


# --- the project list ----------------------------------------------------------------------


class TestTheListColours:
    CASES = {
        # name: (next milestone planned on, its colour)
        "八天后到期": (D(2025, 10, 4), Colour.GREEN),
        "半年后到期": (D(2026, 3, 31), Colour.GREEN),
        "七天内到期": (D(2025, 10, 3), Colour.YELLOW),
        "今天到期": (TODAY, Colour.YELLOW),
        "迟了一天": (D(2025, 9, 25), Colour.YELLOW),
        "迟了三十天": (D(2025, 8, 27), Colour.YELLOW),
        "迟了三十一天": (D(2025, 8, 26), Colour.RED),
        "迟了半年": (D(2025, 3, 1), Colour.RED),
    }

    @pytest.fixture
    def cases(self, zone, alice) -> None:
        for name, (planned, _colour) in self.CASES.items():
            heading_for(zone, name, planned, officer=alice)
        # No next milestone: none planned yet, or none left (at capacity, the case is closed).
        heading_for(zone, "尚未计划", None, stage=Stage.RESERVE)
        heading_for(zone, "已达产", None, stage=Stage.AT_CAPACITY)
        # Its next milestone (in production) is green; the start-of-works one it has passed
        # was never given an actual date and is long past its plan: it is not late.
        passed = heading_for(zone, "已开工的项目", D(2026, 6, 30), stage=Stage.UNDER_CONSTRUCTION)
        MilestoneFactory(project=passed, stage=Stage.READY, planned_date=D(2025, 1, 15))

    def test_the_next_milestone_shows_its_date_and_a_dot_named_by_its_colour(
        self, cases, as_user, alice
    ):
        cells = listed(as_user(alice))
        for name, (planned, colour) in self.CASES.items():
            assert planned.isoformat() in cells[name], name
            assert dot(cells[name]) == shows(colour), name
        assert "具备开工条件" in cells["八天后到期"]  # the stage it heads for, by name

    def test_a_project_with_no_next_milestone_has_no_dot(self, cases, as_user, alice):
        cells = listed(as_user(alice))
        assert dot(cells["尚未计划"]) is None
        assert dot(cells["已达产"]) is None

    def test_a_milestone_of_a_stage_the_project_has_passed_is_never_late(
        self, cases, as_user, alice
    ):
        cells = listed(as_user(alice))
        assert dot(cells["已开工的项目"]) == shows(Colour.GREEN)
        assert "2026-06-30" in cells["已开工的项目"]

    @pytest.mark.parametrize("colour", [Colour.GREEN, Colour.YELLOW, Colour.RED])
    def test_the_colour_filter_returns_exactly_the_projects_of_that_colour(
        self, cases, as_user, alice, colour
    ):
        expected = {name for name, (_day, c) in self.CASES.items() if c == colour}
        if colour == Colour.GREEN:
            expected.add("已开工的项目")
        assert set(listed(as_user(alice), f"?colour={colour.value}")) == expected

    def test_the_at_risk_filter_returns_none_when_nothing_is_foreseen(self, cases, as_user, alice):
        foresight.refresh()
        assert listed(as_user(alice), "?colour=at_risk") == {}

    def test_every_project_is_in_exactly_one_colour_or_none(self, cases, as_user, alice):
        client = as_user(alice)
        everything = set(listed(client))
        by_colour = [set(listed(client, f"?colour={c}")) for c in Colour.values]
        assert sum(len(s) for s in by_colour) == len(set().union(*by_colour))
        assert everything - set().union(*by_colour) == {"尚未计划", "已达产"}

    def test_a_month_only_plan_as_imports_store_it_is_due_at_the_end_of_the_month(
        self, zone, as_user, alice
    ):
        """Guide section 6: "2025年8月" is due on 08-31, 26 days ago today: yellow, not red."""
        project = heading_for(zone, "八月计划", None, officer=alice)
        MilestoneFactory(
            project=project,
            stage=Stage.READY,
            planned_date=D(2025, 8, 31),
            planned_month_only=True,
        )
        assert dot(listed(as_user(alice))["八月计划"]) == shows(Colour.YELLOW)
        assert set(listed(as_user(alice), "?colour=yellow")) == {"八月计划"}

    def test_a_month_only_plan_entered_on_the_form_is_due_at_the_end_of_that_month(
        self, zone, as_user, alice
    ):
        project = heading_for(zone, "八月计划", None, officer=alice)
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[project.pk])
        data = change_form_data(client, url)
        data.update(
            {
                "milestones-TOTAL_FORMS": "1",
                "milestones-0-project": project.pk,
                "milestones-0-stage": Stage.READY,
                "milestones-0-planned_date": "2025-08-01",
                "milestones-0-planned_month_only": "on",
            }
        )
        assert client.post(url, data).status_code == 302
        assert Milestone.objects.get(project=project).planned_month_only
        cell = listed(client)["八月计划"]
        assert dot(cell) == shows(Colour.YELLOW)
        assert set(listed(client, "?colour=yellow")) == {"八月计划"}
        assert set(listed(client, "?colour=red")) == set()


class TestThresholdsAdministratorsSet:
    URL = reverse("admin:approvals_warningsettings_change")

    def post_settings(self, client, **changes) -> None:
        data = change_form_data(client, self.URL, **changes)
        response = client.post(self.URL, data)
        assert response.status_code == 302, response.content.decode()[:2000]

    def test_a_longer_yellow_window_and_a_shorter_red_limit_change_the_colours(
        self, zone, as_user, superuser, alice
    ):
        heading_for(zone, "十四天后", D(2025, 10, 10), officer=alice)
        heading_for(zone, "十五天后", D(2025, 10, 11), officer=alice)
        heading_for(zone, "迟了十天", D(2025, 9, 16), officer=alice)
        heading_for(zone, "迟了十一天", D(2025, 9, 15), officer=alice)
        client = as_user(alice)
        before = {name: dot(cell) for name, cell in listed(client).items()}
        assert before == {
            "十四天后": shows(Colour.GREEN),
            "十五天后": shows(Colour.GREEN),
            "迟了十天": shows(Colour.YELLOW),
            "迟了十一天": shows(Colour.YELLOW),
        }

        self.post_settings(
            as_user(superuser), milestone_yellow_within_days=14, milestone_red_after_days=10
        )
        stored = WarningSettings.objects.get()
        assert (stored.milestone_yellow_within_days, stored.milestone_red_after_days) == (14, 10)

        client = as_user(alice)
        after = {name: dot(cell) for name, cell in listed(client).items()}
        assert after == {
            "十四天后": shows(Colour.YELLOW),
            "十五天后": shows(Colour.GREEN),
            "迟了十天": shows(Colour.YELLOW),
            "迟了十一天": shows(Colour.RED),
        }
        assert set(listed(client, "?colour=yellow")) == {"十四天后", "迟了十天"}
        assert set(listed(client, "?colour=red")) == {"迟了十一天"}
        assert set(listed(client, "?colour=green")) == {"十五天后"}

    def test_an_officer_cannot_open_the_thresholds(self, as_user, alice):
        assert as_user(alice).get(self.URL).status_code in (302, 403)


# --- the project page ----------------------------------------------------------------------


class TestTheProjectPageMilestones:
    def test_every_milestone_shows_its_colour(self, zone, as_user, alice):
        project = ProjectFactory(
            zone=zone, name="晋中光伏组件项目", stage=Stage.READY, officer=alice
        )
        for stage, planned, actual in (
            (Stage.SIGNED, D(2025, 2, 1), D(2025, 3, 1)),  # reached (a month late): done
            (Stage.READY, D(2025, 4, 1), None),  # the stage it is at, no date recorded
            (Stage.UNDER_CONSTRUCTION, D(2025, 8, 1), None),  # 56 days late
            (Stage.IN_PRODUCTION, D(2025, 9, 20), None),  # 6 days late
            (Stage.AT_CAPACITY, D(2026, 6, 1), None),  # not yet due
        ):
            MilestoneFactory(project=project, stage=stage, planned_date=planned, actual_date=actual)
        response = as_user(alice).get(
            reverse("admin:approvals_project_change", args=[project.pk]), {"case_tab": "plans"}
        )  # the milestones' tab, fetched when opened
        assert milestone_rows(response.content.decode()) == {
            Stage.SIGNED: shows(Colour.GREEN),
            Stage.READY: None,
            Stage.UNDER_CONSTRUCTION: shows(Colour.RED),
            Stage.IN_PRODUCTION: shows(Colour.YELLOW),
            Stage.AT_CAPACITY: shows(Colour.GREEN),
        }

    def test_a_milestone_of_a_stage_passed_without_a_date_has_no_colour(self, zone, as_user, alice):
        project = ProjectFactory(zone=zone, stage=Stage.IN_PRODUCTION, officer=alice)
        MilestoneFactory(project=project, stage=Stage.READY, planned_date=D(2024, 5, 1))
        MilestoneFactory(
            project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2024, 9, 1)
        )
        MilestoneFactory(project=project, stage=Stage.AT_CAPACITY, planned_date=D(2025, 9, 1))
        response = as_user(alice).get(
            reverse("admin:approvals_project_change", args=[project.pk]), {"case_tab": "plans"}
        )  # the milestones' tab, fetched when opened
        assert milestone_rows(response.content.decode()) == {
            Stage.READY: None,
            Stage.UNDER_CONSTRUCTION: None,
            Stage.AT_CAPACITY: shows(Colour.YELLOW),  # 25 days late
        }


# --- foreseen delay ------------------------------------------------------------------------


def signed_with_one_item_open(zone, alice, name: str = "晋中锂电隔膜项目") -> Project:
    """A signed project whose before-works items are all settled but LX08 (建设用地规划许可证,
    10 working days, not yet applied for), HP01 and SG03 (calendar days) left to the caller."""
    project = ProjectFactory(zone=zone, name=name, stage=Stage.SIGNED, officer=alice)
    checklist_generate(project=project, by=administrator())
    lx01 = accept(item(project, "LX01"), D(2025, 9, 1), alice)
    workflow.run_transition(
        lx01, "approve", by=alice, approved_on=D(2025, 9, 2), document_number="晋中备〔2025〕8号"
    )
    for code in ("LX03", "LX06", "LX07", "HP05", "GC01", "SG02"):
        workflow.item_set_mode(
            item(project, code), Mode.NOT_APPLICABLE, by=alice, reason="园区已统一办理"
        )
    return project


def plan_start(project: Project, planned: dt.date) -> None:
    MilestoneFactory(project=project, stage=Stage.READY, planned_date=D(2025, 10, 20))
    MilestoneFactory(project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=planned)


class TestForeseenDelay:
    @pytest.fixture
    def at_risk(self, zone, alice) -> Project:
        """LX08 not applied for yet: 10 working days from today, across National Day, is
        Thursday 10-16 (09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13, 10-14, 10-15, 10-16).
        Counting Monday to Friday would give 10-10, calendar days 10-06: a start planned on
        10-13 is at risk only on the official calendar."""
        project = signed_with_one_item_open(zone, alice)
        for code in ("HP01", "SG03"):
            workflow.item_set_mode(
                item(project, code), Mode.NOT_APPLICABLE, by=alice, reason="不涉及"
            )
        plan_start(project, D(2025, 10, 13))
        foresight.refresh()
        return project

    def page(self, client, project) -> str:
        response = client.get(reverse("admin:approvals_project_change", args=[project.pk]))
        assert response.status_code == 200
        return response.content.decode()

    def test_the_list_and_its_filter_show_it_at_risk(self, at_risk, zone, as_user, alice):
        heading_for(zone, "按期推进", D(2025, 11, 30), officer=alice)
        client = as_user(alice)
        assert set(listed(client, "?colour=at_risk")) == {at_risk.name}
        cells = listed(client)
        assert dot(cells[at_risk.name]) == shows(Colour.AT_RISK)
        assert set(listed(client, "?colour=green")) == {"按期推进"}

    def test_the_panel_shows_the_planned_date_the_earliest_date_and_the_deciding_item(
        self, at_risk, as_user, alice
    ):
        page = self.page(as_user(alice), at_risk)
        panel = re.sub(
            r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", section(page, "foreseen-delay")))
        )
        assert "2025-10-13" in panel  # planned
        assert "2025-10-16" in panel  # the earliest
        assert "LX08 建设用地规划许可证" in panel
        lx08 = item(at_risk, "LX08")
        assert reverse("admin:approvals_approvalitem_change", args=[lx08.pk]) in section(
            page, "foreseen-delay"
        )
        assert "2025-09-26" in panel  # foreseen since today

    def test_the_start_milestone_reads_as_foreseen_delay_on_the_project_page(
        self, at_risk, as_user, alice
    ):
        plans = as_user(alice).get(
            reverse("admin:approvals_project_change", args=[at_risk.pk]), {"case_tab": "plans"}
        )  # the milestones' tab, fetched when opened
        rows = milestone_rows(plans.content.decode())
        assert rows[Stage.UNDER_CONSTRUCTION] == shows(Colour.AT_RISK)
        assert rows[Stage.READY] == shows(Colour.GREEN)

    @pytest.mark.parametrize(
        ("moved_to", "still_at_risk"),
        [(D(2025, 10, 15), True), (D(2025, 10, 16), False), (D(2025, 10, 17), False)],
    )
    def test_moving_the_planned_start_on_the_project_form_ends_or_keeps_it(
        self, at_risk, as_user, alice, moved_to, still_at_risk
    ):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[at_risk.pk])
        data = change_form_data(client, url)
        index = next(
            i
            for i in range(int(data["milestones-TOTAL_FORMS"]))
            if data[f"milestones-{i}-stage"] == Stage.UNDER_CONSTRUCTION
        )
        data[f"milestones-{index}-planned_date"] = moved_to.isoformat()
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        assert Milestone.objects.get(
            project=at_risk, stage=Stage.UNDER_CONSTRUCTION
        ).planned_date == (moved_to)
        assert Project.objects.get(pk=at_risk.pk).at_risk is still_at_risk
        page = self.page(client, at_risk)
        assert ('id="foreseen-delay"' in page) is still_at_risk
        assert (at_risk.name in listed(client, "?colour=at_risk")) is still_at_risk

    def test_an_accepted_item_decides_by_its_deadline(self, zone, as_user, alice):
        """Accepted on 09-25: 10 working days end on 10-15 (09-26, 09-28, 09-29, 09-30, 10-09,
        10-10, 10-11, 10-13, 10-14, 10-15)."""
        project = signed_with_one_item_open(zone, alice)
        for code in ("HP01", "SG03"):
            workflow.item_set_mode(
                item(project, code), Mode.NOT_APPLICABLE, by=alice, reason="不涉及"
            )
        lx08 = accept(item(project, "LX08"), D(2025, 9, 25), alice)
        assert lx08.deadline == D(2025, 10, 15)
        plan_start(project, D(2025, 10, 14))
        foresight.refresh()
        client = as_user(alice)
        panel = section(self.page(client, project), "foreseen-delay")
        assert "2025-10-14" in panel and "2025-10-15" in panel and "LX08" in panel
        assert "已受理" in panel
        assert set(listed(client, "?colour=at_risk")) == {project.name}

    def test_a_limit_in_calendar_days_counts_every_day(self, zone, as_user, alice):
        """HP01 (环评) 60 days, not applied for: 11-25; SG03 7 days: 10-03. HP01 decides."""
        project = signed_with_one_item_open(zone, alice)
        workflow.item_set_mode(
            item(project, "LX08"), Mode.NOT_APPLICABLE, by=alice, reason="不涉及"
        )
        plan_start(project, D(2025, 11, 24))
        foresight.refresh()
        panel = section(self.page(as_user(alice), project), "foreseen-delay")
        assert "2025-11-24" in panel and "2025-11-25" in panel and "HP01" in panel

    def test_nothing_is_foreseen_when_the_plan_leaves_time_enough(self, zone, as_user, alice):
        project = signed_with_one_item_open(zone, alice)
        for code in ("HP01", "SG03"):
            workflow.item_set_mode(
                item(project, code), Mode.NOT_APPLICABLE, by=alice, reason="不涉及"
            )
        plan_start(project, D(2025, 10, 16))
        foresight.refresh()
        client = as_user(alice)
        assert 'id="foreseen-delay"' not in self.page(client, project)
        assert listed(client, "?colour=at_risk") == {}
        assert dot(listed(client)[project.name]) == shows(Colour.GREEN)


# --- 我的待办 ------------------------------------------------------------------------------


class TestMyToDo:
    @pytest.fixture
    def desk(self, zone, other_zone, alice, bob, lily, charlie) -> dict[str, Project]:
        projects = {
            "red": heading_for(zone, "晋中红色项目", D(2025, 6, 1), officer=alice, leader=lily),
            "yellow": heading_for(zone, "晋中黄色项目", D(2025, 9, 30), officer=alice, leader=lily),
            "green": heading_for(zone, "晋中绿色项目", D(2025, 12, 1), officer=alice, leader=lily),
            "red_unfollowed": heading_for(
                zone, "晋中无人包联的红色项目", D(2025, 5, 1), officer=alice
            ),
            "charlies_red": heading_for(other_zone, "祁县红色项目", D(2025, 7, 1), officer=charlie),
        }
        at_risk = signed_with_one_item_open(zone, alice, name="晋中预计延误项目")
        for code in ("HP01", "SG03"):
            workflow.item_set_mode(
                item(at_risk, code), Mode.NOT_APPLICABLE, by=alice, reason="不涉及"
            )
        plan_start(at_risk, D(2025, 10, 13))
        projects["at_risk"] = at_risk
        # Items: LX08 accepted 08-01, due 08-15, red; LX03 accepted 08-15, 20 working days,
        # due 09-12, exactly 10 working days late, yellow; GC01 accepted today, due 10-16, green.
        items = ProjectFactory(zone=zone, name="晋中审批中项目", stage=Stage.SIGNED, officer=alice)
        checklist_generate(project=items, by=administrator())
        assert accept(item(items, "LX08"), D(2025, 8, 1), alice).deadline == D(2025, 8, 15)
        assert accept(item(items, "LX03"), D(2025, 8, 15), alice).deadline == D(2025, 9, 12)
        assert accept(item(items, "GC01"), TODAY, alice).deadline == D(2025, 10, 16)
        projects["items"] = items
        foresight.refresh()
        return projects

    def test_the_officer_sees_its_late_and_at_risk_projects_items_and_unread_reminders(
        self, desk, as_user, alice
    ):
        reminders.run(TODAY)
        # Her two late projects, her two late items and the foreseen delay; the yellow
        # project is not due yet.
        unread = Reminder.objects.unread(alice).count()
        assert unread == 5
        sections = todo(as_user(alice))
        late_total, late = sections["late"]
        assert late_total == 4
        for key in ("red", "yellow", "red_unfollowed", "at_risk"):
            assert desk[key].name in late, key
        assert desk["green"].name not in late and "祁县" not in late
        assert re.search(
            rf'title="{NAME[Colour.AT_RISK]}">●</strong> <a [^>]*>{desk["at_risk"].name}', late
        )
        items_total, items = sections["items"]
        assert items_total == 2
        assert "LX08" in items and "LX03" in items and "GC01" not in items
        assert (
            f'title="{NAME[Colour.RED]}">●</strong> <a href="{reverse("admin:approvals_approvalitem_change", args=[item(desk["items"], "LX08").pk])}"'
            in items
        )
        assert sections["reminders"][0] == unread
        assert "awaiting" not in sections and "followed_red" not in sections

    def test_the_supervisor_sees_requests_awaiting_it_and_the_red_projects_of_its_zone(
        self, desk, zone, as_user, alice, bob
    ):
        reserve = ProjectFactory(zone=zone, name="晋中待签约项目", officer=alice)
        workflow.request_transition(
            reserve, "sign", alice, agreement_date=D(2025, 9, 20), attachments=documents()
        )
        sections = todo(as_user(bob))
        assert sections["awaiting"][0] == 1
        total, red = sections["zone_red"]
        assert total == 2
        assert desk["red"].name in red and desk["red_unfollowed"].name in red
        assert desk["yellow"].name not in red and desk["charlies_red"].name not in red
        assert "late" not in sections and "items" not in sections

    def test_the_leader_sees_only_the_red_projects_it_follows(self, desk, as_user, lily):
        sections = todo(as_user(lily))
        assert set(sections) == {"followed_red", "escalated"}
        total, red = sections["followed_red"]
        assert total == 1
        assert desk["red"].name in red
        for key in ("yellow", "green", "red_unfollowed", "at_risk", "charlies_red"):
            assert desk[key].name not in red, key

    def test_an_officer_of_another_zone_sees_none_of_this_zones_projects(
        self, desk, as_user, charlie
    ):
        reminders.run(TODAY)
        response = as_user(charlie).get(INDEX)
        page = response.content.decode()
        assert "晋中" not in section(page, "my-todo")
        sections = todo(as_user(charlie))
        assert sections["late"][0] == 1
        assert desk["charlies_red"].name in sections["late"][1]
        assert sections["items"][0] == 0

    @pytest.fixture
    def problems(self, desk, zone, alice, bob, lily):
        """alice's problems: one red (deadline 40 days ago, escalated by the ladder), one
        yellow (due in 5 days), one green (due in 20 days); one resolved by alice and one by
        bob, both waiting for 销号."""
        from approvals.casework import problems as services
        from approvals.models import Problem

        def add(text, due, project="red"):
            return services.problem_add(
                project=desk[project],
                by=alice,
                description=text,
                deadline=TODAY + dt.timedelta(days=due),
                reported_on=D(2025, 6, 1),
            )

        made = {
            "red": add("用地指标未落实", -40),
            "yellow": add("用电增容待批复", 5),
            "green": add("用工缺口", 20, "green"),
        }
        for key, who in (("by_alice", alice), ("by_bob", bob)):
            made[key] = add(f"资金缺口（{key}）", 10, "yellow")
            services.problem_transition(
                made[key], "resolve", by=who, resolution="已解决", resolved_on=TODAY
            )
        reminders.run(TODAY)  # the ladder escalates the red one to lily
        assert Problem.objects.get(pk=made["red"].pk).status == "escalated"
        return made

    def test_each_person_sees_its_own_part_of_the_problems(
        self, problems, as_user, alice, bob, lily
    ):
        mine = todo(as_user(alice))["problems"]
        assert mine[0] == 2
        assert "用地指标未落实" in mine[1] and "用电增容待批复" in mine[1]
        assert "用工缺口" not in mine[1]
        closing = todo(as_user(bob))["closing"]
        assert closing[0] == 1 and "by_alice" in closing[1] and "by_bob" not in closing[1]
        escalated = todo(as_user(lily))["escalated"]
        assert escalated[0] == 1 and "用地指标未落实" in escalated[1]

    @pytest.mark.parametrize(
        ("person", "key"), [("alice", "problems"), ("bob", "closing"), ("lily", "escalated")]
    )
    def test_each_problem_sections_link_lists_what_it_counts(
        self, problems, as_user, alice, bob, lily, person, key
    ):
        client = as_user({"alice": alice, "bob": bob, "lily": lily}[person])
        total, html = todo(client)[key]
        assert total > 0
        assert self.follow(client, html).result_count == total

    @staticmethod
    def follow(client, section_html: str):
        link = unescape(
            re.search(r'<th scope="row"[^>]*><a href="([^"]*)"[^>]*>', section_html).group(1)
        )
        response = client.get(link)
        assert response.status_code == 200, link
        return response.context["cl"]

    @pytest.mark.parametrize(
        ("person", "key"),
        [
            ("bob", "zone_red"),
            ("lily", "followed_red"),
            ("alice", "reminders"),
            ("alice", "late"),
            ("alice", "items"),
        ],
    )
    def test_each_sections_link_lists_what_the_section_counts(
        self, desk, as_user, alice, bob, lily, person, key
    ):
        reminders.run(TODAY)
        who = {"alice": alice, "bob": bob, "lily": lily}[person]
        client = as_user(who)
        total, html = todo(client)[key]
        assert total > 0
        assert self.follow(client, html).result_count == total

    def test_the_index_takes_as_many_queries_for_40_late_projects_as_for_5(
        self, zone, as_user, alice
    ):
        def late(first: int, last: int) -> None:
            for n in range(first, last):
                heading_for(
                    zone, f"迟延项目{n:02d}", D(2025, 6, 1) + dt.timedelta(days=n), officer=alice
                )

        late(0, 5)
        client = as_user(alice)
        client.get(INDEX)  # the session and the caches warm

        def queries() -> int:
            # The dashboard below the to-do list counts its figures once per state of the data
            # (tests/figures/test_dashboard.py counts them afresh): both visits find them counted.
            client.get(INDEX)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(INDEX)
            assert response.status_code == 200
            return len(captured.captured_queries)

        few = queries()
        assert todo(client)["late"][0] == 5
        late(5, 40)
        many = queries()
        assert todo(client)["late"][0] == 40
        assert many == few


# --- the reminders inbox -------------------------------------------------------------------


class TestRemindersInbox:
    @pytest.fixture
    def reminded(self, zone, alice, bob, lily) -> dict[str, Reminder]:
        """Two late projects: one 56 days late (red: officer, supervisors and leader hear of
        it), one 3 days late (the officer only)."""
        heading_for(zone, "晋中迟了很久的项目", D(2025, 8, 1), officer=alice, leader=lily)
        heading_for(zone, "晋中刚刚迟了的项目", D(2025, 9, 23), officer=alice, leader=lily)
        outcome = reminders.run(TODAY)
        assert outcome.working_day
        rows = Reminder.objects.select_related("project")
        assert {(r.recipient.username, r.step) for r in rows} == {
            ("alice", Step.OFFICER),
            ("bob", Step.SUPERVISOR),
            ("lily", Step.LEADER),
        }
        assert rows.filter(recipient=alice).count() == 2
        assert not rows.filter(delivered_at__isnull=True).exists()
        return {
            "alice": rows.filter(recipient=alice, project__name="晋中迟了很久的项目").get(),
            "bob": rows.get(recipient=bob),
            "lily": rows.get(recipient=lily),
        }

    def test_a_milestone_of_a_stage_passed_brings_no_reminder(self, zone, alice):
        passed = heading_for(zone, "已开工的项目", D(2026, 6, 30), stage=Stage.UNDER_CONSTRUCTION)
        MilestoneFactory(project=passed, stage=Stage.READY, planned_date=D(2025, 1, 15))
        passed.officer = alice
        passed.save()
        reminders.run(TODAY)
        assert not Reminder.objects.filter(project=passed).exists()

    def test_every_admin_page_shows_the_unread_count(self, reminded, as_user, alice, bob):
        client = as_user(alice)
        project = reminded["alice"].project
        for url in (
            INDEX,
            PROJECTS,
            reverse("admin:approvals_project_change", args=[project.pk]),
            reverse("admin:approvals_approvalitem_changelist"),
            INBOX,
            reverse("admin:approvals_stagerequest_changelist"),
            reverse("admin:approvals_project_history", args=[project.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert unread_shown(response.content.decode()) == 2, url
        assert unread_shown(as_user(bob).get(INDEX).content.decode()) == 1

    @pytest.mark.parametrize("name", ["admin:password_change", "admin:password_change_done"])
    def test_the_password_change_pages_show_the_unread_count(self, reminded, as_user, alice, name):
        response = as_user(alice).get(reverse(name))
        assert response.status_code == 200
        assert unread_shown(response.content.decode()) == 2

    def test_a_person_without_reminders_reads_zero(self, reminded, as_user, stan):
        assert unread_shown(as_user(stan).get(INDEX).content.decode()) == 0

    def test_the_login_page_has_no_count(self, reminded, client):
        response = client.get(reverse("admin:login"))
        assert response.status_code == 200
        assert 'id="unread-reminders"' not in response.content.decode()

    def test_opening_a_reminder_reads_it_and_links_to_the_case(self, reminded, as_user, alice):
        reminder = reminded["alice"]
        client = as_user(alice)
        response = client.get(reverse("admin:approvals_reminder_change", args=[reminder.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        case = reverse("admin:approvals_project_change", args=[reminder.project_id])
        assert re.search(rf'<a href="{re.escape(case)}" id="open-case">', page)
        assert Reminder.objects.get(pk=reminder.pk).read_at == NOW
        assert unread_shown(client.get(INDEX).content.decode()) == 1
        assert client.get(case).status_code == 200  # the link opens

    def test_the_inbox_lists_only_ones_own_reminders(self, reminded, as_user, alice):
        response = as_user(alice).get(INBOX)
        assert response.status_code == 200
        shown = {r.pk for r in response.context["cl"].result_list}
        assert shown == set(Reminder.objects.filter(recipient=alice).values_list("pk", flat=True))

    def test_the_unread_link_filters_the_inbox(self, reminded, as_user, alice):
        client = as_user(alice)
        client.get(reverse("admin:approvals_reminder_change", args=[reminded["alice"].pk]))
        response = client.get(INBOX + "?unread=1")
        assert [r.pk for r in response.context["cl"].result_list] == list(
            Reminder.objects.unread(alice).values_list("pk", flat=True)
        )
        assert len(response.context["cl"].result_list) == 1

    def test_an_officer_marks_reminders_read_from_the_list(self, reminded, as_user, alice):
        client = as_user(alice)
        mine = list(Reminder.objects.filter(recipient=alice).values_list("pk", flat=True))
        response = client.post(
            INBOX, {"action": "mark_read", "_selected_action": mine, "index": 0, "select_across": 0}
        )
        assert response.status_code == 302
        assert not Reminder.objects.filter(pk__in=mine, read_at__isnull=True).exists()
        assert unread_shown(client.get(INDEX).content.decode()) == 0
        # The others' are still unread.
        assert (
            Reminder.objects.filter(recipient__username__in=["bob", "lily"], read_at=None).count()
            == 2
        )

    def test_another_persons_reminder_does_not_open_and_stays_unread(
        self, reminded, as_user, alice
    ):
        bobs = reminded["bob"]
        response = as_user(alice).get(reverse("admin:approvals_reminder_change", args=[bobs.pk]))
        assert response.status_code in (302, 403, 404)
        assert bobs.title not in response.content.decode()
        assert Reminder.objects.get(pk=bobs.pk).read_at is None

    def test_marking_another_persons_reminder_read_changes_nothing(self, reminded, as_user, alice):
        bobs = reminded["bob"]
        as_user(alice).post(
            INBOX, {"action": "mark_read", "_selected_action": [bobs.pk], "index": 0}
        )
        assert Reminder.objects.get(pk=bobs.pk).read_at is None

    def test_an_administrator_sees_every_reminder_without_reading_them(
        self, reminded, as_user, superuser
    ):
        client = as_user(superuser)
        response = client.get(INBOX)
        assert {r.pk for r in response.context["cl"].result_list} == set(
            Reminder.objects.values_list("pk", flat=True)
        )
        alices = reminded["alice"]
        page = client.get(reverse("admin:approvals_reminder_change", args=[alices.pk]))
        assert page.status_code == 200
        assert Reminder.objects.get(pk=alices.pk).read_at is None  # not the administrator's mail
        assert unread_shown(page.content.decode()) == 0
