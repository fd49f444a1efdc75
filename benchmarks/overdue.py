"""Reminder scan: open milestones past their planned date, under three index choices.

Why: ``milestone_open_due`` indexes only the open milestones (actual_date IS NULL), on the bet
that most milestones are done, so a full index would be far bigger and no faster. This checks
the bet with 90 % of the milestones done: (a) the partial index, (b) a full index on the same
columns, (c) no index on the dates at all.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator

from django.db import connection
from django.utils import timezone

from approvals.models import MILESTONE_STAGES, Milestone, Project, StageChange
from benchmarks.common import (
    People,
    analyze,
    delete_all,
    explain,
    insert_rows,
    measure,
    project_rows,
    reset_sequences,
    table,
)

TABLE = "approvals_milestone"
#: Index variants as raw SQL; (a) is what ``sqlmigrate approvals 0001`` prints.
INDEXES: dict[str, tuple[str, str] | None] = {
    "(a) partial milestone_open_due": (
        "milestone_open_due",
        f'CREATE INDEX "milestone_open_due" ON "{TABLE}" ("planned_date", "project_id") '
        'WHERE "actual_date" IS NULL',
    ),
    "(b) full (planned_date, project)": (
        "milestone_due_full",
        f'CREATE INDEX "milestone_due_full" ON "{TABLE}" ("planned_date", "project_id")',
    ),
    "(c) no index": None,
}
DONE_SHARE = 0.9


def add_milestones(
    first_project: int, projects: int, people: People, rng: random.Random, today: dt.date
) -> None:
    """Five milestones per project (one per stage, as the unique constraint allows).

    Done ones were planned in the last six years; open ones within a year either side of today,
    so about half of the open ones (5 % of all rows) are overdue.
    """
    ids = range(first_project, first_project + projects)
    fields, rows = project_rows(ids, ["under_construction"] * projects, people)
    insert_rows(Project, fields, rows)

    def milestones() -> Iterator[tuple]:
        day = dt.timedelta(days=1)
        for pk in ids:
            for k, stage in enumerate(MILESTONE_STAGES):
                if rng.random() < DONE_SHARE:
                    planned = today - rng.randint(0, 6 * 365) * day
                    actual = min(today, planned + rng.randint(-30, 90) * day)
                else:
                    planned, actual = today + rng.randint(-365, 365) * day, None
                yield pk * 5 + k, pk, stage.value, planned, False, actual

    insert_rows(
        Milestone,
        ["id", "project_id", "stage", "planned_date", "planned_month_only", "actual_date"],
        milestones(),
    )


def use_index(variant: str) -> float:
    """Leave exactly this variant's index on the table; returns the build time in ms."""
    with connection.cursor() as cursor:
        for spec in INDEXES.values():
            if spec:
                cursor.execute(f'DROP INDEX IF EXISTS "{spec[0]}"')
        start = time.perf_counter()
        if spec := INDEXES[variant]:
            cursor.execute(spec[1])
        built = (time.perf_counter() - start) * 1000
    analyze(TABLE)
    return built


def index_size(variant: str) -> str:
    if not (spec := INDEXES[variant]):
        return "—"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_relation_size(%s)", [spec[0]])
        else:
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = %s", [spec[0]])
        return f"{cursor.fetchone()[0] / 1024 / 1024:.1f} MiB"


def run(sizes: tuple[int, ...], repeats: int, people: People) -> str:
    today = timezone.localdate()
    overdue = Milestone.objects.filter(actual_date__isnull=True, planned_date__lt=today)
    scans: dict[str, Callable[[], object]] = {
        "count": overdue.count,
        "first 100": lambda: list(overdue.order_by("planned_date")[:100]),
    }
    delete_all(StageChange, Milestone, Project)
    rng = random.Random(7)
    figures, plans = [], []
    loaded = 0
    for size in sizes:
        use_index("(c) no index")  # loads faster; each variant then builds its own index
        add_milestones(loaded // 5 + 1, (size - loaded) // 5, people, rng, today)
        reset_sequences(Project, Milestone)
        loaded = size
        for variant in INDEXES:
            built = use_index(variant)
            timed = measure(scans, repeats)
            figures.append(
                (
                    size,
                    variant,
                    index_size(variant),
                    f"{built:,.0f}",
                    timed["count"].ms,
                    timed["first 100"].ms,
                    overdue.count(),
                )
            )
            plans += [
                f"- {size:,} {variant}, {name}: `{explain(scan)}`" for name, scan in scans.items()
            ]
    # Leave the schema as the migrations made it, and the tables empty and analysed: the
    # benchmarks after this one ran without milestone_open_due and on 200,000 dead rows.
    use_index("(a) partial milestone_open_due")
    delete_all(StageChange, Milestone, Project)
    for model in (StageChange, Milestone, Project):
        analyze(model._meta.db_table)
    return "\n".join(
        [
            table(
                f"2. Overdue scan: open milestones past their planned date, {DONE_SHARE:.0%} done "
                f"(median of {repeats})",
                [
                    "milestones",
                    "index",
                    "index size",
                    "build ms",
                    "count ms",
                    "first 100 ms",
                    "overdue rows",
                ],
                figures,
            ),
            "\nPlans:\n",
            *plans,
        ]
    )
