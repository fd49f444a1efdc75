"""Each rule has one home: who may do what lives in ``approvals/access/permissions.py`` (the role table
in ``zones/roles.py``), working-day arithmetic imports no model, and django-fsm's declarations
are read next to the machine base, through its public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from approvals.access import permissions
from approvals.models import ApprovalItem, Project, StageRequest

ROOT = Path(settings.BASE_DIR)
CODE = [
    p
    for folder in ("approvals", "zones", "projectdesk")
    for p in (ROOT / folder).rglob("*.py")
    if "migrations" not in p.parts
]


def sources_with(text: str) -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in CODE if text in p.read_text(encoding="utf-8"))


def test_only_the_permissions_module_asks_is_superuser():
    assert sources_with(".is_superuser") == ["approvals/access/permissions.py"]


def test_no_code_asks_django_for_a_permission_by_name_instead_of_the_rule():
    assert sources_with(".has_perm(") == []


def test_zone_roles_are_read_for_access_only_by_the_permissions_module():
    assert set(sources_with("zone_ids(")) <= {
        "approvals/access/permissions.py",
        "approvals/management/commands/seed_demo.py",  # which zones the demo people work in
        "zones/models.py",  # the query itself
    }


def test_nobody_reads_django_fsms_private_attribute():
    assert sources_with("_django_fsm") == []


def test_working_day_arithmetic_imports_no_model():
    tree = ast.parse((ROOT / "approvals/core/workdays.py").read_text(encoding="utf-8"))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not [m for m in imported if "models" in m or m.startswith(("django", "approvals"))]
    # and it loads on its own, before Django is even set up
    code = "import approvals.core.workdays, sys; assert 'approvals.models' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_calendar_model_loads_the_holidays(db):
    import datetime as dt

    from approvals.models import CalendarDay

    CalendarDay.objects.create(day=dt.date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY)
    assert not CalendarDay.objects.calendar().is_working_day(dt.date(2027, 1, 1))


class TestTheRuleAndItsQueryAgree:
    """Each rule is written once for an object and once as a query; they answer the same."""

    @pytest.fixture
    def world(self, zone, other_zone, alice, bob, lily, stan, charlie, superuser):
        from approvals.stages import workflow
        from tests.factories import ProjectFactory

        projects = [
            ProjectFactory(zone=zone),
            ProjectFactory(zone=zone, leader=lily),
            ProjectFactory(zone=other_zone),
            ProjectFactory(zone=None),
        ]
        import datetime as dt

        requests = [
            workflow.request_transition(p, "sign", by=asker, agreement_date=dt.date(2025, 4, 7))
            for p, asker in ((projects[0], alice), (projects[1], bob), (projects[2], charlie))
        ]
        return [alice, bob, lily, stan, charlie, superuser], projects, requests

    def test_seeing_projects(self, world):
        people, projects, _ = world
        for person in people:
            by_query = set(Project.objects.visible_to(person))
            by_object = {p for p in projects if permissions.may_see(person, p)}
            assert by_query == by_object, person

    def test_deciding_requests(self, world):
        people, _, requests = world
        for person in people:
            by_query = set(StageRequest.objects.awaiting(person))
            by_object = {r for r in requests if permissions.may_decide(person, r)}
            assert by_query == by_object, person

    def test_items_follow_their_project(self, world):
        from approvals.checklist.services import checklist_generate

        people, projects, _ = world
        for project in projects:
            checklist_generate(project=project, by=people[-1])
        for person in people:
            by_query = set(ApprovalItem.objects.visible_to(person).values_list("pk", flat=True))
            by_object = {i.pk for i in ApprovalItem.objects.all() if permissions.may_see(person, i)}
            assert by_query == by_object, person
