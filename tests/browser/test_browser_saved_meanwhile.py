"""A project's page saved after someone else saved the project, in Chromium: the officer is told
who changed the same figure and when, the figure she typed stays in the form, and a second
save keeps it; a figure only the other changed is kept as they saved it. Likewise a row of the
page's tabs: the planned start a list set while the page was open stays.

The browser and its fixtures: ``tests/browser_support.py``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from playwright.sync_api import expect

from approvals.models import Milestone, Project, Stage
from approvals.spreadsheets import imports
from tests.admin_helpers import change_form_data
from tests.browser_support import change_url, open_case_tab
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory
from tests.project_lists import received, row, workbook
from zones.models import Role

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_figure_changed_meanwhile_is_told_then_kept_on_a_second_save(as_user, alice, zone):
    dora = UserFactory(username="dora", first_name="朵拉")
    ZoneRoleFactory(user=dora, zone=zone, role=Role.OFFICER)
    project = ProjectFactory(zone=zone, officer=alice, industry="新材料", total_investment=50000)
    page = as_user(alice)
    page.goto(change_url(project))

    other = Client()  # meanwhile, dora saves the project from her own page
    other.force_login(dora)
    data = change_form_data(other, change_url(project), total_investment="80000", industry="新能源")
    assert other.post(change_url(project), data).status_code == 302

    page.fill("#id_total_investment", "60000")
    page.locator('[name="_save"]').first.click()

    expect(page.get_by_text("本页打开后，朵拉（dora）也修改了总投资（万元）")).to_be_visible()
    expect(page.locator("#id_total_investment")).to_have_value("60000")
    stored = Project.objects.get(pk=project.pk)
    assert (stored.total_investment, stored.industry) == (80000, "新能源")

    page.locator('[name="_save"]').first.click()

    expect(page.locator(".messagelist li")).not_to_have_count(0)
    stored = Project.objects.get(pk=project.pk)
    assert (stored.total_investment, stored.industry) == (60000, "新能源")


def test_a_planned_start_a_list_set_meanwhile_stays_when_the_page_is_saved(
    as_user, alice, stan, zone
):
    project = ProjectFactory(zone=zone, name="丙项目", stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=None)
    page = as_user(alice)
    page.goto(change_url(project))
    open_case_tab(page, "节点与计划")  # its rows drawn, the start's date empty
    expect(page.locator('[name="milestones-0-planned_date"]')).to_have_value("")

    listed = workbook(row(1, "丙项目", start=dt.date(2025, 9, 30)))  # meanwhile, a list
    assert imports.apply(received(listed, stan)).applied

    open_case_tab(page, "概况")
    page.fill("#id_industry", "新能源")
    page.locator('[name="_save"]').first.click()

    expect(page.locator(".messagelist li")).not_to_have_count(0)
    assert Project.objects.get(pk=project.pk).industry == "新能源"
    assert Milestone.objects.get(project=project).planned_date == dt.date(2025, 9, 30)
