"""Who sees what, as SQL: the lists and the home page's live counts at 100,000 projects, with
visibility as a UNION of ids (the way before issue 21) and as ``permissions.scope`` gives it now.

Why: at 100,000 projects in 20 zones every list of an officer, a supervisor or a statistician
read "pk IN (the zone's projects UNION the projects it follows)", which PostgreSQL answered by
reading all 100,000 projects (the stage requests' list 105 ms, the problems' 88 ms), and the
home page's to-do and colour counts read every project too. This builds the data of
``benchmarks/dashboard.py`` (projects, milestones, items, stage requests) and adds problems,
service records and reminders in the numbers the issue measured; then it runs each query of
the home page and the lists for each person, "before" (the UNION kept below, the old to-do
and colour counts) and "now" side by side, interleaved, median of the rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/visibility.py [--projects 100000] [--repeats 7]
    ... --database h2_vis --keep     # build once into h2_vis, keep it; later runs reuse it

With a PostgreSQL URL the database ``projectdesk_visibility`` is created, used and dropped
(unless --keep).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DATABASE = "projectdesk_visibility"
#: Per project, as measured by the issue at 100,000 projects: 50,000 problems, 150,000
#: service records and 150,000 reminders.
PROBLEMS, RECORDS, REMINDERS = 0.5, 1.5, 1.5


# --- the data ---------------------------------------------------------------------------------


def insert(model, rows: Iterator[dict[str, Any]]) -> None:
    """Rows as dicts over the model's defaults (database form), by COPY."""
    from django.db import connection
    from django.utils import timezone

    from benchmarks.common import insert_rows

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    base = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    for name, value in base.items():
        if isinstance(value, dt.datetime):
            base[name] = now
        elif isinstance(value, dict):
            base[name] = json.dumps(value)
    insert_rows(model, fields, (tuple((base | row)[f] for f in fields) for row in rows))


def stage_requests(rows: list[tuple[int, int, int]], supervisors: dict[int, int]) -> None:
    """Decided requests, 2.25 a project (227,000 at 100,000 as the issue measured), beside
    ``dashboard.build``'s pending ones."""
    from django.utils import timezone

    from approvals.models import StageRequest

    at = timezone.now()

    def requests() -> Iterator[dict[str, Any]]:
        for n in range(len(rows) * 9 // 4):
            pk, officer, zone = rows[(n * 13) % len(rows)]
            yield {
                "project_id": pk,
                "transition": "sign",
                "requested_by_id": officer,
                "requested_at": at - dt.timedelta(minutes=n + 10_000),
                "status": "approved",
                "decided_by_id": supervisors[zone],
                "decided_at": at,
            }

    insert(StageRequest, requests())


def build(projects: int) -> dict[str, int]:
    """``benchmarks.dashboard``'s data set, and the casework rows the lists show."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from approvals.models import Problem, Project, Reminder, ServiceRecord, StageRequest
    from benchmarks import dashboard
    from benchmarks.common import analyze, reset_sequences
    from zones.models import Role, ZoneRole

    built = dashboard.build(projects, max(1, projects // 5))
    rng = random.Random(20261206)
    people = get_user_model().objects
    # A statistician of every zone, and a leader who also does casework in a zone
    # (the one kind of person whose visibility stays a union).
    zone_ids = sorted(ZoneRole.objects.values_list("zone_id", flat=True).distinct())
    statistician = people.create(username="vis-statistician", is_staff=True)
    ZoneRole.objects.bulk_create(
        ZoneRole(user=statistician, zone_id=z, role=Role.STATISTICIAN) for z in zone_ids
    )
    leader = people.get(username=f"dash-leader-{zone_ids[0]}")
    ZoneRole.objects.create(user=leader, zone_id=zone_ids[1], role=Role.OFFICER)

    def supervisors_by_zone(zones: list[int]) -> dict[int, int]:
        return dict(
            ZoneRole.objects.filter(role=Role.SUPERVISOR, zone_id__in=zones).values_list(
                "zone_id", "user_id"
            )
        )

    rows = list(Project.objects.order_by("pk").values_list("pk", "officer_id", "zone_id"))
    today = timezone.localdate()
    now = connection.ops.adapt_datetimefield_value(timezone.now())

    statuses = ["open", "in_progress", "escalated", "resolved", "closed"]

    def problem_rows() -> Iterator[dict[str, Any]]:
        for n, (pk, officer, _zone) in enumerate(rows[:: int(1 / PROBLEMS)]):
            reported = today - dt.timedelta(days=rng.randint(0, 400))
            yield {
                "project_id": pk,
                "description": f"堵点{n}",
                "description_key": f"堵点{n}",
                "responsible_id": officer if n % 7 == 0 else None,
                "reported_on": reported,
                "deadline": reported + dt.timedelta(days=30),
                "status": rng.choices(statuses, [30, 25, 5, 10, 30])[0],
            }

    insert(Problem, problem_rows())

    def record_rows() -> Iterator[dict[str, Any]]:
        for n in range(int(len(rows) * RECORDS)):
            pk, officer, _zone = rows[n % len(rows)]
            day = today - dt.timedelta(days=rng.randint(0, 700))
            yield {
                "project_id": pk,
                "day": day,
                "participants": "企业、部门",
                "done": f"走访{n}",
                "recorded_by_id": officer,
            }

    insert(ServiceRecord, record_rows())
    kind = ContentType.objects.get_for_model(Project).pk

    def reminder_rows() -> Iterator[dict[str, Any]]:
        for n in range(int(len(rows) * REMINDERS)):
            pk, officer, _zone = rows[(n * 7) % len(rows)]
            yield {
                "subject_type_id": kind,
                "subject_id": pk,
                "project_id": pk,
                "step": "officer",
                "recipient_id": officer,
                "period": n // len(rows),
                "day": today - dt.timedelta(days=n % 90),
                "title": "逾期",
                "status": "sent",
                "delivered_at": now,
                "read_at": None if n % 3 else now,
            }

    insert(Reminder, reminder_rows())
    stage_requests(rows, supervisors_by_zone(zone_ids))
    reset_sequences(Problem, ServiceRecord, Reminder, StageRequest)
    for model in (Problem, ServiceRecord, Reminder, StageRequest, ZoneRole, Project):
        analyze(model._meta.db_table)
    return built["rows"] | {
        "problems": Problem.objects.count(),
        "service records": ServiceRecord.objects.count(),
        "reminders": Reminder.objects.count(),
        "stage requests": StageRequest.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    from benchmarks.databases import measured_run

    if not args.keep:
        with measured_run(args.database):
            print(build(args.projects), flush=True)
            if not args.build_only:
                print(run(args.repeats), flush=True)
        return
    kept_database(args.database)
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="vis-statistician").exists():
        started = time.perf_counter()
        print(build(args.projects), f"{time.perf_counter() - started:.0f} s", flush=True)
    if not args.build_only:
        print(run(args.repeats), flush=True)


def kept_database(name: str) -> None:
    """Django on the database ``name`` (created if missing), migrated."""
    from urllib.parse import urlsplit

    import psycopg

    url = os.environ["DATABASE_URL"]
    with psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            c.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}").geturl()
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- before and now -----------------------------------------------------------------------------


def old_scope(queryset, user, path: str = ""):
    """``permissions.scope`` as it was before issue 21, for VIEW: the union of the zone's ids
    and the followed ones for whoever holds a zone-wide role."""
    from approvals.access import permissions
    from approvals.models import Project

    zones = permissions.zone_ids(user, permissions.VIEW)
    if not zones:
        return queryset.filter(**{f"{path}leader": user})
    projects = Project.objects.order_by()
    followed = projects.filter(leader=user).values("pk")
    ids = projects.filter(zone_id__in=zones).values("pk").union(followed)
    return queryset.filter(**{f"{path}pk__in": ids})


def old_own_problems(user):
    """The to-do's count of one's late problems as it was: one OR over problems joined to
    their projects, seen through ``old_scope``."""
    from django.db.models import Q

    from approvals.cases.colours import ATTENTION, MilestoneColours, problem_filter
    from approvals.cases.followers import followed_by
    from approvals.models import Problem

    mine = Q(responsible=user) | Q(responsible__isnull=True) & followed_by(user, "project__")
    late = problem_filter(ATTENTION, MilestoneColours.on(dt.date.today()))
    return old_scope(Problem.objects.all(), user, "project__").filter(mine).filter(late).count()


def own_problems(user):
    from approvals.cases.colours import ATTENTION, MilestoneColours, problem_filter
    from approvals.models import Problem

    late = problem_filter(ATTENTION, MilestoneColours.on(dt.date.today()))
    return Problem.objects.visible_to(user).handled_by(user).filter(late).count()


class Rollback(Exception):
    pass


def old_colour_counts(user):
    """The colour counts as they were: COUNT(pk) through ``old_scope``, without the index
    project_open_colour (dropped inside a transaction that is rolled back)."""
    from django.db import connection, transaction
    from django.db.models import Count

    from approvals.cases.colours import Colour, MilestoneColours
    from approvals.cases.lateness import colour_filter
    from approvals.models import OPEN_STAGES, Project

    colours = MilestoneColours.on(dt.date.today())
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX project_open_colour")
            projects = old_scope(Project.objects.all(), user).filter(stage__in=OPEN_STAGES)
            projects.aggregate(
                **{
                    c.value: Count("pk", filter=colour_filter(c, colours))
                    for c in (Colour.RED, Colour.YELLOW, Colour.AT_RISK)
                }
            )
            raise Rollback
    except Rollback:
        pass


def colour_counts(user):
    from approvals.figures import reports

    reports.colour_counts(reports.Selection(), user)


def page(model, scoped):
    """Page 1 of a list: its 100 first rows in the model's order, with their project."""
    return lambda user: list(
        scoped(model.objects.all(), user, "project__")
        .select_related("project")
        .order_by(*model._meta.ordering)[:100]
    )


def now_scope(queryset, user, path=""):
    from approvals.access import permissions

    return permissions.scope(queryset, user, path=path)


PEOPLE = {
    "officer, 2 zones": "dash-officer-two-zones",
    "supervisor": "dash-supervisor-{zone}",
    "statistician, every zone": "vis-statistician",
    "leader + officer": "dash-leader-{zone}",
}


def cases() -> dict[str, tuple]:
    from approvals.models import Problem, ServiceRecord, StageRequest

    found = {
        f"{model.__name__} list, page 1": (
            page(model, old_scope),
            page(model, now_scope),
        )
        for model in (StageRequest, Problem, ServiceRecord)
    }
    found["to-do: own late problems (count)"] = (old_own_problems, own_problems)
    found["colour counts"] = (old_colour_counts, colour_counts)
    return found


def run(repeats: int) -> str:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from benchmarks.common import elapsed_ms, machine, table
    from zones.models import Role, ZoneRole

    zone = ZoneRole.objects.filter(role=Role.SUPERVISOR).order_by("zone_id")[0].zone_id
    users = get_user_model().objects
    loads = [os.getloadavg()[0]]
    rows = []
    for label, name in PEOPLE.items():
        username = name.format(zone=zone)
        for what, (before, now) in cases().items():
            person = users.get(username=username)
            before(person)  # warm-up, and the caches of the person's roles
            now(person)
            times: dict[str, list[float]] = {"before": [], "now": []}
            for _ in range(repeats):
                times["before"].append(elapsed_ms(partial(before, person)))
                times["now"].append(elapsed_ms(partial(now, person)))
            b, n = (statistics.median(times[k]) for k in ("before", "now"))
            rows.append([label, what, f"{b:.1f}", f"{n:.1f}", f"{b / n:.1f}×"])
        loads.append(os.getloadavg()[0])
        connection.close()
    return "\n".join(
        [
            table("Machine", ["", ""], machine()),
            "",
            table(
                f"Median of {repeats} interleaved rounds, ms (load average {min(loads):.2f}–"
                f"{max(loads):.2f})",
                ["who", "query", "before", "now", "faster"],
                rows,
            ),
        ]
    )


if __name__ == "__main__":
    main()
