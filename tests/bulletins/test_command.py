"""manage.py bulletin: a zone's or a city's 督办通报 to a file, in Chinese."""

from __future__ import annotations

import docx
import pytest
from django.core.management import CommandError, call_command

from approvals.models import Bulletin


def test_it_writes_a_file_word_opens(week, zone, tmp_path, capsys):
    target = tmp_path / "通报.docx"
    call_command(
        "bulletin", "--zone", "晋中开发区", "--week", "2026-12-01", "--output", str(target)
    )
    made = docx.Document(str(target))
    assert made.paragraphs[0].text == "综改区晋中开发区重点项目督办通报（2026年第49周）"
    assert made.tables[0].rows[1].cells[1].text == "晋中红色滞后项目"
    assert "已写入" in capsys.readouterr().out
    assert not Bulletin.objects.exists()  # kept only with --keep


def test_the_default_week_is_the_last_full_one_and_keep_keeps_it(week, tmp_path):
    target = tmp_path / "city.docx"
    call_command("bulletin", "--city", "晋中市", "--output", str(target), "--keep")
    kept = Bulletin.objects.get()
    assert (kept.city, str(kept.week_start), kept.weekly) == ("晋中市", "2026-11-30", False)
    assert (
        docx.Document(str(target)).paragraphs[2].text == "通报时段：2026年11月30日至2026年12月6日"
    )


def test_a_zone_that_does_not_exist_is_named_with_the_zones(zone, other_zone, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("bulletin", "--zone", "太原开发区", "--output", str(tmp_path / "x.docx"))
    assert str(refused.value).startswith("没有名为“太原开发区”的开发区")
    assert "综改区晋中开发区" in str(refused.value) and "祁县经济开发区" in str(refused.value)
    assert not (tmp_path / "x.docx").exists()


def test_without_a_zone_or_a_city_it_lists_the_zones(zone, tmp_path):
    with pytest.raises(CommandError, match="请指定一个开发区.*综改区晋中开发区"):
        call_command("bulletin", "--output", str(tmp_path / "x.docx"))
