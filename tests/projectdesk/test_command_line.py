"""The desk's commands speak Chinese from their --help to their errors, and a repeated option
means what it says (guide section 12, "Command line"; approvals/management/base.py).

What they print when they succeed is checked by the tests of each command and, for those the
README shows, by test_readme_commands.py."""

from __future__ import annotations

import io
import pkgutil
import re

import pytest
from django.core.management import CommandError, call_command, load_command_class

import approvals.management.commands

COMMANDS = sorted(m.name for m in pkgutil.iter_modules(approvals.management.commands.__path__))
#: Latin words a Chinese help may hold: names of things and codes people type.
LATIN_ALLOWED = {"Django", "Python", "JSON", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG"}
LATIN_ALLOWED |= {
    "DEMO_PASSWORD",
    "YYYY",
    "MM",
    "DD",
    "xlsx",
    "xls",
    "csv",
    "README",
    "IPv",
    "docx",
}


def english_words(text: str, allowed: set[str]) -> list[str]:
    """Latin words outside options (--batch, -v) and the allowed ones."""
    text = re.sub(r"(?<![\w-])--?[\w-]+", " ", text)
    return [w for w in re.findall(r"[A-Za-z_]{2,}", text) if w not in allowed]


def test_there_are_commands_to_look_at():
    assert {"report", "send_reminders", "import_projects", "seed_demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_the_help_is_in_chinese(name):
    parser = load_command_class("approvals", name).create_parser("manage.py", name)
    text = parser.format_help()
    # the values an argument takes are codes typed as they are (report names, role codes)
    choices = {str(c) for action in parser._actions for c in (action.choices or ())}
    assert text.startswith("用法：manage.py " + name), text
    assert "\n选项：\n" in text, text
    words = english_words(text.replace("manage.py " + name, ""), LATIN_ALLOWED | choices)
    assert words == [], text


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("report", "nope"), "report：'nope' 不在可选值"),
        (("report", "sanpi", "--from", "2025-13-01"), "--from：“2025-13-01”不是日期"),
        (("report", "sanpi", "--colour", "red"), "无法识别的参数：--colour red"),
        (("import_projects",), "缺少：文件"),
        (("send_reminders", "--date", "2025-06-10", "--date", "2025-06-11"), "--date 只能给一次"),
    ],
)
def test_argparse_s_errors_are_said_in_chinese(args, said):
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=io.StringIO())
    assert said in str(refused.value)


def test_one_round_per_list_a_second_batch_is_refused_not_taken_for_the_first(tmp_path):
    with pytest.raises(CommandError, match="--batch 只能给一次"):
        call_command(
            "import_projects",
            str(tmp_path / "清单.xlsx"),
            "--batch",
            "2025-1",
            "--batch",
            "2025-2",
            stdout=io.StringIO(),
        )


def test_from_the_command_line_an_error_is_said_in_chinese_with_its_exit_status(capsys):
    command = load_command_class("approvals", "report")
    argv = ["manage.py", "report", "sanpi", "--from", "2025-02-01", "--to", "2025-01-01"]
    with pytest.raises(SystemExit) as ended:
        command.run_from_argv([*argv, "--skip-checks"])
    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == "错误：--from 晚于 --to。"
    assert "CommandError" not in err


def test_from_the_command_line_argparse_s_error_prints_the_usage_in_chinese(capsys):
    command = load_command_class("approvals", "report")
    with pytest.raises(SystemExit) as ended:
        command.run_from_argv(["manage.py", "report", "nope", "--skip-checks"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：manage.py report")
    assert "manage.py report：错误：report：'nope' 不在可选值" in err
