"""benchmarks/enterprise_search.py measures what the enterprise list runs: its "Django's" way is
the search before the names were matched by their key, and "ours" the list's own. Built small
here (its own ANALYZE, hence a transactional test), each way asked what the benchmark asks."""

from __future__ import annotations

import pytest

from benchmarks import enterprise_search
from zones.models import Enterprise

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def index_as_written_dropped():
    """``build`` adds the index of the search before on PostgreSQL: not left to other tests."""
    from django.db import connection

    yield
    with connection.cursor() as cursor:
        cursor.execute('DROP INDEX IF EXISTS "enterprise_name_trgm"')


@pytest.mark.usefixtures("index_as_written_dropped")
def test_the_two_ways_are_the_searches_before_and_now():
    enterprise_search.build(300)
    assert Enterprise.objects.count() == 300
    searches = enterprise_search.ways()
    before, ours = searches["Django's (name as written)"], searches["ours (name_key)"]
    plain = set(before("氢能").values_list("pk", flat=True))
    assert plain and plain == set(ours("氢能").values_list("pk", flat=True))
    assert not before("(集团)").exists()
    bracketed = Enterprise.objects.filter(name__contains="（集团）")
    assert set(ours("(集团)").values_list("pk", flat=True)) == set(
        bracketed.values_list("pk", flat=True)
    )
