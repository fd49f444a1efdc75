"""benchmarks/bulletin.py (issue 23) cannot rot: on two zones of 50 projects it builds the data
the bulletins list (a fifth red, 1 in 50 foreseen late, a problem overdue on every tenth), makes
each variant of the zone's and of the city's bulletin once, posts 立即生成 as the statisticians,
and reports every row. Nothing is timed here."""

from __future__ import annotations

import pytest

from benchmarks import bulletin

# The build VACUUMs on PostgreSQL (outside a transaction); see test_benchmarks_pages.py.
pytestmark = pytest.mark.django_db(transaction=True)

ZONES, PER_ZONE = bulletin.TINY  # 2 zones of 50


def test_a_tiny_run_makes_and_reports_every_variant(catalogue, settings, tmp_path):
    from approvals.bulletins import content
    from approvals.models import Bulletin

    settings.MEDIA_ROOT = tmp_path
    data = bulletin.build(ZONES, PER_ZONE)
    zone = content.build(zone=data.zone, week=data.week)
    assert (len(zone.red), len(zone.at_risk), len(zone.problems)) == (10, 1, 5)
    assert zone.at_risk[0].days is not None  # the foresight found the deciding item
    city = content.build(city=data.city, week=data.week)
    assert (len(city.red), len(city.at_risk), len(city.problems)) == (20, 2, 10)

    found = bulletin.measure(data, 1, log=lambda *args, **kwargs: None)
    made = Bulletin.objects.filter(weekly=False)
    # (e) as each statistician: once apart, once timed
    assert made.filter(zone=data.zone).count() == 2 and made.filter(city=data.city).count() == 2
    assert {(f.scope, f.label[:3]) for f in found} == {
        (scope, variant)
        for scope in ("zone", "city")
        for variant in ("(a)", "(b)", "(c)", "(d)", "(d'", "(e)")
    }
    assert all(len(f.times) == 1 for f in found)
    sizes = {(f.scope, f.label[:3]): f for f in found}
    assert sizes["zone", "(a)"].queries > 0 and sizes["zone", "(b)"].queries == 0
    assert sizes["city", "(c)"].kb == sizes["city", "(b)"].kb > 0

    text = bulletin.report(data, found, 1)
    assert "(e) POST 立即生成 as a statistician of the city" in text
    assert "zone (16 rows)" in text and "city (32 rows)" in text
    assert "fits (< 2,000 ms)" in text
