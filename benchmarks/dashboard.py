"""The admin's everyday pages at 100,000 projects, against today's way of doing them.

Why: at 100,000 projects, 500,000 milestones, 840,000 checklist items and 20,000 enterprises a
project's page took 2.5 s and the lists up to 1.9 s (the issue "speed at 100,000 projects").
This builds that data set once, then GETs each page through ``django.test.Client`` as the
people who use it (an administrator, an officer of two zones, a leader, a supervisor): median
time, query count and HTML size. "Before" is the same requests on the same database served by
the code of commit 53c83c2 (today's main before this work), checked out with
``git worktree add --detach`` into a folder of its own and run in a subprocess.

    .venv/bin/python benchmarks/dashboard.py [--quick] [--no-before]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py

With a PostgreSQL URL the database ``projectdesk_dash`` is created, used and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BEFORE_COMMIT = "53c83c2"
BEFORE_TREE = Path("/tmp/pd-before")
DASH_DATABASE = "projectdesk_dash"

#: (projects, enterprises) of a full and a quick run.
FULL = (100_000, 20_000)
QUICK = (10_000, 2_000)
ZONES = 20
#: Share of the projects whose checklist is generated (21 items each): 840,000 items at 100,000.
WITH_CHECKLIST = 0.4
#: Pages measured with their cached figures emptied before each visit.
AFRESH = "figures counted afresh"
#: A name in twenty speaks of 氢能 (hydrogen), which the search pages look for.
SHORT_TERM, LONG_TERM = "氢能", "氢能装备"

STAGES = {
    "reserve": 20,
    "signed": 15,
    "ready": 10,
    "under_construction": 25,
    "in_production": 15,
    "at_capacity": 7,
    "suspended": 5,
    "withdrawn": 3,
}


# --- the data ---------------------------------------------------------------------------------


def build(projects: int, enterprises: int) -> dict[str, Any]:
    """The data set; returns the people and the pages to measure."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from approvals.models import (
        MILESTONE_STAGES,
        ApprovalItem,
        ApprovalType,
        Batch,
        BatchEntry,
        Milestone,
        Project,
        StageRequest,
    )
    from benchmarks.common import analyze, insert_rows, reset_sequences
    from benchmarks.reminder_scan import clear_projects
    from zones.models import Enterprise, Role, Zone, ZoneRole, normalise_name

    rng = random.Random(20261127)
    clear_projects()
    user = get_user_model()
    zones = Zone.objects.bulk_create(
        Zone(name=f"看板开发区{i}", city="晋中市") for i in range(ZONES)
    )
    zone_ids = [z.pk for z in zones]
    first_enterprise = (
        Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    names = (f"看板{'氢能' if i % 20 == 0 else ''}实业有限公司{i}" for i in range(enterprises))
    insert_rows(
        Enterprise,
        ["id", "name", "name_key", "credit_code", "contact_person", "contact_phone", "notes"],
        (
            (first_enterprise + i, name, normalise_name(name), "", "", "", "")
            for i, name in enumerate(names)
        ),
    )
    enterprise_ids = range(first_enterprise, first_enterprise + enterprises)

    def person(name: str, **extra: Any):
        return user.objects.create(username=name, is_staff=True, first_name=name, **extra)

    admin = person("dash-admin", is_superuser=True)
    officers: dict[int, list[int]] = {}
    supervisors: dict[int, int] = {}
    leaders: dict[int, int] = {}
    roles = []
    for zone in zone_ids:
        officers[zone] = []
        for k in range(3):
            officer = person(f"dash-officer-{zone}-{k}")
            officers[zone].append(officer.pk)
            roles.append(ZoneRole(user=officer, zone_id=zone, role=Role.OFFICER))
        supervisor = person(f"dash-supervisor-{zone}")
        supervisors[zone] = supervisor.pk
        roles.append(ZoneRole(user=supervisor, zone_id=zone, role=Role.SUPERVISOR))
        leader = person(f"dash-leader-{zone}")
        leaders[zone] = leader.pk
        roles.append(ZoneRole(user=leader, zone_id=zone, role=Role.LEADER))
    # The officer of the measured lists does casework in two zones.
    two_zones = person("dash-officer-two-zones")
    roles += [ZoneRole(user=two_zones, zone_id=z, role=Role.OFFICER) for z in zone_ids[:2]]
    ZoneRole.objects.bulk_create(roles)

    first = (Project.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    ids = range(first, first + projects)
    stages = rng.choices(list(STAGES), weights=list(STAGES.values()), k=projects)
    fields = [f.attname for f in Project._meta.concrete_fields]
    base = {f.attname: f.get_default() for f in Project._meta.concrete_fields}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    base.update(created_at=now, updated_at=now, industry="新材料", total_investment=50000)
    reached: dict[int, int] = {}
    forward = list(STAGES)[:6]

    def project_rows() -> Iterator[tuple]:
        for n, (pk, stage) in enumerate(zip(ids, stages, strict=True)):
            zone = zone_ids[n % ZONES]
            reached[pk] = forward.index(stage) if stage in forward else rng.randint(0, 3)
            name = f"年产{pk}万吨{'氢能装备' if pk % 20 == 0 else '新材料'}项目"
            row = base | {
                "id": pk,
                "name": name,
                "name_key": name,
                "stage": stage,
                "stage_before_suspension": forward[reached[pk]] if stage == "suspended" else "",
                "zone_id": zone,
                "enterprise_id": enterprise_ids[n % enterprises],
                "officer_id": officers[zone][n % 3],
                "leader_id": leaders[zone] if n % 5 == 0 else None,
            }
            yield tuple(row[name] for name in fields)

    insert_rows(Project, fields, project_rows())
    stage_values = [s.value for s in MILESTONE_STAGES]

    def milestone_rows() -> Iterator[tuple]:
        for pk in ids:
            start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
            for k, stage in enumerate(stage_values):
                planned = start + dt.timedelta(days=120 * (k + 1))
                actual = (
                    planned + dt.timedelta(days=rng.randint(-20, 40)) if k < reached[pk] else None
                )
                yield pk * 5 + k, pk, stage, planned, False, actual

    insert_rows(
        Milestone,
        ["id", "project_id", "stage", "planned_date", "planned_month_only", "actual_date"],
        milestone_rows(),
    )
    kinds = list(ApprovalType.objects.filter(is_active=True).values_list("pk", "default_mode"))
    item_fields = [f.attname for f in ApprovalItem._meta.concrete_fields]
    item_base = {f.attname: f.get_default() for f in ApprovalItem._meta.concrete_fields}
    with_checklist = [pk for pk in ids if rng.random() < WITH_CHECKLIST]

    def item_rows() -> Iterator[tuple]:
        for pk in with_checklist:
            zone = zone_ids[(pk - first) % ZONES]
            for n, (kind, mode) in enumerate(kinds):
                row = item_base | {
                    "id": pk * len(kinds) + n,
                    "project_id": pk,
                    "approval_type_id": kind,
                    "mode": mode,
                    "officer_id": officers[zone][n % 3] if n % 4 == 0 else None,
                }
                yield tuple(row[name] for name in item_fields)

    insert_rows(ApprovalItem, item_fields, item_rows())
    # rows inserted in bulk: their writer keeps the projects' checklist counters
    from approvals.checklist import counters

    counters.recount(Project.objects.all())
    # Stage requests: one project in fifty asked for something, one in five of those waits.
    at = timezone.now()
    requests = []
    for n, pk in enumerate(ids[::50]):
        zone = zone_ids[(pk - first) % ZONES]
        pending = n % 5 == 0
        requests.append(
            StageRequest(
                project_id=pk,
                transition="sign",
                evidence={"agreement_date": "2025-04-07"},
                requested_by_id=officers[zone][0],
                requested_at=at - dt.timedelta(hours=n),
                status="pending" if pending else "approved",
                decided_by_id=None if pending else supervisors[zone],
                decided_at=None if pending else at,
            )
        )
    StageRequest.objects.bulk_create(requests, batch_size=2_000)
    # 三个一批: eight rounds (2024-1 … 2025-4), each listing one project in 22 per category
    # (36,000 entries at 100,000 projects): the dashboard's rounds and its conversion cohort.
    entries = []
    for n in range(8):
        year, round_ = 2024 + n // 4, n % 4 + 1
        batch = Batch.objects.create(
            year=year, round=round_, event_date=dt.date(year, 3 * round_, 20)
        )
        listed = rng.sample(ids, min(len(ids), projects * 9 // 200))
        for k, pk in enumerate(listed):
            entries.append(
                BatchEntry(
                    batch=batch,
                    project_id=pk,
                    category=("sign", "start", "produce")[k % 3],
                    name=f"项目{pk}",
                    total_investment=rng.randint(1_000, 200_000),
                )
            )
    BatchEntry.objects.bulk_create(entries, batch_size=5_000)
    reset_sequences(Enterprise, Project, Milestone, ApprovalItem)
    for model in (
        Enterprise,
        Project,
        Milestone,
        ApprovalItem,
        StageRequest,
        ZoneRole,
        BatchEntry,
    ):
        analyze(model._meta.db_table)
    _after_build()
    # A project of the officer's first zone with its checklist, half way down the table.
    one = next(pk for pk in with_checklist[len(with_checklist) // 2 :] if (pk - first) % ZONES == 0)
    return {
        "rows": {
            "projects": projects,
            "milestones": projects * 5,
            "checklist items": len(with_checklist) * len(kinds),
            "enterprises": Enterprise.objects.count(),
            "stage requests": len(requests),
            "三个一批 entries": len(entries),
        },
        "pages": pages(
            admin.username,
            two_zones.username,
            f"dash-leader-{zone_ids[0]}",
            f"dash-supervisor-{zone_ids[0]}",
            one,
            far=min(400, projects // 250),  # page 400 of 1,000 at 100,000 projects
        ),
    }


def _after_build() -> None:
    """The stored next-milestone and colour dates, when the code keeps them (it does since
    this work, and since issue 19)."""
    try:
        from approvals.cases.models.milestones import refresh_next_milestones
    except ImportError:
        return
    refresh_next_milestones()
    try:
        from approvals.cases.lateness import refresh_colour_dates
    except ImportError:
        return
    refresh_colour_dates()


def pages(
    admin: str, officer: str, leader: str, supervisor: str, project: int, far: int
) -> list[list[str]]:
    """(label, who, URL) of every measured page; ``far`` is the far page of the list."""
    projects = "/admin/approvals/project/"
    return [
        ["dashboard (admin index)", admin, "/admin/"],
        [f"dashboard, administrator, {AFRESH}", admin, "/admin/"],
        ["dashboard, officer of two zones", officer, "/admin/"],
        [f"dashboard, officer, {AFRESH}", officer, "/admin/"],
        ["reports page, administrator", admin, "/admin/reports/"],
        ["project page (21 items)", admin, f"{projects}{project}/change/"],
        ["project page, officer", officer, f"{projects}{project}/change/"],
        ["project list, page 1", admin, projects],
        [f"project list, page {far}", admin, f"{projects}?p={far}"],
        ["project list, sorted by next milestone", admin, f"{projects}?o=6"],
        [f"project search ?q={SHORT_TERM}", admin, f"{projects}?q={SHORT_TERM}"],
        [f"project search ?q={LONG_TERM}", admin, f"{projects}?q={LONG_TERM}"],
        ["project list, officer of two zones", officer, projects],
        [f"project list, officer, page {far // 20}", officer, f"{projects}?p={far // 20}"],
        ["project list, leader", leader, projects],
        ["approval items list", admin, "/admin/approvals/approvalitem/"],
        ["approval items list, officer", officer, "/admin/approvals/approvalitem/"],
        [
            "request queue, supervisor",
            supervisor,
            "/admin/approvals/stagerequest/?queue=awaiting&status__exact=pending",
        ],
    ]


# --- measuring --------------------------------------------------------------------------------


def measure(pages_: list[list[str]], repeats: int) -> list[dict[str, Any]]:
    """Each page: median ms of ``repeats`` GETs after a warm-up, queries, HTML bytes."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients: dict[str, Client] = {}
    for _, who, _ in pages_:
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(get_user_model().objects.get(username=who))
    from django.core.cache import cache

    results = []
    for label, who, url in pages_:
        client = clients[who]
        # The dashboard keeps its figures per state of the data: a visit after a change
        # counts them again. Those rows empty the cache before each visit (the thresholds and
        # the sessions are read again too: a few queries more than a real first visit).
        afresh = cache.clear if AFRESH in label else (lambda: None)
        client.get(url)  # warm: the page's first visit fills the caches the others read
        afresh()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = len(captured)  # now: a later request empties the log it reads from
        status = response.status_code
        times = []
        for _ in range(repeats):
            afresh()
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        results.append(
            {
                "page": label,
                "status": status,
                "ms": statistics.median(times),
                "queries": queries,
                "kB": len(response.content) / 1024,
            }
        )
    return results


def measure_before(pages_: list[list[str]], repeats: int) -> list[dict[str, Any]] | str:
    """The same pages served by the code of ``BEFORE_COMMIT``, in a subprocess."""
    if not BEFORE_TREE.exists():
        made = subprocess.run(
            ["git", "worktree", "add", "--detach", str(BEFORE_TREE), BEFORE_COMMIT],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
        )
        if made.returncode:
            return f"no worktree: {made.stderr.strip()}"
    done = subprocess.run(
        [sys.executable, __file__, "--serve-as", str(BEFORE_TREE), "--repeats", str(repeats)],
        input=json.dumps(pages_),
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"},
    )
    if done.returncode:
        return f"the old code failed: {done.stderr.strip()[-500:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def serve_as(root: str, repeats: int) -> None:
    """Subprocess: measure the pages read from stdin with the code under ``root``."""
    pages_ = json.loads(sys.stdin.read())
    ours = {HERE, HERE.parent}
    sys.path = [root, *[p for p in sys.path if Path(p or ".").resolve() not in ours]]
    os.chdir(root)
    import django

    django.setup()
    print(json.dumps(measure(pages_, repeats)))


def report(rows: dict[str, int], now: list[dict], before: list[dict] | str, seconds: float) -> str:
    from benchmarks.common import table

    out = [table("Data", ["rows", ""], rows.items())]
    out.append(f"\nBuilt in {seconds:.0f} s.")
    if isinstance(before, str):
        out.append(f"\nBefore: {before}")
        before = []
    old = {b["page"]: b for b in before}
    lines = []
    for r in now:
        b = old.get(r["page"], {})
        lines.append(
            (
                r["page"],
                f"{b['ms']:.0f}" if b else "—",
                b.get("queries", "—"),
                f"{b['kB']:.0f}" if b else "—",
                f"{r['ms']:.0f}",
                r["queries"],
                f"{r['kB']:.0f}",
                f"{b['ms'] / r['ms']:.1f}x" if b else "—",
                r["status"] if r["status"] != 200 else "",
            )
        )
    out.append(
        table(
            "Pages (median ms; before = commit " + BEFORE_COMMIT + ")",
            ["page", "before ms", "q", "kB", "now ms", "q", "kB", "faster", "status"],
            lines,
        )
    )
    return "\n".join(out)


def run(quick: bool, repeats: int, before: bool = True) -> str:
    projects, enterprises = QUICK if quick else FULL
    start = time.perf_counter()
    built = build(projects, enterprises)
    seconds = time.perf_counter() - start
    now = measure(built["pages"], repeats)
    old = measure_before(built["pages"], repeats) if before else "not measured (--no-before)"
    return report(built["rows"], now, old, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 projects, 3 repeats")
    parser.add_argument("--no-before", action="store_true", help="skip today's way (53c83c2)")
    parser.add_argument("--repeats", type=int, default=0)
    parser.add_argument("--serve-as", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_as:
        serve_as(args.serve_as, args.repeats)
        return
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.databases import measured_run

    with measured_run(DASH_DATABASE):
        repeats = args.repeats or (3 if args.quick else 7)
        print(run(args.quick, repeats, before=not args.no_before), flush=True)


if __name__ == "__main__":
    main()
