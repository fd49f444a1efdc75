"""A 督办通报 written as Word (.docx, python-docx) in the form offices use: the title centred in
a heavy face, the issuing line (centre and date), the period, a summary paragraph with the
week's figures, then four tables — 一、红色（滞后）项目, 二、预计延误项目, 三、逾期未解决问题,
四、本周工作数据 — on A4, with borders and a header row repeated on every page.

Chinese faces are set on every run for East Asian text (``w:eastAsia``): python-docx's
``font.name`` sets only the Latin face, and Word would then show Chinese in its default face.
The faces are those of official documents (方正小标宋简体 for the title, 黑体 for headings,
仿宋_GB2312 for text); a computer without them substitutes its own."""

from __future__ import annotations

import copy
from typing import IO

import docx
from django.utils.translation import pgettext
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from approvals.bulletins.content import BulletinContent, LateProject
from approvals.core.display import day, day_in_words

TITLE_FACE = "方正小标宋简体"
HEADING_FACE = "黑体"
TEXT_FACE = "仿宋_GB2312"
LATIN_FACE = "Times New Roman"


def _face(run, face: str, size: float, *, bold: bool = False) -> None:
    run.font.name = LATIN_FACE
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), face)


def _paragraph(document, text: str, face: str, size: float, *, bold=False, centred=False):
    paragraph = document.add_paragraph()
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _face(paragraph.add_run(text), face, size, bold=bold)
    return paragraph


def _repeat_header(row) -> None:
    """The row is repeated at the top of each page the table runs onto (``w:tblHeader``)."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _cell(cell, text: str, *, bold: bool = False) -> None:
    cell.text = ""
    _face(cell.paragraphs[0].add_run(text), TEXT_FACE, 10.5, bold=bold)


def _table(document, headers: list[str], rows: list[list[str]]) -> None:
    """A table with its header row, and a row per item copied from one row written through
    python-docx: written cell by cell, a city's thousand red projects took nine seconds."""
    table = document.add_table(rows=2, cols=len(headers))
    table.style = "Table Grid"  # python-docx's default template: single borders on every cell
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, header, bold=True)
    _repeat_header(table.rows[0])
    template = table.rows[1]
    if not rows:
        merged = template.cells[0].merge(template.cells[-1])
        _cell(merged, pgettext("bulletin", "None."))
        return
    for cell in template.cells:
        _cell(cell, "-")  # a run with its faces, whose text each copy replaces
    row_xml = template._tr
    body = table._tbl
    for values in rows:
        copied = copy.deepcopy(row_xml)
        for text, value in zip(copied.iter(qn("w:t")), values, strict=True):
            text.text = value
            text.set(qn("xml:space"), "preserve")
        body.append(copied)
    body.remove(row_xml)


def _days(value: int | None) -> str:
    return "—" if value is None else str(value)


def _project_rows(projects: list[LateProject]) -> list[list[str]]:
    return [
        [str(n), p.name, p.zone, p.officer, p.leader, p.late, _days(p.days)]
        for n, p in enumerate(projects, 1)
    ]


def headers() -> dict[str, list[str]]:
    """Each table's header row, by table (the tests read the document against these)."""
    people = [
        pgettext("bulletin", "No."),
        pgettext("bulletin", "project"),
        pgettext("bulletin", "zone"),
        pgettext("bulletin", "officer"),
        pgettext("bulletin", "leader"),
    ]
    return {
        "red": [*people, pgettext("bulletin", "what is late"), pgettext("bulletin", "days late")],
        "at_risk": [
            *people,
            pgettext("bulletin", "what is foreseen late"),
            pgettext("bulletin", "days foreseen late"),
        ],
        "problems": [
            pgettext("bulletin", "No."),
            pgettext("bulletin", "problem"),
            pgettext("bulletin", "project"),
            pgettext("bulletin", "zone"),
            pgettext("bulletin", "responsible unit / person"),
            pgettext("bulletin", "deadline"),
            pgettext("bulletin", "days overdue"),
        ],
        "figures": [pgettext("bulletin", "figure"), pgettext("bulletin", "number")],
    }


def figure_rows(content: BulletinContent) -> list[list[str]]:
    f = content.figures
    return [
        [pgettext("bulletin", "open projects"), str(f.open_projects)],
        [pgettext("bulletin", "red"), str(f.red)],
        [pgettext("bulletin", "yellow"), str(f.yellow)],
        [pgettext("bulletin", "foreseen late"), str(f.at_risk)],
        [pgettext("bulletin", "green"), str(f.green)],
        [pgettext("bulletin", "stage changes approved in the week"), str(f.stage_changes)],
        [pgettext("bulletin", "problems reported in the week"), str(f.new_problems)],
        [pgettext("bulletin", "problems solved in the week"), str(f.solved_problems)],
        [pgettext("bulletin", "problems past their deadline"), str(len(content.problems))],
        [pgettext("bulletin", "reminders sent in the week"), str(f.reminders)],
    ]


def write(content: BulletinContent, target: str | IO[bytes]) -> None:
    """Write ``content`` as .docx to ``target`` (a path or a binary file object)."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    # The margins of official documents (GB/T 9704): 37 mm top, 35 bottom, 28 left, 26 right.
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FACE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), TEXT_FACE)

    _paragraph(document, content.title, TITLE_FACE, 22, bold=True, centred=True)
    issuing = f"{content.issuer}    {day_in_words(content.made_on)}"
    _paragraph(document, issuing, TEXT_FACE, 14, centred=True)
    _paragraph(document, content.period, TEXT_FACE, 14, centred=True)
    summary = _paragraph(document, content.summary, TEXT_FACE, 14)
    summary.paragraph_format.first_line_indent = Pt(28)  # two characters, as offices indent

    tables = headers()
    _paragraph(document, pgettext("bulletin", "1. Red (late) projects"), HEADING_FACE, 14)
    _table(document, tables["red"], _project_rows(content.red))
    _paragraph(document, pgettext("bulletin", "2. Projects foreseen late"), HEADING_FACE, 14)
    _table(document, tables["at_risk"], _project_rows(content.at_risk))
    _paragraph(document, pgettext("bulletin", "3. Problems past their deadline"), HEADING_FACE, 14)
    _table(
        document,
        tables["problems"],
        [
            [str(n), p.description, p.project, p.zone, p.responsible, day(p.deadline), str(p.days)]
            for n, p in enumerate(content.problems, 1)
        ],
    )
    _paragraph(document, pgettext("bulletin", "4. The week's figures"), HEADING_FACE, 14)
    _table(document, tables["figures"], figure_rows(content))
    document.save(target)
