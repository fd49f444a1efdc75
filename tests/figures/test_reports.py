"""The figures of the dashboard, the reports page and ``manage.py report`` on data whose answer
is worked out by hand (guide sections 9 and 11).

Zone 晋中 (``zone``) holds the guide's own conversion example: ten projects listed as 签约 in
round 2025-1; seven of them have started works, four of the seven are in production, two are at
design capacity expecting 10亿 and 5亿 a year and producing 9亿 and 6亿 → 70.0 %, 57.1 %, 100.0 %.
Zone 祁县 (``other_zone``) has three listed as 签约 in 2025-2, one started: 33.3 %.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from approvals.figures import reports
from approvals.figures.reports import Selection
from approvals.models import Category, Stage
from tests import figures
from tests.factories import ProjectFactory
from tests.figures import D, listed, reached

# The fixtures this module takes from tests/figures/__init__.py (pytest finds them among its names).
rounds = figures.rounds
guide_example = figures.guide_example
two_round_lists = figures.two_round_lists
readiness_cases = figures.readiness_cases

pytestmark = pytest.mark.django_db


def test_conversion_is_the_guides_worked_example(guide_example, zone):
    figures = reports.conversion(Selection(zones=(zone.pk,)))
    assert figures["signed"] == 10
    assert figures["started"] == 7
    assert figures["producing"] == 4
    assert figures["at_capacity"] == 2
    assert figures["expected_output_yi"] == 15.0
    assert figures["actual_output_yi"] == 15.0
    assert reports.percent(figures["start_rate"]) == "70.0 %"
    assert reports.percent(figures["production_rate"]) == "57.1 %"
    assert reports.percent(figures["output_rate"]) == "100.0 %"
    assert figures["start_rate"] == 0.7
    assert figures["production_rate"] == round(4 / 7, 6)


def test_conversion_filters_by_zone_and_by_batch(guide_example, zone, other_zone, rounds):
    qi = reports.conversion(Selection(zones=(other_zone.pk,)))
    assert (qi["signed"], qi["started"], qi["producing"]) == (3, 1, 0)
    assert reports.percent(qi["start_rate"]) == "33.3 %"
    assert qi["production_rate"] == 0.0
    assert qi["output_rate"] is None  # nobody at capacity: nothing to divide by
    both = reports.conversion(Selection())
    assert (both["signed"], both["started"], both["producing"]) == (13, 8, 4)
    # Naming round 2 keeps its list only: 祁县's three, whatever the zone filter says.
    second = reports.conversion(Selection(batches=(rounds[1].pk,)))
    assert second["signed"] == 3
    assert reports.conversion(Selection(zones=(zone.pk,), batches=(rounds[1].pk,)))["signed"] == 0


def test_conversion_counts_projects_signed_in_the_period_that_no_list_named(zone, rounds):
    listed_one = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    listed(rounds[0], listed_one, Category.SIGN, 1000)
    unlisted = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
    reached(unlisted, Stage.SIGNED, D(2025, 10, 1))
    reached(unlisted, Stage.UNDER_CONSTRUCTION, D(2025, 11, 1))
    earlier = ProjectFactory(zone=zone, stage=Stage.SIGNED)
    reached(earlier, Stage.SIGNED, D(2024, 1, 5))
    # The period holds round 1 (listed_one) and the signing of `unlisted`, not `earlier`.
    period = reports.conversion(Selection(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31)))
    assert (period["signed"], period["started"]) == (2, 1)
    assert reports.conversion(Selection())["signed"] == 3


def test_sanpi_counts_each_round_and_a_project_once_per_category(two_round_lists, rounds):
    figures = reports.sanpi(Selection())
    assert figures["categories"] == {
        "sign": {"count": 2, "investment_yi": 5.0},
        "start": {"count": 2, "investment_yi": 8.5},  # C once, at its latest 6亿; A 2.5亿
        "produce": {"count": 1, "investment_yi": 4.0},
    }
    assert (figures["count"], figures["investment_yi"], figures["rounds"]) == (5, 17.5, 2)
    first, second = figures["batches"]
    assert (first["year"], first["round"], first["event_date"]) == (2025, 1, "2025-03-20")
    assert first["categories"]["sign"] == {"count": 2, "investment_yi": 5.0}
    assert first["categories"]["start"] == {"count": 1, "investment_yi": 5.0}
    assert (first["count"], first["investment_yi"]) == (4, 14.0)
    assert second["categories"]["start"] == {"count": 2, "investment_yi": 8.5}
    assert second["categories"]["sign"] == {"count": 0, "investment_yi": 0.0}
    assert (second["count"], second["investment_yi"]) == (2, 8.5)


def test_sanpi_filters_by_zone_batch_and_period(two_round_lists, zone, other_zone, rounds):
    jinzhong = reports.sanpi(Selection(zones=(zone.pk,)))
    assert jinzhong["categories"]["produce"] == {"count": 0, "investment_yi": 0.0}
    assert (jinzhong["count"], jinzhong["investment_yi"]) == (4, 13.5)
    qi = reports.sanpi(Selection(zones=(other_zone.pk,)))
    assert [b["round"] for b in qi["batches"]] == [1]  # 祁县 listed nothing in round 2
    only_first = reports.sanpi(Selection(batches=(rounds[0].pk,)))
    assert only_first["categories"]["start"] == {"count": 1, "investment_yi": 5.0}
    in_june = reports.sanpi(Selection(date_from=D(2025, 6, 1), date_to=D(2025, 6, 30)))
    assert [b["round"] for b in in_june["batches"]] == [2]
    assert in_june["count"] == 2


#: readiness_cases (tests/figures/__init__.py), worked out by hand.
READINESS_BY_HAND = {
    "projects": 5,
    "ready": 3,
    "rate": 0.6,
    "items": 7,
    "settled": 5,
    "projects_with_items": 3,
    # P1 2 approved, 1 not applicable; P2 1 approved, 1 open; P4 2 not applicable; P5 a
    # commitment, a unified service, 1 open: the commitment and the service not 已办结
    "progress": {"approved": 3, "commitment": 1, "unified": 1, "not_applicable": 3, "open": 2},
}


def test_readiness_is_worked_out_by_hand(readiness_cases, other_zone):
    assert reports.readiness(Selection()) == READINESS_BY_HAND
    assert reports.readiness(Selection(zones=(other_zone.pk,))) == {
        "projects": 0,
        "ready": 0,
        "rate": None,
        "items": 0,
        "settled": 0,
        "projects_with_items": 0,
        "progress": {"approved": 0, "commitment": 0, "unified": 0, "not_applicable": 0, "open": 0},
    }


def test_readiness_agrees_with_the_gate_of_mark_ready(readiness_cases):
    """Ready means what lets mark_ready through, project by project: one rule."""
    p1, p2, p3, p4, p5, _ = readiness_cases
    by_gate = {
        project.pk
        for project in readiness_cases
        if project.stage in reports.READINESS_STAGES
        and project.approval_items.exists()
        and not project.start_blockers().exists()
    }
    assert by_gate == {p1.pk, p4.pk, p5.pk}
    assert set(reports.ready_projects(Selection()).values_list("pk", flat=True)) == by_gate


def test_figures_count_only_what_the_person_sees(guide_example, zone, other_zone, alice):
    """alice is an officer of 晋中 only: 祁县's signings are not hers to count."""
    seen = reports.conversion(Selection(), alice)
    assert seen["signed"] == 10
    assert reports.conversion(Selection(zones=(other_zone.pk,)), alice)["signed"] == 0
    assert reports.sanpi(Selection(), alice)["categories"]["sign"]["count"] == 10


def run(*args) -> str:
    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_sanpi_as_json(two_round_lists):
    sanpi = json.loads(run("sanpi", "--json"))
    assert set(sanpi) >= {"categories", "batches"}
    assert sanpi["categories"] == {
        "sign": {"count": 2, "investment_yi": 5.0},
        "start": {"count": 2, "investment_yi": 8.5},
        "produce": {"count": 1, "investment_yi": 4.0},
    }
    assert [(b["year"], b["round"]) for b in sanpi["batches"]] == [(2025, 1), (2025, 2)]
    only_second = json.loads(run("sanpi", "--json", "--zone", "晋中开发区", "--batch", "2025-2"))
    assert only_second["categories"]["start"] == {"count": 2, "investment_yi": 8.5}
    assert only_second["categories"]["sign"]["count"] == 0


def test_a_repeated_batch_option_means_every_round_named(two_round_lists):
    """``--batch A --batch B`` is ``--batch A B`` (guide section 12): both rounds, worked out by
    hand from the two lists — sign A 2亿 + B 3亿; start C (listed twice: counted once, its latest
    figure 6亿) + A 2.5亿; produce Q 4亿 — not the last round alone (start C, A; sign none)."""
    both = {"sign": (2, 5.0), "start": (2, 8.5), "produce": (1, 4.0)}

    def figures(*args) -> dict:
        sanpi = json.loads(run("sanpi", "--json", *args))
        return {k: (v["count"], v["investment_yi"]) for k, v in sanpi["categories"].items()}

    assert figures("--batch", "2025-1", "2025-2") == both
    assert figures("--batch", "2025-1", "--batch", "2025-2") == both
    assert figures("--batch", "2025-2", "--batch", "2025-1", "2025-2") == both
    assert figures("--batch", "2025-2")["sign"] == (0, 0.0)


def test_the_command_prints_conversion_as_json(guide_example):
    conversion = json.loads(
        run("conversion", "--json", "--zone", "晋中开发区", "--batch", "2025-1")
    )
    assert conversion["start_rate"] == 0.7
    assert conversion["production_rate"] == round(4 / 7, 6)
    assert conversion["output_rate"] == 1.0
    qi = json.loads(run("conversion", "--json", "--zone", "祁县经开区"))
    assert (qi["signed"], qi["started"]) == (3, 1)


def test_the_command_prints_readiness_as_json(readiness_cases):
    readiness = json.loads(run("readiness", "--json", "--zone", "综改区晋中开发区"))
    assert readiness == READINESS_BY_HAND


def test_the_command_prints_a_readable_table(guide_example):
    text = run("conversion", "--from", "2025-01-01", "--to", "2025-12-31")
    assert "70.0 %" not in text  # 晋中 and 祁县 together: 8 of 13
    assert "61.5 %" in text
    first_row = text.splitlines()[2].split()
    assert first_row[-1] == "13"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sanpi", "--zone", "火星开发区"), "没有名为“火星开发区”的开发区"),
        (("sanpi", "--batch", "2025"), "“2025”不是批次"),
        (("sanpi", "--batch", "2031-1"), "没有2031年第1批"),
        (("sanpi", "--from", "2025-13-01"), "--from：“2025-13-01”不是日期"),
        (("sanpi", "--from", "2025-02-01", "--to", "2025-01-01"), "--from 晚于 --to"),
    ],
)
def test_the_command_names_what_is_wrong(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
