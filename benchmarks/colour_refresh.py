"""The project colour's stored date (issue 19, ``approvals/cases/lateness.py``) on 10,000 and
100,000 projects with five milestones each and task nodes for one project in five:

- (a) ``refresh_colour_dates()`` over every project when nothing changed: what the daily job
  (``reminders.run``) does every day; beside it the same refresh as it was before it wrote only
  the projects that differ (kept below as ``refresh_every_row``, from commit 3914e6a);
- (b) both when 1 % of the projects changed (the milestone that sets their colour moved a day
  earlier, written without its signal as a bulk writer or a hand edit would);
- (c) the floor and the comparison: ``refresh_next_milestones()`` over every project (the older
  bulk refresh of the next milestone's date) and a bare
  ``UPDATE approvals_project SET colour_date = colour_date`` (rewriting every row, nothing else);
- (d) one ``Milestone.save()`` that moves its project's colour date, with the signal that stores
  it (``store_colour_date``) and with that signal disconnected: per save ms and queries; in
  autocommit (each write its own commit) and in a transaction of its own (as the admin's change
  form saves).

"rows written" is the UPDATEs' rowcount (the rows they wrote, changed or not); on PostgreSQL also
the table's ``n_tup_upd`` from ``pg_stat_user_tables`` before and after one run.

    .venv/bin/python benchmarks/colour_refresh.py [--quick] [--sizes 10000 100000] [--repeats 9]
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

#: Projects with task nodes (one to three, a third of them done).
WITH_NODES = 0.2
#: Saves timed together in (d), each moving its project's colour date.
SAVES = 40
ONE_DAY = dt.timedelta(days=1)


def refresh_every_row() -> None:
    """``refresh_colour_dates()`` as it was at commit 3914e6a (before this benchmark): two
    UPDATEs that rewrite every project, whether its colour date moved or not."""
    from django.db import transaction
    from django.db.models import Exists, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from approvals.cases.lateness import _stage_rank
    from approvals.models import FORWARD_STAGES, OPEN_STAGES, Milestone, Project, TaskNode

    projects = Project.objects.all()
    ahead = Q()
    for position, stage in enumerate(OPEN_STAGES):
        ahead |= Q(project__stage=stage, stage__in=FORWARD_STAGES[position + 1 :])
    milestones = (
        Milestone.objects.filter(
            ahead, project=OuterRef("pk"), actual_date__isnull=True, planned_date__isnull=False
        )
        .annotate(rank=_stage_rank("stage"))
        .order_by("planned_date", "rank")
    )
    nodes = TaskNode.objects.filter(
        project=OuterRef("pk"), actual_date__isnull=True, project__stage__in=OPEN_STAGES
    ).order_by("planned_date", "pk")
    with transaction.atomic():
        projects.update(
            colour_date=Subquery(milestones.values("planned_date")[:1]),
            colour_stage=Coalesce(Subquery(milestones.values("stage")[:1]), Value("")),
            colour_node="",
        )
        earlier = Exists(nodes.filter(planned_date__lt=OuterRef("colour_date")))
        projects.filter(earlier | (Q(colour_date__isnull=True) & Exists(nodes))).update(
            colour_date=Subquery(nodes.values("planned_date")[:1]),
            colour_stage="",
            colour_node=Subquery(nodes.values("name")[:1]),
        )


def rewrite_colour_dates() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE approvals_project SET colour_date = colour_date")


# --- the data ---------------------------------------------------------------------------------


def load(first: int, count: int, people, rng: random.Random) -> None:
    """Projects ``first`` … ``first + count - 1`` at mixed stages, their five milestones (as the
    reminder benchmark plans them around its day D) and task nodes for one in five."""
    from approvals.models import Project, TaskNode
    from benchmarks.common import insert_rows, project_rows
    from benchmarks.reminder_scan import DAY, STAGE_MIX, insert_milestones, staged

    ids = range(first, first + count)
    stages = rng.choices(list(STAGE_MIX), weights=list(STAGE_MIX.values()), k=count)
    reached: dict[int, int] = {}
    fields, rows = project_rows(ids, stages, people)
    at = {name: i for i, name in enumerate(fields)}

    def projects() -> Iterator[tuple]:
        for row in rows:
            row = list(row)
            staged(row, at, rng, reached)
            yield tuple(row)

    insert_rows(Project, fields, projects())
    insert_milestones(ids, reached, rng)
    node_fields = [f.attname for f in TaskNode._meta.concrete_fields]
    base = {f.attname: f.get_default() for f in TaskNode._meta.concrete_fields}

    def nodes() -> Iterator[tuple]:
        for pk in ids:
            if rng.random() >= WITH_NODES:
                continue
            for k in range(rng.randint(1, 3)):
                planned = DAY + rng.randint(-200, 300) * ONE_DAY
                done = planned < DAY and rng.random() < 0.33
                row = base | {
                    "id": pk * 3 + k,
                    "project_id": pk,
                    "name": f"节点{k + 1}：主体封顶",
                    "planned_date": planned,
                    "actual_date": planned if done else None,
                }
                yield tuple(row[name] for name in node_fields)

    insert_rows(TaskNode, node_fields, nodes())


# --- measuring --------------------------------------------------------------------------------


def written(fn: Callable[[], Any]) -> tuple[int, int, str]:
    """Run ``fn`` once: the statements it sent, the rows its UPDATEs wrote (their rowcount),
    and on PostgreSQL the change of ``n_tup_upd`` of the projects' table ("—" elsewhere)."""
    from django.db import connection

    rows = sent = 0

    def count(execute, sql, params, many, context):
        nonlocal rows, sent
        sent += 1
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("UPDATE"):
            rows += max(context["cursor"].rowcount, 0)
        return result

    def updated() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # this statement's end flushes
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'approvals_project'"
            )
            return cursor.fetchone()[0]

    postgres = connection.vendor == "postgresql"
    before = updated() if postgres else 0
    with connection.execute_wrapper(count):
        fn()
    return sent, rows, f"{updated() - before:,}" if postgres else "—"


def changed_projects(share: float) -> list[int]:
    """A fixed sample (``share`` of the projects) of open projects coloured by a milestone."""
    from approvals.models import Project

    coloured = list(
        Project.objects.exclude(colour_stage="").order_by("pk").values_list("pk", flat=True)
    )
    total = Project.objects.count()
    return random.Random(7).sample(coloured, min(len(coloured), round(total * share)))


def move_a_day_earlier(projects: list[int]) -> Callable[[], None]:
    """The milestone that colours each of ``projects`` moved a day earlier, written without its
    signal (as a bulk writer or a hand edit in the database): its colour date is then stale."""
    from django.db.models import F, OuterRef

    from approvals.models import Milestone, Project

    def move() -> None:
        colouring = Project.objects.filter(pk=OuterRef("project_id")).values("colour_stage")
        Milestone.objects.filter(project_id__in=projects, actual_date__isnull=True).filter(
            stage=colouring[:1]
        ).update(planned_date=F("planned_date") - ONE_DAY)

    return move


def measure_refresh(size: int, repeats: int) -> list[tuple]:
    """(a), (b) and (c) on the data loaded now."""
    from approvals.cases.lateness import refresh_colour_dates
    from approvals.cases.models.milestones import refresh_next_milestones
    from benchmarks.common import elapsed_ms, measure

    rows = []
    steady = {
        "(a) refresh_colour_dates(), nothing changed": refresh_colour_dates,
        "(a) before: every row rewritten (3914e6a)": refresh_every_row,
        "(c) refresh_next_milestones()": refresh_next_milestones,
        "(c) UPDATE … SET colour_date = colour_date": rewrite_colour_dates,
    }
    for name, fn in steady.items():  # the effect of one run, before timing
        rows.append([size, name, None, None, *written(fn)])
    timed = measure(steady, repeats)
    for row in rows:
        row[2:4] = [timed[row[1]].ms, timed[row[1]].sql_ms]

    sample = changed_projects(0.01)
    move = move_a_day_earlier(sample)
    after_change = {
        "(b) refresh_colour_dates(), 1 % changed": refresh_colour_dates,
        "(b) before: every row rewritten, 1 % changed": refresh_every_row,
    }
    effect = {}
    for name, fn in after_change.items():
        move()
        effect[name] = written(fn)
    times: dict[str, list[float]] = {name: [] for name in after_change}
    for _ in range(repeats):
        for name, fn in after_change.items():
            move()
            times[name].append(elapsed_ms(fn))
    for name in after_change:
        rows.append([size, name, statistics.median(times[name]), "—", *effect[name]])
    return [tuple(row) for row in rows]


def measure_save(size: int, repeats: int) -> list[tuple]:
    """(d): ``SAVES`` saves, each moving the milestone that colours its project by a day (so
    the stored date moves and is written), with the signal and without it, interleaved."""
    from django.db import connection, transaction
    from django.db.models import Q
    from django.db.models.signals import post_save
    from django.test.utils import CaptureQueriesContext

    from approvals.cases.lateness import refresh_colour_dates
    from approvals.models import Milestone, Project
    from approvals.signals import refresh_colour_date

    uid = "approvals.milestone_saved"
    picked = changed_projects(SAVES / Project.objects.count())[:SAVES]
    milestones = [
        Milestone.objects.get(project_id=pk, stage=Project.objects.get(pk=pk).colour_stage)
        for pk in picked
    ]
    step = [-ONE_DAY]

    def saves(atomic: bool = False) -> None:
        step[0] = -step[0]
        for milestone in milestones:
            milestone.planned_date += step[0]
            with transaction.atomic() if atomic else nullcontext():
                milestone.save()

    def without_signal(atomic: bool = False) -> None:
        post_save.disconnect(sender=Milestone, dispatch_uid=uid)
        try:
            saves(atomic)
        finally:
            post_save.connect(refresh_colour_date, sender=Milestone, dispatch_uid=uid)

    variants = {
        "(d) Milestone.save(), with the signal": saves,
        "(d) Milestone.save(), signal disconnected": without_signal,
        "(d) the same in a transaction each, with the signal": partial(saves, True),
        "(d) the same in a transaction each, disconnected": partial(without_signal, True),
    }
    counts = {}
    for name, fn in variants.items():
        with CaptureQueriesContext(connection) as captured:
            fn()
        counts[name] = len(captured) / len(milestones)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000 / len(milestones))
    saves()  # the signal stored what the rule says: the bulk refresh finds nothing to write
    assert refresh_colour_dates(among=Q(pk__in=picked)) == 0
    return [
        (size, name, statistics.median(times[name]), f"{counts[name]:g}", len(milestones))
        for name in variants
    ]


def run(sizes: tuple[int, ...], repeats: int, people) -> str:
    from django.db import connection

    from approvals.cases.lateness import refresh_colour_dates
    from approvals.cases.models.milestones import refresh_next_milestones
    from approvals.models import Milestone, Project, TaskNode
    from benchmarks.common import analyze, reset_sequences, table
    from benchmarks.reminder_scan import clear_projects, ensure_people

    clear_projects()
    people = ensure_people(people)
    rng = random.Random(19)
    figures, saves, data = [], [], []
    loaded = 0
    for size in sizes:
        started = time.perf_counter()
        load(loaded + 1, size - loaded, people, rng)
        reset_sequences(Project, Milestone, TaskNode)
        for model in (Milestone, TaskNode):  # without statistics, PostgreSQL's first plan of
            analyze(model._meta.db_table)  # the refresh over 100,000 new rows ran past 30 s
        refresh_next_milestones()
        refresh_colour_dates()
        for model in (Project, Milestone, TaskNode):
            analyze(model._meta.db_table)
        loaded = size
        data.append(
            (
                size,
                Milestone.objects.count(),
                TaskNode.objects.count(),
                Project.objects.exclude(colour_node="").count(),
                Project.objects.filter(colour_date__isnull=False).count(),
                f"{time.perf_counter() - started:.1f}",
            )
        )
        figures += measure_refresh(size, repeats)
        saves += measure_save(size, repeats)
    return "\n".join(
        [
            table(
                f"7a. Colour-date data ({connection.vendor})",
                [
                    "projects",
                    "milestones",
                    "task nodes",
                    "coloured by a node",
                    "with a colour date",
                    "load s",
                ],
                data,
            ),
            table(
                f"7b. Refreshing the colour dates of every project (median of {repeats})",
                ["projects", "variant", "ms", "SQL ms", "queries", "rows written", "n_tup_upd"],
                figures,
            ),
            table(
                f"7c. One Milestone.save() moving its project's colour date (median of {repeats})",
                ["projects", "variant", "ms per save", "queries per save", "saves"],
                saves,
            ),
        ]
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="3 repeats, as run.py --quick")
    args = parser.parse_args()
    from benchmarks.databases import measured_run

    with measured_run("projectdesk_colour", load_at_end=True):  # not run.py's: both may run
        from benchmarks.common import make_people

        print(run(tuple(args.sizes), 3 if args.quick else args.repeats, make_people()))
