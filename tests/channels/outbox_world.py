"""The world of the channels' outbox tests: a zone with a late project and its ladder's people,
reminders made as the scan makes them (rows in the inbox), the channels of the zone and city."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from accounts.models import Profile
from approvals.models import Channel, ChannelKind, Milestone, Reminder, SmsProvider, Stage
from approvals.reminders.ladder import _Wording

D = dt.date(2025, 6, 10)  # a Tuesday, a working day


def scan_title(step: str, project: str) -> str:
    """The scan's title (its wording, in Chinese) of a signing 12 days late."""
    with translation.override("zh-hans"):
        return _Wording().title(step, project, "签约", 12)


def profile(user, **fields) -> Profile:
    made, _ = Profile.objects.update_or_create(user=user, defaults=fields)
    return made


def reminder(
    project, recipient, step, *, subject=None, title=None, delivered=True, period=0
) -> Reminder:
    subject = (
        subject
        or Milestone.objects.get_or_create(
            project=project,
            stage=Stage.SIGNED,
            defaults={"planned_date": D - dt.timedelta(days=12)},
        )[0]
    )
    return Reminder.objects.create(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        project=project,
        step=step,
        recipient=recipient,
        period=period,
        day=D,
        title=title or scan_title(step, project.name),
        body=f"{project.name}：签约计划日期已过 12 天。",
        link=f"/admin/approvals/project/{project.pk}/change/",
        delivered_at=timezone.now() if delivered else None,
    )


def channel(kind, *, zone=None, city="", **fields) -> Channel:
    defaults = {
        ChannelKind.WECOM_ROBOT: {
            "webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"
        },
        ChannelKind.DINGTALK_ROBOT: {
            "webhook": "https://oapi.dingtalk.com/robot/send?access_token=t1",
            "secret": "SECabc",
        },
        ChannelKind.WECOM_APP: {"corp_id": "ww1", "agent_id": "1000002", "secret": "appsecret"},
        ChannelKind.SMS: {"sms_provider": SmsProvider.TEST, "template_code": "SMS_1"},
    }[kind]
    fields = {**defaults, "created_at": timezone.now() - dt.timedelta(hours=1), **fields}
    return Channel.objects.create(
        name=f"{kind} {zone or city}", kind=kind, zone=zone, city=city, **fields
    )
