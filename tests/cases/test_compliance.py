"""The compliance flag 开工时前期手续未办结 has one home (approvals/cases/compliance.py): each of its
rules as an object test and as a query, side by side; here the two agree over generated
projects, flagged or not, with no checklist, items open or every item settled."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from approvals.cases import compliance
from approvals.checklist.services import checklist_generate
from approvals.models import Mode, Project
from tests.factories import ProjectFactory
from tests.flows import administrator

pytestmark = pytest.mark.django_db

CATCH_UP_DAY = dt.date(2025, 6, 10)


@pytest.fixture
def generated(zone, catalogue):
    """Every combination: flagged or not × no checklist, items open, part settled, all settled."""
    projects = []
    for n, (flagged, checklist) in enumerate(
        itertools.product([False, True], ["none", "open", "part", "settled"])
    ):
        project = ProjectFactory(zone=zone, name=f"生成项目{n}")
        if checklist != "none":
            checklist_generate(project=project, by=administrator())
            items = project.approval_items.filter(approval_type__before_works=True)
            if checklist == "settled":
                items.update(mode=Mode.COMMITMENT)
            elif checklist == "part":
                items.filter(pk__in=items.values("pk")[:2]).update(mode=Mode.COMMITMENT)
        if flagged:
            Project.objects.filter(pk=project.pk).update(started_before_permits_on=CATCH_UP_DAY)
        projects.append(Project.objects.get(pk=project.pk))
    return projects


def test_the_object_and_query_forms_agree(generated):
    rules = [
        (compliance.flagged, compliance.FLAGGED),
        (compliance.still_open, compliance.still_open_condition()),
        (compliance.settled_since, compliance.settled_since_condition()),
    ]
    for one, query in rules:
        by_query = set(Project.objects.filter(query).values_list("pk", flat=True))
        by_object = {p.pk for p in generated if one(p)}
        assert by_object == by_query, one.__name__
    # the generated data exercises each rule both ways
    assert {compliance.still_open(p) for p in generated} == {True, False}
    assert {compliance.settled_since(p) for p in generated} == {True, False}


def test_the_case_file_reads_the_same_rule(generated):
    for project in generated:
        flag = compliance.started_before_permits(project)
        assert (flag is not None) == compliance.flagged(project)
        if flag is not None:
            assert flag.settled == compliance.settled_since(project)
