"""Every page of the admin at 100,000 projects, as the people who use it (issue 21, "City scale").

The data (``build``), on PostgreSQL: ``dashboard.build`` (100,000 projects in 20 zones, 500,000
milestones, 840,000 checklist items, 20,000 enterprises, 三个一批 rounds and their entries), the
casework of ``casework.py`` (422,000 monthly rows of 20,000 projects, 50,000 problems, 100,000
task nodes), then here: a stage request for every stage a project reached (decided by its
zone's supervisor, some rejected, one project in twelve with one waiting: 227,000 in all),
150,000 service records, 150,000 reminders in the officers' inboxes, 1,000,000 audit events
over two years, the factor needs of the white list's projects, a "+" history row for every row
of a model that keeps history (as the app's bulk writes make them), investments and industries
spread out, and the people: for each role (the system and the audit administrator, a
statistician of every zone, a city supervisor, a supervisor, an officer of two zones, a leader
following projects) with a Chinese name. One name in twenty speaks of 氢能, for the searches.

The build goes into its own database (``--build-only --database pages100k``), migrated with this
code's migrations and ANALYZEd; a run with ``--database NAME`` copies it (``CREATE DATABASE ...
TEMPLATE``) into ``pages_run``, migrates the copy with this code, measures and drops it, so one
build serves every later run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/pages.py \\
        --build-only --database pages100k
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/pages.py \\
        --database pages100k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere

#: main as it stood when issue 21 was started.
BEFORE_COMMIT = "8693639"
BEFORE_TREE = Path("/tmp/pd-before-21")
#: The throw-away copy a run measures on (``--database``), and the database of a fresh build.
RUN_DATABASE = "pages_run"
BUILD_DATABASE = "pages_build"
READY_FILE = Path("/work/wt/pages100k.ready")

#: projects, enterprises, projects with monthly figures, problems, task nodes, service records,
#: reminders, audit events
FULL = (100_000, 20_000, 20_000, 50_000, 100_000, 150_000, 150_000, 1_000_000)
QUICK = (10_000, 2_000, 2_000, 5_000, 10_000, 15_000, 15_000, 100_000)
TINY = (300, 60, 60, 150, 300, 450, 450, 3_000)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 志强 海燕 晓东 文博 国栋"
    " 丽华 永红"
).split()
INDUSTRIES = (
    "新材料 高端装备制造 氢能 现代煤化工 新能源 生物医药 数字经济 节能环保 特色农产品加工 现代物流"
).split()


def person_name(n: int) -> tuple[str, str]:
    """(surname, given name) of the n-th person: realistic, stable from build to build."""
    return SURNAMES[n % len(SURNAMES)], GIVEN[(n * 7 + n // len(SURNAMES)) % len(GIVEN)]


# --- the data ---------------------------------------------------------------------------------


def build(sizes: tuple[int, ...], *, log=print) -> dict[str, Any]:
    """The data set on the connected (migrated, empty) database; returns the rows per table."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from approvals.models import (
        MILESTONE_STAGES,
        AuditEvent,
        FactorNeed,
        Milestone,
        MonthlyProgress,
        Problem,
        Project,
        Reminder,
        ServiceRecord,
        StageRequest,
        TaskNode,
        WarningSettings,
    )
    from benchmarks import casework, dashboard
    from benchmarks.common import insert_rows, reset_sequences
    from zones.models import Administrator, AdminRole, CityRole, Role, Zone, ZoneRole

    (projects, enterprises, monthly, problems, nodes, services, reminders, audits) = sizes
    started = time.perf_counter()

    def step(what: str) -> None:
        log(f"  {time.perf_counter() - started:6.0f} s  {what}", flush=True)

    WarningSettings.get_solo()
    step("projects, milestones, checklists, enterprises, rounds (dashboard.build)")
    dashboard.build(projects, enterprises)
    rng = random.Random(20261206)
    today = timezone.localdate()
    now = timezone.now()
    user = get_user_model()
    zone_ids = list(Zone.objects.order_by("pk").values_list("pk", flat=True))
    city = Zone.objects.values_list("city", flat=True).first()

    step("people of every role")

    def person(username: str, **extra: Any):
        return user.objects.create(username=username, is_staff=True, **extra)

    statistician = person("pages-statistician")
    ZoneRole.objects.bulk_create(
        ZoneRole(user=statistician, zone_id=z, role=Role.STATISTICIAN) for z in zone_ids
    )
    city_supervisor = person("pages-city-supervisor")
    CityRole.objects.create(user=city_supervisor, city=city, role=Role.CITY_SUPERVISOR)
    for role in AdminRole:
        Administrator.objects.create(user=person(f"pages-{role.value}-admin"), role=role.value)
    for n, (pk,) in enumerate(user.objects.order_by("pk").values_list("pk")):
        surname, given = person_name(n)
        user.objects.filter(pk=pk).update(last_name=surname, first_name=given)

    step("investments, industries")
    with connection.cursor() as cursor:
        # A long tail (万元): one project in 17 of 10亿元 (100,000 万元) or more, the white list;
        # one in five of 2亿 to 6.4亿; the rest of 500 to 12,800. Plain SQL of both engines.
        industry = " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(INDUSTRIES))
        cursor.execute(
            "UPDATE approvals_project SET total_investment = CASE"
            " WHEN id %% 17 = 0 THEN 100000 + (id %% 97) * 4000"
            " WHEN id %% 5 = 0 THEN 20000 + (id %% 89) * 500"
            " ELSE 500 + (id %% 83) * 150 END,"
            f" industry = CASE id %% {len(INDUSTRIES)} {industry} END",
            [],
        )
    rows = list(
        Project.objects.order_by("pk").values_list("pk", "zone_id", "officer_id", "name", "stage")
    )
    ids = [r[0] for r in rows]
    by_id = {r[0]: r for r in rows}
    supervisor_of = dict(
        ZoneRole.objects.filter(
            role=Role.SUPERVISOR, user__username__startswith="dash-"
        ).values_list("zone_id", "user_id")
    )

    step("monthly progress, problems, task nodes (casework.py)")
    day = casework.working_day_up_to(today)
    key = sorted(rng.sample(ids, monthly))
    for model, made in (
        (MonthlyProgress, casework.monthly_rows(key, day, rng)),
        (Problem, casework.problem_rows(ids, problems, day, rng)),
        (
            TaskNode,
            casework.node_rows(rng.sample(ids, nodes // len(casework.NODE_NAMES)), nodes, day, rng),
        ),
    ):
        insert_rows(model, [f.attname for f in model._meta.concrete_fields], made)

    step("stage requests: one per stage reached, some rejected, some waiting")
    transition_of = dict(
        zip(
            [s.value for s in MILESTONE_STAGES],
            ["sign", "mark_ready", "start_works", "start_production", "reach_capacity"],
            strict=False,
        )
    )
    waiting = set(
        StageRequest.objects.filter(status="pending").values_list("project_id", flat=True)
    )
    first_request = (
        StageRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    request_fields = [f.attname for f in StageRequest._meta.concrete_fields]
    request_base = casework.base_row(StageRequest)
    # Read before the COPY starts: a query inside it would wait on the connection for ever.
    reached = list(
        Milestone.objects.filter(actual_date__isnull=False)
        .order_by("id")
        .values_list("project_id", "stage", "actual_date")
    )
    next_open = dict(
        Milestone.objects.filter(actual_date__isnull=True)
        .order_by("project_id", "-id")  # the last kept: each project's first open one
        .values_list("project_id", "stage")
    )
    counter = iter(range(first_request, 10**9))

    def request_rows() -> Iterator[tuple]:
        def row(project: int, transition: str, status: str, at: dt.datetime, **more) -> tuple:
            _, zone, officer, _, _ = by_id[project]
            decided = status != "pending"
            values = (
                request_base
                | {
                    "id": next(counter),
                    "project_id": project,
                    "transition": transition,
                    "evidence": json.dumps({"agreement_date": f"{at:%Y-%m-%d}"}),
                    "note": "按计划推进，请审核",
                    "requested_by_id": officer,
                    "requested_at": at,
                    "status": status,
                    "decided_by_id": supervisor_of[zone] if decided else None,
                    "decided_at": at + dt.timedelta(days=2) if decided else None,
                    "decision_comment": "材料不全，请补充" if status == "rejected" else "",
                }
                | more
            )
            return tuple(values[name] for name in request_fields)

        for project, stage, actual in reached:
            at = dt.datetime.combine(actual, dt.time(9, 30), tzinfo=dt.UTC)
            if rng.random() < 0.04:  # refused once, asked again
                yield row(project, transition_of[stage], "rejected", at - dt.timedelta(days=7))
            yield row(project, transition_of[stage], "approved", at)
        for n, project in enumerate(ids):
            if n % 12 == 5 and project not in waiting and project in next_open:
                yield row(
                    project,
                    transition_of[next_open[project]],
                    "pending",
                    now - dt.timedelta(hours=n % 500),
                )

    insert_rows(StageRequest, request_fields, request_rows())

    step("service records")
    service_fields = [f.attname for f in ServiceRecord._meta.concrete_fields]
    service_base = casework.base_row(ServiceRecord)
    kinds = ["visit", "visit", "call", "meeting", "on_site"]

    def service_rows() -> Iterator[tuple]:
        for pk in range(1, services + 1):
            project = ids[rng.randrange(len(ids))]
            officer = by_id[project][2]
            visited = today - dt.timedelta(days=rng.randint(0, 720))
            values = service_base | {
                "id": pk,
                "project_id": project,
                "day": visited,
                "kind": kinds[pk % len(kinds)],
                "participants": "开发区经办人、企业负责人、自然资源局",
                "done": f"走访企业，了解{rng.choice(['用地', '用电', '环评', '融资'])}需求，协调解决",
                "recorded_by_id": officer,
                "recorded_at": dt.datetime.combine(visited, dt.time(16), tzinfo=dt.UTC),
            }
            yield tuple(values[name] for name in service_fields)

    insert_rows(ServiceRecord, service_fields, service_rows())

    step("reminders in the officers' inboxes")
    milestone_type = ContentType.objects.get_for_model(Milestone).pk
    open_milestones = list(
        Milestone.objects.filter(actual_date__isnull=True, planned_date__lt=today)
        .order_by("pk")
        .values_list("pk", "project_id", "stage")[:reminders]
    )
    reminder_fields = [f.attname for f in Reminder._meta.concrete_fields]
    reminder_base = casework.base_row(Reminder)
    labels = {s.value: s.label for s in MILESTONE_STAGES}

    def reminder_rows() -> Iterator[tuple]:
        for n, (milestone, project, stage) in enumerate(open_milestones):
            _, zone, officer, name, _ = by_id[project]
            made = now - dt.timedelta(hours=n % 2_000, minutes=n % 60)
            values = reminder_base | {
                "id": n + 1,
                "subject_type_id": milestone_type,
                "subject_id": milestone,
                "project_id": project,
                "step": "officer" if n % 10 else "supervisor",
                "recipient_id": officer if n % 10 else supervisor_of[zone],
                "period": 0,
                "day": made.date(),
                "title": f"{name}：{labels[stage]}已逾期",
                "body": f"{name}的{labels[stage]}计划日期已过，请尽快推进并更新。",
                "link": f"/admin/approvals/project/{project}/change/",
                "status": "sent",
                "email_status": "none",
                "next_attempt_at": made,
                "created_at": made,
                "delivered_at": made,
                "sent_at": made,
                "read_at": made + dt.timedelta(hours=3) if n % 5 else None,
            }
            yield tuple(values[name] for name in reminder_fields)

    insert_rows(Reminder, reminder_fields, reminder_rows())

    step("factor needs of the white list")
    need_fields = [f.attname for f in FactorNeed._meta.concrete_fields]
    factors = ["land", "energy", "electricity", "water", "funds", "environment"]
    big = list(
        Project.objects.filter(total_investment__gte=100_000)
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    def need_rows() -> Iterator[tuple]:
        pk = 0
        for project in big:
            for factor in rng.sample(factors, rng.randint(1, 4)):
                pk += 1
                requested = rng.randint(10, 5_000)
                values = {
                    "id": pk,
                    "project_id": project,
                    "factor": factor,
                    "requested": requested,
                    "secured": rng.randint(0, requested),
                    "notes": "",
                }
                yield tuple(values[name] for name in need_fields)

    insert_rows(FactorNeed, need_fields, need_rows())

    step("audit events")
    people = list(user.objects.values_list("pk", "username"))
    audit_fields = [f.attname for f in AuditEvent._meta.concrete_fields]
    audit_kinds = (
        ["login"] * 55
        + ["logout"] * 25
        + ["login_failed"] * 4
        + ["export"] * 5
        + ["decision"] * 7
        + ["import"] * 2
        + ["permission"]
        + ["configuration"]
    )

    first_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def audit_rows() -> Iterator[tuple]:
        span = 730 * 86_400
        for pk in range(first_audit + 1, first_audit + audits + 1):
            who, name = people[rng.randrange(len(people))]
            kind = audit_kinds[pk % len(audit_kinds)]
            at = now - dt.timedelta(seconds=span * (first_audit + audits - pk) // audits)
            obj_type, obj_id, obj = "", "", ""
            if kind == "decision":
                obj_type, obj_id, obj = "approvals.StageRequest", str(pk % 200_000 + 1), "签约申请"
            elif kind in ("export", "import"):
                obj_type, obj = "approvals.Project", "项目清单"
            values = {
                "id": pk,
                "at": at,
                "kind": kind,
                "user_id": who,
                "username": name,
                "object_type": obj_type,
                "object_id": obj_id,
                "object_repr": obj,
                "result": "failure" if kind == "login_failed" else "success",
                "source_address": f"10.{pk % 7}.{pk % 251}.{pk % 253 + 1}",
                "detail": "{}",
            }
            yield tuple(values[name] for name in audit_fields)

    insert_rows(AuditEvent, audit_fields, audit_rows())

    step("history rows (one '+' per row, as the app's bulk writes make them)")
    from django.apps import apps

    historied = [
        m
        for m in apps.get_models()
        if isinstance(getattr(m, "history", None), object)
        and hasattr(getattr(m, "history", None), "model")
        and not m._meta.proxy
        and m.history.model is not m
    ]
    for model in historied:
        history = model.history.model
        names = [
            f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")
        ]
        columns = ", ".join(f'"{c}"' for c in names)
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{history._meta.db_table}" ({columns}, history_date, history_type,'
                f" history_change_reason, history_user_id) SELECT {columns}, %s, '+', NULL, NULL"
                f' FROM "{model._meta.db_table}"',
                [now - dt.timedelta(days=30)],
            )
    # and a change ("~") for one project in three, as edits leave them
    history = Project.history.model
    names = [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]
    columns = ", ".join(f'"{c}"' for c in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{history._meta.db_table}" ({columns}, history_date, history_type,'
            f" history_change_reason, history_user_id) SELECT {columns}, %s, '~', NULL, officer_id"
            f" FROM approvals_project WHERE id %% 3 = 0",
            [now - dt.timedelta(days=3)],
        )

    step("sequences, VACUUM ANALYZE")
    reset_sequences(
        MonthlyProgress,
        Problem,
        TaskNode,
        StageRequest,
        ServiceRecord,
        Reminder,
        FactorNeed,
        AuditEvent,
    )
    with connection.cursor() as cursor:  # VACUUM: the visibility map of the loaded tables
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    step("built")
    counts = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        n = model._default_manager.count()
        if n >= 100:
            counts[model._meta.db_table] = n
    return counts


# --- the pages --------------------------------------------------------------------------------

#: Who uses the pages: role -> user name in the built data (``build``).
ROLES = {
    "system admin": "pages-system-admin",
    "statistician": "pages-statistician",
    "city supervisor": "pages-city-supervisor",
    "supervisor": "dash-supervisor-{zone}",
    "officer": "dash-officer-two-zones",
    "leader": "dash-leader-{zone}",
    "audit admin": "pages-audit-admin",
    "security admin": "pages-security-admin",
}
#: The roles of the casework: the dashboard, the reports, the case file are theirs.
CASE_ROLES = ("system admin", "statistician", "city supervisor", "supervisor", "officer", "leader")
SEARCH = "氢能"
DEEP_PAGE = 200
#: The case file's tabs, each asked for by this query (today they are all on the page; a tab
#: loaded on opening it is measured at its own address once it has one).
TAB_QUERY = "?case_tab={key}"
#: A page whose median is at or above this is flagged (issue 21's target).
TARGET_MS = 150.0


def people() -> dict[str, str]:
    """Role -> user name, with the first zone's supervisor and leader."""
    from zones.models import Zone

    zone = Zone.objects.order_by("pk").values_list("pk", flat=True).first()
    return {role: name.format(zone=zone) for role, name in ROLES.items()}


def sortable_columns(model_admin, request) -> list[tuple[int, str]]:
    """(index for ``o=``, column name) of each column the change list sorts by, as
    ``ChangeList.get_ordering_field`` decides it (the index counts the action checkbox)."""
    from django.core.exceptions import FieldDoesNotExist

    display = list(model_admin.get_list_display(request))
    if model_admin.get_actions(request):
        display = ["action_checkbox", *display]
    allowed = set(model_admin.get_sortable_by(request))
    found = []
    for index, name in enumerate(display):
        if name == "action_checkbox" or (not callable(name) and name not in allowed):
            continue
        try:
            model_admin.model._meta.get_field(name)
            found.append((index, name))
            continue
        except (FieldDoesNotExist, TypeError):
            pass
        attr = name if callable(name) else getattr(model_admin, name, None)
        if attr is None:
            attr = getattr(model_admin.model, name, None)
        if isinstance(attr, property):
            attr = attr.fget
        if getattr(attr, "admin_order_field", None):
            found.append((index, getattr(name, "__name__", str(name))))
    return found


def list_pages(who: dict[str, str]) -> list[list]:
    """Every change list of the admin site, as each role that may view it: page 1, and for the
    first such role each sortable column ascending, the search (where the list has one), and
    the deep page ``DEEP_PAGE`` (where the list has that many)."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from django.urls import NoReverseMatch, reverse

    users = {role: get_user_model().objects.get(username=name) for role, name in who.items()}
    found = []
    registry = sorted(
        admin.site._registry.items(), key=lambda item: str(item[0]._meta.verbose_name_plural)
    )
    for model, model_admin in registry:
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        name = f"list {opts.app_label}.{opts.model_name}"
        roles = []
        for role, user in users.items():
            request = RequestFactory().get(url)
            request.user = user
            if model_admin.has_view_or_change_permission(request):
                roles.append((role, request))
        for role, _ in roles:
            found.append([f"{name} ({role})", who[role], url, False])
        if not roles:
            continue
        role, request = roles[0]
        for index, column in sortable_columns(model_admin, request):
            found.append(
                [f"{name} sorted by {column} ({role})", who[role], f"{url}?o={index}", False]
            )
        if model_admin.get_search_fields(request):
            term = who["officer"] if opts.model_name == "auditevent" else SEARCH
            searchers = [role] + [r for r, _ in roles[1:] if r == "officer"]
            for searcher in searchers:  # all of it, and an officer's two zones
                found.append(
                    [f"{name} search {term} ({searcher})", who[searcher], f"{url}?q={term}", False]
                )
        if model._default_manager.count() > DEEP_PAGE * model_admin.list_per_page:
            found.append(
                [
                    f"{name} deep p={DEEP_PAGE} ({role}, reported, not targeted)",
                    who[role],
                    f"{url}?p={DEEP_PAGE}",
                    False,
                ]
            )
    return found


def enumerate_pages() -> list[list]:
    """[label, user name, URL, figures recomputed] of every measured page."""
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from approvals.models import Project
    from zones.models import Zone

    who = people()
    zone = Zone.objects.order_by("pk").values_list("pk", flat=True).first()
    found = []
    for role in CASE_ROLES:
        # Only "kept": no visit of the dashboard counts figures any more (the worker counts a
        # changed zone; benchmarks/figures_recount.py measures one zone's count), so emptying
        # the cache before a visit changed nothing but the name of the row.
        found.append([f"dashboard, figures kept ({role})", who[role], "/admin/", False])
    for role in ("system admin", "statistician", "city supervisor"):
        found.append([f"reports page, figures kept ({role})", who[role], "/admin/reports/", False])
        found.append([f"reports page, recomputed ({role})", who[role], "/admin/reports/", True])
    month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    three = f"/admin/three-lists/?zone={zone}&month={month:%Y-%m}"
    for role in ("officer", "statistician", "system admin"):
        found.append([f"three lists, one zone, {month:%Y-%m} ({role})", who[role], three, False])

    # A project of the first zone with a full checklist (21 items), half way down; the leader's
    # own with the most items.
    def most_items(projects) -> list[tuple[int, int]]:
        counted = (
            projects.annotate(n=Count("approval_items")).order_by("-n", "pk").values_list("pk", "n")
        )
        top = list(counted[:1])
        if not top:
            return []
        return list(counted.filter(n=top[0][1]))

    in_zone = most_items(Project.objects.filter(zone_id=zone))
    followed = most_items(Project.objects.filter(leader__username=who["leader"]))
    if in_zone:
        pk, items = in_zone[len(in_zone) // 2]
        case = f"/admin/approvals/project/{pk}/change/"
        for role in CASE_ROLES:
            url = case
            if role == "leader" and followed:
                url = f"/admin/approvals/project/{followed[0][0]}/change/"
            found.append([f"case file, {items} items ({role})", who[role], url, False])
        from approvals.admin.case_tabs import CASE_TABS

        for tab in CASE_TABS:
            found.append(
                [
                    f"case file, tab {tab.key} (officer)",
                    who["officer"],
                    case + TAB_QUERY.format(key=tab.key),
                    False,
                ]
            )
    return found + list_pages(who)


# --- measuring (also run by the code of "before", in its own process) -------------------------


class Server:
    """The pages served by the code this process imported, through ``django.test.Client``, each
    as its user (``force_login``)."""

    def __init__(self, pages: list[list]) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client

        self.pages = pages
        self.clients: dict = {}
        self.users: dict = {}
        for _, who, _, _ in pages:
            if who not in self.clients:
                self.clients[who] = Client(HTTP_ACCEPT_ENCODING="gzip, deflate, br")
                self.users[who] = get_user_model().objects.get(username=who)

    def login(self) -> None:
        """Log everyone in again, untimed: a login ends the account's older sessions (one
        session per account), those of the other code's process too."""
        for who, client in self.clients.items():
            client.force_login(self.users[who])

    def get(self, page: list):
        from django.core.cache import cache

        _, who, url, afresh = page
        if afresh:  # the kept figures emptied: the page counts them again
            cache.clear()
        response = self.clients[who].get(url)
        if response.streaming:
            response.content = b"".join(response.streaming_content)
        return response

    def first(self) -> list[dict]:
        """A warm-up visit of each page, then one with its queries captured: status, queries,
        their time, the HTML's size raw and gzipped."""
        import gzip

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.login()
        for page in self.pages:
            self.get(page)
        found = []
        for page in self.pages:
            if not page[3]:
                self.get(page)
            with CaptureQueriesContext(connection) as captured:
                response = self.get(page)
            body = response.content
            if response.get("Content-Encoding") == "gzip":
                raw, zipped = len(gzip.decompress(body)), len(body)
                sent = "gzip"
            else:
                raw, zipped = len(body), len(gzip.compress(body, 6))
                sent = "raw"
            found.append(
                {
                    "status": response.status_code,
                    "queries": len(captured),
                    "sql_ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
                    "kB": raw / 1024,
                    "gz_kB": zipped / 1024,
                    "sent": sent,
                }
            )
        return found

    def round(self) -> list[float]:
        """One timed visit of each page, in order: ms."""
        self.login()
        times = []
        for page in self.pages:
            if not page[3]:  # "kept": what the page keeps is there, as on a second visit (the
                self.get(page)  # page before may have emptied the cache: see ``get``)
            start = time.perf_counter()
            self.get(page)
            times.append((time.perf_counter() - start) * 1000)
        return times


def serve(root: str) -> None:
    """Subprocess: the code under ``root`` serves the pages read from stdin; then each line
    ``first`` or ``round`` on stdin is answered by one JSON line (after ``@@``) on stdout."""
    ours = {HERE, HERE.parent}
    sys.path = [root, *[p for p in sys.path if Path(p or ".").resolve() not in ours]]
    os.chdir(root)
    import django

    django.setup()
    pages = json.loads(sys.stdin.readline())
    server = Server(pages)
    print("@@" + json.dumps("ready"), flush=True)
    for line in sys.stdin:
        command = line.strip()
        answer = server.first() if command == "first" else server.round()
        print("@@" + json.dumps(answer), flush=True)


class Before:
    """The code of ``BEFORE_COMMIT`` serving the same pages in a subprocess."""

    def __init__(self, pages: list[list]) -> None:
        import subprocess

        if not BEFORE_TREE.exists():
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(BEFORE_TREE), BEFORE_COMMIT],
                cwd=HERE.parent,
                capture_output=True,
                check=True,
            )
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-as", str(BEFORE_TREE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"},
        )
        self.process.stdin.write(json.dumps(pages) + "\n")
        self.process.stdin.flush()
        self.answer()

    def answer(self):
        for line in self.process.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:])
        raise RuntimeError(f"the old code stopped (exit {self.process.wait()})")

    def ask(self, command: str):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.answer()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def measure(pages: list[list], rounds: int, before: bool) -> dict[str, Any]:
    """First visits, then ``rounds`` interleaved rounds of now and before (their order
    alternating); medians."""
    import statistics

    load_start = os.getloadavg()
    now = Server(pages)
    old = Before(pages) if before else None
    first_now = now.first()
    first_old = old.ask("first") if old else None
    times_now: list[list[float]] = [[] for _ in pages]
    times_old: list[list[float]] = [[] for _ in pages]
    for n in range(rounds):
        order = (
            [("now", now.round), ("old", lambda: old.ask("round"))] if old else [("now", now.round)]
        )
        if n % 2:
            order.reverse()
        for which, fn in order:
            for i, ms in enumerate(fn()):
                (times_now if which == "now" else times_old)[i].append(ms)
    if old:
        old.close()
    load_end = os.getloadavg()
    results = []
    for i, page in enumerate(pages):
        row = {"page": page[0], **first_now[i], "ms": statistics.median(times_now[i])}
        if first_old:
            row["before"] = {**first_old[i], "ms": statistics.median(times_old[i])}
        results.append(row)
    return {"rows": results, "load_start": load_start, "load_end": load_end}


def report(measured: dict[str, Any], rounds: int, data: str) -> str:
    from benchmarks.common import table

    rows = measured["rows"]
    with_before = any("before" in r for r in rows)
    lines = []
    slow = 0
    for r in rows:
        flag = "**≥150**" if r["ms"] >= TARGET_MS else ""
        slow += bool(flag) and "not targeted" not in r["page"]
        status = "" if r["status"] == 200 else str(r["status"])
        line = [r["page"]]
        if with_before:
            b = r.get("before")
            line += [
                f"{b['ms']:.0f}" if b else "—",
                b["queries"] if b else "—",
                (str(b["status"]) if b and b["status"] != 200 else ""),
            ]
        line += [
            f"{r['ms']:.0f}",
            flag,
            status,
            r["queries"],
            f"{r['sql_ms']:.0f}",
            f"{r['kB']:.0f}",
            f"{r['gz_kB']:.0f}" + ("" if r["sent"] == "raw" else " sent"),
        ]
        if with_before:
            b = r.get("before")
            line.append(f"{b['ms'] / r['ms']:.1f}x" if b and r["ms"] else "—")
        lines.append(line)
    headers = ["page (role)"]
    if with_before:
        headers += [f"before ms ({BEFORE_COMMIT})", "q", "status"]
    headers += ["ms", "≥150", "status", "queries", "SQL ms", "kB", "kB gz"]
    if with_before:
        headers.append("before/now")
    load = (
        f"load average at start {' '.join(f'{x:.2f}' for x in measured['load_start'])}, "
        f"at end {' '.join(f'{x:.2f}' for x in measured['load_end'])}"
    )
    targeted = sum("not targeted" not in r["page"] for r in rows)
    return "\n".join(
        [
            table(
                f"Pages on {data} (median of {rounds} interleaved rounds after a warm-up; "
                f"SQL ms and queries of one captured visit; kB gz: gzipped by us unless 'sent')",
                headers,
                lines,
            ),
            f"\n{slow} of {targeted} targeted pages took {TARGET_MS:.0f} ms or more; {load}.",
        ]
    )


# --- databases --------------------------------------------------------------------------------


def server_url(database: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("pages.py needs a PostgreSQL DATABASE_URL (postgres://...)")
    return urlsplit(url)._replace(path=f"/{database}").geturl()


def maintenance(sql: str) -> None:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as server:
        server.execute(sql)


def start_django(database: str, *, building: bool = False) -> None:
    os.environ["DATABASE_URL"] = server_url(database)
    if building:  # a build's UPDATEs over every project run longer than a page may (30 s)
        os.environ["DATABASE_STATEMENT_TIMEOUT"] = "0"
        os.environ["DATABASE_LOCK_TIMEOUT"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()


def migrate_apart(database: str) -> None:
    """``manage.py migrate`` in a process of its own without the statement timeout: a
    migration filling a new column runs over every row, longer than a page may (30 s)."""
    import subprocess

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=HERE.parent,
        check=True,
        env={
            **os.environ,
            "DATABASE_URL": server_url(database),
            "DATABASE_STATEMENT_TIMEOUT": "0",
            "DATABASE_LOCK_TIMEOUT": "0",
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        },
    )


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def close_all() -> None:
    from django.db import connections

    connections.close_all()


def build_into(database: str, sizes: tuple[int, ...]) -> None:
    """Build the data set into ``database`` (built under another name, renamed when complete, so a
    half-built database never carries the name)."""
    started = time.perf_counter()
    maintenance(f"DROP DATABASE IF EXISTS {BUILD_DATABASE} WITH (FORCE)")
    maintenance(f"CREATE DATABASE {BUILD_DATABASE}")
    start_django(BUILD_DATABASE, building=True)
    migrate()
    counts = build(sizes)
    close_all()
    maintenance(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    maintenance(f"ALTER DATABASE {BUILD_DATABASE} RENAME TO {database}")
    print(f"\nBuilt {database} in {time.perf_counter() - started:.0f} s:")
    for table_name, n in sorted(counts.items()):
        print(f"  {table_name:40} {n:>10,}")


def run(args: argparse.Namespace) -> str:
    """Copy (``--database``) or build the data into ``RUN_DATABASE``, migrate it with this code,
    measure, drop it."""
    import re

    sizes = TINY if args.tiny else QUICK if args.quick else FULL
    maintenance(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)")
    started = time.perf_counter()
    if args.database:
        maintenance(f"CREATE DATABASE {RUN_DATABASE} TEMPLATE {args.database}")
        migrate_apart(RUN_DATABASE)
        start_django(RUN_DATABASE)
        data = f"{args.database} (copied, migrated with this code)"
    else:
        maintenance(f"CREATE DATABASE {RUN_DATABASE}")
        start_django(RUN_DATABASE, building=True)
        migrate()
        build(sizes)
        data = f"a fresh build of {sizes[0]:,} projects"
    from benchmarks.common import machine, table

    out = [table("Machine", ["", ""], machine())]
    out.append(f"\nData ready in {time.perf_counter() - started:.0f} s.")
    try:
        pages = enumerate_pages()
        if args.only:
            pages = [p for p in pages if re.search(args.only, p[0])]
        close_all()  # the old code's process opens its own
        measured = measure(pages, args.rounds, before=not args.no_before)
        out.append(report(measured, args.rounds, data))
    finally:
        close_all()
        maintenance(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)")
    out.append(f"\nRuntime: {time.perf_counter() - started:.0f} s")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", help="the built database to copy and measure on")
    parser.add_argument("--build-only", action="store_true", help="build --database and stop")
    parser.add_argument("--quick", action="store_true", help="10,000 projects (no --database)")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", help="only the pages whose label matches this regex")
    parser.add_argument("--no-before", action="store_true", help=f"skip {BEFORE_COMMIT}'s code")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--serve-as", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_as:
        serve(args.serve_as)
        return
    sizes = TINY if args.tiny else QUICK if args.quick else FULL
    if args.build_only:
        database = args.database or "pages100k"
        build_into(database, sizes)
        if database == "pages100k" and READY_FILE.parent.exists():
            READY_FILE.touch()
        return
    print(run(args), flush=True)


if __name__ == "__main__":
    main()
