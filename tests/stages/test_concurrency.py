"""Decisions racing each other on a real PostgreSQL server: threads, each with its own
connection, released together by a barrier. Exactly one change may win; the others are told
why; no history row is lost or doubled."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.models import (
    Project,
    RequestStatus,
    Stage,
    StageChange,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import workflow
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory
from tests.flows import documents
from tests.services import at_once
from zones.models import Role

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROUNDS = 5
SIGN = {"agreement_date": dt.date(2025, 4, 7)}


def people(zone, role: str, count: int, prefix: str):
    users = []
    for n in range(count):
        user = UserFactory(username=f"{prefix}{n}")
        ZoneRoleFactory(user=user, zone=zone, role=role)
        users.append(user)
    return users


@pytest.fixture
def supervisors(postgres, zone):
    return people(zone, Role.SUPERVISOR, 6, "supervisor")


@pytest.fixture
def officers(postgres, zone):
    return people(zone, Role.OFFICER, 6, "officer")


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_many_supervisors_approving_one_request_make_one_change(
    zone, officers, supervisors, round_
):
    project = ProjectFactory(zone=zone)
    pending = workflow.request_transition(
        project, "sign", by=officers[0], attachments=documents(), **SIGN
    )
    history_before = project.history.count()

    results = at_once(
        [
            lambda s=s: workflow.decide(StageRequest.objects.get(pk=pending.pk), by=s, approve=True)
            for s in supervisors
        ]
    )

    winners = [r for r in results if isinstance(r, StageRequest)]
    refused = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(winners) == 1, results
    assert len(refused) == len(supervisors) - 1, results
    assert all("已不在待审批状态" in str(r) for r in refused)
    project.refresh_from_db()
    pending.refresh_from_db()
    assert (project.stage, pending.status) == (Stage.SIGNED, RequestStatus.APPROVED)
    assert StageChange.objects.filter(project=project, transition="sign").count() == 1
    assert project.history.count() == history_before + 1
    assert pending.decided_by == winners[0].decided_by


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_officers_asking_at_the_same_moment_open_one_request(zone, officers, round_):
    project = ProjectFactory(zone=zone)
    asks = [
        lambda o=o, n=n: workflow.request_transition(
            Project.objects.get(pk=project.pk),
            ["sign", "suspend", "withdraw"][n % 3],
            by=o,
            attachments=documents(),
            **(SIGN if n % 3 == 0 else {"reason": "资金未到位"}),
        )
        for n, o in enumerate(officers)
    ]

    results = at_once(asks)

    created = [r for r in results if isinstance(r, StageRequest)]
    refused = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(created) == 1 and len(refused) == len(officers) - 1, results
    assert all("已有一项申请正在等待审批" in str(r) for r in refused)
    assert list(StageRequest.objects.filter(project=project).values_list("pk", flat=True)) == [
        created[0].pk
    ]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_an_approval_racing_a_cancellation_has_one_outcome(zone, officers, supervisors, round_):
    project = ProjectFactory(zone=zone)
    pending = workflow.request_transition(
        project, "sign", by=officers[0], attachments=documents(), **SIGN
    )

    results = at_once(
        [
            lambda: workflow.decide(
                StageRequest.objects.get(pk=pending.pk), by=supervisors[0], approve=True
            ),
            lambda: workflow.cancel_request(
                StageRequest.objects.get(pk=pending.pk), by=officers[0]
            ),
        ]
    )

    assert sum(isinstance(r, StageRequest) for r in results) == 1, results
    assert sum(isinstance(r, TransitionRefused) for r in results) == 1, results
    project.refresh_from_db()
    pending.refresh_from_db()
    changes = StageChange.objects.filter(project=project, transition="sign").count()
    if pending.status == RequestStatus.APPROVED:
        assert (project.stage, changes) == (Stage.SIGNED, 1)
    else:
        assert (pending.status, project.stage, changes) == (
            RequestStatus.CANCELLED,
            Stage.RESERVE,
            0,
        )


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_self_approval_in_the_crowd_is_refused_and_another_wins(zone, supervisors, round_):
    project = ProjectFactory(zone=zone)
    pending = workflow.request_transition(
        project, "sign", by=supervisors[0], attachments=documents(), **SIGN
    )

    results = at_once(
        [
            lambda s=s: workflow.decide(StageRequest.objects.get(pk=pending.pk), by=s, approve=True)
            for s in supervisors
        ]
    )

    assert not isinstance(results[0], StageRequest)  # its own: refused, or already decided
    assert sum(isinstance(r, StageRequest) for r in results) == 1
    assert StageChange.objects.filter(project=project, transition="sign").count() == 1
