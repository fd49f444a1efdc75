"""benchmarks/import_waits.py takes a first list import apart: its clocks must see the
statements a real import runs (its COPY or INSERT of the projects, the history copied by the
database), and on PostgreSQL every foreign key of the tables it writes checked on its own
before the COMMIT, all of which leaves the import done as the command does it."""

from __future__ import annotations

import pytest
from django.db import connection

from approvals.models import Project, StageChange
from benchmarks.import_bench import drop_project_indexes, page_indexes, restore_indexes, write_list
from benchmarks.import_waits import _foreign_keys, _statement, first_imports


def test_statements_are_grouped_by_their_kind_and_table_not_their_values():
    assert _statement('INSERT INTO "approvals_stagechange" ("a") SELECT "id" FROM "x"') == (
        "INSERT … SELECT approvals_stagechange"
    )
    assert _statement('SELECT "approvals_project"."id" FROM "approvals_project" WHERE 1') == (
        "SELECT approvals_project"
    )
    assert _statement('ANALYZE "approvals_milestone" ("project_id")') == (
        "ANALYZE approvals_milestone"
    )


@pytest.mark.django_db(transaction=True)
def test_a_first_import_is_taken_apart_statement_by_statement(tmp_path):
    path = tmp_path / "list.xlsx"
    write_list(path, 30)
    walls, groups = first_imports(path, 2)

    assert len(walls) == 2
    postgresql = connection.vendor == "postgresql"
    written = "COPY approvals_project" if postgresql else "INSERT approvals_project"
    assert len(groups[written]) == 2  # once in each round
    assert len(groups["INSERT … SELECT approvals_historicalproject"]) == 2
    if postgresql:
        keys = {f"COMMIT: foreign key {table}.{column}" for table, column, _ in _foreign_keys()}
        assert "COMMIT: foreign key approvals_milestone.project_id" in keys
        assert keys | {"COMMIT (the rest)"} <= set(groups)
    else:
        assert "COMMIT" in groups
    for round_ in (0, 1):
        assert sum(times[round_] for times in groups.values() if len(times) == 2) < walls[round_]
    # the last round's import is the command's, whole
    assert Project.objects.count() == StageChange.objects.count() == 30


@pytest.mark.django_db(transaction=True)
def test_the_indexes_measured_are_those_the_pages_need_and_come_back():
    needed = page_indexes()
    assert "project_name_id" in needed and "project_zone_ids" in needed  # a sort, a figure
    assert "project_zone_name_key" not in needed  # the import's own lookup
    trigram = {name for name, sql in needed.items() if "gin_trgm_ops" in sql}
    postgresql = connection.vendor == "postgresql"
    assert trigram == ({"project_name_key_trgm", "project_code_trgm"} if postgresql else set())
    created = drop_project_indexes(["project_name_id"])
    assert "project_name_id" not in page_indexes()
    restore_indexes(created)
    assert page_indexes() == needed
