"""What a page of the project list costs per row (benchmarks/api.py, README section 24): the
stages' labels are read once, not built again for each of up to 500 rows, and still say each
stage in Chinese."""

from __future__ import annotations

import pytest

from approvals.models import Project, Stage
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_the_list_labels_every_stage_in_chinese(api, zone_token, zone):
    stage_of = {}
    for stage in Stage:
        project = ProjectFactory(zone=zone)
        Project.objects.filter(pk=project.pk).update(stage=stage.value)  # the row as stored
        stage_of[project.pk] = stage
    results = api.get("projects/?page_size=100", zone_token).json()["results"]
    labels = {row["id"]: row["stage_label"] for row in results}
    assert labels.keys() == stage_of.keys()
    reserve = next(pk for pk, stage in stage_of.items() if stage == Stage.RESERVE)
    assert labels[reserve] == "储备/洽谈"
    for pk in stage_of:
        assert labels[pk] == Project.objects.get(pk=pk).get_stage_display()


def test_the_list_builds_no_label_row_by_row(api, zone_token, zone, monkeypatch):
    ProjectFactory.create_batch(3, zone=zone)

    def per_row(project):
        raise AssertionError("the list asked a row for its stage's label")

    monkeypatch.setattr(Project, "get_stage_display", per_row)
    answer = api.get("projects/", zone_token)
    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 3
