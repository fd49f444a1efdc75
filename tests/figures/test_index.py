"""The admin index gets the zone dashboard and the to-do list as plain data in its context
(projectdesk/unfold.py, index): the view reads the database, the template only shows what it
was given. Rendering the index once its view has run reads nothing more, but for the unread
reminders' count beside the user's name, once per page."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Model, QuerySet
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from approvals.figures.dashboard import Board
from approvals.figures.todo import ToDo
from approvals.models import Milestone, Stage
from tests import figures
from tests.factories import ProjectFactory, administrator
from zones.models import AdminRole

pytestmark = pytest.mark.django_db

rounds = figures.rounds
guide_example = figures.guide_example

INDEX = reverse("admin:index")
TODAY = dt.date(2025, 11, 14)


@pytest.fixture(autouse=True)
def clock():
    """The to-do list's and the dashboard's colours and months are of today: this one."""
    with time_machine.travel(
        dt.datetime(2025, 11, 14, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


@pytest.fixture
def late(alice, zone):
    """alice's project, its next milestone 60 days late (red): a row of her to-do list."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(
        project=project, stage=Stage.READY, planned_date=TODAY - dt.timedelta(days=60)
    )
    return project


def unplain(value, path="context") -> list[str]:
    """Where ``value`` holds something that may read the database as it is shown (a model
    instance, a query set, or an object of another kind than plain values)."""
    if isinstance(value, Model | QuerySet):
        return [f"{path}: {type(value).__name__}"]
    if dataclasses.is_dataclass(value):
        return [
            found
            for item in dataclasses.fields(value)
            for found in unplain(getattr(value, item.name), f"{path}.{item.name}")
        ]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in unplain(v, f"{path}[{k!r}]")]
    if isinstance(value, list | tuple):
        return [found for i, v in enumerate(value) for found in unplain(v, f"{path}[{i}]")]
    if value is None or isinstance(value, str | int | float | dt.date):
        return []
    if type(value).__module__.startswith("django.utils.functional"):  # a lazy translation
        return []
    return [f"{path}: {type(value).__name__}"]


def test_the_index_gets_the_dashboard_and_the_todo_list_as_data(
    as_user, alice, bob, guide_example, late
):
    response = as_user(alice).get(INDEX)
    board, todo = response.context["board"], response.context["todo"]
    assert isinstance(board, Board) and isinstance(todo, ToDo)
    assert {tile.key: tile.value for tile in board.rates}["start_rate"] == "70.0 %"
    assert [zone.name for zone in board.zones] == ["综改区晋中开发区"]
    red = {tile.key: tile for tile in board.colours}["red"]
    assert (red.value, red.url) == (
        "1",
        reverse("admin:approvals_project_changelist") + "?colour=red",
    )
    sections = {section.key: section for section in todo.sections}
    assert sections["late"].total == 1
    assert [row.url for row in sections["late"].rows] == [
        reverse("admin:approvals_project_change", args=[late.pk])
    ]
    assert sections["late"].more == (
        reverse("admin:approvals_project_changelist")
        + f"?colour=attention&officer__id__exact={alice.pk}"
    )
    assert todo.awaiting is None  # an officer decides nothing
    assert unplain(board) == [] and unplain(todo) == []

    queue = as_user(bob).get(INDEX).context["todo"].awaiting
    assert (queue.count, queue.url) == (
        0,
        reverse("admin:approvals_stagerequest_changelist")
        + "?queue=awaiting&status__exact=pending",
    )


def index_response(user, query: dict | None = None):
    """The admin index's response as its view returns it, not yet rendered."""
    request = RequestFactory().get(INDEX, query or {})
    request.user = user
    request.session = {}
    response = resolve(INDEX).func(request)
    assert not response.is_rendered
    return response


@pytest.mark.parametrize("who", ["alice", "bob", "superuser"])
def test_rendering_the_index_reads_nothing(request, who, guide_example, late, monkeypatch):
    """Each person's index (alice: her late project in the to-do list; bob and the administrator:
    the decisions waiting; the administrator: every zone to choose from), the figures counted by
    its view: its template reads nothing (the unread reminders' count beside the name, which
    every admin page shows, is given here as a number)."""
    monkeypatch.setattr("approvals.reminders.context_processors.unread_count", lambda user: 3)
    response = index_response(request.getfixturevalue(who))
    with CaptureQueriesContext(connection) as captured:
        response.render()
    assert [query["sql"] for query in captured] == []
    html = response.content.decode()
    assert 'id="tile-start_rate"' in html
    assert ('id="dashboard-zone"' in html) == (who == "superuser")  # two zones to choose from
    assert ('id="todo-late"' in html) == (who == "alice")
    assert ('id="awaiting-decisions"' in html) == (who != "alice")  # who decides


@pytest.mark.parametrize(
    "role, page",
    [
        (AdminRole.SECURITY, "admin:auth_user_changelist"),
        (AdminRole.AUDIT, "admin:approvals_auditevent_changelist"),
    ],
)
def test_an_index_without_figures_reads_nothing_either(role, page, guide_example, monkeypatch):
    """An administrator without a zone role has no to-do list and no dashboard: its index is
    the list of its pages, without the theme's "recent actions" (a query of the admin log that
    would run as the template renders)."""
    monkeypatch.setattr("approvals.reminders.context_processors.unread_count", lambda user: 0)
    response = index_response(administrator(f"admin-{role}", role))
    assert response.context_data["board"] is None
    with CaptureQueriesContext(connection) as captured:
        response.render()
    assert [query["sql"] for query in captured] == []
    assert f'href="{reverse(page)}"' in response.content.decode()  # its pages, listed


def test_the_header_counts_the_unread_reminders_once_per_page(bob, guide_example):
    """The admin theme renders each card of the index with the request, which runs the context
    processors again, and the to-do list shows the same count: it is read once all the same,
    by the view (tests/reminders/test_unread_once.py counts it on other pages)."""
    with CaptureQueriesContext(connection) as captured:
        response = index_response(bob)
        response.render()
    counts = [
        q
        for q in captured
        if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "approvals_reminder"')
    ]
    assert len(counts) == 1


def test_a_zone_asked_for_narrows_the_dashboard(superuser, zone, other_zone, guide_example):
    board = index_response(superuser, {"zone": other_zone.pk}).context_data["board"]
    assert {z.name: z.selected for z in board.zones} == {
        "祁县经济开发区": True,
        "综改区晋中开发区": False,
    }
    assert {tile.key: tile.value for tile in board.rates}["start_rate"] == "33.3 %"
    red = {tile.key: tile for tile in board.colours}["red"]
    assert red.url.endswith(f"?colour=red&zone__id__exact={other_zone.pk}")
