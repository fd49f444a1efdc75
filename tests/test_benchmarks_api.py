"""benchmarks/api.py (issue 22) cannot rot: on pages.py's tiny data it makes the province's and a
zone's client with their tokens, walks every API page through its ``next`` links, serves the
chosen pages of the API and of the admin's list as their readers, and reports each. And what it
measures holds: an API page costs as many queries at the end of the listing as at its start.
Nothing is timed here."""

from __future__ import annotations

import pytest

from benchmarks import api, pages

# pages.build VACUUMs on PostgreSQL (outside a transaction); see test_benchmarks_pages.py.
pytestmark = pytest.mark.django_db(transaction=True)


def test_tiny_run_reports_every_page_and_the_api_costs_the_same_on_its_last_page(catalogue):
    pages.build(pages.TINY, log=lambda *args, **kwargs: None)
    projects = pages.TINY[0]  # 300 in 20 zones: 15 in the first
    # Pages of 10 and 50 so that the province's listing has a page 10 and a last beyond it.
    measured = api.measure(1, page_size=10, big_page_size=50, log=lambda *a, **k: None)

    assert measured["counts"] == {"province": projects, "zone": projects // 20}
    walks = {(w.reader.side, w.reader.scope, w.reader.page_size): w for w in measured["walks"]}
    province = walks["API", "province", 10]
    assert len(province.urls) == 30 and province.rows == projects
    assert walks["API", "province", 50].rows == projects
    assert walks["API", "zone", 10].rows == projects // 20
    assert all(w.statuses == {200} for w in walks.values())
    # The same queries on every page of the walk, the first and the last included.
    assert len(set(province.queries)) == 1

    chosen = {
        (p.reader.side, p.reader.scope, p.reader.page_size, p.label): p for p in measured["pages"]
    }
    first, last = chosen["API", "province", 10, "1"], chosen["API", "province", 10, "last"]
    assert last.number == 30
    assert first.captured["queries"] == last.captured["queries"] > 0
    assert {p.captured["status"] for p in chosen.values()} == {200}
    per_admin_page = api.admin_page_size()
    assert chosen["admin", "province", per_admin_page, "last"].number == projects // per_admin_page
    assert all(len(p.times) == 1 for p in chosen.values())

    text = api.report(measured, "tiny")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ")
    ]
    for scope, page in (
        ("province (300)", "1"),
        ("province (300)", "2"),
        ("province (300)", "10"),
        ("province (300)", "last"),
        ("zone (15)", "last"),
    ):
        assert [scope, page] in [row[:2] for row in rows]
    assert any(row[0] == "API, province token" and row[2] == "30" for row in rows)
    assert any(row[0].startswith("admin, supervisor of") for row in rows)
    assert "Load average at start" in text
