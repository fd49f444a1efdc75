"""The channels' admin pages' world (issue 23), imported by name by the tests of those pages:
the system administrator who keeps the channels, a reminder of alice's, channels made as the
admin's form makes them, and secrets whose text the tests search for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from approvals.channels.models import Channel, ChannelKind
from approvals.core.secrets import Secret
from approvals.models import Project, Reminder, Step
from tests.factories import ProjectFactory, administrator
from zones.models import AdminRole

CHANNELS = reverse("admin:approvals_channel_changelist")
ADD = reverse("admin:approvals_channel_add")

#: Secrets the tests save and then search every page and log line for.
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
WECOM_WEBHOOK = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
DING_TOKEN = "b2f6c0d0e8f94c1d9a3e7f55aa21c0de77e3b1f0c9d84e6a"
DING_WEBHOOK = f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}"
DING_SECRET = "SECd5f0a7c3e1b94f2a8c6d0e9b7a5f3c1e2d4b6a8c0e9f7a5b3c1d2e4f6a8b0c9"
APP_SECRET = "wecomAppSecret-Zx81QpLm27VbNc64TrWs09YuKj35HgFd"
SMS_SECRET = "aliyunAccessKeySecret-Qw7Er9Ty1Ui3Op5As"
SECRETS = (WECOM_WEBHOOK, WECOM_KEY, DING_TOKEN, DING_SECRET, APP_SECRET, SMS_SECRET)


def change_url(channel: Channel) -> str:
    return reverse("admin:approvals_channel_change", args=[channel.pk])


def form(**fields) -> dict:
    """The channel form's fields as a browser posts them: everything blank but what is given
    (``enabled`` ticked unless given False)."""
    data = dict.fromkeys(
        (
            "name",
            "kind",
            "zone",
            "city",
            "webhook_url",
            "signing_secret",
            "app_secret",
            "sms_secret",
            "corp_id",
            "agent_id",
            "sms_provider",
            "access_key_id",
            "sms_app_id",
            "sign_name",
            "template_code",
        ),
        "",
    )
    data["enabled"] = "on"
    data.update({k: ("" if v is None else v) for k, v in fields.items()})
    if data["enabled"] is False:
        del data["enabled"]
    return data


def robot(zone, kind=ChannelKind.DINGTALK_ROBOT, **fields) -> Channel:
    """A zone's robot as the form saves one (its secrets encrypted by the field)."""
    defaults = {
        "name": "晋中开发区项目群",
        "kind": kind,
        "zone": zone,
        "webhook": Secret(DING_WEBHOOK if kind == ChannelKind.DINGTALK_ROBOT else WECOM_WEBHOOK),
        "secret": Secret(DING_SECRET if kind == ChannelKind.DINGTALK_ROBOT else ""),
    }
    return Channel.objects.create(**{**defaults, **fields})


@pytest.fixture
def channel_keeper(db):
    """The system administrator: keeps every zone's and city's channels."""
    return administrator("系统管理员", AdminRole.SYSTEM)


@pytest.fixture
def alices_reminder(zone, alice):
    project = ProjectFactory(zone=zone, name="晋中新材料产业园项目", officer=alice)
    return Reminder.objects.create(
        subject_type=ContentType.objects.get_for_model(Project),
        subject_id=project.pk,
        project=project,
        step=Step.OFFICER,
        recipient=alice,
        period=0,
        day=dt.date(2025, 10, 15),
        title="项目开工逾期提醒",
        body="晋中新材料产业园项目 具备开工条件 已逾期 12 天",
        delivered_at=timezone.now(),
    )
