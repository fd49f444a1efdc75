"""A project's page in tabs (guide section 12, issue 20): the header above seven tabs, and every
field and inline of the page in exactly one tab — nothing lost from the page as it was."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import AdminForm
from django.urls import reverse

from approvals.admin.case_tabs import CASE_TABS, UnplacedPart, case_tabs
from approvals.models import Milestone, MonthlyProgress, Project, Stage, StageRequest
from tests.admin_helpers import change_form_data
from tests.casework.test_admin_casework import new_rows
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

TAB_LABELS = ["概况", "审批事项", "节点与计划", "月调度", "要素保障", "堵点与服务", "记录"]

#: Every field of the project form as the page showed it before the tabs (its five fieldsets).
FIELDS_BEFORE = [
    "name", "code", "code_format", "zone", "enterprise", "stage", "start_blockers",
    "industry", "content", "total_investment", "investment_yi", "expected_annual_output",
    "actual_annual_output", "land_area_mu", "authorisation",
    "is_provincial_key", "is_city_key", "is_standard_land", "is_commitment",
    "officer", "leader", "responsible_unit",
    "progress", "progress_as_of", "notes",
]  # fmt: skip
#: Every inline of the page before the tabs, by its formset's prefix.
INLINES_BEFORE = [
    "approval_items", "milestones", "task_nodes", "monthly_progress", "factor_needs",
    "stage_changes",
]  # fmt: skip

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class Panels(HTMLParser):
    """Which tab panels (``data-case-tab``) each element of interest sits in: the form's fields
    (``field-<name>``, the wrappers django-unfold draws, outside the inlines), the inline groups (``<prefix>-group``)
    and the header (``case-header``), with the position of each first sight."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None, bool]] = []  # tag, its tab, an inline group
        self.fields: dict[str, list[str]] = {}
        self.groups: dict[str, list[str]] = {}
        self.tab_labels: list[str] = []
        self.order: list[str] = []
        self._in_tab_link = False

    def _tabs(self) -> list[str]:
        return [tab for _, tab, _group in self.stack if tab]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        tab = attrs.get("data-case-tab") if "case-tab-panel" in attrs.get("class", "") else None
        tabs = self._tabs() + ([tab] if tab else [])
        in_inline = any(group for _, _tab, group in self.stack)
        for cls in attrs.get("class", "").split():
            if (
                cls.startswith("field-")
                and cls not in ("field-line", "field-row")
                and not in_inline
            ):
                self.fields.setdefault(cls.removeprefix("field-"), []).extend(tabs or ["-"])
        element_id = attrs.get("id", "")
        group = element_id.endswith("-group") and element_id != "-group"
        if group:
            self.groups.setdefault(element_id.removesuffix("-group"), []).extend(tabs or ["-"])
        name = attrs.get("name", "")
        if tag == "input" and name.endswith("-TOTAL_FORMS") and not in_inline:
            # a closed tab's inline, fetched when the tab is opened (tests/cases/
            # test_case_tabs_later.py): its management form stands in its place
            self.groups.setdefault(name.removesuffix("-TOTAL_FORMS"), []).extend(tabs or ["-"])
        if element_id in ("case-header", "case-tabs", "project_form"):
            self.order.append(element_id)
        if element_id.startswith("case-tab-link-"):
            self._in_tab_link = True
            self.tab_labels.append("")
        if tag not in VOID:
            self.stack.append((tag, tab, group))

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_tab_link = False
        while self.stack:  # unfold's markup is well formed; a stray end tag closes to its match
            open_tag, _tab, _group = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._in_tab_link:
            self.tab_labels[-1] += data.strip()


def read(html: str) -> Panels:
    panels = Panels()
    panels.feed(html)
    return panels


def page(client, project) -> str:
    response = client.get(reverse("admin:approvals_project_change", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def project(zone, alice, bob):
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.SIGNED, actual_date=dt.date(2025, 3, 1))
    StageRequest.objects.create(
        project=project, transition="mark_ready", requested_by=alice, evidence={}
    )
    return project


def test_it_has_the_seven_tabs_in_order(as_user, alice, project):
    assert read(page(as_user(alice), project)).tab_labels == TAB_LABELS


def test_the_header_is_above_the_tabs_and_in_none(as_user, alice, project):
    html = page(as_user(alice), project)
    panels = read(html)
    assert panels.order == ["case-header", "case-tabs", "project_form"]
    header = html[html.index('id="case-header"') : html.index('id="case-tabs"')]
    for part in (
        'id="case-file"',
        'id="case-timeline"',
        'id="case-colour"',
        'id="pending-request"',
    ):
        assert part in header
    assert "case-tab-panel" not in header


def test_every_field_of_the_page_is_in_exactly_one_tab(as_user, alice, project):
    panels = read(page(as_user(alice), project))
    assert sorted(panels.fields) == sorted(FIELDS_BEFORE)
    placed = {name: tabs for name, tabs in panels.fields.items()}
    assert all(len(tabs) == 1 and tabs[0] != "-" for tabs in placed.values()), placed
    assert placed["name"] == ["overview"] and placed["progress"] == ["monthly"]


def test_every_inline_of_the_page_is_in_exactly_one_tab(as_user, alice, project):
    panels = read(page(as_user(alice), project))
    assert sorted(panels.groups) == sorted(INLINES_BEFORE)
    assert {prefix: tabs for prefix, tabs in panels.groups.items()} == {
        "approval_items": ["items"],
        "milestones": ["plans"],
        "task_nodes": ["plans"],
        "monthly_progress": ["monthly"],
        "factor_needs": ["factors"],
        "stage_changes": ["records"],
    }


def test_the_first_tab_opens_and_the_others_wait_hidden(as_user, alice, project):
    html = page(as_user(alice), project)
    overview = html.index('id="case-tab-overview"')
    assert "display: none" not in html[overview : html.index(">", overview)]
    plans = html.index('id="case-tab-plans"')
    assert 'style="display: none"' in html[plans : html.index(">", plans)]


def test_a_fieldset_or_inline_without_a_tab_is_refused(rf, alice, project):
    """Nothing vanishes: a part no tab names stops the page instead of being left out."""
    model_admin = admin.site.get_model_admin(Project)
    request = rf.get("/")
    request.user = alice
    form = model_admin.get_form(request, project)(instance=project)
    adminform = AdminForm(form, model_admin.get_fieldsets(request, project), {})
    assert len(case_tabs(adminform, [])) == len(CASE_TABS)
    no_monthly = tuple(t for t in CASE_TABS if t.key != "monthly")  # its fieldset: nowhere
    with pytest.raises(UnplacedPart):
        case_tabs(adminform, [], tabs=no_monthly)


def test_a_refused_save_opens_the_tab_of_the_error(as_user, alice, project):
    """A year-to-date figure lower than the month before's is refused on its row: the page
    comes back with the monthly tab open, its error counted on the tab."""
    MonthlyProgress.objects.create(
        project=project, month=dt.date(2025, 2, 1), completed_year=Decimal("5000")
    )
    client = as_user(alice)
    url = reverse("admin:approvals_project_change", args=[project.pk])
    data = change_form_data(client, url)
    new_rows("monthly_progress", [{"month": "2025-03-01", "completed_year": "4000"}], data)
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["case_tab_open"] == "monthly"
    html = response.content.decode()
    monthly = html.index('id="case-tab-monthly"')
    assert "display: none" not in html[monthly : html.index(">", monthly)]
    overview = html.index('id="case-tab-overview"')
    assert 'style="display: none"' in html[overview : html.index(">", overview)]
    link = re.search(r'id="case-tab-link-monthly".*?</a>', html, re.S).group(0)
    assert re.search(r">\s*1\s*</span>", link)  # one error, counted on its tab
