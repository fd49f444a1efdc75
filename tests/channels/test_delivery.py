"""The channels' outbox sending (issue 23), against the fake platforms on 127.0.0.1 over real
HTTP: a group's day as one digest per group (with its mentions), a person's card, a leader's
SMS; a platform that answers an error or does not answer is retried with backoff and reported on
the row, never blocking another channel nor the inbox; given up after the attempts; each
reminder once per channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from approvals.channels import delivery
from approvals.models import ChannelKind, Delivery, Dispatch, Reminder, SmsProvider, Step
from approvals.reminders.outbox import MAX_ATTEMPTS
from tests.channels.outbox_world import channel, profile, reminder
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(zone, alice, bob, lily):
    """A late project of the zone: alice (officer: WeCom ID and mobile), bob (supervisor: a
    mobile only), lily (leader: WeCom ID and mobile) were told of it today."""
    profile(alice, wecom_userid="alice.w", mobile="13800000001")
    profile(bob, mobile="13800000002")
    profile(lily, wecom_userid="lily.w", mobile="13900000003")
    project = ProjectFactory(zone=zone, officer=alice, leader=lily, name="大恒光伏项目")
    return {
        "project": project,
        "officer": reminder(project, alice, Step.OFFICER),
        "supervisor": reminder(project, bob, Step.SUPERVISOR),
        "leader": reminder(project, lily, Step.LEADER),
    }


@pytest.fixture
def robots(platforms, zone):
    return {
        "wecom": channel(
            ChannelKind.WECOM_ROBOT, zone=zone, webhook=platforms.wecom_webhook("wk-secret-1")
        ),
        "ding": channel(
            ChannelKind.DINGTALK_ROBOT,
            zone=zone,
            webhook=platforms.dingtalk_webhook("dt-token-1", "SECding-secret-1"),
            secret="SECding-secret-1",
        ),
    }


def rows(ch) -> set[tuple]:
    return set(Dispatch.objects.filter(channel=ch).values_list("status", "attempts"))


def test_each_group_gets_one_digest_with_its_mentions(platforms, robots, day):
    delivery.fan_out()
    assert delivery.deliver() == {ChannelKind.WECOM_ROBOT: 3, ChannelKind.DINGTALK_ROBOT: 3}

    (markdown, text) = platforms.sent("wecom_robot")
    assert markdown.json["msgtype"] == "markdown"
    content = markdown.json["markdown"]["content"]
    assert content.count("大恒光伏项目") == 1  # one line for the three reminders of it
    assert "【红色预警】" in content  # under its highest step
    assert "<@alice.w>" in content and "<@lily.w>" in content and "鲍勃" in content
    assert text.json["msgtype"] == "text"  # bob, a mobile and no WeCom ID: @ by number
    assert text.json["text"]["mentioned_mobile_list"] == ["13800000002"]

    (ding,) = platforms.sent("dingtalk")  # signature and timestamp checked by the fake
    assert ding.json["msgtype"] == "markdown"
    assert sorted(ding.json["at"]["atMobiles"]) == ["13800000001", "13800000002", "13900000003"]
    assert "@13800000002" in ding.json["markdown"]["text"]

    for ch in robots.values():
        assert rows(ch) == {(Delivery.SENT, 1)}
    assert delivery.deliver() == {}  # nothing twice
    assert len(platforms.sent("wecom_robot")) == 2 and len(platforms.sent("dingtalk")) == 1


def test_people_who_opt_out_of_group_mentions_are_not_mentioned(platforms, robots, day, alice):
    profile(alice, wecom_userid="alice.w", mobile="13800000001", in_groups=False)
    delivery.fan_out()
    delivery.deliver()
    content = platforms.sent("wecom_robot")[0].json["markdown"]["content"]
    assert "<@alice.w>" not in content and "<@lily.w>" in content
    assert "13800000001" not in str(platforms.sent("dingtalk")[0].json)


def test_a_person_gets_one_card_and_a_leader_an_sms(platforms, sms_outbox, settings, zone, day):
    settings.WECOM_API_BASE = platforms.wecom_api_base
    platforms.wecom_corps["ww-corp"] = "app-secret-1"
    app = channel(
        ChannelKind.WECOM_APP,
        zone=zone,
        corp_id="ww-corp",
        agent_id="1000002",
        secret="app-secret-1",
    )
    sms = channel(ChannelKind.SMS, zone=zone, sms_provider=SmsProvider.TEST, template_code="SMS_9")
    other = reminder(day["project"], day["officer"].recipient, Step.AT_RISK)

    delivery.fan_out()
    assert delivery.deliver() == {ChannelKind.WECOM_APP: 3, ChannelKind.SMS: 1}

    cards = {r.json["touser"]: r.json for r in platforms.sent("wecom_app")}
    assert set(cards) == {"alice.w", "lily.w"}  # bob has no WeCom ID
    assert cards["alice.w"]["msgtype"] == "textcard"
    assert cards["alice.w"]["agentid"] == 1000002
    assert "2 条督办提醒" in cards["alice.w"]["textcard"]["title"]  # her two, in one card
    assert cards["lily.w"]["textcard"]["title"] == day["leader"].title
    assert cards["lily.w"]["textcard"]["url"].endswith(day["leader"].link)
    assert len(platforms.sent("wecom_token")) == 1  # the token fetched once, kept

    assert sms_outbox == [
        ("13900000003", "SMS_9", {"project": "大恒光伏项目", "what": "签约", "days": "12"})
    ]
    assert rows(app) == rows(sms) == {(Delivery.SENT, 1)}
    assert Dispatch.objects.filter(channel=app, reminder=other).get().status == Delivery.SENT


def test_a_leader_gets_one_sms_for_the_days_red_items(sms_outbox, zone, day, lily):
    sms = channel(ChannelKind.SMS, zone=zone, sms_provider=SmsProvider.TEST, template_code="T")
    worse = ProjectFactory(zone=zone, leader=lily, name="太行新材料项目")
    made = reminder(worse, lily, Step.LEADER, title=None)
    Reminder.objects.filter(pk=made.pk).update(title=made.title.replace("12", "40"))
    delivery.fan_out()
    assert delivery.deliver() == {ChannelKind.SMS: 2}
    assert sms_outbox == [
        ("13900000003", "T", {"project": "太行新材料项目等2个项目", "what": "签约", "days": "40"})
    ]
    assert rows(sms) == {(Delivery.SENT, 1)}


def test_a_failing_group_is_retried_with_backoff_and_blocks_nothing(platforms, robots, day):
    platforms.fail_next(2, "wecom_robot", 45009)  # too many messages, twice
    now = timezone.now()
    delivery.fan_out(now)

    assert delivery.deliver(now) == {ChannelKind.DINGTALK_ROBOT: 3}  # the other group went
    failed = Dispatch.objects.filter(channel=robots["wecom"])
    assert {(d.status, d.attempts, d.claimed_until) for d in failed} == {
        (Delivery.PENDING, 1, None)
    }
    (first,) = {d.next_attempt_at for d in failed}
    assert first >= now + dt.timedelta(minutes=2)  # past the platform's minute of 20 messages
    (error,) = {d.last_error for d in failed}
    assert "45009" in error
    assert Reminder.objects.filter(delivered_at__isnull=True).count() == 0  # the inbox has them

    assert delivery.deliver(first - dt.timedelta(seconds=1)) == {}  # not before its time
    assert delivery.deliver(first) == {}  # the second failure
    (second,) = set(failed.values_list("next_attempt_at", flat=True))
    assert second - first >= dt.timedelta(minutes=2)  # a longer wait
    assert delivery.deliver(second) == {ChannelKind.WECOM_ROBOT: 3}
    assert {(d.status, d.attempts, d.last_error) for d in failed.all()} == {(Delivery.SENT, 3, "")}
    accepted = [r for r in platforms.sent("wecom_robot") if r.json["msgtype"] == "markdown"]
    assert len(accepted) == 1  # one digest, once


def test_a_platform_that_does_not_answer_times_out_and_is_retried(
    platforms, robots, day, settings, caplog
):
    settings.CHANNEL_TIMEOUT_SECONDS = 0.5
    platforms.hang("dingtalk", 3)
    delivery.fan_out()
    assert delivery.deliver() == {ChannelKind.WECOM_ROBOT: 3}
    (error,) = set(
        Dispatch.objects.filter(channel=robots["ding"]).values_list("last_error", flat=True)
    )
    assert error and "SECding-secret-1" not in error and "dt-token-1" not in error
    assert rows(robots["ding"]) == {(Delivery.PENDING, 1)}
    assert "0.5 秒内未应答" in error and "0.5 秒内未应答" in caplog.text  # kept, logged ...
    for secret in ("SECding-secret-1", "dt-token-1", "wk-secret-1"):
        assert secret not in caplog.text  # ... without a secret


def test_a_channel_failing_every_time_is_given_up_and_the_inbox_keeps_it(
    platforms, zone, day, caplog
):
    wrong = channel(
        ChannelKind.WECOM_ROBOT,
        zone=zone,
        webhook=platforms.wecom_webhook("removed-robot", register=False),
    )
    now = timezone.now()
    delivery.fan_out(now)
    for attempt in range(MAX_ATTEMPTS):
        delivery.deliver(now + dt.timedelta(days=attempt + 1))
    assert rows(wrong) == {(Delivery.FAILED, MAX_ATTEMPTS)}
    (error,) = set(Dispatch.objects.filter(channel=wrong).values_list("last_error", flat=True))
    assert "93000" in error and "removed-robot" not in error
    assert "93000" in caplog.text and "removed-robot" not in caplog.text
    assert delivery.deliver(now + dt.timedelta(days=30)) == {}
    assert len(platforms.received("wecom_robot")) == MAX_ATTEMPTS
    assert Reminder.objects.filter(delivered_at__isnull=False).count() == 3


def test_tomorrows_reminders_join_no_sent_digest(platforms, robots, day, lily):
    delivery.fan_out()
    delivery.deliver()
    tomorrow = reminder(day["project"], lily, Step.LEADER, period=1)
    delivery.fan_out()
    assert delivery.deliver() == {ChannelKind.WECOM_ROBOT: 1, ChannelKind.DINGTALK_ROBOT: 1}
    assert Dispatch.objects.filter(reminder=tomorrow, status=Delivery.SENT).count() == 2
    assert Dispatch.objects.filter(status=Delivery.SENT).count() == 8
