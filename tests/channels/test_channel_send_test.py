"""发送测试 on a group robot's page (issue 23): the system administrator sends a message through
the robot now and reads what the platform answered, scrubbed of the channel's secrets; nobody
else may, a GET sends nothing, and a deployment without internet sends nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from approvals.channels.models import ChannelKind
from approvals.core.secrets import Secret
from tests.channels import conftest_admin
from tests.channels.conftest_admin import change_url, robot

pytestmark = pytest.mark.django_db
# The channel pages' fixtures (tests/channels/conftest_admin.py), by name.
channel_keeper = conftest_admin.channel_keeper

TOKEN = "9d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978"
SIGNING = "SECa1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


@pytest.fixture
def ding(platforms, zone):
    """晋中开发区's 钉钉 robot, at the fake platform."""
    webhook = platforms.dingtalk_webhook(TOKEN, SIGNING)
    return robot(zone, webhook=Secret(webhook), secret=Secret(SIGNING))


def send(page, channel):
    url = reverse("admin:approvals_channel_send_test", args=[channel.pk])
    return page.post(url, follow=True)


def test_a_robots_page_sends_a_test_message(as_user, channel_keeper, ding, platforms):
    page = as_user(channel_keeper)
    assert 'id="send-test-button"' in page.get(change_url(ding)).content.decode()
    answer = send(page, ding)
    assert "测试消息已发送到晋中开发区项目群" in answer.content.decode()
    sent = platforms.sent("dingtalk")
    assert len(sent) == 1
    assert "晋中开发区项目群" in sent[0].json["markdown"]["text"]


def test_a_refused_test_says_what_the_platform_answered_without_the_secrets(
    as_user, channel_keeper, ding, platforms
):
    platforms.fail_next(1, "dingtalk", 310000)
    shown = send(as_user(channel_keeper), ding).content.decode()
    assert "测试消息未发出" in shown
    for secret in (TOKEN, SIGNING):
        assert secret not in shown


def test_nobody_else_sends_one(as_user, bob, ding, platforms):
    page = as_user(bob)
    url = reverse("admin:approvals_channel_send_test", args=[ding.pk])
    assert page.post(url).status_code == 403
    assert not platforms.received()


def test_a_get_sends_nothing(as_user, channel_keeper, ding, platforms):
    url = reverse("admin:approvals_channel_send_test", args=[ding.pk])
    assert as_user(channel_keeper).get(url).status_code == 405
    assert not platforms.received()


def test_only_a_group_robot_has_the_button(as_user, channel_keeper, zone):
    sms = robot(zone, kind=ChannelKind.SMS, webhook=Secret(""), sms_provider="test")
    assert (
        'id="send-test-button"' not in as_user(channel_keeper).get(change_url(sms)).content.decode()
    )


@override_settings(CHANNELS_OFFLINE=True)
def test_offline_nothing_is_sent(as_user, channel_keeper, ding, platforms):
    page = as_user(channel_keeper)
    assert 'id="send-test-button"' not in page.get(change_url(ding)).content.decode()
    assert "无互联网" in send(page, ding).content.decode()
    assert not platforms.received()
