"""Admin project list: the next milestone by one Subquery vs. one query per project (N+1).

Why: the list shows each project's next milestone. ``with_next_milestone()`` exists so that the
list costs the same few queries however many projects there are; this measures what that buys
at 200 and 2,000 projects, in the ORM alone and through the real admin page.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Prefetch, Subquery
from django.test import Client

from approvals.models import (
    FORWARD_STAGES,
    MILESTONE_STAGES,
    NEXT_STAGE,
    Milestone,
    Project,
    ProjectQuerySet,
    Stage,
    StageChange,
)
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
from tests.oracles import with_next_milestone_worked_out

SIZES = (200, 2_000)
URL = "/admin/approvals/project/?all="

#: How often each stage occurs: most projects are on the forward path, a few are closed.
STAGE_WEIGHTS = {
    Stage.RESERVE: 20,
    Stage.SIGNED: 15,
    Stage.READY: 10,
    Stage.UNDER_CONSTRUCTION: 25,
    Stage.IN_PRODUCTION: 15,
    Stage.AT_CAPACITY: 7,
    Stage.SUSPENDED: 5,
    Stage.WITHDRAWN: 3,
}

Row = tuple[int, str, str, str, str, dt.date | None]


def add_projects(first: int, count: int, people: People, rng: random.Random) -> None:
    """``count`` projects, each with its five milestones: reached ones dated, 5 % not planned."""
    ids = range(first, first + count)
    stages = rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()), k=count)
    fields, rows = project_rows(ids, stages, people)
    insert_rows(Project, fields, rows)
    milestones = []
    for pk, stage in zip(ids, stages, strict=True):
        reached = FORWARD_STAGES.index(stage) if stage in FORWARD_STAGES else rng.randint(0, 3)
        start = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1_000))
        for k, milestone in enumerate(MILESTONE_STAGES):
            planned = start + dt.timedelta(days=150 * (k + 1))
            actual = planned + dt.timedelta(days=rng.randint(-20, 60)) if k < reached else None
            planned_or_none = None if rng.random() < 0.05 else planned
            milestones.append((pk * 5 + k, pk, milestone.value, planned_or_none, False, actual))
    insert_rows(
        Milestone,
        ["id", "project_id", "stage", "planned_date", "planned_month_only", "actual_date"],
        milestones,
    )
    reset_sequences(Project, Milestone)
    analyze("approvals_project")
    analyze("approvals_milestone")


def listed() -> ProjectQuerySet:
    return Project.objects.select_related("zone", "enterprise", "officer")


def row(project: Project, stage: str, planned: dt.date | None) -> Row:
    """What the list shows of a project; touching the joined rows proves they cost no query."""
    enterprise = project.enterprise.name if project.enterprise else ""
    return (project.pk, project.zone.name, enterprise, str(project.officer), stage, planned)


def with_subquery() -> list[Row]:
    """Our way: the next milestone comes with each project row from one query."""
    return [
        row(p, p.next_milestone_stage, p.next_milestone_date)
        for p in with_next_milestone_worked_out(listed())
    ]


def with_ordered_subquery() -> list[Row]:
    """As (a) was before this benchmark: the subquery kept an ordering through ``project``.

    Ordering by ``project`` follows the project's own ordering (zone name, name), so every
    row's subquery joined project and zone and sorted, although (project, stage) is unique.
    """
    planned = (
        Milestone.objects.filter(project=OuterRef("pk"), stage=OuterRef("next_milestone_stage"))
        .order_by("project", "planned_date")
        .values("planned_date")[:1]
    )
    projects = with_next_milestone_worked_out(listed()).annotate(
        next_milestone_date=Subquery(planned)
    )
    return [row(p, p.next_milestone_stage, p.next_milestone_date) for p in projects]


def n_plus_one() -> list[Row]:
    """The plain way: one more query per project that has a next stage."""
    rows = []
    for project in listed():
        stage = NEXT_STAGE.get(project.stage, "")
        planned = None
        if stage:
            planned = (
                Milestone.objects.filter(project=project, stage=stage)
                .values_list("planned_date", flat=True)
                .first()
            )
        rows.append(row(project, stage, planned))
    return rows


def prefetched() -> list[Row]:
    """The other obvious way: prefetch all milestones (2 queries) and pick in Python."""
    rows = []
    for project in listed().prefetch_related(Prefetch("milestones", to_attr="all_milestones")):
        stage = NEXT_STAGE.get(project.stage, "")
        dates = {m.stage: m.planned_date for m in project.all_milestones}
        rows.append(row(project, stage, dates.get(stage)))
    return rows


VARIANTS: dict[str, Callable[[], list[Row]]] = {
    "(a) with_next_milestone() Subquery": with_subquery,
    "(b) N+1: a query per project": n_plus_one,
    "(c) prefetch_related milestones": prefetched,
    "(d) as (a), subquery ordered via project (before)": with_ordered_subquery,
}


def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("bench-admin", "admin@example.com", "x")
    client = Client()
    client.force_login(user)
    return client


def admin_page(client: Client) -> tuple[Callable[[], None], dict[str, int]]:
    """A GET of the changelist, checked to succeed; also returns how many rows it showed."""
    shown: dict[str, int] = {}

    def get() -> None:  # past list_max_show_all (200 rows) "?all=" shows page 1 only
        response = client.get(URL)
        assert response.status_code == 200, response.status_code
        shown["rows"] = response.content.decode().count('name="_selected_action"')

    return get, shown


def subquery_plan(plan: str) -> str:
    """The per-row subquery part of a plan, where the variants differ; the long CASE elided."""
    start = max(plan.find("SubPlan"), plan.find("CORRELATED"))
    return re.sub(r"CASE WHEN .*? END", "CASE … END", plan[start:])


def run(repeats: int, people: People) -> str:
    delete_all(StageChange, Milestone, Project)
    rng, client = random.Random(42), admin_client()
    orm: list[tuple] = []
    page: list[tuple] = []
    done = 0
    for size in SIZES:
        add_projects(done + 1, size - done, people, rng)
        done = size
        results = {name: fn() for name, fn in VARIANTS.items()}
        assert len({tuple(r) for r in results.values()}) == 1, "the variants disagree"
        measured = measure(VARIANTS, repeats)
        base = next(iter(measured.values()))
        for name, m in measured.items():
            orm.append((size, name, m.ms, f"{m.ms / base.ms:.1f}x", m.sql_ms, m.queries))
        get, shown = admin_page(client)
        m = measure({"page": get}, repeats)["page"]
        page.append((size, shown["rows"], m.ms, m.sql_ms, m.queries))
    plans = [
        f"- {name}: `{subquery_plan(explain(fn))}`"
        for name, fn in VARIANTS.items()
        if fn in (with_subquery, with_ordered_subquery)
    ]
    return "\n".join(
        [
            table(
                f"1a. Project list with next milestone, ORM only (median of {repeats})",
                ["projects", "variant", "ms", "vs (a)", "SQL ms", "queries"],
                orm,
            ),
            table(
                f"1b. Admin changelist GET {URL} as superuser (median of {repeats})",
                ["projects", "rows shown", "ms", "SQL ms", "queries"],
                page,
            ),
            f"\nPlans at {SIZES[-1]:,} projects:\n",
            *plans,
        ]
    )
