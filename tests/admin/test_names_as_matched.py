"""A project's or an enterprise's name is searched as lists match it (``name_key__matches``):
full-width characters folded and spaces dropped on both sides, so that "(一期)" typed with the
input method in English finds "（一期）" — in the project list (a short word Django's way, a long
one through the trigram reads), in a list of a project's rows, and in the autocompletes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals.casework.problems import problem_add
from tests.factories import EnterpriseFactory, ProjectFactory

PROJECTS = reverse("admin:approvals_project_changelist")
PROBLEMS = reverse("admin:approvals_problem_changelist")


def with_a_problem(zone, officer, name: str, enterprise: str, problem: str):
    project = ProjectFactory(
        zone=zone, officer=officer, name=name, enterprise=EnterpriseFactory(name=enterprise)
    )
    problem_add(project=project, by=officer, description=problem)
    return project


@pytest.fixture
def bracketed(zone, alice):
    return with_a_problem(
        zone, alice, "示范园（一期） 标准厂房", "大恒能源（集团）有限公司", "一期用地指标未落实"
    )


@pytest.fixture
def plain(zone, alice):
    return with_a_problem(
        zone, alice, "示范园一期配套道路", "大恒集团物流有限公司", "配套道路施工许可未办"
    )


@pytest.mark.parametrize(
    "term",
    [
        "(一",  # two characters: Django's search
        "(一期)",  # long enough for the trigram reads
        "园(一期)标准",  # across the space the name has
        '"（一期） 标准"',  # a phrase, full-width, with the space
        "(集团)",  # the enterprise's name
        "示范园 (一期)",  # two words, both needed
    ],
)
def test_the_project_list_finds_a_name_however_its_brackets_are_written(
    as_user, alice, bracketed, plain, term
):
    page = as_user(alice).get(PROJECTS, {"q": term}).content.decode()
    assert bracketed.name in page
    assert plain.name not in page


def test_a_list_of_a_projects_rows_finds_its_name_however_written(as_user, alice, bracketed, plain):
    for term in ("(一期)", "(一"):
        page = as_user(alice).get(PROBLEMS, {"q": term}).content.decode()
        assert "一期用地指标未落实" in page, term
        assert "配套道路施工许可未办" not in page, term


def test_the_autocomplete_of_a_project_finds_its_name_however_written(
    as_user, alice, bracketed, plain
):
    query = {"app_label": "approvals", "model_name": "problem", "field_name": "project"}
    found = as_user(alice).get(reverse("admin:autocomplete"), {**query, "term": "示范园(一期)"})
    assert [row["id"] for row in found.json()["results"]] == [str(bracketed.pk)]
