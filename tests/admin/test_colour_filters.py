"""One colour filter for the three lists that have one (``admin/colour_filters.py``): each list
keeps its ``?colour=`` parameter and the choices of what it colours, and the problems' filter
keeps to unsolved problems (a problem resolved after its deadline is no longer red)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.cases.colours import ITEM_FILTER_CHOICES, MILESTONE_FILTER_CHOICES
from approvals.casework.problems import problem_add, problem_transition

PROBLEMS = reverse("admin:approvals_problem_changelist")


@pytest.mark.parametrize(
    ("page", "choices"),
    [
        ("admin:approvals_project_changelist", MILESTONE_FILTER_CHOICES),
        ("admin:approvals_approvalitem_changelist", ITEM_FILTER_CHOICES),
        ("admin:approvals_problem_changelist", ITEM_FILTER_CHOICES),
    ],
    ids=["projects", "approval-items", "problems"],
)
def test_each_list_filters_by_colour_with_its_own_choices(as_user, alice, project, page, choices):
    response = as_user(alice).get(reverse(page))
    assert response.status_code == 200
    specs = [
        s
        for s in response.context["cl"].filter_specs
        if getattr(s, "parameter_name", "") == "colour"
    ]
    assert len(specs) == 1
    assert [value for value, _label in specs[0].lookup_choices] == [v for v, _ in choices]


def test_a_problem_resolved_after_its_deadline_is_no_longer_red(as_user, alice, bob, project):
    today = timezone.localdate()
    late = dict(deadline=today - dt.timedelta(days=45), reported_on=today - dt.timedelta(days=60))
    open_late = problem_add(project=project, by=alice, description="环评批复滞后", **late)
    solved_late = problem_add(project=project, by=alice, description="用地指标未落实", **late)
    problem_transition(
        solved_late, "resolve", by=bob, resolution="协调市局追加指标", resolved_on=today
    )
    listed = as_user(alice).get(PROBLEMS, {"colour": "red"}).context["cl"].result_list
    assert [p.pk for p in listed] == [open_late.pk]
