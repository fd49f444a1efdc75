"""A project's page draws the open tab's inlines only; the others' come when their tab is first
opened (``?case_tab=<key>`` of the page itself, scoped like it), and a save before that leaves
their rows alone (issue 21, less to send)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.models import ApprovalItem, MonthlyProgress, Stage, TaskNode
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

LATER = ["approval_items", "milestones", "task_nodes", "monthly_progress", "factor_needs",
         "stage_changes"]  # fmt: skip


@pytest.fixture
def case(zone, alice, catalogue):
    """alice's project with its 21-item checklist, 8 task nodes and 8 months of figures."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, name="晋中氢能项目")
    checklist_generate(project=project, by=alice)
    for n in range(8):
        TaskNode.objects.create(
            project=project, name=f"节点{n}", planned_date=dt.date(2025, 3, n + 1)
        )
        MonthlyProgress.objects.create(
            project=project, month=dt.date(2025, n + 1, 1), completed_year=n
        )
    return project


def url_of(project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


def rows_drawn(html: str, prefix: str) -> int:
    return len(set(re.findall(rf'name="{prefix}-(\d+)-id"', html)))


def test_the_page_draws_no_inline_of_a_closed_tab(as_user, alice, case):
    html = as_user(alice).get(url_of(case)).content.decode()
    for prefix in LATER:
        assert f'id="{prefix}-group"' not in html
        assert f'name="{prefix}-TOTAL_FORMS" value="0"' in html
        assert f'name="{prefix}-INITIAL_FORMS" value="0"' in html
    assert 'id="id_name"' in html  # the open tab's fields are there
    assert f'hx-get="{url_of(case)}?case_tab=items"' in html


def test_opening_a_tab_fetches_its_inlines(as_user, alice, case):
    client = as_user(alice)
    client.get(url_of(case), {"case_tab": "items"})
    with CaptureQueriesContext(connection) as captured:
        items = client.get(url_of(case), {"case_tab": "items"})
    html = items.content.decode()
    assert items.status_code == 200 and html.lstrip().startswith('<div class="case-tab-loaded')
    assert rows_drawn(html, "approval_items") == 21
    assert 'name="approval_items-INITIAL_FORMS" value="21"' in html
    assert 'id="case-file"' not in html and "<html" not in html  # the tab's part only
    assert len(captured) < 25  # the page's header is not read
    plans = client.get(url_of(case), {"case_tab": "plans"}).content.decode()
    assert rows_drawn(plans, "task_nodes") == 8 and 'id="milestones-group"' in plans
    monthly = client.get(url_of(case), {"case_tab": "monthly"}).content.decode()
    assert rows_drawn(monthly, "monthly_progress") == 8


def test_a_save_before_a_tab_was_opened_leaves_its_rows_alone(as_user, alice, case):
    client = as_user(alice)
    data = change_form_data(client, url_of(case), name="晋中氢能项目（二期）")
    for prefix in LATER:  # what the page sends: each closed tab's management form, no rows
        data = {k: v for k, v in data.items() if not k.startswith(f"{prefix}-")}
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    modes = dict(case.approval_items.values_list("pk", "mode"))

    response = client.post(url_of(case), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    case.refresh_from_db()
    assert case.name == "晋中氢能项目（二期）"
    assert dict(ApprovalItem.objects.filter(project=case).values_list("pk", "mode")) == modes
    assert TaskNode.objects.filter(project=case).count() == 8
    assert MonthlyProgress.objects.filter(project=case).count() == 8


def test_a_save_after_opening_a_tab_saves_its_rows(as_user, alice, case):
    client = as_user(alice)
    item = case.approval_items.order_by("pk").first()
    data = change_form_data(client, url_of(case))  # every row, as the opened tab sends them
    index = next(i for i in range(21) if data[f"approval_items-{i}-id"] == item.pk)
    data[f"approval_items-{index}-document_number"] = "晋发改备〔2025〕1号"

    assert client.post(url_of(case), data).status_code == 302

    item.refresh_from_db()
    assert item.document_number == "晋发改备〔2025〕1号"


@pytest.mark.parametrize("tab", ["items", "plans", "records"])
def test_an_officer_of_another_zone_gets_no_tab(as_user, charlie, case, tab):
    response = as_user(charlie).get(url_of(case), {"case_tab": tab})
    assert response.status_code in (302, 403, 404)
    assert "approval_items-0-id" not in response.content.decode()
    assert case.name not in response.content.decode()


def test_the_blockers_before_works_are_read_once_per_page(as_user, alice, case):
    """The case file draws the read-only "open before works start" more than once (unfold asks
    a field for its contents again): its items are read once (issue 21: 10 of 46 queries)."""
    client = as_user(alice)
    client.get(url_of(case))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url_of(case)).status_code == 200
    blockers = [
        q for q in captured.captured_queries if '"before_works"' in q["sql"].partition("WHERE")[2]
    ]
    # the stage-change options ask twice (settled? which not?), the field once, the case file's
    # summary once: 8 when the field read its items each time it was drawn
    assert len(blockers) == 4


def test_the_rows_of_a_tab_drawn_later_are_not_read_until_it_is_opened(as_user, alice, case):
    """The page builds no form for the rows it draws later (each form deep-copies its fields:
    the items tab 175 -> 140 ms at 100,000 projects); a tab's fetch builds its own only."""
    client = as_user(alice)
    page = client.get(url_of(case))
    assert {
        f.formset.prefix: len(f.formset.forms) for f in page.context["inline_admin_formsets"]
    } == (dict.fromkeys(LATER, 0))
    items = client.get(url_of(case), {"case_tab": "items"})
    built = {f.formset.prefix: len(f.formset.forms) for f in items.context["inline_admin_formsets"]}
    assert built == {**dict.fromkeys(LATER, 0), "approval_items": 21}
