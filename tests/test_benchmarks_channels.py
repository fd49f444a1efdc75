"""benchmarks/channels.py (issue 23) cannot rot: on a tiny province (20 zones of 2 projects, 3 and
12 reminders a zone) it builds the channels on the fake platforms, fans the day out by each way,
delivers it and replays its calls, and reports each table. And what it compares holds: the
hand-written INSERT … SELECT makes exactly the rows ``fan_out`` makes. Nothing is timed here;
every way runs in the test's own process."""

from __future__ import annotations

import pytest
from django.utils import timezone

from approvals.channels import delivery
from approvals.models import Dispatch
from benchmarks import channels

# TRUNCATE and VACUUM on PostgreSQL (outside a transaction).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_process(monkeypatch):
    monkeypatch.setattr(channels, "CHILDREN", False)


def rows() -> set[tuple[int, int]]:
    return set(Dispatch.objects.values_list("channel_id", "reminder_id"))


def test_tiny_run_reports_every_way(in_process):
    text = channels.run(
        {"ordinary day": 3, "first day": 12}, 1, projects_per_zone=2, log=lambda *a: None
    )
    tables = {line.strip() for line in text.splitlines() if line.startswith("25")}
    assert {t.split(".")[0] for t in tables} == {"25a", "25b", "25c", "25d", "25e"}
    lines = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ")
    ]
    assert ["first day", "12", "240"] == next(r for r in lines if r[0] == "first day")[:3]
    delivered = [r for r in lines if r[1] == "deliver() until nothing is due"]
    assert {r[2] for r in delivered} == {"5,000", "30,000"}
    assert all(r[3].startswith("1 ") for r in delivered)  # one run: 12 a zone
    floors = [r for r in lines if r[1] == "floor: the same calls, requests alone"]
    for floor in floors:  # every recorded call made again, and accepted
        assert floor[6] == f"{floor[5]} ok" and floor[5] != "0"
    # the outbox is full after the run: fan_out's rows, and the INSERT's are the same
    made = rows()
    assert made
    Dispatch.objects.all().delete()
    delivery.fan_out(timezone.now())
    assert rows() == made
    Dispatch.objects.all().delete()
    assert channels.insert_select(timezone.now()) == len(made)
    assert rows() == made
    assert channels.insert_select(timezone.now()) == 0  # nothing twice
