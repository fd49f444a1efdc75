"""The 督办通报 as Word: generated for the week's data, opened with python-docx, its title,
period and each table read back against what the desk knows."""

from __future__ import annotations

import io

import docx

from approvals.bulletins import content, document, services
from approvals.models import CalendarDay, Milestone, Stage
from tests.bulletins.conftest import MONDAY, SUNDAY, D
from tests.factories import ProjectFactory


def opened(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def figure(table, name: str) -> str:
    return dict(rows(table)[1:])[name]


def test_it_writes_the_zones_bulletin_as_offices_read_it(week, zone):
    made = opened(services.render(zone=zone, week=D(2026, 12, 3)))
    lines = [p.text for p in made.paragraphs]
    assert lines[0] == "综改区晋中开发区重点项目督办通报（2026年第49周）"
    assert lines[1] == "综改区晋中开发区项目全代办服务中心    2026年12月7日"
    assert lines[2] == "通报时段：2026年11月30日至2026年12月6日"
    assert lines[3].startswith(
        "截至2026年12月6日，在办项目3个，其中红色（滞后）1个、黄色0个、预计延误1个"
    )
    assert "一、红色（滞后）项目" in lines and "四、本周工作数据" in lines
    red, at_risk, problems, figures = made.tables
    assert rows(red) == [
        ["序号", "项目名称", "所在开发区", "项目管家", "包联领导", "滞后事项", "滞后天数"],
        # 2026-09-01 to 2026-12-06: 96 calendar days, as the milestones' rule counts them
        [
            "1",
            "晋中红色滞后项目",
            "综改区晋中开发区",
            "艾丽",
            "莉莉",
            "计划开工日期 2026-09-01",
            "96",
        ],
    ]
    # the 不动产权证 (30 working days) not applied for: settled 30 working days after the day
    earliest = CalendarDay.objects.calendar().add_working_days(SUNDAY, 30)
    assert rows(at_risk)[1] == [
        "1",
        "晋中预计延误项目",
        "综改区晋中开发区",
        "艾丽",
        "莉莉",
        f"不动产权证：最早{earliest}具备开工条件（计划开工2026-12-20）",
        str((earliest - D(2026, 12, 20)).days),
    ]
    assert rows(problems) == [
        ["序号", "问题", "项目名称", "所在开发区", "责任单位/责任人", "办结时限", "逾期天数"],
        [
            "1",
            "用地指标未落实",
            "晋中红色滞后项目",
            "综改区晋中开发区",
            "自然资源局 / 鲍勃",
            "2026-11-20",
            "16",
        ],
    ]
    assert figure(figures, "在办项目") == "3"
    assert figure(figures, "红色（滞后）项目") == "1"
    assert figure(figures, "预计延误项目") == "1"
    assert figure(figures, "绿色项目") == "1"
    assert figure(figures, "本周新增问题") == "1"
    assert figure(figures, "逾期未解决问题") == "1"


def test_another_zones_red_project_is_absent(week, zone):
    text = "\n".join(
        cell.text
        for table in opened(services.render(zone=zone, week=MONDAY)).tables
        for row in table.rows
        for cell in row.cells
    )
    assert "晋中红色滞后项目" in text and "祁县红色滞后项目" not in text


def test_a_city_bulletin_holds_its_zones(week):
    made = opened(services.render(city="晋中市", week=MONDAY))
    assert made.paragraphs[0].text == "晋中市重点项目督办通报（2026年第49周）"
    red = rows(made.tables[0])
    # the longest late first: 祁县's start was planned a month earlier
    assert [row[1:3] for row in red[1:]] == [
        ["祁县红色滞后项目", "祁县经济开发区"],
        ["晋中红色滞后项目", "综改区晋中开发区"],
    ]
    assert red[1][3:5] == ["查理", "—"]  # no leader named


def test_an_empty_table_says_none(frozen, zone):
    made = opened(services.render(zone=zone, week=MONDAY))
    assert rows(made.tables[0])[1][0] == "无。"


def test_the_tables_are_a4_bordered_chinese_and_repeat_their_header(week, zone):
    made = opened(services.render(zone=zone, week=MONDAY))
    section = made.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    for table in made.tables:
        assert table.style.name == "Table Grid"
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.xpath("./w:tblHeader")
    title_run = made.paragraphs[0].runs[0]
    assert (
        title_run.bold
        and title_run._element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == document.TITLE_FACE
    )


def test_it_writes_to_a_path_too(week, zone, tmp_path):
    target = tmp_path / "通报.docx"
    document.write(content.build(zone=zone, week=MONDAY), str(target))
    assert docx.Document(str(target)).tables[0].rows[1].cells[1].text == "晋中红色滞后项目"


def test_its_queries_do_not_grow_with_rows(week, zone, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as few:
        content.build(zone=zone, week=MONDAY)
    for n in range(30):
        project = ProjectFactory(zone=zone, name=f"红色{n}", stage=Stage.SIGNED)
        Milestone.objects.create(
            project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2026, 8, n % 28 + 1)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        built = content.build(zone=zone, week=MONDAY)
    assert len(built.red) == 31
