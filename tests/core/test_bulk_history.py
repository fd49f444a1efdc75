"""``bulk.insert_history`` writes the history simple-history writes: the creation record of a
row inserted in bulk (copied by the database from the stored row) equals, field by field, the
one simple-history makes when the same row is saved, and names the same when, who and why."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.forms.models import model_to_dict

from approvals.core import bulk
from approvals.models import Milestone, MonthlyProgress, Project, Stage
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Sunday
#: What differs between two rows by their nature: their ids, and what is unique to each row
#: (a project's code and name in its zone, a monthly row's month, a milestone's project).
APART = {"id", "history_id", "code", "name", "name_key", "month", "project_id"}


def fields_of(history_row) -> dict:
    return {
        f.attname: getattr(history_row, f.attname)
        for f in type(history_row)._meta.concrete_fields
        if f.attname not in APART
    }


def unique_values(model, i: int) -> dict:
    if model is Project:
        return {"code": f"2512-140000-04-01-{i:06d}", "name": f"项目{i}", "name_key": f"项目{i}"}
    if model is MonthlyProgress:
        return {"month": dt.date(2000 + i % 20, 1 + i % 12, 1)}
    if model is Milestone:
        return {"project_id": ProjectFactory().pk}
    return {}


def saved_and_bulk(model, values: dict, *, by, reason: str, count: int = 3):
    """The history of a row saved by the ORM (simple-history's own record) and of ``count``
    rows with the same values (but what must be unique) inserted in bulk, each read afresh."""
    saved = model(**values)
    saved._change_reason = reason
    saved._history_user = by
    saved.save()
    ids = bulk.allocate_ids(model, count)
    rows = bulk.with_defaults(
        model,
        [
            {
                **model_to_dict_attnames(saved),
                "id": i,
                **unique_values(model, i),
            }
            for i in ids
        ],
    )
    bulk.insert(model, rows)
    assert bulk.insert_history(model, rows, user_id=by.pk, reason=reason) == count
    ours = list(model.history.model.objects.filter(id__in=ids).order_by("history_id"))
    return model.history.model.objects.get(id=saved.pk), ours, ids


def model_to_dict_attnames(instance) -> dict:
    fresh = type(instance).objects.get(pk=instance.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def test_a_project_created_in_bulk_has_the_history_saving_gives(stan, zone):
    with time_machine.travel(NOW, tick=False):
        enterprise = ProjectFactory(zone=zone).enterprise
        theirs, ours, ids = saved_and_bulk(
            Project,
            {
                "zone": zone,
                "enterprise": enterprise,
                "name": "晋中碳纤维项目（一期）",
                "code": "2509-140602-89-05-864976",
                "stage": Stage.SIGNED,
                "total_investment": Decimal("25000.00"),
                "expected_annual_output": Decimal("0.10"),
                "progress": "土建施工中",
                "progress_as_of": dt.date(2026, 11, 30),
                "is_city_key": True,
            },
            by=stan,
            reason="2026年第3批 · 清单.xlsx",
        )
    assert [h.id for h in ours] == ids  # in the rows' order
    for history in ours:
        assert fields_of(history) == fields_of(theirs)
    assert (ours[0].history_type, ours[0].history_user, ours[0].history_date) == ("+", stan, NOW)
    assert ours[0].history_change_reason == "2026年第3批 · 清单.xlsx"
    # and the copy is of the stored row: what the page shows as the project's first version
    assert model_to_dict(ours[0].instance) == model_to_dict(Project.objects.get(pk=ids[0]))


def test_a_milestone_and_a_monthly_row_likewise(stan, zone):
    project = ProjectFactory(zone=zone)
    with time_machine.travel(NOW, tick=False):
        theirs, ours, _ids = saved_and_bulk(
            Milestone,
            {
                "project": project,
                "stage": Stage.READY,
                "planned_date": dt.date(2025, 6, 30),
                "planned_month_only": True,
            },
            by=stan,
            reason="清单.xlsx",
        )
        assert all(fields_of(h) == fields_of(theirs) for h in ours)
        theirs, ours, _ids = saved_and_bulk(
            MonthlyProgress,
            {
                "project": project,
                "month": dt.date(2026, 11, 1),
                "annual_plan": Decimal("12.50"),
                "completed_month": Decimal("1.25"),
                "image_progress": "主体封顶",
                "updated_by": stan,
            },
            by=stan,
            reason="月报.xlsx",
            count=1,
        )
        assert fields_of(ours[0]) == fields_of(theirs)


def test_a_long_reason_is_cut_as_the_history_holds_it_and_nothing_to_copy_is_nothing(stan):
    assert bulk.insert_history(Project, [], user_id=stan.pk, reason="x") == 0
    project = ProjectFactory()
    rows = [{"id": project.pk}]
    Project.history.all().delete()
    bulk.insert_history(Project, rows, user_id=None, reason="长" * 150)
    history = Project.history.get()
    assert (history.history_change_reason, history.history_user) == ("长" * 100, None)
