"""Imports at their edges (issue 17): an error in a later chunk of a large list, a departed
officer named in a list, a row of a zone one may not import for, and two people confirming
lists of the same new round at once."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from approvals.access import permissions
from approvals.checklist.services import checklist_generate
from approvals.core import bulk
from approvals.models import (
    Batch,
    ImportKind,
    ImportStatus,
    Milestone,
    MonthlyProgress,
    Project,
    SpreadsheetImport,
    Stage,
)
from approvals.spreadsheets import approval_table, imports, project_list
from approvals.spreadsheets.people import People
from tests.admin_helpers import change_form_data, with_new_row
from tests.factories import (
    EnterpriseFactory,
    ProjectFactory,
    UserFactory,
    ZoneFactory,
    ZoneRoleFactory,
)
from tests.project_lists import ROUND_1, received, row, state, workbook
from tests.services import at_once, database_url
from tests.spreadsheets import test_import_approvals as approvals_table_files
from tests.spreadsheets import test_import_monthly as monthly_files
from zones.models import (
    ZONE_ROLE_CHOICES,
    Administrator,
    AdminRole,
    CityRole,
    Enterprise,
    Role,
    ZoneRole,
)

pytestmark = pytest.mark.django_db


# --- an error late in a large list (finding 4, and the multi-chunk rollback of finding 9) ------

#: Eight rows in chunks of three: the bad seventh row is in the third chunk, after two chunks
#: (and the new round) were written.
LATE_ERROR = [
    *(row(n, f"批量项目{n}") for n in range(1, 7)),
    row(7, "不在任何开发区的项目", zone="火星开发区"),
    row(8, "批量项目8"),
]


@pytest.fixture
def small_chunks(settings):
    settings.SPREADSHEET_CHUNK_ROWS = 3


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_later_chunk_undoes_every_chunk_and_the_record_keeps_its_rows(
    zone, stan, small_chunks
):
    before = state()
    record = received(workbook(*LATE_ERROR), stan)

    report = imports.apply(record)  # committed for real: no test transaction around it

    assert not report.applied
    assert [(e.row, e.column) for e in report.errors] == [(9, "所在开发区")]  # title, header
    assert "火星开发区" in report.errors[0].reason
    assert state() == before  # nothing of the first two chunks, no round
    record.refresh_from_db()
    assert (record.status, record.batch_id, record.applied_at) == (
        ImportStatus.REFUSED,
        None,
        None,
    )
    kept = record.report["errors"]
    assert [(e["row"], e["column"]) for e in kept] == [(9, "所在开发区")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_import_command_refusing_a_late_row_exits_1_with_the_rows_and_no_traceback(
    zone, tmp_path
):
    path = tmp_path / "清单.xlsx"
    path.write_bytes(workbook(*LATE_ERROR))
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SPREADSHEET_CHUNK_ROWS": "3",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    command = ["manage.py", "import_projects", str(path), "--batch", "2025-1"]
    command += ["--event-date", "2025-03-28"]

    done = subprocess.run(
        [sys.executable, *command],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "火星开发区" in done.stderr and "9" in done.stderr
    assert not Project.objects.exists() and not Batch.objects.exists()
    assert SpreadsheetImport.objects.get().status == ImportStatus.REFUSED


# --- a departed officer named in a list (finding 5) -------------------------------------------


def test_a_departed_officer_named_in_a_list_is_not_assigned_and_the_preview_warns(
    zone, stan, alice
):
    alice.is_active = False
    alice.save()

    report = imports.apply(received(workbook(row(1, "甲项目", officer="艾丽")), stan))

    assert report.applied
    assert Project.objects.get(name="甲项目").officer_id is None
    assert [(w.row, w.column) for w in report.warnings] == [(3, "项目管家")]
    assert "艾丽" in report.warnings[0].reason


def test_an_active_officer_named_in_a_list_is_assigned(zone, stan, alice):
    imports.apply(received(workbook(row(1, "甲项目", officer="艾丽")), stan))
    assert Project.objects.get(name="甲项目").officer == alice


def test_the_officer_rule_is_one_for_forms_imports_and_single_people(db):
    """The object form (``may_be``), the query form (the forms' choices) and the import's
    lookup agree on generated people: active or not, administrators or not, any role in either
    of two zones."""
    rng = random.Random(17)
    zones = [ZoneFactory(name="综改区晋中开发区"), ZoneFactory(name="祁县经济开发区")]
    people = []
    for n in range(40):
        user = UserFactory(username=f"person{n}", first_name=f"人员{n}")
        user.is_active = rng.random() > 0.3
        user.save()
        for zone in zones:
            for role, _ in ZONE_ROLE_CHOICES:
                if rng.random() < 0.25:
                    ZoneRoleFactory(user=user, zone=zone, role=role)
        if rng.random() < 0.2:  # over both zones' city: no officer nor leader there for that
            CityRole.objects.create(user=user, city=zones[0].city, role=Role.CITY_SUPERVISOR)
        if rng.random() < 0.1:
            Administrator.objects.create(user=user, role=AdminRole.SYSTEM)
        people.append(user)
    found = People()
    for kind in permissions.PEOPLE_ROLES:
        choices = permissions.officer_choices if kind == "officer" else permissions.leader_choices
        for zone in zones:
            in_query = set(choices({zone.pk}).values_list("pk", flat=True))
            in_import = {
                user.pk for user in people if found.find(zone, kind, user.username)[0] == user.pk
            }
            one_by_one = {
                user.pk
                for user in people
                if permissions.may_be(get_user_model().objects.get(pk=user.pk), kind, zone.pk)
            }
            assert in_query == in_import == one_by_one
            holders = ZoneRole.objects.filter(zone=zone, role__in=permissions.PEOPLE_ROLES[kind])
            assert in_query  # the data holds people of each rule, and departed ones left out
            assert in_query < set(holders.values_list("user_id", flat=True))


# --- a row of a zone one may not import for (finding 17) ---------------------------------------


def test_a_monthly_row_of_another_zone_says_only_that_whether_its_project_exists_or_not(
    zone, stan, other_project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [
        [1, "", other_project.name, "祁县经开区", "2025年3月", 100, 10, 10],
        [2, "", "祁县没有的项目", "祁县经开区", "2025年3月", 100, 10, 10],
    ]
    _record, report = monthly_files.run(monthly_files.table(*rows), stan)

    reasons = [(e.row, e.column, e.reason) for e in report.errors]
    first = monthly_files.FIRST_ROW
    assert [(r, c) for r, c, _reason in reasons] == [
        (first, "所在开发区"),
        (first + 1, "所在开发区"),
    ]
    assert reasons[0][2] == reasons[1][2] and "祁县" in reasons[0][2]
    assert not MonthlyProgress.objects.exists()


def test_an_approval_row_of_another_zone_says_only_that_whether_its_project_exists_or_not(
    catalogue, zone, stan, other_project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    header = approvals_table_files.HEADER
    cells = [
        {"项目名称": other_project.name, "所在开发区": "祁县经开区", "立项": "2025-03-01"},
        {"项目名称": "祁县没有的项目", "所在开发区": "祁县经开区", "立项": "2025-03-01"},
    ]
    rows = [[n, *[c.get(h, "") for h in header[1:]]] for n, c in enumerate(cells, 1)]
    data = approvals_table_files.table(*rows)

    report = approval_table.run(data, "表.xlsx", by=stan, record=None, dry_run=True)

    reasons = [(e.row, e.column, e.reason) for e in report.errors]
    first = approvals_table_files.FIRST_ROW
    assert [(r, c) for r, c, _reason in reasons] == [
        (first, "所在开发区"),
        (first + 1, "所在开发区"),
    ]
    assert reasons[0][2] == reasons[1][2] and "祁县" in reasons[0][2]


def test_another_zones_project_named_by_its_code_is_unknown_to_the_importer(
    zone, stan, other_project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    other_project.code = "2504-140781-04-01-654321"
    other_project.save()
    rows = [
        [1, other_project.code, "某项目", "", "2025年3月", 100, 10, 10],
        [2, "2504-140781-04-01-000000", "某项目", "", "2025年3月", 100, 10, 10],
    ]
    _record, report = monthly_files.run(monthly_files.table(*rows), stan)

    reasons = [e.reason.replace(rows[i][1], "CODE") for i, e in enumerate(report.errors)]
    assert len(reasons) == 2 and reasons[0] == reasons[1]


# --- two confirmations of the same new round at once (finding 17) ------------------------------


def _confirmed_once_both_read_the_round(monkeypatch, first, second) -> list:
    """Both imports confirmed at once, each going on only when both have read the round (which
    they do before they take the imports' turn): the results, values or exceptions."""
    both_read = threading.Barrier(2)
    read_round = project_list._batch

    def read_then_wait(spec, report):
        batch = read_round(spec, report)
        both_read.wait(timeout=30)
        return batch

    monkeypatch.setattr(project_list, "_batch", read_then_wait)
    return at_once(
        [
            lambda: imports.apply(SpreadsheetImport.objects.get(pk=first.pk)),
            lambda: imports.apply(SpreadsheetImport.objects.get(pk=second.pk)),
        ]
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_lists_of_the_same_new_round_confirmed_at_once_one_applies_the_other_is_told(
    postgres, zone, stan, monkeypatch
):
    first = received(workbook(row(1, "甲项目")), stan, name="甲.xlsx")
    second = received(workbook(row(1, "乙项目")), stan, name="乙.xlsx")
    for record in (first, second):
        assert imports.preview(record).ok
    # "At once": both have read the round as new before either goes on to save it. Released
    # together, one could otherwise finish (and commit the round) before the other reads it:
    # that one then applies to the existing round, compared again, which is right but not this
    # race (seen under load: both applied).
    results = _confirmed_once_both_read_the_round(monkeypatch, first, second)

    assert not [r for r in results if isinstance(r, Exception)], results
    applied = [r for r in results if r.applied]
    refused = [r for r in results if not r.applied]
    assert len(applied) == len(refused) == 1
    assert "2025年第1批" in refused[0].errors[0].reason and "预览" in refused[0].errors[0].reason
    assert Batch.objects.count() == 1 and Project.objects.count() == 1
    statuses = sorted(SpreadsheetImport.objects.values_list("status", flat=True))
    assert statuses == sorted([ImportStatus.APPLIED, ImportStatus.REFUSED])


def _saved_by_name(zone):
    ProjectFactory(zone=zone, name="丙项目")
    return {"name": "丙项目"}


def _saved_by_code(zone):
    ProjectFactory(zone=zone, name="另一个项目", code=approvals_table_files.CODE)
    return {"name": "另一个项目"}


def _saved_enterprise(zone):
    EnterpriseFactory(name="新设企业（山西）有限公司")
    return {}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("saved", "column", "named"),
    [
        (_saved_by_name, "项目名称", "有人保存了本行要新建的项目“丙项目”"),
        (_saved_by_code, "项目代码", f"有人保存了本行要新建的项目代码{approvals_table_files.CODE}"),
        (_saved_enterprise, "项目单位", "有人保存了本行要新建的企业“新设企业（山西）有限公司”"),
    ],
)
def test_a_project_added_by_hand_while_a_list_creating_it_is_compared_refuses_the_list(
    postgres, zone, stan, monkeypatch, saved, column, named
):
    """The admin's save does not take the imports' turn: a project or an enterprise added by
    hand after a list naming it was compared (so planned new) meets the list's insert. The list
    is refused at the row creating it, nothing of it written; what was added by hand stays."""
    listed = row(
        2, "丙项目", code=approvals_table_files.CODE, enterprise="新设企业（山西）有限公司"
    )
    record = received(workbook(row(1, "甲项目"), listed), stan)
    real_write = project_list.write
    kept = {}

    def saved_meanwhile(result, **options):
        at_once([lambda: kept.update(saved(zone))])  # its own connection, committed
        return real_write(result, **options)

    monkeypatch.setattr(project_list, "write", saved_meanwhile)

    report = imports.apply(SpreadsheetImport.objects.get(pk=record.pk))

    assert not report.applied
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("清单", 4, column)]
    assert named in report.errors[0].reason and "请重新预览" in report.errors[0].reason
    assert list(Project.objects.values_list("name", flat=True)) == (
        [kept["name"]] if "name" in kept else []
    )
    assert Enterprise.objects.filter(name="新设企业（山西）有限公司").exists() == (
        saved is _saved_enterprise
    )
    assert SpreadsheetImport.objects.get(pk=record.pk).status == ImportStatus.REFUSED


def _list_file(zone, stan, alice, catalogue):
    return received(workbook(row(1, "丙项目")), stan)


def _monthly_file(zone, stan, alice, catalogue):
    project = ProjectFactory(zone=zone, name="丁项目", code=approvals_table_files.CODE)
    data = monthly_files.table(monthly_files.row(project))
    return imports.receive(ImportKind.MONTHLY_TABLE, data, monthly_files.FILE, by=stan, source="t")


def _approval_file(zone, stan, alice, catalogue):
    project = ProjectFactory(zone=zone, name="戊项目", code=approvals_table_files.CODE)
    checklist_generate(project=project, by=alice)
    row_ = approvals_table_files.row_for(project, 立项=dt.date(2025, 3, 15))
    data = approvals_table_files.table(row_)
    return imports.receive(
        ImportKind.APPROVAL_TABLE, data, approvals_table_files.FILE, by=alice, source="t"
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("made", [_list_file, _monthly_file, _approval_file])
def test_an_import_compares_once_the_import_before_it_has_committed(
    postgres, zone, stan, alice, catalogue, made
):
    """Every kind of import takes the imports' turn (``bulk.take_turn``) before it reads what
    it compares: held here by another transaction, it waits for that one's end."""
    record = made(zone, stan, alice, catalogue)
    held, release = threading.Event(), threading.Event()

    def hold_the_turn():
        with transaction.atomic():
            bulk.take_turn(bulk.IMPORTS)
            held.set()
            release.wait(timeout=30)

    def import_it():
        held.wait(timeout=30)
        report = imports.apply(SpreadsheetImport.objects.get(pk=record.pk))
        finished_while_held.append(not release.is_set())
        return report

    finished_while_held: list[bool] = []
    timer = threading.Timer(1.5, release.set)
    timer.start()
    results = at_once([hold_the_turn, import_it])
    timer.cancel()

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[1].applied, results[1].errors
    assert finished_while_held == [False]  # it waited for the turn to be given back


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_milestone_added_by_hand_while_a_list_writes_it_is_refused_on_the_page(
    postgres, zone, stan, alice, client, monkeypatch
):
    """The other way round: the officer saves the project's page adding the planned start a
    list being imported has just written for the project. The list holds the project's row
    until it commits; the page waits for it, then reads the project as the list left it and
    says on the form that the project has that milestone (no server error). The list's
    milestone is kept, once."""
    project = ProjectFactory(zone=zone, name="丙项目", stage=Stage.SIGNED, officer=alice)
    record = received(workbook(row(1, "丙项目", start=dt.date(2025, 6, 30))), stan)
    client.force_login(alice)
    url = reverse("admin:approvals_project_change", args=[project.pk])
    data = with_new_row(
        change_form_data(client, url),
        "milestones",
        project,
        stage=Stage.UNDER_CONSTRUCTION,
        planned_date="2025-09-30",
    )
    written, release = threading.Event(), threading.Event()
    real_write = project_list.write

    def write_and_hold(result, **options):
        real_write(result, **options)
        written.set()
        release.wait(timeout=30)  # the list's transaction stays open, the project's row held

    monkeypatch.setattr(project_list, "write", write_and_hold)

    def save_the_page():
        written.wait(timeout=30)
        threading.Timer(1.5, release.set).start()
        response = client.post(url, data)
        saved_while_held.append(not release.is_set())
        return response

    saved_while_held: list[bool] = []
    report, response = at_once(
        [lambda: imports.apply(SpreadsheetImport.objects.get(pk=record.pk)), save_the_page]
    )

    assert not isinstance(report, Exception) and report.applied, report
    assert not isinstance(response, Exception), response
    assert saved_while_held == [False]  # it waited for the list
    assert response.status_code == 200
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is Milestone
    )
    assert formset.errors == [
        {"stage": ["本页打开后，已有人保存了阶段相同的一行。请重新打开本页查看。"]}
    ]
    stored = Milestone.objects.filter(project=project).values_list("stage", "planned_date")
    assert list(stored) == [(Stage.UNDER_CONSTRUCTION, dt.date(2025, 6, 30))]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_lists_creating_one_project_confirmed_at_once_both_apply_the_second_finds_it(
    postgres, zone, stan, monkeypatch
):
    """Two lists of a round already held, each naming a project not stored yet, confirmed at
    once: each would plan it new, and the second's insert would meet the first's (an
    IntegrityError, no report). List imports take their turn on PostgreSQL as SQLite's
    writers do: the second compares once the first has committed, and finds the project."""
    Batch.objects.create(year=2025, round=1, event_date=ROUND_1.event_date)
    first = received(workbook(row(1, "丙项目"), row(2, "甲项目")), stan, name="甲.xlsx")
    second = received(workbook(row(1, "丙项目"), row(2, "乙项目")), stan, name="乙.xlsx")
    for record in (first, second):
        assert imports.preview(record).ok
    results = _confirmed_once_both_read_the_round(monkeypatch, first, second)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r.applied for r in results)
    assert sorted((r.created, r.unchanged + r.changed) for r in results) == [(1, 1), (2, 0)]
    assert sorted(Project.objects.values_list("name", flat=True)) == ["丙项目", "乙项目", "甲项目"]
