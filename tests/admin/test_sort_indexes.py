"""Every sortable column of a list whose rows grow with the cases is served by an index
(issue 21, "(column, id) indexes for every sortable column and default ordering"): it sorts on
the row's own column — never through a join to the project, its zone or a catalogue, which
sorts every visible row before showing fifty — and an index of the row's table leads with
that column, so PostgreSQL reads a page off the index. Walked from the site's registry, so
a list or a column added later is held to the same rule without being named here.

What the rule does not cover is named below with its reason: lists whose rows are bounded by
the organisation (zones, people, the catalogue, the calendar) and third-party logs kept short.
The timings are benchmarks/pages.py's (section 11 of benchmarks/README.md)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import ForeignKey
from django.db.models.expressions import Col
from django.test import RequestFactory
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.channels.models import Channel
from approvals.models import (
    ApprovalType,
    Batch,
    Bulletin,
    CalendarDay,
    EvidenceRequirement,
    WarningSettings,
)
from zones.models import Administrator, CityRole, Zone, ZoneRole

#: Lists bounded by the organisation, not by the cases: a sort there reads a few hundred rows.
BOUNDED = {
    ApprovalType,  # the catalogue (about 80 types)
    Batch,  # a few rounds a year per zone
    Bulletin,  # 督办通报: one per zone and city a week, and those asked for
    CalendarDay,  # the holidays and working weekends entered by hand
    EvidenceRequirement,  # one per transition
    WarningSettings,  # one row
    Channel,  # a few robots, applications and SMS accounts per zone or city (issue 23)
    Zone,
    ZoneRole,
    CityRole,
    Administrator,
    get_user_model(),  # the people of a province's zones: hundreds, not millions
    TOTPDevice,  # one per person
    # django-celery-beat's schedule: a dozen tasks
    PeriodicTask,
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
    # django-axes' lockouts and failures: kept short by AXES_COOLOFF and its own cleanup, and
    # its tables are the library's (we add no index to them)
    AccessAttempt,
    AccessFailureLog,
}


def sortable_columns() -> list[tuple[type, str, object]]:
    """(model, column name, order field) for each sortable column and the default ordering of
    every registered list of rows that grow with the cases."""
    user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    request = RequestFactory().get("/")
    request.user = user
    found = []
    for model, model_admin in admin.site._registry.items():
        if model in BOUNDED or model._meta.proxy and model._meta.concrete_model in BOUNDED:
            continue
        # The list's own resolution of a column to its order field, on a list made without
        # reading anything (``ChangeList.get_ordering_field`` needs only these)
        changelist = model_admin.get_changelist(request).__new__(
            model_admin.get_changelist(request)
        )
        changelist.lookup_opts = changelist.opts = model._meta
        changelist.model, changelist.model_admin = model, model_admin
        changelist.sortable_by = model_admin.get_sortable_by(request)
        for name in model_admin.get_list_display(request):
            if name == "action_checkbox":
                continue
            order_field = changelist.get_ordering_field(name)
            if order_field:
                found.append((model, name, order_field))
        for order_field in model_admin.get_ordering(request) or model._meta.ordering or ():
            found.append((model, "(default ordering)", order_field))
    return found


def leading_columns(model) -> set[str]:
    """The columns an index of ``model``'s table leads with: its declared indexes and unique
    constraints (whole ones: a partial index serves part of the rows), its together-sets, and
    its single indexed fields (keys, unique, db_index)."""
    opts = model._meta.concrete_model._meta
    columns = {opts.pk.column}
    for index in opts.indexes:
        if index.fields and index.condition is None:  # a partial index serves a part only
            columns.add(opts.get_field(index.fields[0].lstrip("-")).column)
    for constraint in opts.constraints:
        fields = getattr(constraint, "fields", ())
        if fields and getattr(constraint, "condition", None) is None:
            columns.add(opts.get_field(fields[0]).column)
    for together in opts.unique_together:
        columns.add(opts.get_field(together[0]).column)
    for field in opts.concrete_fields:
        if field.unique or field.db_index or isinstance(field, ForeignKey) and field.db_index:
            columns.add(field.column)
    return columns


def sorted_by(model, order_field) -> list[tuple[str, str]]:
    """The (table, column) pairs the list's query sorts on for ``order_field``, as Django's
    compiler resolves it (a foreign key sorts by its model's own ordering, through a join)."""
    queryset = model._default_manager.all().order_by(order_field)
    compiler = queryset.query.get_compiler(connection=connection)
    pairs = []
    for expression, _ in compiler.get_order_by():
        for col in expression.get_source_expressions()[0].flatten():
            if isinstance(col, Col):
                table = compiler.query.alias_map[col.alias].table_name
                pairs.append((table, col.target.column))
    return pairs


COLUMNS = sortable_columns()


@pytest.mark.parametrize(
    ("model", "name", "order_field"),
    COLUMNS,
    ids=[f"{m._meta.label}.{n}:{o}" for m, n, o in COLUMNS],
)
def test_every_sortable_column_is_the_rows_own_and_indexed(model, name, order_field):
    table = model._meta.concrete_model._meta.db_table
    pairs = sorted_by(model, order_field)
    assert pairs, f"{model._meta.label}: sorting by {name} ({order_field}) sorts on no column"
    first_table, first_column = pairs[0]
    assert {t for t, _ in pairs} == {table}, (
        f"{model._meta.label}: sorting by {name} ({order_field}) reads {pairs}, through a join: "
        "sort on the row's own key, or make the column unsortable (a filter serves instead)"
    )
    assert first_column in leading_columns(model), (
        f"{model._meta.label}: sorting by {name} ({order_field}) has no index leading with "
        f"{first_column}: add ({first_column}, id) to the model's indexes"
    )


def test_the_walk_finds_the_big_lists_sortable_columns():
    """The walk itself: it finds what it must hold (a walk that found nothing would pass)."""
    found = {(m._meta.model_name, n) for m, n, _ in COLUMNS}
    for expected in [
        ("project", "name"),
        ("approvalitem", "deadline"),
        ("auditevent", "at_local"),
        ("stagerequest", "requested_at"),
        ("problem", "deadline"),
        ("reminder", "day"),
        ("servicerecord", "day"),
    ]:
        assert expected in found
    assert not {m for m, _, _ in COLUMNS} & BOUNDED


LISTS = sorted({model for model, _, _ in COLUMNS}, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", LISTS, ids=[m._meta.label for m in LISTS])
def test_a_list_sorted_by_a_column_reads_that_column_then_the_id(model, client, db):
    """The page's query as the list sends it: the column, then the id in the same direction —
    what its ``(column, id)`` index gives — not the column then the list's default ordering
    (the items' (project, type) after the deadline made PostgreSQL sort them all on disk)."""
    from django.db import connection as db_connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    user = get_user_model().objects.create_superuser("根管理员", password="x")
    client.force_login(user)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    changelist = client.get(url).context["cl"]
    table = opts.concrete_model._meta.db_table
    checked = 0
    for index, name in enumerate(changelist.list_display):
        order_field = changelist.get_ordering_field(name)
        if not order_field:
            continue
        column = opts.get_field(order_field.removeprefix("-")).column
        for sign, direction in (("", "ASC"), ("-", "DESC")):
            with CaptureQueriesContext(db_connection) as captured:
                assert client.get(url, {"o": f"{sign}{index}"}).status_code == 200
            pages = [
                q["sql"]
                for q in captured.captured_queries
                if "ORDER BY" in q["sql"] and table in q["sql"]
            ]
            assert pages, (model, name)
            order = pages[-1].split("ORDER BY")[-1].split("LIMIT")[0].strip()
            expected = f'"{table}"."{column}" {direction}'
            field = opts.get_field(order_field.removeprefix("-"))
            if not (field.unique and not field.null):  # else the column alone is a total order
                expected += f', "{table}"."id" {direction}'
            assert order == expected, (
                model,
                name,
                order,
            )
            checked += 1
    assert checked, model
