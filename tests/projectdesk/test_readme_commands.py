"""Every command the README shows runs as written on the embedded default (guide section 12,
"Command line"; issue 20): no SECRET_KEY error, no library banner, no traceback, and it speaks
Chinese.

The README's shell blocks are read line by line. A `manage.py` line is run as written, by bash, in
a fresh process: its environment has none of DATABASE_URL, REDIS_URL, DEBUG and SECRET_KEY (what
the line sets, it sets), its folder holds `manage.py` and `.venv` (links to this checkout and to
the virtualenv running the tests) and the spreadsheets the README names, and its var folder
(PROJECTDESK_VAR_DIR, the one thing set) holds a copy of one database migrated and seeded once
for the module (`seed_demo --seed-only`, as `./desk run` seeds it, without the demo's desk). Any
other line must be one of EXCLUDED, each with the reason and where its effect is tested instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from approvals.spreadsheets import writing
from approvals.spreadsheets.exports import LIST_TEMPLATE, MONTHLY_TEMPLATE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV = Path(sys.prefix)

#: README lines not run here, by how they start: each says why and where it is tested.
EXCLUDED = {
    "./desk run": "starts the server and the worker (tests/projectdesk/test_desk_run.py)",
    "./desk test": "runs the whole suite, this test included",
    "./desk serve": "production on PostgreSQL and Redis (tests/projectdesk/test_serve.py)",
    "pip-compile ": "regenerates the lock files from the package index (pip-tools, network)",
    "export DATABASE_URL=": "PostgreSQL instead of the embedded default (.ci/run)",
    "export REDIS_URL=": "Redis instead of the embedded default (.ci/run)",
    "curl ": "reads the running demo's API (tests/api/test_demo_api.py reads the same URL with "
    "the demo's token)",
}
MANAGE = re.compile(r"^DEBUG=1 \.venv/bin/python manage\.py (?P<command>\w+)")
#: The environment the embedded default has nothing of.
CLEARED = ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
#: What no command may print.
NOISE = ("AXES", "No hostname", "Traceback", "SECRET_KEY")
#: Latin words a Chinese message may hold: file types, units, codes.
LATIN_ALLOWED = {"xlsx", "xls", "csv", "docx", "JSON", "kWh", "tce"}


def readme_lines() -> list[str]:
    """The lines of the README's shell blocks, comments and blank lines left out."""
    lines, shell = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            shell = line.strip() in ("```sh", "```bash", "```shell") if not shell else False
            continue
        text = line.split(" #", 1)[0].strip()
        if shell and text and not text.startswith("#"):
            lines.append(text)
    return lines


def commands() -> list[str]:
    return [line for line in readme_lines() if not line.startswith(tuple(EXCLUDED))]


def test_every_line_is_a_command_run_here_or_excluded_with_its_reason():
    lines = readme_lines()
    assert len(lines) > 10
    others = [line for line in commands() if not MANAGE.match(line)]
    assert others == [], "a README line neither run by this test nor in EXCLUDED"
    # the exclusions are all still in the README (a stale one would hide nothing, but lie)
    assert {p for p in EXCLUDED if any(line.startswith(p) for line in lines)} == set(EXCLUDED)


# --- the spreadsheets the README names, as the zones write them (the desk's templates) ---------

ZONE = "平遥经济技术开发区"


def _list_rows(category: bool) -> list[list]:
    row = {
        "项目名称": "平遥县年产2万吨推光漆器产业园项目",
        "项目单位": "平遥县推光漆器有限公司",
        "所在开发区": ZONE,
        "行业": "文化旅游",
        "类别": "签约" if category else "",
        "总投资（亿元）": 3.2,
        "建设内容及规模": "新建生产车间及展示中心",
    }
    portfolio = dict(row, 项目名称="平遥古城文旅融合示范项目", 类别="", 当前阶段="洽谈")
    rows = [row] if category else [portfolio]
    return [[n + 1, *(r.get(h, "") for h in LIST_TEMPLATE[1:])] for n, r in enumerate(rows)]


def round_list() -> bytes:
    return writing.xlsx([writing.Table("三个一批项目清单", LIST_TEMPLATE, _list_rows(True))])


def portfolio() -> bytes:
    return writing.xlsx([writing.Table("重点项目清单", LIST_TEMPLATE, _list_rows(False))])


def approval_table() -> bytes:
    headers = ["序号", "项目名称", "所在开发区", "项目赋码及备案"]
    rows = [[1, "年产5万吨智能铸造及机械加工项目", ZONE, "已办结"]]
    return writing.xlsx([writing.Table("前期手续办理进度表", headers, rows)])


def monthly_table() -> bytes:
    month = dt.date.today().replace(day=1)
    row = {
        "项目名称": "年产10万吨食品加工项目",
        "所在开发区": ZONE,
        "月份": f"{month:%Y年%m月}",
        "年度计划投资（万元）": 12000,
        "本月完成投资（万元）": 800,
        "累计完成投资（万元）": 800,
        "形象进度": "主体施工",
        "存在问题": "无",
    }
    rows = [[1, *(row.get(h, "") for h in MONTHLY_TEMPLATE[1:])]]
    return writing.xlsx([writing.Table("重点项目月调度表", MONTHLY_TEMPLATE, rows)])


FILES = {
    "三个一批清单.xlsx": round_list,
    "重点项目清单.xlsx": portfolio,
    "前期手续办理进度表.xlsx": approval_table,
    "月调度表.xlsx": monthly_table,
}


# --- running them ----------------------------------------------------------------------------


def environment(var: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return {**clean, "PROJECTDESK_VAR_DIR": str(var), **extra}


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory) -> Path:
    """One database migrated and seeded, as `./desk run` leaves it (without the demo's desk)."""
    var = tmp_path_factory.mktemp("seeded-var")
    for step in (["migrate", "--noinput", "-v0"], ["seed_demo", "--seed-only", "-v0"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *step],
            cwd=ROOT,
            env=environment(var, DEBUG="1"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    return var / "projectdesk.sqlite3"


def run_as_written(line: str, folder: Path, database: Path) -> subprocess.CompletedProcess:
    """``line`` run by bash in ``folder`` (holding the files it names), on a copy of
    ``database`` in a var folder of its own."""
    var = folder / "var"
    var.mkdir()
    shutil.copy(database, var / "projectdesk.sqlite3")
    (folder / "manage.py").symlink_to(ROOT / "manage.py")
    (folder / ".venv").symlink_to(VENV)
    for name in re.findall(r"\S+\.(?:xlsx|xls|csv)\b", line):
        assert name in FILES, f"the README names {name}: give this test a file of that name"
        (folder / name).write_bytes(FILES[name]())
    return subprocess.run(
        ["bash", "-c", line],
        cwd=folder,
        env=environment(var),
        capture_output=True,
        text=True,
        timeout=120,
    )


def english_words(text: str) -> list[str]:
    """Latin words of two letters or more outside file names, options and the allowed ones."""
    text = re.sub(r"--[\w-]+|\S+\.(?:xlsx|xls|csv)\b", " ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in LATIN_ALLOWED]


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def what_is_wrong(line: str, done: subprocess.CompletedProcess) -> str | None:
    said = done.stdout + done.stderr
    if done.returncode != 0:
        return f"exit status {done.returncode}"
    if noise := [n for n in NOISE if n in said]:
        return f"it prints {noise}"
    if "--json" in line:
        try:
            json.loads(done.stdout)  # figures for scripts: keys are names, not sentences
        except ValueError:
            return "--json prints no JSON"
        said = done.stderr
    elif not has_chinese(done.stdout):
        return "no Chinese in what it prints"
    if words := english_words(said):
        return f"English: {words}"
    return None


def test_every_readme_command_runs_as_written(seeded_database, tmp_path):
    """One test, every command in turn (one database migrated for all, however the suite's
    tests are shared out among workers); each failure named with what the command printed."""
    wrong = []
    for number, line in enumerate(commands()):
        folder = tmp_path / str(number)
        folder.mkdir()
        done = run_as_written(line, folder, seeded_database)
        if (why := what_is_wrong(line, done)) is not None:
            wrong.append(f"{line}\n  {why}\n{done.stdout}{done.stderr}")
    assert wrong == [], "\n\n".join(wrong)
