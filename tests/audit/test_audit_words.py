"""The audit log as the audit administrator reads it (guide section 12, "Everything in Chinese"):
what a record is about by its model's name, not ``approvals.StageRequest`` or
``axes.AccessAttempt`` (the row keeps the label); a lockout's rows named in Chinese with their
times in Asia/Shanghai, not axes' "Attempted Access: 2026-12-06 00:35:25.165757+00:00"; the
record's further facts in words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse

from approvals.admin.audit import AuditEventAdmin
from approvals.audit import services as audit
from approvals.models import AuditEvent, AuditKind
from approvals.stages import workflow
from tests.admin.test_no_english import shown_text
from tests.factories import administrator
from tests.flows import documents
from zones.models import AdminRole

pytestmark = pytest.mark.django_db

LOG = reverse("admin:approvals_auditevent_changelist")
AT = dt.datetime(2026, 12, 6, 0, 35, 25, 165757, tzinfo=dt.UTC)  # 08:35 in Beijing


@pytest.fixture
def auditor(db):
    return administrator("审计员", AdminRole.AUDIT)


def test_the_log_names_object_types_by_their_models_names(as_user, auditor, alice, project):
    stage_request = workflow.request_transition(
        project, "sign", by=alice, attachments=documents(), agreement_date=dt.date(2025, 4, 7)
    )
    audit.record(AuditKind.DECISION, user=alice, obj=stage_request)
    event = AuditEvent.objects.get(kind=AuditKind.DECISION)
    assert event.object_type == "approvals.StageRequest"  # as stored

    text = shown_text(as_user(auditor).get(LOG).content.decode())
    assert "阶段变更申请" in text
    assert "approvals.StageRequest" not in text
    choices = dict(
        AuditEventAdmin.list_filter[3]("object_type", {}, AuditEvent, None).lookup_choices
    )
    assert choices["approvals.StageRequest"] == "阶段变更申请"
    detail = as_user(auditor).get(reverse("admin:approvals_auditevent_change", args=[event.pk]))
    assert "阶段变更申请" in shown_text(detail.content.decode())


def test_a_lockout_is_named_in_chinese_at_beijing_time(auditor):
    with time_machine.travel(AT, tick=False):  # axes stamps the attempt with the time it is made
        attempt = AccessAttempt.objects.create(
            username="艾丽", ip_address="10.0.0.8", user_agent="浏览器", failures_since_start=5
        )
        audit.record(AuditKind.UNLOCK, user=auditor, obj=attempt, of=attempt.username)
    event = AuditEvent.objects.get(kind=AuditKind.UNLOCK)
    assert event.object_type_name == "登录失败计数"
    assert event.object_repr == "艾丽 自 10.0.0.8 的登录失败，最近一次 2026-12-06 08:35"
    assert event.detail_text == "所属账号：艾丽"
    assert str(event).startswith("2026-12-06 08:35:25 ")  # the record's page title


def test_the_facts_of_a_record_read_in_words(alice):
    audit.record(AuditKind.PERMISSION, obj=alice, action="account created")
    event = AuditEvent.objects.filter(object_type="auth.User").order_by("id").last()
    assert event.detail_text == "操作：账号已创建"
    audit.record(AuditKind.PERMISSION, obj=alice, changed={"is_staff": [False, True]})
    changed = AuditEvent.objects.filter(object_type="auth.User").order_by("id").last()
    assert changed.detail_text == "变更：工作人员状态：否 → 是"
