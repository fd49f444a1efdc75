"""The enterprise list's search (and the project form's autocomplete, which runs the same
``EnterpriseAdmin.get_search_results``) at a province's 20,000 enterprises: the name as the
lists match it (``name_key__matches``: "(集团)" finds "（集团）"), against Django's own search of
the name as written (the search before it), side by side in one run, each with its trigram
index on PostgreSQL.

Each way is timed as the list runs it: the count of the matches and the first page (100, by
name), median of the rounds, interleaved. The terms: a word in one name in six (氢能), a
bracketed word written half-width while most names write it full-width ((集团)), and a longer
one across a bracket and a space.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/enterprise_search.py [--enterprises 20000] [--rounds 15]

The database is made for the run and dropped after it (SQLite without ``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TERMS = ("氢能", "(集团)", "能源（集团）有限")
WORDS = "晋中 太原 大恒 华为 氢能 光伏 新材料 能源 科技 实业 物流 装备 化工 电子 医药 食品 建设 投资".split()
ENDINGS = ("有限公司", "（集团）有限公司", "（集团） 有限公司", "(山西)有限公司", "股份有限公司")


def build(count: int) -> None:
    from benchmarks.common import analyze, insert_rows
    from zones.models import Enterprise, normalise_name

    rng = random.Random(20261207)
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.sample(WORDS, 3)) + rng.choice(ENDINGS) + str(rng.randint(1, 99_999)))
    index_as_written()
    insert_rows(
        Enterprise,
        ("name", "name_key", "credit_code", "contact_person", "contact_phone", "notes"),
        (
            (name, normalise_name(name), f"9114{rng.randint(0, 10**14 - 1):014d}", "", "", "")
            for name in sorted(names)
        ),
    )
    analyze(Enterprise._meta.db_table)


def ways():
    """Django's search of the name as written and the credit code (the enterprise list's search
    before names were searched as matched), and ours (``EnterpriseAdmin``'s ``search_fields``:
    ``name_key__matches``)."""
    from django.contrib import admin
    from django.contrib.admin import ModelAdmin
    from django.test import RequestFactory

    from zones.models import Enterprise

    class AsWritten(ModelAdmin):
        search_fields = ("name", "credit_code")

    before, ours = AsWritten(Enterprise, admin.site), admin.site._registry[Enterprise]
    request = RequestFactory().get("/")

    def searched_by(model_admin):
        def search(term):
            return model_admin.get_search_results(request, Enterprise.objects.all(), term)[0]

        return search

    return {"Django's (name as written)": searched_by(before), "ours (name_key)": searched_by(ours)}


def index_as_written() -> None:
    """On PostgreSQL, the trigram index the search of the name as written had (migration 0014,
    replaced by one of ``name_key`` in 0047): each way is measured with its own index."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "enterprise_name_trgm" ON "zones_enterprise" '
                'USING gin ((UPPER("name"::text)) gin_trgm_ops)'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    from benchmarks.databases import measured_run

    with measured_run(load_at_end=True):
        from benchmarks.common import table

        build(args.enterprises)
        searches = ways()
        rows, times = [], {}
        for _ in range(args.rounds + 1):  # the first round warms up, and is dropped
            for term in TERMS:
                for name, search in sorted(searches.items(), key=lambda _: random.random()):
                    started = time.perf_counter()
                    found = search(term)
                    matches = found.count()
                    page = list(found.order_by("name").values_list("pk", flat=True)[:100])
                    elapsed = (time.perf_counter() - started) * 1000
                    times.setdefault((term, name), []).append((elapsed, matches, len(page)))
        for (term, name), measured in sorted(
            times.items(), key=lambda t: (TERMS.index(t[0][0]), t[0][1])
        ):
            kept = measured[1:]
            rows.append(
                [
                    term,
                    name,
                    f"{statistics.median(m[0] for m in kept):.1f}",
                    f"{kept[0][1]:,}",
                    str(kept[0][2]),
                ]
            )
        heading = f"Enterprise search, {args.enterprises:,} enterprises, median of {args.rounds}"
        print(table(heading, ["term", "way", "ms (count + page)", "matches", "shown"], rows))


if __name__ == "__main__":
    main()
