"""The API's lists: their query count does not grow with the rows, each shows the caller's rows
only, and the figures are the report registry's over what the caller sees."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.casework.problems import problem_add
from approvals.figures import registry, reports
from approvals.models import MonthlyProgress
from tests.factories import BatchFactory, ProjectFactory

pytestmark = pytest.mark.django_db

LISTS = ["projects/", "zones/", "batches/", "entries/", "problems/", "monthly/"]


def _rows(zone, n: int, officer) -> None:
    batch = BatchFactory()
    for i in range(n):
        project = ProjectFactory(zone=zone, officer=officer)
        project.batch_entries.create(batch=batch, category="开工", name=project.name)
        problem_add(project=project, by=officer, description=f"问题{i}")
        MonthlyProgress.objects.create(
            project=project, month=dt.date(2025, 6, 1), completed_month=10 + i
        )


def _queries(api, token, path: str) -> int:
    with CaptureQueriesContext(connection) as seen:
        answer = api.get(path, token)
    assert answer.status_code == 200, (path, answer.content[:300])
    return len(seen)


@pytest.mark.parametrize("path", LISTS)
def test_a_lists_queries_do_not_grow_with_its_rows(api, zone_token, zone, alice, path):
    _rows(zone, 3, alice)
    _queries(api, zone_token, path)  # warm: the token's first use is written, settings cached
    few = _queries(api, zone_token, path)
    _rows(zone, 27, alice)
    many = _queries(api, zone_token, path)
    assert few == many


def test_each_list_shows_the_callers_rows_only(api, zone_token, zone, other_zone, alice, charlie):
    _rows(zone, 2, alice)
    _rows(other_zone, 3, charlie)
    for path in ("projects/", "entries/", "problems/", "monthly/"):
        rows = api.get(path, zone_token).json()["results"]
        assert len(rows) == 2, path
        assert {r["zone"] for r in rows} == {zone.pk}, path


@time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=dt.UTC))
def test_the_figures_are_the_report_registrys_over_the_callers_zones(
    api, zone_token, zone, other_zone, alice, charlie, sysadmin
):
    _rows(zone, 2, alice)
    _rows(other_zone, 3, charlie)
    names = [r["name"] for r in api.get("reports/", zone_token).json()]
    assert names == registry.names()
    for name in names:
        answer = api.get(f"reports/{name}/", zone_token)
        assert answer.status_code == 200, name
        expected = registry.get(name).figures(reports.Selection(zones=(zone.pk,)))
        assert answer.json()["figures"] == _json(expected), name
    refused = api.get("reports/sanpi/?batch=1999-9&from=昨天", zone_token)
    assert refused.status_code == 400
    assert {e["field"] for e in refused.json()["errors"]} == {"batch", "from"}


def _json(value):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
