"""The spreadsheets of the demo's story, as a zone's statistician would receive them: each round's
三个一批 list (the desk's own template), the approval progress tables (前期手续办理进度表) of the
signed projects as of a day, and the monthly progress tables (月调度表) of this year. Written in
memory as .xlsx; ``build`` imports them through the desk's import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from approvals.demo.story import (
    CatalogueItem,
    DemoProject,
    Round,
    image_progress,
    monthly_completed,
)
from approvals.models import Category
from approvals.spreadsheets import writing
from approvals.spreadsheets.exports import LIST_TEMPLATE, MONTHLY_TEMPLATE

CATEGORY_WORD = {Category.SIGN: "签约", Category.START: "开工", Category.PRODUCE: "投产"}
LISTED_PROGRESS = {
    Category.SIGN: "签约落地，加快办理前期手续",
    Category.START: "已开工建设",
    Category.PRODUCE: "已建成投产",
}


def round_list(index: int, listed: Round, projects: list[DemoProject]) -> tuple[str, bytes]:
    """(file name, .xlsx) of round ``index``'s list: every project it names, in the desk's
    template. A row plans what its category has ahead (a signing its start and production, a
    start its production); a project's 存在问题 is written by the list that first names it."""
    rows = []
    for p in (p for p in projects if index in p.listings):
        category = p.listings[index]
        first = index == p.first_round
        row = {
            "项目名称": p.name,
            "项目单位": p.enterprise,
            "所在开发区": p.zone,
            "行业": p.industry,
            "类别": CATEGORY_WORD[category],
            "当前阶段": p.stage_word(index),
            "总投资（亿元）": p.investment,
            "预计年产值（亿元）": p.output,
            "建设内容及规模": p.content,
            "计划开工时间": p.planned_start if category == Category.SIGN else None,
            "计划投产时间": p.planned_production if category != Category.PRODUCE else None,
            "包联领导": p.leader,
            "项目管家": p.officer,
            "形象进度": LISTED_PROGRESS[category],
            "存在问题": p.problem.text if p.problem and first else "无",
        }
        rows.append([len(rows) + 1, *(row.get(h, "") for h in LIST_TEMPLATE[1:])])
    title = f"晋中市{listed.label}三个一批项目清单"
    return f"{title}.xlsx", writing.xlsx([writing.Table("三个一批项目清单", LIST_TEMPLATE, rows)])


def approval_table(
    day: dt.date,
    since: dt.date | None,
    projects: list[DemoProject],
    catalogue: list[CatalogueItem],
) -> tuple[str, bytes, int]:
    """(file name, .xlsx, rows) of the progress table of ``day``: each project listed as
    signed by then whose items moved since the table of ``since`` (or that it did not name),
    every item as it stood that day."""
    headers = ["序号", "项目名称", "所在开发区", *(item.name for item in catalogue)]
    rows = []
    for p in projects:
        if not p.checklist or p.listed > day:
            continue
        cells = [p.checklist[item.code].cell(day) for item in catalogue]
        if since is not None and p.listed <= since:
            if cells == [p.checklist[item.code].cell(since) for item in catalogue]:
                continue  # nothing new: the zone leaves it out
        rows.append([len(rows) + 1, p.name, p.zone, *cells])
    data = writing.xlsx([writing.Table("前期手续办理进度表", headers, rows)])
    return f"晋中市前期手续办理进度表（截至{day:%Y-%m-%d}）.xlsx", data, len(rows)


def monthly_table(month: dt.date, projects: list[DemoProject]) -> tuple[str, bytes, int]:
    """(file name, .xlsx, rows) of ``month``'s progress table: the projects building in it, with
    the year's plan, the month's investment and the year's so far."""
    months = [dt.date(month.year, m, 1) for m in range(1, month.month + 1)]
    rows = []
    for p in projects:
        completed = monthly_completed(p, months)
        if completed[-1] is None:
            continue
        so_far = sum((c for c in completed if c is not None), Decimal(0))
        row = {
            "项目名称": p.name,
            "所在开发区": p.zone,
            "月份": f"{month:%Y年%m月}",
            "年度计划投资（万元）": p.annual_plan,
            "本月完成投资（万元）": completed[-1],
            "累计完成投资（万元）": so_far,
            "形象进度": image_progress(p, month),
            "存在问题": "无",
        }
        rows.append([len(rows) + 1, *(row.get(h, "") for h in MONTHLY_TEMPLATE[1:])])
    data = writing.xlsx([writing.Table("重点项目月调度表", MONTHLY_TEMPLATE, rows)])
    return f"晋中市重点项目月调度表（{month:%Y年%m月}）.xlsx", data, len(rows)
