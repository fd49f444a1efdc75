"""``bulk.among`` finds what ``__in`` finds, for the values the imports and the scan give it:
texts with the characters an array's text form must escape (quotes, backslashes, commas,
braces, spaces, an empty text), numbers, ids of a relation, none at all, and values of other
kinds (which the driver writes itself)."""

import pytest

from approvals.core import bulk
from approvals.models import Milestone, Project, Stage
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

NAMES = [
    '甲"乙',
    "C:\\目录\\",
    "a,b",
    "{括号}",
    " 前后空格 ",
    "NULL",
    "单引号'",
    '反斜杠与引号\\"',
]


def test_texts_that_an_array_must_escape():
    stored = {name: ProjectFactory(name=name).pk for name in NAMES}
    ProjectFactory(name="不在其中")
    wanted = [*NAMES, "", "无此项目"]
    found = dict(
        Project.objects.filter(bulk.among("name", wanted, Project)).values_list("name", "id")
    )
    assert found == stored
    assert found == dict(Project.objects.filter(name__in=wanted).values_list("name", "id"))


def test_numbers_and_ids_of_a_relation():
    projects = [ProjectFactory() for _ in range(3)]
    for project in projects:
        Milestone.objects.create(project=project, stage=Stage.READY)
    ids = [projects[0].pk, projects[2].pk, 10**9]
    assert set(
        Project.objects.filter(bulk.among("id", ids, Project)).values_list("pk", flat=True)
    ) == {
        projects[0].pk,
        projects[2].pk,
    }
    assert set(
        Milestone.objects.filter(bulk.among("project", ids, Milestone)).values_list(
            "project_id", flat=True
        )
    ) == {projects[0].pk, projects[2].pk}
    assert not Project.objects.filter(bulk.among("id", [], Project)).exists()


def test_the_text_form_of_an_array():
    assert bulk.array_literal([3, 1, 2]) == "{3,1,2}"
    assert bulk.array_literal(['a"b', "c\\d", ""]) == '{"a\\"b","c\\\\d",""}'
    # anything else is left to the driver: a null among texts, a flag that is a number too
    assert bulk.array_literal(["a", None]) == ["a", None]
    assert bulk.array_literal([True, 1]) == [True, 1]
