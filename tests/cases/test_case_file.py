"""The case file at the top of a project's page: the stage timeline, the checklist's progress
and what holds up the start of works, the rounds the project was listed in; and the request
forms below it, which say what each change needs and do not repeat their headings."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.cases.case_file import case_file
from approvals.cases.colours import Colour, warnings
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    ItemStatus,
    Milestone,
    Mode,
    Project,
    Stage,
)
from tests import figures
from tests.factories import ProjectFactory
from tests.figures import listed

pytestmark = pytest.mark.django_db

rounds = figures.rounds


def page(client, project) -> str:
    response = client.get(reverse("admin:approvals_project_change", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


def step(html: str, stage: str) -> str:
    return re.search(rf'<li id="step-{stage}"[^>]*>(.*?)</li>', html, re.S).group(0)


@pytest.fixture
def signed_case(zone, alice, catalogue, rounds):
    today = dt.date.today()
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.SIGNED, actual_date=dt.date(2025, 3, 1))
    Milestone.objects.create(
        project=project, stage=Stage.READY, planned_date=today - dt.timedelta(days=45)
    )
    Milestone.objects.create(
        project=project,
        stage=Stage.UNDER_CONSTRUCTION,
        planned_date=today + dt.timedelta(days=200),
    )
    before = list(ApprovalType.objects.filter(before_works=True).order_by("sort_order", "code")[:3])
    ApprovalItem.objects.create(
        project=project, approval_type=before[0], status=ItemStatus.APPROVED
    )
    ApprovalItem.objects.create(project=project, approval_type=before[1], mode=Mode.NOT_APPLICABLE)
    ApprovalItem.objects.create(
        project=project, approval_type=before[2], status=ItemStatus.PREPARING
    )
    listed(rounds[0], project, "sign", 30000)
    listed(rounds[1], project, "start", 32000)
    return project, before[2]


def test_the_case_file_opens_the_page_above_the_form(as_user, alice, signed_case):
    project, _ = signed_case
    html = page(as_user(alice), project)
    case = html.index('id="case-file"')
    assert case < html.index('id="transitions"') < html.index('id="project_form"')


def test_the_timeline_shows_each_milestone_planned_and_actual_coloured(as_user, alice, signed_case):
    project, _ = signed_case
    html = page(as_user(alice), project)
    signed = step(html, Stage.SIGNED)
    assert "reached" in signed and "current" in signed and "2025-03-01" in signed
    ready = step(html, Stage.READY)
    assert Colour.RED.ink in ready  # 45 days late: red
    assert "reached" not in ready
    start = step(html, Stage.UNDER_CONSTRUCTION)
    assert Colour.GREEN.ink in start  # far ahead: green
    assert (dt.date.today() + dt.timedelta(days=200)).isoformat() in start
    assert "—" in step(html, Stage.IN_PRODUCTION)  # no plan yet
    order = [html.index(f'id="step-{s}"') for s in ("signed", "ready", "under_construction")]
    assert order == sorted(order)


def test_the_checklist_progress_names_what_holds_up_the_start(as_user, alice, signed_case):
    project, blocker = signed_case
    html = page(as_user(alice), project)
    checklist = re.search(r'id="case-checklist">(.*?)</div>', html, re.S).group(1)
    assert '<progress max="3" value="2"' in checklist  # approved and not applicable: settled
    kinds = re.search(r'id="case-progress">(.*?)</p>', checklist, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", kinds) == "已办结 1 · 承诺制 0 · 统一服务 0 · 不涉及 1 · 未办结 1"
    blockers = re.search(r'id="case-blockers">(.*?)</ul>', html, re.S).group(1)
    assert blocker.code in blockers
    assert blockers.count("<li>") == 1


def test_the_rounds_it_was_listed_in(as_user, alice, signed_case):
    project, _ = signed_case
    html = page(as_user(alice), project)
    rounds_listed = re.search(r'id="case-batches">(.*?)</div>', html, re.S).group(1)
    # newest first, as reported, in 亿元 to two decimals (32000 and 30000 万元)
    assert rounds_listed.index("3.20 亿元") < rounds_listed.index("3.00 亿元")
    assert rounds_listed.count("<li>") == 2


def test_a_commitment_or_a_unified_service_is_never_counted_as_done(
    as_user, alice, zone, catalogue
):
    """The checklist's progress by kind (guide section 12), on the case file and in the project
    list: 已办结 counts approvals only."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    kinds = list(ApprovalType.objects.order_by("sort_order", "code")[:6])
    for approval_type, mode, status in zip(
        kinds,
        [
            Mode.APPROVAL,
            Mode.COMMITMENT,
            Mode.COMMITMENT,
            Mode.UNIFIED,
            Mode.NOT_APPLICABLE,
            Mode.APPROVAL,
        ],
        [
            ItemStatus.APPROVED,
            ItemStatus.NOT_STARTED,
            ItemStatus.APPROVED,
            ItemStatus.NOT_STARTED,
            ItemStatus.NOT_STARTED,
            ItemStatus.ACCEPTED,
        ],
        strict=True,
    ):
        ApprovalItem.objects.create(
            project=project, approval_type=approval_type, mode=mode, status=status
        )
    words = "已办结 1 · 承诺制 2 · 统一服务 1 · 不涉及 1 · 未办结 1"
    client = as_user(alice)
    kinds_shown = re.search(r'id="case-progress">(.*?)</p>', page(client, project), re.S).group(1)
    assert re.sub(r"<[^>]+>", "", kinds_shown) == words
    listed_page = client.get(reverse("admin:approvals_project_changelist")).content.decode()
    assert words in listed_page


def test_a_project_without_a_checklist_says_it_cannot_be_ready(as_user, alice, zone):
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    html = page(as_user(alice), project)
    assert "<progress" not in html
    assert 'id="case-blockers"' not in html


def test_the_case_file_costs_the_same_queries_for_a_long_case_as_for_a_short_one(
    zone, catalogue, rounds
):
    """The case file's own queries; the whole page's are asserted with the page's inlines. The
    thresholds the project's colour is read by are cached (django-solo): read once before."""
    warnings()

    def queries(project) -> int:
        with CaptureQueriesContext(connection) as captured:
            case_file(Project.objects.get(pk=project.pk))
        return len(captured)

    short = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    ApprovalItem.objects.create(project=short, approval_type=ApprovalType.objects.first())
    listed(rounds[0], short, "sign", 1000)
    long = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    for approval_type in ApprovalType.objects.all()[:12]:
        ApprovalItem.objects.create(project=long, approval_type=approval_type)
    listed(rounds[0], long, "sign", 1000)
    listed(rounds[1], long, "start", 1000)
    assert queries(long) == queries(short) <= 7  # with the open task nodes, for the colour


def test_request_forms_say_what_each_change_needs(as_user, alice, zone):
    project = ProjectFactory(zone=zone, stage=Stage.RESERVE)
    html = page(as_user(alice), project)
    needs = re.search(r'id="needs-sign">(.*?)</p>', html, re.S).group(1)
    assert "签约日期" in needs or "agreement date" in needs.lower()
    assert 'id="needs-suspend"' in html


def test_request_headings_do_not_repeat_themselves(as_user, alice, zone):
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, total_investment=Decimal(1))
    html = page(as_user(alice), project)
    headings = re.findall(
        r'<form[^>]*class="transition-option"[^>]*>.*?<h3[^>]*>(.*?)</h3>', html, re.S
    )
    assert headings, "no request forms"
    for heading in headings:
        if "→" in heading:
            before, after = (part.strip() for part in heading.split("→"))
            assert before != after, heading
    suspend = re.search(r'id="transition-suspend".*?<h3[^>]*>(.*?)</h3>', html, re.S).group(1)
    assert "→" not in suspend
