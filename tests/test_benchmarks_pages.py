"""benchmarks/pages.py (issue 21) cannot rot: its builder makes a tiny data set of every kind,
its page list reaches every change list the admin site registers (pages added later too) as the
roles that use it, and its measuring serves each page and reports it. Nothing is timed here."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from benchmarks import pages

# The build VACUUMs on PostgreSQL (outside a transaction). The catalogue, which a flush after an
# earlier transactional test empties, is loaded again by the ``catalogue`` fixture (not by
# serialized_rollback, which on two workers reloaded content types that post_migrate had made).
pytestmark = pytest.mark.django_db(transaction=True)


def test_build_enumerate_and_measure(catalogue):
    """One build (it takes a while), then what each part of pages.py does with it."""
    pages.build(pages.TINY, log=lambda *args, **kwargs: None)
    the_build_fills_every_kind_of_row()
    every_change_list_is_measured_as_the_roles_that_use_it()
    the_pages_are_served_and_reported()


def the_build_fills_every_kind_of_row():
    from approvals.models import (
        AuditEvent,
        FactorNeed,
        MonthlyProgress,
        Problem,
        Project,
        Reminder,
        ServiceRecord,
        StageRequest,
        TaskNode,
    )

    projects, _, _, problems, nodes, services, _, audits = pages.TINY
    assert Project.objects.count() == projects
    assert Problem.objects.count() == problems
    assert TaskNode.objects.count() == nodes
    assert ServiceRecord.objects.count() == services
    assert AuditEvent.objects.count() >= audits
    assert MonthlyProgress.objects.exists() and FactorNeed.objects.exists()
    assert Reminder.objects.filter(read_at__isnull=True).exists()
    assert StageRequest.objects.filter(status="pending").exists()
    assert StageRequest.objects.filter(status="rejected", decided_by__isnull=False).exists()
    assert Project.history.count() > projects  # a "+" for each, a "~" for some
    assert Project.objects.filter(name__contains=pages.SEARCH).exists()


def every_change_list_is_measured_as_the_roles_that_use_it():
    found = pages.enumerate_pages()
    urls = {url for _, _, url, _ in found}
    lists = set()
    for model in admin.site._registry:
        try:
            lists.add(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        except NoReverseMatch:
            continue
    assert lists <= urls
    labels = [label for label, _, _, _ in found]
    assert len(labels) == len(set(labels))
    assert "reports page, recomputed (statistician)" in labels
    for role in pages.CASE_ROLES:
        assert f"dashboard, figures kept ({role})" in labels
        assert f"case file, 21 items ({role})" in labels  # the whole catalogue
    assert "list approvals.project (officer)" in labels
    assert any(label.startswith("list approvals.project sorted by") for label in labels)
    assert f"list approvals.project search {pages.SEARCH} (officer)" in labels
    audit = [label for label in labels if label.startswith("list approvals.auditevent")]
    assert audit and all("(audit admin)" in label for label in audit)


def the_pages_are_served_and_reported():
    found = pages.enumerate_pages()
    chosen = [
        page
        for page in found
        if page[0]
        in (
            "reports page, recomputed (statistician)",
            "case file, 21 items (supervisor)",
            "list approvals.project (leader)",
        )
    ]
    assert len(chosen) == 3
    server = pages.Server(chosen)
    first = server.first()
    assert [row["status"] for row in first] == [200, 200, 200]
    assert all(row["queries"] > 0 and row["kB"] > row["gz_kB"] > 0 for row in first)
    times = server.round()
    assert len(times) == 3 and all(ms > 0 for ms in times)
    rows = [
        {"page": page[0], **row, "ms": ms}
        for page, row, ms in zip(chosen, first, [10.0, 200.0, 20.0], strict=True)
    ]
    text = pages.report({"rows": rows, "load_start": (1, 1, 1), "load_end": (1, 1, 1)}, 1, "x")
    (slow,) = [line for line in text.splitlines() if "≥150**" in line]
    assert "case file, 21 items (supervisor)" in slow
    assert "1 of 3 targeted pages" in text
