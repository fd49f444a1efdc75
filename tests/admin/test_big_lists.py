"""Big lists (issue 21): every list of the admin site — walked from the site's registry, so a
list added later is held to the same rules without being named here — counts few rows (one
bounded count, no ORDER BY inside it, no second full count), has no ``date_hierarchy`` (a
DISTINCT over the dates of every row) but a range of days, offers filter choices that are fixed
rather than read from the rows, shows 50 rows a page, and sends as many queries for 3 cases as
for 12, for every role that opens it.

The timings are in benchmarks/pages.py; these tests hold what makes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.apps import apps
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_totp.models import TOTPDevice
from solo.admin import SingletonModelAdmin

from api.models import Client as PlatformClient
from approvals.admin.at_scale import FewCounts
from approvals.admin.audit import object_types
from approvals.audit.models import AuditEvent, AuditKind
from approvals.casework.problems import problem_add, service_record_add
from approvals.channels.models import Channel, ChannelKind, Dispatch
from approvals.checklist.services import checklist_generate
from approvals.core.secrets import Secret
from approvals.models import (
    ApprovalType,
    Bulletin,
    CalendarDay,
    Delivery,
    EvidenceRequirement,
    Factor,
    FactorNeed,
    Job,
    JobKind,
    Milestone,
    Mode,
    Stage,
    TaskNode,
    WarningSettings,
)
from approvals.reminders import services as reminders
from approvals.stages import workflow
from portal.links import investor_link_make
from tests.factories import (
    BatchFactory,
    ProjectFactory,
    UserFactory,
    ZoneFactory,
    ZoneRoleFactory,
    administrator,
)
from tests.flows import documents, move
from zones.models import Administrator, AdminRole, CityRole, Role

D = dt.date
NOW = dt.datetime(2025, 10, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
#: Lists of a fixed set of rows (a catalogue, one per transition, a single row): they need not
#: grow with the cases.
#: Lists of configuration, not of cases (the API's client systems: a few per city, issue 22).
FIXED = {ApprovalType, EvidenceRequirement, WarningSettings, PlatformClient}
#: Values read off the rows, where few rows hold them: the rounds (a few a year) offer their
#: years, the schedule its tasks; the items whose deadline runs past the official calendar, through a partial index.
DISTINCT_ALLOWED = {
    '"approvals_batch"."year"',
    '"django_celery_beat_periodictask"."task"',  # the schedule's few entries
    '"zones_zone"."city"',  # twenty zones, a few cities
    '"zones_cityrole"."city"',
    '"approvals_approvalitem"."deadline_uncovered_years"',
}


def changelists() -> list[tuple[type, object, str]]:
    return [
        (
            model,
            model_admin,
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
        )
        for model, model_admin in admin.site._registry.items()
    ]


# --- the rules, read off every registered list ---------------------------------------------------


@pytest.mark.parametrize(
    "model, model_admin, url", changelists(), ids=lambda v: getattr(v, "__name__", None)
)
def test_every_list_counts_few_rows_has_no_date_hierarchy_and_shows_50(model, model_admin, url):
    assert model_admin.show_full_result_count is False, model
    assert type(model_admin).get_paginator is FewCounts.get_paginator, model
    assert not model_admin.date_hierarchy, model
    assert model_admin.list_per_page == 50, model


# --- a desk with cases: the people of each role, and as many cases as asked ----------------------


class Desk:
    def __init__(self) -> None:
        self.zone = ZoneFactory(name="综改区晋中开发区", aliases="晋中开发区", city="晋中市")
        self.people = {
            "superuser": UserFactory(username="超级管理员", is_superuser=True),
            "system": administrator("系统管理员", AdminRole.SYSTEM),
            "security": administrator("安全管理员", AdminRole.SECURITY),
            "audit": administrator("审计管理员", AdminRole.AUDIT),
        }
        for name, role in (
            ("officer", Role.OFFICER),
            ("supervisor", Role.SUPERVISOR),
            ("leader", Role.LEADER),
            ("statistician", Role.STATISTICIAN),
        ):
            user = UserFactory(username=name, first_name=name)
            ZoneRoleFactory(user=user, zone=self.zone, role=role)
            self.people[name] = user
        city = UserFactory(username="城市督导")
        CityRole.objects.create(user=city, city="晋中市", role=Role.CITY_SUPERVISOR)
        self.people["city_supervisor"] = city
        self.cases = 0

    def add_cases(self, count: int) -> None:
        for _ in range(count):
            self.cases += 1
            self._case(self.cases)
        reminders.run(D(2025, 10, 15))

    def _case(self, k: int) -> None:
        officer, supervisor = self.people["officer"], self.people["supervisor"]
        # a project of 10亿元 or more (the white list) through its stages, items and records
        project = ProjectFactory(
            zone=self.zone,
            name=f"第{k}号光伏垂直一体化项目",
            total_investment=200000,
            leader=self.people["leader"],
            officer=officer,
        )
        FactorNeed.objects.create(
            project=project, factor=Factor.LAND, requested=Decimal("800"), secured=Decimal("500")
        )
        move(project, "sign", officer=officer, supervisor=supervisor, agreement_date=D(2025, 4, 7))
        checklist_generate(project=project, by=officer)
        item = project.approval_items.get(approval_type__code="LX03")
        workflow.run_transition(item, "start_preparing", by=officer)
        workflow.item_set_mode(
            project.approval_items.get(approval_type__code="HP05"),
            Mode.UNIFIED,
            by=officer,
            reason="园区统一办理",
        )
        Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2025, 6, 2))
        TaskNode.objects.create(project=project, name="完成土地摘牌", planned_date=D(2025, 7, 1))
        waiting = ProjectFactory(zone=self.zone, name=f"第{k}号氢能装备项目", officer=officer)
        workflow.request_transition(
            waiting, "sign", by=officer, agreement_date=D(2025, 4, 7), attachments=documents()
        )
        problem_add(
            project=project, by=officer, description="用地指标未落实", department="自然资源局"
        )
        # the investor's page: a contact's link (issue 22)
        investor_link_make(
            enterprise=project.enterprise,
            contact_name=f"联系人{k}",
            contact_phone=f"1380000{k:04d}",
            by=officer,
        )
        service_record_add(
            project=project,
            by=officer,
            day=D(2025, 10, k % 28 + 1),
            participants="项目管家",
            done="现场查看",
        )
        # a zone of its own with its people; a round; a day off; the worker's job
        other = ZoneFactory(name=f"第{k}经济开发区", city="晋中市")
        person = UserFactory(username=f"管家{k}", first_name=f"管家{k}")
        ZoneRoleFactory(user=person, zone=other, role=Role.OFFICER)
        CityRole.objects.create(user=person, city="晋中市", role=Role.CITY_SUPERVISOR)
        Administrator.objects.create(user=person, role=AdminRole.SYSTEM)
        BatchFactory(year=2000 + k, round=1)
        CalendarDay.objects.create(
            day=D(2030, 1, 1) + dt.timedelta(days=k), kind=CalendarDay.Kind.HOLIDAY, name="假日"
        )
        Job.objects.create(kind=JobKind.EXPORT, created_by=officer)
        week = D(2025, 1, 6) + dt.timedelta(weeks=k)
        bulletin = Bulletin.objects.create(
            zone=self.zone,
            week_start=week,
            period_start=week,
            period_end=week + dt.timedelta(days=6),
            file=f"bulletins/2025/bulletin-{k}.docx",
        )
        # a group robot of the zone (issue 23), which delivered the bulletin
        robot = Channel.objects.create(
            name=f"第{k}号项目群",
            kind=ChannelKind.WECOM_ROBOT,
            zone=self.zone,
            webhook=Secret(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k{k}"),
        )
        Dispatch.objects.create(
            channel=robot, bulletin=bulletin, status=Delivery.SENT, sent_at=timezone.now()
        )
        # the security administrator's and the auditor's rows
        AccessAttempt.objects.create(
            username=f"某人{k}", ip_address="10.0.0.8", user_agent="浏览器", failures_since_start=1,
            attempt_time=timezone.now(),
        )  # fmt: skip
        AccessFailureLog.objects.create(
            username=f"某人{k}", ip_address="10.0.0.8", user_agent="浏览器"
        )
        TOTPDevice.objects.create(user=person, name="手机", confirmed=True)
        AuditEvent.objects.create(kind=AuditKind.LOGIN, user=person, username=person.username)
        # the schedule
        interval = IntervalSchedule.objects.create(every=k, period=IntervalSchedule.DAYS)
        CrontabSchedule.objects.create(minute=str(k % 60), hour="2")
        SolarSchedule.objects.create(
            event="sunrise", latitude=Decimal("37.69"), longitude=Decimal(k)
        )
        ClockedSchedule.objects.create(clocked_time=NOW + dt.timedelta(days=k))
        PeriodicTask.objects.create(
            name=f"任务{k}", task="approvals.tasks.send_reminders", interval=interval
        )


def walk(desk: Desk) -> dict[tuple[str, str], tuple[int, int, list[str]]]:
    """Each list each role opens: its query count, its rows shown and the SQL sent."""
    from django.test import Client

    seen = {}
    for role, person in desk.people.items():
        client = Client(raise_request_exception=False)  # a refusal is an answer here
        client.force_login(person)
        for model, model_admin, url in changelists():
            if isinstance(model_admin, SingletonModelAdmin):
                continue  # a page of one row (the warning thresholds): no list
            client.get(url)  # first-time reads (content types, settings) are not the list's
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            if response.status_code != 200:
                continue
            sqls = [q["sql"] for q in captured.captured_queries]
            seen[(role, model._meta.label)] = (
                len(sqls),
                len(response.context["cl"].result_list),
                sqls,
            )
    return seen


@pytest.fixture(scope="module")
def walked(django_db_setup, django_db_blocker):
    """The walk at 3 cases and at 12, built once for the module and rolled back at its end."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        with transaction.atomic():
            __import__("approvals.migrations.0003_approval_catalogue", fromlist=["load"]).load(
                apps, None
            )
            desk = Desk()
            desk.add_cases(3)
            few = walk(desk)
            desk.add_cases(9)
            many = walk(desk)
            transaction.set_rollback(True)
    return few, many


def test_every_list_sends_as_many_queries_for_3_cases_as_for_12_for_each_role(walked, db):
    few, many = walked
    assert few.keys() == many.keys()
    opened = {label for _, label in few}
    lists = {m._meta.label for m, a, _ in changelists() if not isinstance(a, SingletonModelAdmin)}
    assert opened == lists, lists - opened  # every list is opened by someone
    differing = {key: (few[key][0], many[key][0]) for key in few if few[key][0] != many[key][0]}
    assert not differing, "\n".join(
        f"{key}: {a} → {b}\n" + "\n".join(many[key][2]) for key, (a, b) in differing.items()
    )
    fixed = {m._meta.label for m in FIXED}
    grew = {key[1] for key, (_, rows, _) in many.items() if rows > few[key][1] or rows == 50}
    assert lists - fixed <= grew, (lists - fixed) - grew  # each list shows more rows, or 50


def test_every_list_counts_once_with_a_limit_never_sorting_nor_reading_distinct_values(walked, db):
    _, many = walked
    wrong = []
    for (role, label), (_, _, sqls) in many.items():
        table = [m for m, a, _ in changelists() if m._meta.label == label][0]._meta.db_table
        counts = [s for s in sqls if "COUNT(" in s]
        bounded = [s for s in counts if "LIMIT" in s]
        if len(bounded) > 1:
            wrong.append((role, label, "counted twice", bounded))
        wrong += [(role, label, "sorted", s) for s in bounded if "ORDER BY" in s]
        wrong += [
            (role, label, "counted all", s)
            for s in counts
            if "LIMIT" not in s and f'FROM "{table}"' in s and "WHERE" not in s
        ]
        wrong += [
            (role, label, "distinct values", s)
            for s in sqls
            if s.startswith("SELECT DISTINCT")
            and f'FROM "{table}"' in s
            and not any(column in s for column in DISTINCT_ALLOWED)
        ]
    assert not wrong, "\n".join(map(str, wrong))


# --- a range of days in place of the date hierarchy ----------------------------------------------

AUDIT = reverse("admin:approvals_auditevent_changelist")
SERVICE_RECORDS = reverse("admin:approvals_servicerecord_changelist")
PROJECTS = reverse("admin:approvals_project_changelist")


def listed(client, url, params=None) -> tuple[list, list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list), [q["sql"] for q in captured], response


@pytest.fixture
def auditor(db):
    return administrator("审计管理员", AdminRole.AUDIT)


def event(at: dt.datetime, username: str = "alice", **fields) -> AuditEvent:
    return AuditEvent.objects.create(kind=AuditKind.LOGIN, at=at, username=username, **fields)


BEIJING = dt.timezone(dt.timedelta(hours=8))


class TestTheRangeOfDays:
    def test_the_audit_log_takes_beijing_days_both_included(self, as_user, auditor):
        event(dt.datetime(2025, 10, 14, 23, 30, tzinfo=BEIJING))
        first = event(dt.datetime(2025, 10, 15, 0, 10, tzinfo=BEIJING))
        last = event(dt.datetime(2025, 10, 16, 23, 59, tzinfo=BEIJING))
        event(dt.datetime(2025, 10, 17, 0, 0, tzinfo=BEIJING))
        rows, sqls, response = listed(
            as_user(auditor), AUDIT, {"at_from": "2025-10-15", "at_to": "2025-10-16"}
        )
        assert rows == [last, first]
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_auditevent"."id"')]
        # the instants bounding the days, on the column itself (its index serves them)
        assert '"approvals_auditevent"."at" >= ' in query and "cast_date" not in query
        page = response.content.decode()
        assert 'placeholder="从"' in page and 'placeholder="至"' in page

    def test_service_records_by_day(self, as_user, alice, zone):
        project = ProjectFactory(zone=zone)
        days = [D(2025, 10, d) for d in (9, 10, 11, 12)]
        made = {
            d: service_record_add(
                project=project, by=alice, day=d, participants="管家", done="走访"
            )[0]
            for d in days
        }
        rows, _, _ = listed(
            as_user(alice), SERVICE_RECORDS, {"day_from": "2025-10-10", "day_to": "2025-10-11"}
        )
        assert rows == [made[D(2025, 10, 11)], made[D(2025, 10, 10)]]

    def test_a_day_that_is_no_date_is_said_in_chinese_and_left_out(self, as_user, auditor):
        one = event(dt.datetime(2025, 10, 15, 9, 0, tzinfo=BEIJING))
        two = event(dt.datetime(2025, 10, 16, 9, 0, tzinfo=BEIJING))
        rows, _, response = listed(
            as_user(auditor), AUDIT, {"at_from": "2025-13-45", "at_to": "2025-10-15"}
        )
        rows = [r for r in rows if r.username == "alice"]  # not the auditor's own login
        assert rows == [one]  # the good bound still holds
        page = response.content.decode()
        assert "“2025-13-45”不是日期（请写作 2026-12-06）：未按它筛选。" in page
        rows, _, _ = listed(as_user(auditor), AUDIT, {"at_from": "昨天", "q": "alice"})
        assert rows == [two, one]


# --- fixed choices ------------------------------------------------------------------------------


def choices_of(response, title: str) -> list[str]:
    (spec,) = [f for f in response.context["cl"].filter_specs if str(f.title) == title]
    return [str(label) for _, label in spec.lookup_choices]


class TestFixedChoices:
    def test_the_audit_logs_object_types_are_the_registrys_not_the_rows(self, as_user, auditor):
        _, sqls, response = listed(as_user(auditor), AUDIT)
        offered = choices_of(response, "客体类型")
        assert {"项目", "用户"} <= set(offered)  # no record names any yet
        assert not any("DISTINCT" in s for s in sqls)
        assert {"approvals.Project", "approvals.StageRequest", "auth.User"} <= {
            label for label, _ in object_types()
        }

    def test_the_project_list_offers_the_zones_lead_industries(self, as_user, alice, zone):
        zone.lead_industries = "新材料、氢能"
        zone.save()
        mine = ProjectFactory(zone=zone, industry="氢能")
        ProjectFactory(zone=zone, industry="新材料")
        ProjectFactory(zone=zone, industry="自拟行业")
        rows, sqls, response = listed(as_user(alice), PROJECTS, {"industry": "氢能"})
        assert choices_of(response, "行业") == ["新材料", "氢能"]
        assert rows == [mine]
        assert not any('DISTINCT "approvals_project"."industry"' in s for s in sqls)


# --- sorted by an index: the id breaks ties the column's way; awaiting decision by a join -------


class TestSorting:
    def test_a_column_sorted_upwards_breaks_ties_by_the_id_upwards(self, as_user, alice, zone):
        ProjectFactory(zone=zone, name="甲")
        _, sqls, _ = listed(as_user(alice), PROJECTS, {"o": "1"})  # the name
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_project"."id"')]
        assert query.endswith(
            'ORDER BY "approvals_project"."name" ASC, "approvals_project"."id" ASC'
        )
        _, sqls, _ = listed(as_user(alice), PROJECTS, {"o": "-1"})
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_project"."id"')]
        assert query.endswith(
            'ORDER BY "approvals_project"."name" DESC, "approvals_project"."id" DESC'
        )

    @pytest.mark.parametrize(("choice", "pending"), [("yes", True), ("no", False)])
    def test_awaiting_decision_is_a_filter_that_reads_the_pending_requests(
        self, as_user, alice, bob, zone, choice, pending
    ):
        """Sorting by it joined every visible project (326 ms at 100,000, issue 21): the
        column is not sortable, and a filter gives the projects that await a decision."""
        made = [ProjectFactory(zone=zone, name=f"项目{n}", officer=alice) for n in range(6)]
        for project in made[1::2]:
            workflow.request_transition(
                project, "sign", by=alice, agreement_date=D(2025, 4, 7), attachments=documents()
            )
        decided = workflow.request_transition(
            made[0], "sign", by=alice, agreement_date=D(2025, 4, 7), attachments=documents()
        )
        workflow.decide(decided, by=bob, approve=False, comment="材料不全")  # not pending
        rows, _, response = listed(as_user(alice), PROJECTS, {"pending": choice})
        awaiting = {p.pk for p in made[1::2]}
        expected = [p.pk for p in made[::-1] if (p.pk in awaiting) is pending]
        assert [r.pk for r in rows] == expected
        assert all(r.has_pending_request is pending for r in rows)
        assert "无待审批申请" in response.content.decode()  # the filter's choices, in Chinese

    def test_a_column_not_sortable_is_not_sorted_by_a_crafted_order(self, as_user, auditor):
        """Django takes any column's number from ``?o=``: the audit log's address (column 6,
        searched, not sorted) sorts nothing; its kind (column 1) does, off its index."""
        AuditEvent.objects.create(kind=AuditKind.LOGIN, username="alice", result="ok")
        _, sqls, _ = listed(as_user(auditor), AUDIT, {"o": "6"})
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_auditevent"')]
        assert "source_address" not in query.split("ORDER BY")[1]
        _, sqls, _ = listed(as_user(auditor), AUDIT, {"o": "1"})
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_auditevent"')]
        assert query.split("ORDER BY")[1].strip().startswith('"approvals_auditevent"."kind" ASC')


# --- the white list: the sums of the shown page; the audit log: a name typed exactly ------------


def test_the_white_list_sums_the_needs_of_the_shown_page_only(as_user, alice, zone):
    made = [ProjectFactory(zone=zone, total_investment=200000 + n) for n in range(3)]
    for project in made:
        FactorNeed.objects.create(project=project, factor=Factor.LAND, requested=800, secured=500)
        FactorNeed.objects.create(project=project, factor=Factor.FUNDS, requested=100, secured=100)
    rows, sqls, response = listed(
        as_user(alice), reverse("admin:approvals_whitelistproject_changelist")
    )
    assert [r.pk for r in rows] == [p.pk for p in made][::-1]
    assert {
        (r.land_requested, r.land_secured, r.funds_secured, r.water_requested) for r in rows
    } == {(Decimal("800"), Decimal("500"), Decimal("100"), Decimal("0"))}
    listing = [s for s in sqls if s.startswith('SELECT "approvals_project"."id"')]
    assert listing and not any("SUM(" in s for s in listing)
    (sums,) = [s for s in sqls if "SUM(" in s]
    assert '"approvals_factorneed"."project_id" IN (' in sums


class TestTheAuditSearch:
    def test_a_user_name_typed_exactly_reads_that_persons_records_by_the_index(
        self, as_user, auditor
    ):
        alices = event(dt.datetime(2025, 10, 15, 9, 0, tzinfo=BEIJING), "alice")
        event(dt.datetime(2025, 10, 15, 9, 1, tzinfo=BEIJING), "alice2")
        event(dt.datetime(2025, 10, 15, 9, 2, tzinfo=BEIJING), "bob", object_repr="alice 的项目")
        rows, sqls, _ = listed(as_user(auditor), AUDIT, {"q": "alice"})
        assert rows == [alices]
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_auditevent"."id"')]
        assert '"approvals_auditevent"."username" = ' in query and "LIKE" not in query

    def test_any_other_word_is_searched_in_the_four_columns(self, as_user, auditor):
        mine = event(dt.datetime(2025, 10, 15, 9, 0, tzinfo=BEIJING), "alice")
        theirs = event(
            dt.datetime(2025, 10, 15, 9, 2, tzinfo=BEIJING), "bob", object_repr="alice 的项目"
        )
        rows, _, _ = listed(as_user(auditor), AUDIT, {"q": "lic"})
        assert rows == [theirs, mine]


@pytest.mark.usefixtures("postgres")
def test_the_audit_search_reads_the_trigram_indexes(db):
    events = AuditEvent.objects.filter(
        Q(username__icontains="alice")
        | Q(object_repr__icontains="alice")
        | Q(object_id__icontains="alice")
        | Q(source_address__icontains="alice")
    )
    sql, params = events.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in (
        "audit_username_trgm",
        "audit_object_repr_trgm",
        "audit_object_id_trgm",
        "audit_address_trgm",
    ):
        assert index in plan, plan


# --- the search of a project's rows: the ids apart, the same rows as Django's search ------------


def searched_lists() -> list[tuple[type, object]]:
    from approvals.admin.at_scale import SearchedByProject

    found = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SearchedByProject)
    ]
    assert {model._meta.model_name for model, _ in found} >= {
        "approvalitem",
        "stagerequest",
        "problem",
        "servicerecord",
        "reminder",
        "stagechange",
    }
    return found


class TestTheSearchOfAProjectsRows:
    """Each word in some field, every word — as Django's own search (``ModelAdmin`` of
    django.contrib.admin, called directly), for words of the project's name and code and of
    the rows' own fields, short and long, alone and together, on both of the mixin's ways
    (the ids apart, and Django's for a word naming many projects)."""

    TERMS = [
        "氢能",  # two characters: a project's name (no trigram)
        "氢能装备",  # the same, long enough for the trigram indexes
        "光伏",
        "用地",  # a problem's own description
        "自然资源",  # its department
        "现场",  # a service record's own text
        "环评",  # an approval type's name (the items)
        "LX03",  # an approval type's code
        "第1号",  # a project's name, several
        "第1号 光伏",  # two words, both needed
        "光伏 用地",  # a project's word and an own field's
        "无此词",  # nothing
        "PRJ",  # the projects' codes (the factory's)
    ]

    @pytest.mark.parametrize("dense", [False, True])
    def test_the_same_rows_as_djangos_search(self, db, monkeypatch, dense):
        from approvals.admin.at_scale import SearchedByProject

        if dense:  # every word takes Django's way past the first named project
            monkeypatch.setattr(SearchedByProject, "DENSE", 1)
        desk = Desk()
        desk.add_cases(3)
        request = RequestFactory().get("/")
        for role in ("superuser", "officer"):
            request.user = desk.people[role]
            for model, model_admin in searched_lists():
                everything = model_admin.get_queryset(request)
                assert everything.exists(), model
                sizes = []
                for term in self.TERMS:
                    ours, _ = model_admin.get_search_results(request, everything, term)
                    django, _ = admin.ModelAdmin.get_search_results(
                        model_admin, request, everything, term
                    )
                    expected = sorted(django.values_list("pk", flat=True).distinct())
                    assert sorted(ours.values_list("pk", flat=True)) == expected, (
                        model,
                        role,
                        term,
                    )
                    sizes.append(len(expected))
                # some words find rows, some none: the comparison compared something
                assert max(sizes) > 0 and min(sizes) == 0, (model, role, sizes)

    def test_a_short_word_of_a_project_reads_the_rows_by_their_keys(self, as_user, alice, zone):
        made = [
            ProjectFactory(zone=zone, name=f"第{n}号氢能装备项目", officer=alice) for n in (1, 2)
        ]
        ProjectFactory(zone=zone, name="光伏项目", officer=alice)
        for project in made:
            workflow.request_transition(
                project, "sign", by=alice, agreement_date=D(2025, 4, 7), attachments=documents()
            )
        rows, sqls, _ = listed(
            as_user(alice), reverse("admin:approvals_stagerequest_changelist"), {"q": "氢能"}
        )
        assert {r.project.name for r in rows} == {"第1号氢能装备项目", "第2号氢能装备项目"}
        (query,) = [s for s in sqls if s.startswith('SELECT "approvals_stagerequest"."id"')]
        assert "UNION ALL" in query


# --- rendering: work per page, not per row ------------------------------------------------------


class TestRenderingDoesNotGrowWithRows:
    """unfold's list worked out every column header again for each row, and its template
    asked each row for a ModelAdmin attribute we lacked (a ``dir()`` of the admin each time):
    together ~50 ms of a 50-row project list (issue 21). Counted for 3 rows and for 12."""

    def counts(self, client, monkeypatch) -> tuple[int, int]:
        from django.template import base as template_base
        from unfold.templatetags import unfold_list

        made = {"headers": 0, "dir": 0}
        headers = unfold_list.result_headers.original

        def counted_headers(cl):
            made["headers"] += 1
            return headers(cl)

        def counted_dir(*args):
            made["dir"] += 1
            return dir(*args)

        monkeypatch.setattr(unfold_list.result_headers, "original", counted_headers)
        monkeypatch.setattr(template_base, "dir", counted_dir, raising=False)
        response = client.get(PROJECTS)
        assert response.status_code == 200
        return made["headers"], made["dir"]

    def test_headers_once_and_no_lookup_per_row(self, as_user, alice, zone, monkeypatch):
        client = as_user(alice)
        for n in range(3):
            ProjectFactory(zone=zone, officer=alice, name=f"项目{n}")
        few = self.counts(client, monkeypatch)
        for n in range(9):
            ProjectFactory(zone=zone, officer=alice, name=f"项目{n + 3}")
        more = self.counts(client, monkeypatch)
        assert few[0] == more[0] == 1
        assert few[1] == more[1]
