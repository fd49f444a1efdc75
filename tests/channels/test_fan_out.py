"""Which channels carry which reminders, each once (issue 23): a zone's group robots every
reminder of its projects, a city's those of its zones, a 企业微信 application those of people
with a user ID who want them, SMS only leaders' red ones of people with a mobile who want them;
never a channel switched off, added after the reminder, or on a deployment without internet."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from accounts.models import Profile
from approvals.channels import delivery
from approvals.models import ChannelKind, Dispatch, Step
from tests.channels.outbox_world import channel, profile, reminder
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def carried(ch) -> set[int]:
    return set(Dispatch.objects.filter(channel=ch).values_list("reminder_id", flat=True))


@pytest.fixture
def day(zone, other_zone, alice, bob, lily, charlie):
    """alice (officer, WeCom ID), bob (supervisor, nothing), lily (leader, mobile) hear of a late
    project of the zone; charlie of one of the other zone of the same city."""
    profile(alice, wecom_userid="alice.w", mobile="13800000001")
    profile(lily, mobile="13900000003")
    project = ProjectFactory(zone=zone, officer=alice, leader=lily)
    theirs = ProjectFactory(zone=other_zone, officer=charlie)
    return {
        "officer": reminder(project, alice, Step.OFFICER),
        "supervisor": reminder(project, bob, Step.SUPERVISOR),
        "leader": reminder(project, lily, Step.LEADER),
        "at_risk": reminder(project, alice, Step.AT_RISK, title=None),
        "other zone": reminder(theirs, charlie, Step.OFFICER),
    }


def test_each_channel_carries_what_it_should(zone, other_zone, day, alice, lily):
    wecom = channel(ChannelKind.WECOM_ROBOT, zone=zone)
    ding = channel(ChannelKind.DINGTALK_ROBOT, zone=zone)
    city = channel(ChannelKind.WECOM_ROBOT, city="晋中市")
    app = channel(ChannelKind.WECOM_APP, zone=zone)
    sms = channel(ChannelKind.SMS, zone=zone)
    others = channel(ChannelKind.DINGTALK_ROBOT, zone=other_zone)
    off = channel(ChannelKind.WECOM_ROBOT, zone=zone, enabled=False)

    made = delivery.fan_out()

    ours = {day[k].pk for k in ("officer", "supervisor", "leader", "at_risk")}
    assert carried(wecom) == carried(ding) == ours
    assert carried(city) == ours | {day["other zone"].pk}
    assert carried(others) == {day["other zone"].pk}
    assert carried(app) == {day["officer"].pk, day["at_risk"].pk}  # alice's: a WeCom ID
    assert carried(sms) == {day["leader"].pk}  # the leader's red one, by mobile
    assert carried(off) == set()
    assert made == {
        ChannelKind.WECOM_ROBOT: 4 + 5,
        ChannelKind.DINGTALK_ROBOT: 4 + 1,
        ChannelKind.WECOM_APP: 2,
        ChannelKind.SMS: 1,
    }
    assert sum(delivery.fan_out().values()) == 0  # once
    assert Dispatch.objects.count() == 9 + 5 + 2 + 1


def test_a_persons_choices_and_the_window(zone, day, alice, lily):
    Profile.objects.filter(user=alice).update(by_wecom=False)
    Profile.objects.filter(user=lily).update(by_sms=False)
    app = channel(ChannelKind.WECOM_APP, zone=zone)
    sms = channel(ChannelKind.SMS, zone=zone)
    late_comer = channel(ChannelKind.WECOM_ROBOT, zone=zone, created_at=timezone.now())
    old = channel(ChannelKind.DINGTALK_ROBOT, zone=zone)
    type(day["supervisor"]).objects.filter(pk=day["supervisor"].pk).update(
        created_at=timezone.now() - delivery.WINDOW - dt.timedelta(minutes=1)
    )
    undelivered = reminder(day["officer"].project, alice, Step.OFFICER, delivered=False, period=1)
    delivery.fan_out()
    assert carried(app) == carried(sms) == set()
    assert carried(late_comer) == set()  # made after every reminder
    assert day["supervisor"].pk not in carried(old)  # older than the window
    assert undelivered.pk not in carried(old)  # not in the inbox yet
    assert carried(old) == {day[k].pk for k in ("officer", "leader", "at_risk")}


def test_nothing_goes_out_offline(settings, zone, day):
    settings.CHANNELS_OFFLINE = True
    ch = channel(ChannelKind.WECOM_ROBOT, zone=zone)
    assert delivery.fan_out() == {}
    assert delivery.deliver() == {}
    assert carried(ch) == set()


def test_the_query_and_the_rule_for_one_person_agree(zone, lily):
    """``carries`` (the query) and ``wants`` (one profile) decide alike, every combination."""
    project = ProjectFactory(zone=zone, leader=lily)
    channels = {kind: channel(kind, zone=zone) for kind in ChannelKind.values}
    for n, (userid, mobile, by_wecom, by_sms, step) in enumerate(
        itertools.product(["", "u"], ["", "139"], [True, False], [True, False], list(Step))
    ):
        person = type(lily).objects.create(username=f"p{n}")
        mine = profile(person, wecom_userid=userid, mobile=mobile, by_wecom=by_wecom, by_sms=by_sms)
        made = reminder(project, person, step)
        for kind, ch in channels.items():
            assert delivery.carries(ch).filter(pk=made.pk).exists() == delivery.wants(
                kind, step, mine
            ), (kind, userid, mobile, by_wecom, by_sms, step)
