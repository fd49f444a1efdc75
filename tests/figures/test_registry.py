"""The report registry (approvals/figures/registry.py) is the one list of reports: the reports
page shows its reports and no other, ``manage.py report`` offers its names, and a report added
to it (here a fake one, monkeypatched in) appears on the page, in its downloads and on the
command line with nothing else changed; the dashboard reads its figures through it."""

from __future__ import annotations

import io
import json
import re
from html import escape

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from approvals.figures import registry, reports
from approvals.figures.tables import Table
from tests import figures

pytestmark = pytest.mark.django_db

clock = figures.clock
rounds = figures.rounds
guide_example = figures.guide_example

REPORTS = reverse("admin:reports")
INDEX = reverse("admin:index")


def fake_figures(selection, user=None) -> dict:
    return {"answer": 42, "zones": list(selection.zones)}


def fake_tables(figures: dict) -> list[Table]:
    rows = [["the answer", figures["answer"]]]
    return [Table("fake_table", "The fake table", ["figure", "value"], rows, "fake sheet")]


FAKE = registry.Report("fake", "A fake report", fake_figures, fake_tables)


def sections_shown(html: str) -> list[str]:
    return re.findall(r'<div class="module report" id="report-([\w-]+)"', html)


def command_choices(capsys) -> list[str]:
    """The report names ``manage.py report --help`` offers."""
    with pytest.raises(SystemExit):
        call_command("report", "--help")
    usage = capsys.readouterr().out
    return re.search(r"^\s+\{([\w,]+)\}", usage, re.M).group(1).split(",")


def run(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_the_reports_page_shows_the_registrys_reports_and_no_other(as_user, stan):
    response = as_user(stan).get(REPORTS)
    html = response.content.decode()
    assert [(s["key"], str(s["title"])) for s in response.context["sections"]] == [
        (report.name, str(report.label)) for report in registry.REPORTS
    ]
    assert sections_shown(html) == registry.names()
    for report in registry.REPORTS:
        assert escape(str(report.label)) in html, report.name


def test_the_command_offers_the_registrys_names(capsys):
    assert command_choices(capsys) == sorted(registry.names())
    assert registry.names() == ["sanpi", "conversion", "readiness", "problems", "investment"]


def test_a_report_added_to_the_registry_is_on_the_page_and_the_command_line(
    as_user, stan, zone, monkeypatch, capsys
):
    monkeypatch.setattr(registry, "REPORTS", (*registry.REPORTS, FAKE))
    client = as_user(stan)
    html = client.get(REPORTS).content.decode()
    assert sections_shown(html)[-1] == "fake"
    assert "A fake report" in html
    table = re.search(r'<table id="table-fake_table".*?</table>', html, re.S).group(0)
    assert "The fake table" in table and "<td>42</td>" in table
    download = client.get(REPORTS, {"zone": zone.pk, "download": "fake"})
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    assert sheet.title == "fake sheet"
    assert list(sheet.iter_rows(values_only=True)) == [("figure", "value"), ("the answer", 42)]

    assert "fake" in command_choices(capsys)
    assert run("fake") == "The fake table\nfigure      value\nthe answer  42\n"
    assert json.loads(run("fake", "--json", "--zone", zone.name)) == {
        "answer": 42,
        "zones": [zone.pk],
    }


def test_a_report_removed_from_the_registry_is_gone_from_the_page_and_the_command_line(
    as_user, stan, monkeypatch, capsys
):
    kept = tuple(report for report in registry.REPORTS if report.name != "readiness")
    monkeypatch.setattr(registry, "REPORTS", kept)
    html = as_user(stan).get(REPORTS).content.decode()
    assert "readiness" not in sections_shown(html)
    assert (
        as_user(stan)
        .get(REPORTS, {"download": "readiness"})["Content-Type"]
        .startswith("text/html")
    )
    assert "readiness" not in command_choices(capsys)


def test_the_dashboard_counts_each_zone_s_conversion_live_and_adds_them_up(
    as_user, alice, guide_example, monkeypatch, clock
):
    """The dashboard counts each zone's conversion live (``reports.conversion_counts``: the
    registry's ``conversion`` reads the kept figures, which a recount replaces) and works the
    rates out of the counts, added up over its zones."""
    counted = reports.conversion_counts

    def halved(selection, user=None, **kwargs) -> dict:
        figures = counted(selection, user, **kwargs)
        return {**figures, "started": figures["started"] // 2}

    monkeypatch.setattr(reports, "conversion_counts", halved)
    board = as_user(alice).get(INDEX).context["board"]
    assert {tile.key: tile.value for tile in board.rates}["start_rate"] == "30.0 %"
