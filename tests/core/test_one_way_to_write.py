"""One way to write things (issue 20; domain guide, section 12): a round is "2026年第3批"
everywhere, a day is 2026-12-06 in tables and 2026年12月6日 in sentences, investment is read in
亿元 to two decimals, the wording the issue lists is mended, and the desk has an icon. Each rule
has one home (``Batch.label``, ``approvals.core.display``, ``approvals.core.units``); these
tests read it where people do: the pages, the command line, the messages."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats

from approvals.cases.models.rounds import round_label
from approvals.cases.project_code import validate_project_code
from approvals.core import units
from approvals.core.dates import validate_not_future
from approvals.core.display import day, day_in_words, sentences
from approvals.figures import todo
from approvals.models import (
    PLANNED_DATE_LABELS,
    Batch,
    BatchEntry,
    Category,
    Milestone,
    SpreadsheetImport,
    Stage,
)
from approvals.spreadsheets import cells
from approvals.stages.from_lists import Effect, Outcome
from tests.factories import ListRequestFactory, ProjectFactory
from tests.spreadsheet_files import xlsx

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A Sunday morning in the zones; the round below is held that day.
NOW = dt.datetime(2026, 12, 6, 10, tzinfo=SHANGHAI)
INDEX = reverse("admin:index")
REPORTS = reverse("admin:reports")
PROJECTS = reverse("admin:approvals_project_changelist")
BATCHES = reverse("admin:approvals_batch_changelist")
LIST_UPLOAD = reverse("admin:approvals_project_spreadsheet_import")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def listed(zone):
    """Round 3 of 2026, held today, listing one project signed there for 50.441亿元 (504410
    万元): more digits than people read."""
    batch = Batch.objects.create(year=2026, round=3, event_date=D(2026, 12, 6))
    project = ProjectFactory(
        zone=zone, name="晋中储能电站项目", stage=Stage.SIGNED, total_investment=Decimal(504410)
    )
    Milestone.objects.create(
        project=project,
        stage=Stage.SIGNED,
        planned_date=batch.event_date,
        actual_date=batch.event_date,
    )
    BatchEntry.objects.create(
        batch=batch,
        project=project,
        category=Category.SIGN,
        name=project.name,
        total_investment=project.total_investment,
    )
    return batch, project


def text_of(response) -> str:
    body = response.content.decode()
    body = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", body)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def upload(client, data: bytes, **fields):
    file = io.BytesIO(data)
    file.name = "清单.xlsx"
    return client.post(LIST_UPLOAD, {"file": file, **fields})


# --- a round: "2026年第3批" -----------------------------------------------------------------------


def test_a_round_is_named_one_way():
    assert str(Batch(year=2026, round=3, event_date=D(2026, 12, 6))) == "2026年第3批"
    assert Batch(year=2026, round=3).label == "2026年第3批"
    # a round known by its event's date only, and one known by nothing
    assert round_label(None, None, D(2025, 4, 7)) == "2025年4月7日的一批"
    assert round_label(None, None, None) == "—"


def test_the_round_reads_the_same_on_the_pages_and_the_command_line(
    as_user, superuser, bob, stan, listed
):
    batch, project = listed
    pages = {
        "batches": as_user(superuser).get(BATCHES),
        "dashboard": as_user(bob).get(INDEX),
        "reports": as_user(stan).get(REPORTS),
        "case file": as_user(bob).get(reverse("admin:approvals_project_change", args=[project.pk])),
    }
    for where, response in pages.items():
        text = text_of(response)
        assert "2026年第3批" in text, where
        assert not re.search(r"2026-3\b", text), where
    assert "最近一批：2026年第3批" in text_of(pages["dashboard"])
    printed = io.StringIO()
    call_command("report", "sanpi", stdout=printed)
    assert "2026年第3批" in printed.getvalue() and not re.search(r"2026-3\b", printed.getvalue())


def test_the_import_preview_names_its_round_so(as_user, stan, zone):
    data = xlsx(
        {
            "清单": [
                ["序号", "项目名称", "所在开发区", "类别"],
                [1, "晋中新材料项目", zone.name, "签约"],
            ]
        }
    )
    response = upload(as_user(stan), data, year=2026, round=3, event_date="2026-12-20")
    assert response.status_code == 302, text_of(response)
    record = SpreadsheetImport.objects.get()
    assert record.round_label == "2026年第3批"
    heading = text_of(as_user(stan).get(response["Location"]))
    assert "清单.xlsx · 2026年第3批" in heading and not re.search(r"2026-3\b", heading)


# --- dates: 2026-12-06 in tables, 2026年12月6日 in sentences ------------------------------------


def test_a_day_in_a_table_and_in_a_sentence():
    assert day(D(2026, 12, 6)) == "2026-12-06"
    assert day_in_words(D(2026, 12, 6)) == "2026年12月6日"
    # a stored moment is read on its day in Asia/Shanghai: 16:30 UTC is 00:30 the next day
    late_evening = dt.datetime(2026, 12, 5, 16, 30, tzinfo=dt.UTC)
    assert (day(late_evening), day_in_words(late_evening)) == ("2026-12-06", "2026年12月6日")
    assert day(None) == day_in_words(None) == "—"


def test_the_admins_own_dates_read_as_the_tables_write_them(as_user, superuser, listed):
    assert formats.date_format(D(2026, 12, 6)) == "2026-12-06"
    assert formats.date_format(D(2026, 12, 6), "SHORT_DATE_FORMAT") == "2026-12-06"
    text = text_of(as_user(superuser).get(BATCHES))
    assert "2026-12-06" in text  # the event date, as Django's list shows a DateField
    assert "2026年12月6日" not in text


def test_sentences_write_the_date_in_words(as_user, bob, listed):
    # the dashboard's sentence on its period
    assert "转化率均按近12个月签约的项目计（2025年12月7日至2026年12月6日）。" in text_of(
        as_user(bob).get(INDEX)
    )
    # a message
    with pytest.raises(ValidationError) as refused:
        validate_not_future(D(2026, 12, 7))
    assert "2026年12月7日" in str(refused.value) and "2026-12-07" not in str(refused.value)
    # the import preview's text of a row whose round plans a milestone
    plan = Outcome(Effect.PLAN, stage=Stage.UNDER_CONSTRUCTION, day=D(2026, 12, 20))
    assert plan.text() == "计划开工日期：2026年12月20日"


def test_a_reminder_says_its_date_in_words(zone, alice):
    from approvals.reminders import scan

    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2026, 12, 4))
    # Monday 7 December: the first working day it is late
    bodies = [r.body for r in scan.scan(D(2026, 12, 7)).reminders if r.recipient == alice]
    assert bodies and all("计划具备开工条件日期为2026年12月4日" in body for body in bodies), bodies
    assert not any("2026-12-04" in body for body in bodies)


# --- investment: 亿元 to two decimals ------------------------------------------------------------


def test_investment_is_read_in_yi_to_two_decimals():
    assert units.shown(Decimal(504410)) == "50.44"
    assert units.shown(Decimal(500000)) == "50.00"
    assert units.shown(Decimal("1258")) == "0.13"
    assert units.shown(None) == "—"
    assert units.shown_yi(98.2) == "98.20"
    assert units.yi_shown_number(0.125) == Decimal("0.12")  # half to even, as every rounding
    assert units.yi(Decimal(504410)) == Decimal("50.441")  # the figure as data keeps its digits


def test_the_list_the_case_file_and_the_dashboard_show_two_decimals(as_user, bob, listed):
    _, project = listed
    client = as_user(bob)
    listing = client.get(PROJECTS).content.decode()
    assert re.search(r'<td class="field-investment_yi[ "][^>]*>50.44</td>', listing)
    case_file = text_of(client.get(reverse("admin:approvals_project_change", args=[project.pk])))
    assert "50.44" in case_file and "50.441" not in case_file
    assert "填报总投资 50.44 亿元" in case_file  # the round's entry, as reported
    dashboard = client.get(INDEX).content.decode()
    signed = re.search(rf'<tr id="stage-{Stage.SIGNED}"[^>]*>(.*?)</tr>', dashboard, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", signed) == ["1", "50.44"]
    assert "50.441" not in dashboard


def test_the_weekly_dispatch_table_reads_two_decimals(as_user, alice, listed):
    from openpyxl import load_workbook

    sheet = load_workbook(
        io.BytesIO(as_user(alice).get(reverse("admin:approvals_project_dispatch")).content)
    ).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = next(r for r in rows if r and "总投资（亿元）" in r).index("总投资（亿元）")
    assert [r[column] for r in rows if r and r[2] == "晋中储能电站项目"] == [50.44]


# --- the wording the issue lists --------------------------------------------------------------


def test_the_preview_names_a_plan_as_a_date(as_user, stan, zone):
    assert [str(PLANNED_DATE_LABELS[s]) for s in (Stage.SIGNED, Stage.UNDER_CONSTRUCTION)] == [
        "计划签约日期",
        "计划开工日期",
    ]
    headers = ["序号", "项目名称", "所在开发区", "类别", "计划开工时间", "计划投产时间"]
    data = xlsx(
        {"清单": [headers, [1, "晋中新材料项目", zone.name, "签约", "2027年3月", "2028年6月"]]}
    )
    response = upload(as_user(stan), data, year=2026, round=3, event_date="2026-12-20")
    preview = text_of(as_user(stan).get(response["Location"]))
    assert "计划开工日期 ：— → 2027-03" in preview and "计划投产日期 ：— → 2028-06" in preview
    assert (
        "计划已开工" not in preview and "计划已投产" not in preview and "计划已签约" not in preview
    )


def test_messages_are_joined_without_doubled_punctuation(as_user, alice, zone):
    assert (
        sentences(["当前为“已签约”，不能执行；可执行于：已投产。", "已有待审批的申请：X"])
        == "当前为“已签约”，不能执行；可执行于：已投产。已有待审批的申请：X。"
    )
    assert sentences(["缺少签约日期", "", "无审批清单；"]) == "缺少签约日期；无审批清单"
    assert sentences(["缺少签约日期；", "无审批清单。"]) == "缺少签约日期；无审批清单。"
    # the project page: a change not possible now while a request waits
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    ListRequestFactory(project=project, requested_by=alice)
    page = as_user(alice).get(reverse("admin:approvals_project_change", args=[project.pk]))
    blocked = re.search(r'id="blocked-reach_capacity">(.*?)</li>', page.content.decode(), re.S)
    reason = unescape(re.sub(r"<[^>]+>", "", blocked.group(1)))
    assert "可执行于：已投产。已有待审批的申请：" in reason, reason
    assert not re.search(r"[。；][。；]", reason)


def test_a_project_code_error_says_the_form_in_words():
    with pytest.raises(ValidationError) as refused:
        validate_project_code("2509-1406")
    message = str(refused.value)
    assert "项目代码应为 2509-140602-89-05-864976 这样的格式" in message
    assert "6位行政区划代码" in message and "dddd" not in message
    with pytest.raises(cells.CellError) as bad_cell:
        cells.project_code("2509-1406")
    assert "这样的格式" in str(bad_cell.value) and "dddd" not in str(bad_cell.value)


def test_only_who_may_add_is_told_to_add(as_user, alice, lily, project):
    nothing = {"q": "没有这样的项目"}
    leader = text_of(as_user(lily).get(PROJECTS, nothing))
    assert "此页没有结果" in leader and "新增" not in leader
    officer = text_of(as_user(alice).get(PROJECTS, nothing))
    assert "可新增一项" in officer


def test_the_red_projects_title_names_the_zones_it_covers(
    as_user, superuser, bob, zone, other_zone
):
    assert todo.zones_red_title(superuser) == "全部开发区红色预警项目"
    assert todo.zones_red_title(bob) == "综改区晋中开发区红色预警项目"
    index = text_of(as_user(superuser).get(INDEX))
    assert "全部开发区红色预警项目" in index and "本开发区" not in index


# --- the icon ---------------------------------------------------------------------------------


def test_the_desk_has_an_icon(client, as_user, bob):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 302
    assert answer["Location"].endswith("approvals/favicon.ico")
    assert finders.find("approvals/favicon.ico") and finders.find("approvals/favicon.svg")
    for page in (client.get(reverse("admin:login")), as_user(bob).get(INDEX)):
        html = page.content.decode()
        assert re.search(r'<link rel="icon" href="[^"]*approvals/favicon\.svg"', html)
