"""The checklist counters kept on each project (issue 21): how many of its items are of each
kind (``ItemKind``: 已办结 · 承诺制 · 统一服务 · 不涉及 · 未办结) and how many block the start of
works (``BLOCKING_START``), so that the readiness figure adds up a few columns per project of a
zone instead of grouping every item (840,000 at 100,000 projects).

The one home of "the counters of a project", in two forms side by side, tested to agree after
every kind of change (tests/test_item_counters.py):

* the object form, ``counters_of(items)``: from a project's items as rows;
* the query form, ``recount(projects)``: one ``UPDATE … FROM`` a grouped subquery over the
  items of ``projects`` (a queryset), writing only the projects whose counters differ.

And the readiness rules read from them (``READY``, ``WITH_APPLICABLE_ITEMS``), beside their
object form (``is_ready``, ``has_applicable_items``), the rule of ``reports.readiness``.

Who keeps them: every write of items. One item saved or deleted (a status or mode change, the
checklist generated item by item, the admin) recounts its project (``store``, from
``approvals/signals.py``); the approval-table import recounts the projects it wrote
(``approval_table.write``); the catalogue's before-works flag changed recounts every project
with an item of that type (``signals.catalogue_changed``: one UPDATE over up to every project).
A project's own ``save()`` never writes them (``Project.save``).

Measured (benchmarks/figures_recount.py, 100,000 projects, 840,000 items, PostgreSQL 15): the
readiness of one zone by grouping its items against summing these counters; see
benchmarks/README.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet

from approvals.cases.models.project import ITEM_COUNTERS, Project
from approvals.checklist.models import (
    BLOCKING_START,
    KIND_OF_ITEM,
    ApprovalItem,
    ItemKind,
    kind_of,
    settled,
)

#: The counter of each kind of item (``ItemKind``), a column of the project.
KIND_FIELDS: dict[str, str] = {kind.value: f"items_{kind.value}" for kind in ItemKind}
#: The counter of the items that block the start of works.
BLOCKING_FIELD = "items_blocking"
assert set(ITEM_COUNTERS) == {*KIND_FIELDS.values(), BLOCKING_FIELD}

# --- the rule: the object form ------------------------------------------------------------------


def counters_of(items: Iterable) -> dict[str, int]:
    """The counters of one project's ``items``: rows with ``mode``, ``status`` and
    ``before_works`` (the item's approval type's), e.g.
    ``item_rows``."""
    counters = dict.fromkeys(ITEM_COUNTERS, 0)
    for item in items:
        counters[KIND_FIELDS[kind_of(item.mode, item.status)]] += 1
        if item.before_works and not settled(item.mode, item.status):
            counters[BLOCKING_FIELD] += 1
    return counters


def stored(project: Project) -> dict[str, int]:
    """The counters as a project row holds them."""
    return {name: getattr(project, name) for name in ITEM_COUNTERS}


def item_rows(project_id: int):
    """One project's items as ``counters_of`` reads them (one query)."""
    return [
        SimpleNamespace(mode=mode, status=status, before_works=before_works)
        for mode, status, before_works in ApprovalItem.objects.filter(
            project_id=project_id
        ).values_list("mode", "status", "approval_type__before_works")
    ]


# --- the rule: the query form -------------------------------------------------------------------


def _aggregates() -> dict[str, Count]:
    """The grouped counts of items, one per counter (``KIND_OF_ITEM``, ``BLOCKING_START``)."""
    found = {KIND_FIELDS[kind]: Count("pk", filter=KIND_OF_ITEM[kind]) for kind in ItemKind}
    found[BLOCKING_FIELD] = Count("pk", filter=BLOCKING_START)
    return found


def recount(projects: QuerySet[Project]) -> int:
    """Store the counters of ``projects`` afresh from their items: one ``UPDATE … FROM`` the
    items grouped by project (a project with no item left counts zeros), writing only the
    projects whose counters differ. The number of projects written."""
    ids_sql, ids_params = projects.order_by().values("id").query.sql_with_params()
    grouped = (
        ApprovalItem.objects.filter(project__in=projects.order_by().values("pk"))
        .order_by()
        .values("project_id")
        .annotate(**_aggregates())
    )
    grouped_sql, grouped_params = grouped.query.sql_with_params()
    table = connection.ops.quote_name(Project._meta.db_table)
    quote = connection.ops.quote_name
    wanted = {name: f"COALESCE(c.{quote(name)}, 0)" for name in ITEM_COUNTERS}
    differ = " OR ".join(f"{table}.{quote(name)} <> {wanted[name]}" for name in ITEM_COUNTERS)
    sql = (
        f"UPDATE {table} SET "
        + ", ".join(f"{quote(name)} = {wanted[name]}" for name in ITEM_COUNTERS)
        + f" FROM ({ids_sql}) AS p"
        + f" LEFT JOIN ({grouped_sql}) AS c ON c.project_id = p.id"
        + f" WHERE {table}.id = p.id AND ({differ})"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, (*ids_params, *grouped_params))
        return cursor.rowcount


def store(project_id: int | None) -> None:
    """Store one project's counters afresh after a change of one of its items (the signals): its
    row locked first, so that a change committed meanwhile by another transaction is counted
    (the count's snapshot is taken after the lock)."""
    if project_id is None:
        return
    with transaction.atomic():
        if not Project.objects.select_for_update().filter(pk=project_id).order_by().exists():
            return  # being deleted
        recount(Project.objects.filter(pk=project_id))


def store_projects(project_ids: Iterable[int]) -> int:
    """The counters of ``project_ids`` afresh (the writers in bulk: the approval-table import)."""
    ids = sorted(set(project_ids))
    if not ids:
        return 0
    return recount(Project.objects.filter(pk__in=ids))


def using_type(approval_type_id: int) -> int:
    """The counters of every project with an item of the type ``approval_type_id`` afresh (its
    before-works flag changed): one UPDATE over them all."""
    using = ApprovalItem.objects.filter(approval_type_id=approval_type_id).values("project_id")
    return recount(Project.objects.filter(pk__in=using))


# --- readiness from the counters ------------------------------------------------------------------


def is_ready(counters: dict[str, int]) -> bool:
    """A checklist and nothing blocking the start (the gate of ``mark_ready``)."""
    return sum(counters[KIND_FIELDS[k]] for k in ItemKind) > 0 and not counters[BLOCKING_FIELD]


def has_applicable_items(counters: dict[str, int]) -> bool:
    """An item that applies (any kind but 不涉及)."""
    return any(counters[KIND_FIELDS[k]] for k in ItemKind if k != ItemKind.NOT_APPLICABLE)


#: ``has_applicable_items`` as a query on projects.
WITH_APPLICABLE_ITEMS = Q()
for _kind in ItemKind:
    if _kind != ItemKind.NOT_APPLICABLE:
        WITH_APPLICABLE_ITEMS |= Q(**{f"{KIND_FIELDS[_kind]}__gt": 0})
#: ``is_ready`` as a query on projects.
READY = (WITH_APPLICABLE_ITEMS | Q(items_not_applicable__gt=0)) & Q(items_blocking=0)
