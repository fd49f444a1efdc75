"""The checklist counters kept on each project (approvals/checklist/counters.py): after every kind
of change to items — a checklist generated, a status changed, a mode changed, an item deleted, an
approval table imported in bulk, the catalogue's before-works flag changed — the stored counters
are those of the object form over the project's items, the query form finds nothing to write,
and the query form alone (from counters wiped) writes the same. The readiness figure, summing
them, equals the figure grouped from the items as it was counted before (kept here)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count

from approvals.checklist import counters
from approvals.checklist.models import BLOCKING_START, ChecklistProgress, kind_counts
from approvals.checklist.services import checklist_generate
from approvals.figures import reports
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    ImportKind,
    ItemStatus,
    Mode,
    Project,
    Stage,
)
from approvals.spreadsheets import approval_table, imports
from approvals.stages import workflow
from tests.factories import ProjectFactory
from tests.spreadsheet_files import xlsx

pytestmark = pytest.mark.django_db


def assert_counters_right() -> None:
    """Every project's stored counters are its items' (object form); the query form agrees:
    it has nothing to write, and from wiped counters it writes the same."""
    projects = list(Project.objects.order_by("pk"))
    assert projects
    by_object = {p.pk: counters.counters_of(counters.item_rows(p.pk)) for p in projects}
    assert {p.pk: counters.stored(p) for p in projects} == by_object
    assert counters.recount(Project.objects.all()) == 0
    Project.objects.update(**dict.fromkeys(counters.KIND_FIELDS.values(), 7), items_blocking=7)
    counters.recount(Project.objects.all())
    assert {p.pk: counters.stored(p) for p in Project.objects.order_by("pk")} == by_object


def readiness_by_grouping(selection: reports.Selection) -> dict:
    """The readiness figure as it was counted before the counters: every item grouped."""
    candidates = selection.projects().filter(stage__in=reports.READINESS_STAGES)
    rows = list(
        ApprovalItem.objects.filter(project__in=candidates.values("pk"))
        .values("project_id")
        .annotate(blocking=Count("pk", filter=BLOCKING_START), **kind_counts())
        .order_by()
    )
    checklists = [(row, ChecklistProgress.of(row)) for row in rows]
    return {
        "projects": candidates.count(),
        "ready": sum(1 for row, _each in checklists if not row["blocking"]),
        "projects_with_items": sum(
            1 for _row, each in checklists if each.total > each.counts["not_applicable"]
        ),
        "progress": ChecklistProgress.of(
            {k: sum(each.counts[k] for _r, each in checklists) for k in counters.KIND_FIELDS}
        ).counts,
    }


def assert_readiness_as_grouped(*zones) -> None:
    for zone in zones:
        selection = reports.Selection(zones=(zone.pk,))
        found = reports.readiness(selection)
        assert {k: found[k] for k in ("projects", "ready", "projects_with_items", "progress")} == (
            readiness_by_grouping(selection)
        )


@pytest.fixture
def checklists(catalogue, zone, other_zone, alice, charlie):
    """Three projects at 签约 with checklists (two in ``zone``), one without."""
    made = [
        ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, code=""),
        ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, code=""),
        ProjectFactory(zone=other_zone, stage=Stage.SIGNED, officer=charlie, code=""),
    ]
    ProjectFactory(zone=zone, stage=Stage.SIGNED, code="")
    for project in made:
        checklist_generate(project=project, by=project.officer)
    return made


def test_a_generated_checklist_is_counted(checklists):
    first = Project.objects.get(pk=checklists[0].pk)
    total = first.approval_items.count()
    assert total > 0
    assert sum(first.__dict__[f] for f in counters.KIND_FIELDS.values()) == total
    assert first.items_blocking == first.approval_items.blocking_start().count() > 0
    assert_counters_right()


def test_status_and_mode_changes_and_deletes_are_counted(checklists, alice, zone, other_zone):
    project = checklists[0]
    items = list(project.approval_items.order_by("pk"))
    item = items[0]
    workflow.run_transition(item, "start_preparing", by=alice)
    workflow.run_transition(item, "accept", by=alice, accepted_on=dt.date(2025, 3, 1))
    workflow.run_transition(
        item, "approve", by=alice, approved_on=dt.date(2025, 3, 5), document_number="晋发改1号"
    )
    assert Project.objects.get(pk=project.pk).items_approved == 1
    assert_counters_right()
    workflow.item_set_mode(items[1], Mode.NOT_APPLICABLE, by=alice, reason="无")
    workflow.item_set_mode(items[2], Mode.COMMITMENT, by=alice)
    assert_counters_right()
    items[3].delete()
    assert_counters_right()
    assert_readiness_as_grouped(zone, other_zone)
    ApprovalItem.objects.filter(project=project).delete()
    assert counters.stored(Project.objects.get(pk=project.pk)) == dict.fromkeys(
        counters.stored(project), 0
    )
    assert_counters_right()
    assert_readiness_as_grouped(zone, other_zone)


def test_a_project_saved_from_an_old_read_keeps_the_counters(checklists, alice):
    """save() writes every field but the counters: a project read before its items changed
    does not write its old counts back."""
    project = Project.objects.get(pk=checklists[0].pk)
    workflow.item_set_mode(project.approval_items.first(), Mode.COMMITMENT, by=alice)
    project.name = "改名的项目"
    project.save()
    fresh = Project.objects.get(pk=project.pk)
    assert fresh.name == "改名的项目" and fresh.items_commitment >= 1
    assert_counters_right()


def test_the_catalogue_flag_recounts_every_project_using_it(checklists, zone, other_zone):
    kind = ApprovalType.objects.filter(before_works=True, items__isnull=False).first()
    blocking_before = {p.pk: p.items_blocking for p in Project.objects.all()}
    kind.before_works = False
    kind.save()
    after = {p.pk: p.items_blocking for p in Project.objects.all()}
    for project in checklists:  # every item of that type is still open
        assert after[project.pk] == blocking_before[project.pk] - 1
    assert_counters_right()
    assert_readiness_as_grouped(zone, other_zone)
    kind = ApprovalType.objects.get(pk=kind.pk)
    kind.before_works = True
    kind.save()
    assert {p.pk: p.items_blocking for p in Project.objects.all()} == blocking_before
    assert_counters_right()


def test_an_imported_approval_table_is_counted(checklists, settings, tmp_path, alice, zone):
    """The import writes items in bulk (no signal): its own call keeps the counters."""
    settings.MEDIA_ROOT = tmp_path / "media"
    project = Project.objects.get(pk=checklists[0].pk)
    project.code = "2503-140702-04-01-123456"
    project.save()
    header = ["序号", "项目代码", "项目名称", "所在开发区", "立项", "环评", "施工许可证"]
    row = [1, project.code, project.name, zone.aliases, dt.date(2025, 3, 15), "承诺", "不涉及"]
    data = xlsx({"前期手续": [header, row]})
    record = imports.receive(ImportKind.APPROVAL_TABLE, data, "进度表.xlsx", by=alice, source="t")
    report = approval_table.run(data, "进度表.xlsx", by=alice, record=record)
    assert report.ok and report.applied, report.errors
    fresh = Project.objects.get(pk=project.pk)
    assert fresh.items_approved == 1
    assert fresh.items_not_applicable >= 1 and fresh.items_commitment >= 1
    assert_counters_right()
    assert_readiness_as_grouped(zone)


def test_readiness_reads_the_counters_as_it_read_the_items(checklists, zone, other_zone, alice):
    """All settled but nothing blocking: ready; the figure as the grouping of items said."""
    project = checklists[1]
    for item in project.approval_items.all():
        workflow.item_set_mode(item, Mode.COMMITMENT, by=alice)
    ApprovalItem.objects.filter(project=checklists[2]).update(status=ItemStatus.APPROVED)
    counters.store_projects([checklists[2].pk])
    found = reports.readiness(reports.Selection(zones=(zone.pk,)))
    assert (found["projects"], found["ready"]) == (3, 1)
    assert_readiness_as_grouped(zone, other_zone)
    assert reports.readiness(reports.Selection(zones=(other_zone.pk,)))["ready"] == 1
