"""The admin's pages off the happy path (issue 17, findings 10, 11 and the pages of 17).

- A milestone of a stage the project has reached, or one with an actual date, is a fact of
  record: the project page neither relabels nor deletes it, whatever is posted, and the
  conversion figures stay as they were.
- A list answers its declared filters only: a lookup on any other field of the model
  (``?contact_phone__startswith=139``) is refused, on every list of ours.
- Odd addresses get a page or a refusal, never a 500: a page number that is no number, a NUL
  character, an id of 31 digits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO

import pytest
import time_machine
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from solo.admin import SingletonModelAdmin

from approvals.admin.base import ModelAdmin
from approvals.models import (
    ApprovalItem,
    Category,
    Factor,
    FactorNeed,
    ItemModeChange,
    Milestone,
    Mode,
    ModeOrigin,
    MonthlyProgress,
    Project,
    Stage,
    TaskNode,
)
from approvals.spreadsheets import imports
from tests import figures
from tests.admin_helpers import change_form_data, with_new_row
from tests.factories import EnterpriseFactory, MilestoneFactory, ProjectFactory, UserFactory
from tests.figures import D, listed
from tests.flows import move
from tests.project_lists import received, workbook
from tests.project_lists import row as list_row
from zones.models import Administrator, AdminRole, Enterprise

rounds = figures.rounds  # the fixture, for pytest to find by its name

#: An id no key column holds: 31 digits overflow SQLite's 64-bit integers.
HUGE_ID = "9" * 31


def change_url(project: Project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


def conversion() -> dict:
    """``manage.py report conversion`` as an operator runs it."""
    out = StringIO()
    call_command("report", "conversion", "--json", stdout=out)
    return json.loads(out.getvalue())


def row_index(data: dict, stage: str) -> int:
    return next(
        i
        for i in range(int(data["milestones-TOTAL_FORMS"]))
        if data.get(f"milestones-{i}-stage") == stage
    )


def fields_of(milestone: Milestone) -> tuple:
    fresh = Milestone.objects.get(pk=milestone.pk)
    return (fresh.stage, fresh.planned_date, fresh.planned_month_only, fresh.actual_date)


# --- finding 10: milestones of record ------------------------------------------------------


@pytest.fixture
def signed(zone, alice, bob, project, rounds):
    """alice's project, signed on 2025-04-07 through a request bob approved, and listed as
    签约 in round 2025-1; its start of works planned (ahead, still open)."""
    with time_machine.travel(dt.datetime(2025, 9, 26, 10, 0), tick=False):
        MilestoneFactory(project=project, stage=Stage.SIGNED, planned_date=D(2025, 4, 30))
        move(project, "sign", officer=alice, supervisor=bob, agreement_date=D(2025, 4, 7))
    listed(rounds[0], project, Category.SIGN, 500000)
    MilestoneFactory(project=project, stage=Stage.READY, planned_date=D(2026, 3, 31))
    return project


class TestMilestonesOfRecord:
    @pytest.fixture(autouse=True)
    def a_working_monday(self):
        with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
            yield

    def test_the_signed_row_cannot_be_relabelled_as_the_start_of_works(
        self, as_user, alice, signed
    ):
        row = signed.milestones.get(stage=Stage.SIGNED)
        before, figures_before = fields_of(row), conversion()
        assert (figures_before["signed"], figures_before["started"]) == (1, 0)
        client = as_user(alice)
        data = change_form_data(client, change_url(signed))
        index = row_index(data, Stage.SIGNED)
        data[f"milestones-{index}-stage"] = Stage.UNDER_CONSTRUCTION
        data[f"milestones-{index}-planned_date"] = "2025-01-01"
        response = client.post(change_url(signed), data)
        assert response.status_code in (200, 302)
        assert fields_of(row) == before == (Stage.SIGNED, D(2025, 4, 30), False, D(2025, 4, 7))
        assert conversion() == figures_before
        assert not signed.milestones.filter(stage=Stage.UNDER_CONSTRUCTION).exists()

    @pytest.mark.parametrize("who", ["alice", "superuser"])  # the demo's superuser may all
    def test_the_signed_row_cannot_be_deleted(self, request, as_user, signed, who):
        row = signed.milestones.get(stage=Stage.SIGNED)
        before, figures_before = fields_of(row), conversion()
        client = as_user(request.getfixturevalue(who))
        data = change_form_data(client, change_url(signed))
        data[f"milestones-{row_index(data, Stage.SIGNED)}-DELETE"] = "on"
        response = client.post(change_url(signed), data)
        assert response.status_code in (200, 302)
        assert Milestone.objects.filter(pk=row.pk).exists()
        assert fields_of(row) == before
        assert conversion() == figures_before

    def test_no_row_is_deleted_through_the_page_and_no_role_may(self, as_user, alice, signed):
        """A plan dropped is a date cleared: the row and its history stay."""
        plan = signed.milestones.get(stage=Stage.READY)
        client = as_user(alice)
        page = client.get(change_url(signed))
        formset = next(
            f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is Milestone
        )
        assert not formset.can_delete
        data = change_form_data(client, change_url(signed))
        data[f"milestones-{row_index(data, Stage.READY)}-DELETE"] = "on"
        client.post(change_url(signed), data)
        assert Milestone.objects.filter(pk=plan.pk).exists()
        assert not alice.has_perm("approvals.delete_milestone", signed)

    def test_the_rows_of_record_are_drawn_disabled_and_the_open_plan_editable(
        self, as_user, alice, signed
    ):
        page = as_user(alice).get(change_url(signed), {"case_tab": "plans"})  # its tab, opened
        formset = next(
            f.formset for f in page.context["case_tab"].inlines if f.formset.model is Milestone
        )
        by_stage = {form.instance.stage: form for form in formset.initial_forms}
        for name in ("stage", "planned_date", "planned_month_only"):
            assert by_stage[Stage.SIGNED].fields[name].disabled, name
        assert not by_stage[Stage.READY].fields["planned_date"].disabled
        assert not by_stage[Stage.READY].fields["stage"].disabled

    def test_the_open_plan_is_still_moved_on_the_page(self, as_user, alice, signed):
        client = as_user(alice)
        data = change_form_data(client, change_url(signed))
        data[f"milestones-{row_index(data, Stage.READY)}-planned_date"] = "2026-06-30"
        assert client.post(change_url(signed), data).status_code == 302
        assert signed.milestones.get(stage=Stage.READY).planned_date == D(2026, 6, 30)

    def test_an_open_row_cannot_be_relabelled_as_a_reached_stage(self, as_user, alice, zone):
        """Works started without the workflow knowing of the signing (a project created by a
        list at 开工): its earlier stages are passed, and no plan is added for them."""
        started = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
        plan = MilestoneFactory(
            project=started, stage=Stage.IN_PRODUCTION, planned_date=D(2027, 6, 30)
        )
        client = as_user(alice)
        data = change_form_data(client, change_url(started))
        data[f"milestones-{row_index(data, Stage.IN_PRODUCTION)}-stage"] = Stage.SIGNED
        response = client.post(change_url(started), data)
        assert response.status_code == 200
        formset = next(
            f.formset
            for f in response.context["inline_admin_formsets"]
            if f.formset.model is Milestone
        )
        assert "stage" in formset.errors[0]
        assert fields_of(plan) == (Stage.IN_PRODUCTION, D(2027, 6, 30), False, None)

    def test_a_row_for_a_passed_stage_cannot_be_added(self, as_user, alice, zone):
        started = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
        client = as_user(alice)
        data = change_form_data(client, change_url(started))
        data.update(
            {
                "milestones-TOTAL_FORMS": "1",
                "milestones-0-project": started.pk,
                "milestones-0-stage": Stage.UNDER_CONSTRUCTION,
                "milestones-0-planned_date": "2025-08-01",
            }
        )
        response = client.post(change_url(started), data)
        assert response.status_code == 200
        assert not Milestone.objects.filter(project=started).exists()
        data["milestones-0-stage"] = Stage.IN_PRODUCTION
        assert client.post(change_url(started), data).status_code == 302
        assert Milestone.objects.get(project=started).stage == Stage.IN_PRODUCTION


# --- finding 11: declared filters only -----------------------------------------------------

ENTERPRISES = reverse("admin:zones_enterprise_changelist")
PROJECTS = reverse("admin:approvals_project_changelist")


@pytest.fixture
def contact(zone, project):
    """An enterprise of 晋中's project, whose contacts 祁县's officer does not see."""
    enterprise = EnterpriseFactory(
        name="山西联系人测试有限公司",
        contact_person="王经理",
        contact_phone="13912345678",
        notes="董事长私人电话 13800000000",
    )
    Project.objects.filter(pk=project.pk).update(enterprise=enterprise)
    return enterprise


@pytest.mark.parametrize(
    "lookup",
    [
        "contact_phone__startswith=139",
        "contact_phone=13912345678",
        "contact_person__contains=王",
        "notes__contains=私人",
        "credit_code__isnull=True",
    ],
)
def test_an_undeclared_lookup_on_the_enterprise_list_is_refused(as_user, charlie, contact, lookup):
    client = as_user(charlie)
    assert client.get(ENTERPRISES).status_code == 200  # the names are everybody's
    response = client.get(f"{ENTERPRISES}?id__exact={contact.pk}&{lookup}")
    assert response.status_code == 400
    response = client.get(f"{ENTERPRISES}?{lookup}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "lookup", ["notes__contains=x", "total_investment__gt=1", "id__exact=1", "name_key=x"]
)
def test_an_undeclared_lookup_on_the_project_list_is_refused(as_user, alice, project, lookup):
    assert as_user(alice).get(f"{PROJECTS}?{lookup}").status_code == 400


def test_a_refused_lookup_is_told_in_chinese_on_a_page_of_the_admin(as_user, alice, project):
    response = as_user(alice).get(f"{PROJECTS}?notes__contains=x")
    assert response.status_code == 400
    page = response.content.decode()
    assert "无法识别的地址" in page
    assert "请使用本页提供的筛选和搜索" in page
    assert "Bad Request" not in page
    assert reverse("admin:index") in page  # the way back
    assert reverse("admin:logout") in page  # in the admin's own frame: its header and sidebar


def test_the_project_lists_declared_filters_still_answer(as_user, alice, project, zone):
    client = as_user(alice)
    for query in (f"zone__id__exact={zone.pk}", "stage__exact=reserve", "colour=red", "q=光伏"):
        response = client.get(f"{PROJECTS}?{query}")
        assert response.status_code == 200, query
    response = client.get(f"{PROJECTS}?stage__exact=reserve")
    assert [p.pk for p in response.context["cl"].result_list] == [project.pk]


def _our_admins() -> list[tuple[type, object]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ModelAdmin)
    ]


@pytest.fixture
def readers(db, superuser):
    """Whoever opens each list: the demo's superuser, else the administrator whose it is."""
    people = [superuser]
    for role in (AdminRole.SYSTEM, AdminRole.SECURITY, AdminRole.AUDIT):
        user = UserFactory(username=f"admin-{role}")
        Administrator.objects.create(user=user, role=role)
        people.append(user)
    return people


def _list_for(client_factory, readers, url):
    for person in readers:
        client = client_factory(person)
        response = client.get(url)
        if response.status_code == 200:
            return client, response
    raise AssertionError(f"nobody opens {url}")


def test_every_list_of_ours_answers_its_declared_filters_and_refuses_others(
    as_user, readers, zone, project, contact
):
    checked = 0
    for model, model_admin in _our_admins():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        client, response = _list_for(as_user, readers, url)
        if "cl" not in response.context:  # a page of one row (the warning thresholds): no list
            assert isinstance(model_admin, SingletonModelAdmin), url
            continue
        changelist = response.context["cl"]
        queries = set()
        for spec in changelist.filter_specs:
            strings = {c["query_string"] for c in spec.choices(changelist) if "query_string" in c}
            if not strings:  # a typed filter (unfold's range of days): its parameters, filled
                strings = {"?" + "&".join(f"{p}=2026-12-06" for p in spec.expected_parameters())}
            queries |= strings
        if model_admin.date_hierarchy:
            field = model_admin.date_hierarchy
            queries |= {f"?{field}__year=2026", f"?{field}__year=2026&{field}__month=12"}
            queries.add(f"?{field}__year=2026&{field}__month=12&{field}__day=6")
        if model_admin.search_fields:
            queries.add("?q=x")
        for query in queries:
            answer = client.get(url + query)
            assert answer.status_code == 200, (url, query, answer.status_code)
            checked += 1
        assert client.get(f"{url}?id__exact=1").status_code == 400, url
        assert client.get(f"{url}?pk__in=1,2").status_code == 400, url
        declared = {p for spec in changelist.filter_specs for p in spec.expected_parameters()}
        bound = f"{model_admin.date_hierarchy}__gte"
        if model_admin.date_hierarchy and bound not in declared:
            # the hierarchy makes its bounds from a year, month and day; nobody asks for them
            assert client.get(f"{url}?{bound}=2026-01-01").status_code == 400, url
    assert checked > 60


# --- finding 17: odd addresses -------------------------------------------------------------

SEARCH = reverse("admin:search")


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "99", "٢"])
def test_the_search_page_answers_a_bad_page_number_with_not_found(as_user, alice, page):
    client = as_user(alice)
    assert client.get(SEARCH, {"s": "项目"}).status_code == 200
    assert client.get(SEARCH, {"s": "项目", "page": "1"}).status_code == 200
    assert client.get(SEARCH, {"s": "项目", "page": page}).status_code == 404


@pytest.fixture
def nul_client(as_user, alice, project):
    client = as_user(alice)
    client.raise_request_exception = False  # a 500 is an answer to assert, not an error here
    return client


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (
            "admin:autocomplete",
            {
                "term": "a\x00b",
                "app_label": "approvals",
                "model_name": "project",
                "field_name": "enterprise",
            },
        ),
        (
            "admin:autocomplete",
            {
                "term": "光伏\x00项目",
                "app_label": "approvals",
                "model_name": "problem",
                "field_name": "project",
            },
        ),
        ("admin:approvals_project_changelist", {"stage__exact": "a\x00b"}),
        ("admin:approvals_problem_changelist", {"status__exact": "\x00"}),
    ],
)
def test_a_nul_character_in_a_search_or_filter_is_a_bad_request(nul_client, path, query):
    assert nul_client.get(reverse(path), query).status_code == 400


def test_a_nul_character_in_the_people_autocomplete_is_a_bad_request(nul_client):
    url = reverse("admin:approvals_project_people", args=["officer"])
    assert nul_client.get(url, {"term": "a\x00b"}).status_code == 400
    assert nul_client.get(url, {"term": "al"}).status_code == 200


def test_a_nul_character_in_the_lists_search_box_is_told_not_failed(nul_client):
    response = nul_client.get(PROJECTS, {"q": "光伏\x00"})
    assert response.status_code == 200  # Django's own search form says what is wrong


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:approvals_problem_add") + f"?project={HUGE_ID}",
        reverse("admin:approvals_servicerecord_add") + f"?project={HUGE_ID}",
    ],
)
def test_an_add_page_for_a_project_id_of_31_digits_draws_the_empty_form(nul_client, url):
    response = nul_client.get(url)
    assert response.status_code == 200
    assert response.context["adminform"].form["project"].value() == HUGE_ID


def test_a_report_for_a_batch_id_of_31_digits_is_a_form_error(nul_client, rounds):
    response = nul_client.get(reverse("admin:reports"), {"batch": HUGE_ID})
    assert response.status_code == 200
    assert "batch" in response.context["form"].errors
    response = nul_client.get(reverse("admin:reports"), {"batch": rounds[0].pk})
    assert response.status_code == 200 and not response.context["form"].errors


def test_an_enterprise_id_of_31_digits_on_the_project_form_is_a_field_error(nul_client, project):
    enterprise = project.enterprise_id
    data = change_form_data(nul_client, change_url(project), enterprise=HUGE_ID)
    response = nul_client.post(change_url(project), data)
    assert response.status_code == 200
    assert "enterprise" in response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.enterprise_id == enterprise
    assert Enterprise.objects.filter(pk=enterprise).exists()


ARABIC_INDIC = "٢٥٠٩-١٤٠٦٠٢-٨٩-٠٥-٨٦٤٩٧٦"  # 2509-140602-89-05-864976 in Arabic-Indic digits


def test_a_code_in_arabic_indic_digits_is_a_form_error_on_the_project_page(as_user, alice, project):
    client = as_user(alice)
    response = client.post(
        change_url(project), change_form_data(client, change_url(project), code=ARABIC_INDIC)
    )
    assert response.status_code == 200
    assert "code" in response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.code is None


# --- a row saved after the page was opened -------------------------------------------------

#: Per inline of the project page: its prefix, a new row as posted, the same row stored
#: meanwhile (by an import, another tab), and the field named in the refusal.
SAVED_MEANWHILE = {
    "milestone": (
        "milestones",
        {"stage": Stage.UNDER_CONSTRUCTION, "planned_date": "2025-09-30"},
        lambda p: Milestone.objects.create(
            project=p, stage=Stage.UNDER_CONSTRUCTION, planned_date=dt.date(2025, 6, 30)
        ),
        "stage",
        "阶段",
    ),
    "task node": (
        "task_nodes",
        {"name": "完成土地摘牌", "planned_date": "2025-05-31"},
        lambda p: TaskNode.objects.create(
            project=p, name="完成土地摘牌", planned_date=dt.date(2025, 4, 30)
        ),
        "name",
        "节点",
    ),
    "month": (
        "monthly_progress",
        {"month": "2025-03-01", "completed_month": "120"},
        lambda p: MonthlyProgress.objects.create(
            project=p, month=dt.date(2025, 3, 1), completed_month=100
        ),
        "month",
        "月份",
    ),
    "factor": (
        "factor_needs",
        {"factor": Factor.LAND, "requested": "80", "secured": "0"},
        lambda p: FactorNeed.objects.create(project=p, factor=Factor.LAND, requested=50),
        "factor",
        "要素",
    ),
}


@pytest.mark.parametrize("kind", SAVED_MEANWHILE)
@time_machine.travel(dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC), tick=False)
def test_a_row_saved_after_the_page_was_opened_is_refused_on_the_form(as_user, alice, zone, kind):
    """The page was opened; then the same row (a project's one milestone per stage, task node
    by name, figures per month, need per factor) was stored by someone else. Saving the page
    adds it again: the form says so at the row's field; the stored row stays, no server
    error (Django checks only the rows posted together against each other)."""
    prefix, posted, stored_meanwhile, field, label = SAVED_MEANWHILE[kind]
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    client = as_user(alice)
    data = change_form_data(client, change_url(project))
    assert data[f"{prefix}-TOTAL_FORMS"] == 0
    with_new_row(data, prefix, project, **posted)
    stored = stored_meanwhile(project)

    response = client.post(change_url(project), data)

    assert response.status_code == 200
    (formset,) = (
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == prefix
    )
    assert formset.errors == [
        {field: [f"本页打开后，已有人保存了{label}相同的一行。请重新打开本页查看。"]}
    ]
    assert list(type(stored).objects.filter(project=project).values_list("pk", flat=True)) == [
        stored.pk
    ]
    # the same row posted with no row stored is saved
    type(stored).objects.filter(pk=stored.pk).delete()
    assert client.post(change_url(project), data).status_code == 302
    assert type(stored).objects.filter(project=project).count() == 1


@pytest.fixture
def april_first():
    with time_machine.travel(dt.datetime(2025, 4, 1, 2, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.usefixtures("april_first")
class TestARowAnImportMovedMeanwhile:
    """The page was opened; then a list planned the project's start. Saving the page
    (another field changed) keeps the list's date; changing the same date on the page is
    refused once, naming the import's person, then a second save keeps the page's date."""

    @pytest.fixture
    def opened(self, as_user, alice, stan, zone):
        project = ProjectFactory(zone=zone, name="丙项目", stage=Stage.SIGNED, officer=alice)
        # a start not planned yet: the list's date fills it
        Milestone.objects.create(project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=None)
        client = as_user(alice)
        data = change_form_data(client, change_url(project))
        listed = workbook(list_row(1, "丙项目", start=dt.date(2025, 9, 30)))
        assert imports.apply(received(listed, stan)).applied
        assert Milestone.objects.get(project=project).planned_date == dt.date(2025, 9, 30)
        return client, project, data

    def test_saved_with_another_change_the_lists_date_stays(self, opened):
        client, project, data = opened
        data["industry"] = "新能源"

        assert client.post(change_url(project), data).status_code == 302

        assert Project.objects.get(pk=project.pk).industry == "新能源"
        assert Milestone.objects.get(project=project).planned_date == dt.date(2025, 9, 30)

    def test_the_same_date_changed_is_refused_once_then_saved(self, opened):
        client, project, data = opened
        data[f"milestones-{row_index(data, Stage.UNDER_CONSTRUCTION)}-planned_date"] = "2025-08-31"

        response = client.post(change_url(project), data)

        assert response.status_code == 200
        (formset,) = (
            f.formset
            for f in response.context["inline_admin_formsets"]
            if f.formset.model is Milestone
        )
        (refused,) = [form for form in formset.forms if form.non_field_errors()]
        assert refused.non_field_errors() == [
            "本页打开后，斯坦（stan）也修改了计划日期（2025-04-01 10:00）。页面显示的是您填写的内容："
            "再次保存即以您的为准，或重新打开本页查看对方的修改。"
        ]
        assert Milestone.objects.get(project=project).planned_date == dt.date(2025, 9, 30)
        assert client.post(change_url(project), refused.data).status_code == 302  # as shown
        assert Milestone.objects.get(project=project).planned_date == dt.date(2025, 8, 31)


def test_the_rows_latest_records_are_read_once_per_tab_however_many_rows(as_user, alice, zone):
    """Each row of a tab carries its latest history record (``MergesMeanwhile``), in one
    hidden input of the inline's (its management form's ``RECORDS``, "id:record,…"): read for
    the tab's rows of each inline in one query, so the tab costs the same for 2 rows as for
    12, and no row draws a hidden cell of its own."""

    def plans_tab(rows: int) -> tuple[int, int]:
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
        for n in range(rows):
            TaskNode.objects.create(
                project=project, name=f"节点{n}", planned_date=dt.date(2025, 5, 1)
            )
        client = as_user(alice)
        client.get(change_url(project), {"case_tab": "plans"})  # what a first visit caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(change_url(project), {"case_tab": "plans"})
        assert response.status_code == 200
        html = response.content.decode()
        (records,) = re.findall(r'name="task_nodes-RECORDS" value="([^"]*)"', html)
        stored = dict(
            TaskNode.history.filter(id__in=TaskNode.objects.filter(project=project).values("id"))
            .values_list("id")
            .annotate(latest=Max("history_id"))
        )
        pairs = [pair.split(":") for pair in records.split(",")]
        assert {int(pk): int(record) for pk, record in pairs} == stored  # in no set order
        assert "opened_at" not in html  # no row's own
        shown = len(records.split(","))
        history = [q for q in captured.captured_queries if "historicaltasknode" in q["sql"]]
        return shown, len(captured), len(history)

    (shown_few, few, history_few), (shown_many, many, history_many) = plans_tab(2), plans_tab(12)
    assert (shown_few, shown_many) == (2, 12)
    assert few == many
    assert history_few == history_many == 1


def test_a_readers_tab_carries_no_latest_records(as_user, stan, zone):
    """A statistician reads a project's rows: no form, so no hidden record (and no column)."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    TaskNode.objects.create(project=project, name="完成土地摘牌", planned_date=dt.date(2025, 5, 1))
    response = as_user(stan).get(change_url(project), {"case_tab": "plans"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "完成土地摘牌" in html
    assert "opened_at" not in html and "RECORDS" not in html


def tables():
    """The approval-table import's test helpers (a module of tests: imported when used)."""
    from tests.spreadsheets import test_import_approvals

    return test_import_approvals


def latest_mode_change(item) -> ItemModeChange:
    return ItemModeChange.objects.filter(item_id=item.pk).latest("at", "id")


@pytest.mark.usefixtures("april_first")
class TestAnItemAnApprovalTableMovedMeanwhile:
    """An approval item's page (and the project's checklist tab) was opened; then an approval
    table marked the item 统一服务. Saving the page with another change keeps the table's mode,
    and records no change of mode by the person; changing the mode on the page too is refused
    once, naming the table's importer, then a second save keeps the page's mode."""

    @pytest.fixture
    def listed(self, alice, catalogue, project):
        """The project with its code (an approval table finds it by it) and its checklist."""
        from approvals.checklist.services import checklist_generate

        project.code, project.officer = tables().CODE, alice
        project.save()
        checklist_generate(project=project, by=alice)
        return project

    @staticmethod
    def table_marks_unified(project, by) -> None:
        """An approval table imported by ``by``, marking LX03 统一服务."""
        t = tables()
        _record, report = t.import_file(t.table(t.row_for(project, LX03="统一服务")), by)
        assert report.ok, report.errors
        assert t.item(project, "LX03").mode == Mode.UNIFIED

    @pytest.fixture
    def item_page(self, as_user, alice, stan, listed):
        lx03 = tables().item(listed, "LX03")
        client = as_user(alice)
        url = reverse("admin:approvals_approvalitem_change", args=[lx03.pk])
        data = change_form_data(client, url)
        drawn = client.get(url).content.decode()  # the page carries the record it was opened at
        assert f'name="opened_at" value="{data["opened_at"]}"' in drawn
        self.table_marks_unified(listed, stan)
        return client, url, data, lx03

    def test_saved_with_another_change_the_tables_mode_stays(self, item_page, alice):
        client, url, data, lx03 = item_page
        data["notes"] = "已电话催办"

        assert client.post(url, data).status_code == 302

        fresh = ApprovalItem.objects.get(pk=lx03.pk)
        assert (fresh.mode, fresh.notes) == (Mode.UNIFIED, "已电话催办")
        assert latest_mode_change(lx03).origin == ModeOrigin.IMPORT  # none by the page

    def test_the_mode_changed_here_too_is_refused_once_then_saved(self, item_page, alice):
        client, url, data, lx03 = item_page
        data["mode"] = Mode.COMMITMENT

        response = client.post(url, data)

        assert response.status_code == 200
        form = response.context["adminform"].form
        assert form.non_field_errors() == [
            "本页打开后，斯坦（stan）也修改了办理方式（2025-04-01 10:00）。页面显示的是您填写的内容："
            "再次保存即以您的为准，或重新打开本页查看对方的修改。"
        ]
        assert ApprovalItem.objects.get(pk=lx03.pk).mode == Mode.UNIFIED
        assert client.post(url, form.data).status_code == 302  # as shown
        assert ApprovalItem.objects.get(pk=lx03.pk).mode == Mode.COMMITMENT
        change = latest_mode_change(lx03)
        assert (change.source, change.target, change.by) == (Mode.UNIFIED, Mode.COMMITMENT, alice)

    def test_the_projects_checklist_tab_saved_keeps_the_tables_mode(
        self, as_user, alice, stan, listed
    ):
        project = listed
        client = as_user(alice)
        data = change_form_data(client, change_url(project))
        self.table_marks_unified(project, stan)
        data["industry"] = "新能源"

        assert client.post(change_url(project), data).status_code == 302

        assert Project.objects.get(pk=project.pk).industry == "新能源"
        lx03 = tables().item(project, "LX03")
        assert lx03.mode == Mode.UNIFIED
        assert latest_mode_change(lx03).origin == ModeOrigin.IMPORT  # none by the page
