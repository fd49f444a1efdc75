"""benchmarks/import_waits.py takes a first list import apart: its clocks must see the
statements a real import runs (its COPY or INSERT of the projects, the history copied by the
database), and on PostgreSQL every foreign key of the tables it writes checked on its own
before the COMMIT, all of which leaves the import done as the command does it."""

from __future__ import annotations

import pytest
from django.db import connection

from approvals.models import Project, StageChange
from benchmarks.import_bench import write_list
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
