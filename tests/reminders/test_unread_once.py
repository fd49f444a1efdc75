"""The unread reminders' count beside the person's name (every admin page) is counted once per
page, although the admin theme renders each card and component with the request (which runs the
context processors again) and the index's to-do list shows the same number."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.models import Milestone, Project, Reminder, Stage
from approvals.reminders.models import Step
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminded(zone, alice):
    """alice's project with milestones, and two reminders delivered to her, one read."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.SIGNED, actual_date=dt.date(2025, 3, 1))
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=dt.date(2025, 1, 1))
    for period, read_at in ((1, None), (2, timezone.now())):
        Reminder.objects.create(
            subject_type=ContentType.objects.get_for_model(Project),
            subject_id=project.pk,
            project=project,
            step=Step.OFFICER,
            recipient=alice,
            period=period,
            day=dt.date(2025, 9, 26),
            title="提醒",
            body="项目逾期",
            delivered_at=timezone.now(),
            read_at=read_at,
        )
    return project


def unread_counts(client, url: str) -> tuple[int, str]:
    """How many times the page counted the unread reminders, and the page."""
    client.get(url)  # the session and the caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    counted = [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT COUNT(*)")
        and '"approvals_reminder"' in q["sql"]
        and '"read_at" IS NULL' in q["sql"]
    ]
    return len(counted), response.content.decode()


@pytest.mark.parametrize("page", ["dashboard", "case file", "project list"])
def test_the_unread_count_is_counted_once_per_page(as_user, alice, reminded, page):
    url = {
        "dashboard": reverse("admin:index"),
        "case file": reverse("admin:approvals_project_change", args=[reminded.pk]),
        "project list": reverse("admin:approvals_project_changelist"),
    }[page]

    counted, html = unread_counts(as_user(alice), url)

    assert counted == 1
    assert 'id="unread-reminders"' in html
    if page == "dashboard":  # the to-do list shows the same count
        assert re.search(r'id="todo-reminders".*?<strong>1</strong>', html, re.S)
