"""设置 → 提醒渠道 (issue 23): the system administrator connects a zone's or a city's group robot,
企业微信 application or SMS account; each kind's form checks what that kind needs, in Chinese;
a secret typed is never drawn back (a blank input keeps it, its box clears it); the list shows
each channel's health in as many queries for 30 channels as for 3; a change is audited naming
the secrets changed, never their text; a deployment without internet says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.access import permissions
from approvals.channels.models import Channel, ChannelKind, Dispatch
from approvals.core.secrets import Secret
from approvals.models import AuditEvent, AuditKind, Delivery
from tests.channels import conftest_admin
from tests.channels.conftest_admin import (
    ADD,
    APP_SECRET,
    CHANNELS,
    DING_SECRET,
    DING_WEBHOOK,
    SMS_SECRET,
    WECOM_WEBHOOK,
    change_url,
    form,
    robot,
)
from tests.factories import UserFactory, administrator
from zones.models import AdminRole, CityRole, Role

pytestmark = pytest.mark.django_db
# The channel pages' fixtures (tests/channels/conftest_admin.py), by name.
alices_reminder = conftest_admin.alices_reminder
channel_keeper = conftest_admin.channel_keeper


def saved(answer) -> None:
    assert answer.status_code == 302, _errors(answer)


def _errors(answer) -> str:
    adminform = answer.context and answer.context.get("adminform")
    return str(adminform.form.errors) if adminform else answer.content.decode()[:2000]


def refused(answer, field: str) -> str:
    """The page drawn again with ``field``'s error, which is returned."""
    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors
    assert field in errors, errors
    return " ".join(errors[field])


# --- who keeps channels ---------------------------------------------------------------------


def test_it_lets_the_system_administrator_add_a_dingtalk_robot(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    saved(
        page.post(
            ADD,
            form(
                name="晋中开发区项目推进群",
                kind=ChannelKind.DINGTALK_ROBOT,
                zone=zone.pk,
                webhook_url=DING_WEBHOOK,
                signing_secret=DING_SECRET,
            ),
        )
    )
    channel = Channel.objects.get()
    assert (channel.zone, channel.city, channel.enabled) == (zone, "", True)
    assert channel.webhook.reveal() == DING_WEBHOOK
    assert channel.secret.reveal() == DING_SECRET


def test_it_lets_the_system_administrator_add_a_citys_wecom_robot(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    answer = page.post(
        ADD,
        form(
            name="晋中市督办群",
            kind=ChannelKind.WECOM_ROBOT,
            city="晋中市",
            webhook_url=WECOM_WEBHOOK,
        ),
    )
    saved(answer)
    assert Channel.objects.get().city == "晋中市"


def test_no_zone_role_keeps_channels(as_user, zone, alice, bob, lily):
    """Not even the zone's supervisor: connecting a group is the system administrator's."""
    channel = robot(zone)
    city = UserFactory(username="city")
    CityRole.objects.create(user=city, city="晋中市", role=Role.CITY_SUPERVISOR)
    security = administrator("安全管理员", AdminRole.SECURITY)
    for person in (alice, bob, lily, city, security):
        page = as_user(person)
        assert page.get(CHANNELS).status_code == 403, person
        assert page.get(ADD).status_code == 403, person
        assert page.get(change_url(channel)).status_code in (302, 403), person
        answer = page.post(change_url(channel), form(name="改名", kind=channel.kind, zone=zone.pk))
        assert answer.status_code in (302, 403), person
    channel.refresh_from_db()
    assert channel.name == "晋中开发区项目群"


def test_the_rule_and_its_query_agree(zone, alice, bob, channel_keeper, superuser):
    robot(zone)
    city = UserFactory(username="city")
    CityRole.objects.create(user=city, city="晋中市", role=Role.CITY_SUPERVISOR)
    people = [alice, bob, city, channel_keeper, superuser]
    people += [
        administrator(f"admin-{role}", role) for role in (AdminRole.SECURITY, AdminRole.AUDIT)
    ]
    for person in people:
        kept = permissions.channels_kept(Channel.objects.all(), person)
        one = Channel.objects.get()
        assert kept.exists() == permissions.may_keep_channel(person, one), person


# --- each kind's checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "https://example.com/cgi-bin/webhook/send?key=abc",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
        "https://qyapi.weixin.qq.com/cgi-bin/message/send?key=abc",
        DING_WEBHOOK,
        "http://127.0.0.1:8765/cgi-bin/webhook/send?key=abc",
    ],
)
def test_it_refuses_what_is_no_wecom_robot_address(as_user, channel_keeper, zone, address):
    page = as_user(channel_keeper)
    answer = page.post(
        ADD, form(name="群", kind=ChannelKind.WECOM_ROBOT, zone=zone.pk, webhook_url=address)
    )
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" in refused(answer, "webhook_url")
    assert "群机器人" in answer.content.decode()
    assert not Channel.objects.exists()


def test_a_dingtalk_robot_needs_its_address_and_a_sec_signing_secret(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    data = form(name="群", kind=ChannelKind.DINGTALK_ROBOT, zone=zone.pk, webhook_url=WECOM_WEBHOOK)
    answer = page.post(ADD, data)
    assert "https://oapi.dingtalk.com/robot/send?access_token=" in refused(answer, "webhook_url")
    assert "加签" in refused(answer, "signing_secret")
    answer = page.post(ADD, {**data, "webhook_url": DING_WEBHOOK, "signing_secret": "d5f0a7c3e1b9"})
    assert "SEC" in refused(answer, "signing_secret")
    assert not Channel.objects.exists()


def test_a_loopback_address_passes_only_with_debug(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    local = "http://127.0.0.1:8765/robot/send?access_token=t"
    data = form(
        name="群",
        kind=ChannelKind.DINGTALK_ROBOT,
        zone=zone.pk,
        webhook_url=local,
        signing_secret="SEC1",
    )
    refused(page.post(ADD, data), "webhook_url")
    with override_settings(DEBUG=True):
        saved(page.post(ADD, data))
    assert Channel.objects.get().webhook.reveal() == local


def test_a_wecom_application_needs_corp_agent_and_secret(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    data = form(name="晋中开发区企业微信", kind=ChannelKind.WECOM_APP, zone=zone.pk)
    answer = page.post(ADD, data)
    assert "企业ID" in refused(answer, "corp_id")
    refused(answer, "agent_id")
    refused(answer, "app_secret")
    answer = page.post(ADD, {**data, "corp_id": "ww1", "agent_id": "10000x", "app_secret": "s"})
    refused(answer, "agent_id")
    saved(
        page.post(ADD, {**data, "corp_id": "ww1", "agent_id": "1000002", "app_secret": APP_SECRET})
    )
    channel = Channel.objects.get()
    assert (channel.corp_id, channel.agent_id, channel.secret.reveal()) == (
        "ww1",
        "1000002",
        APP_SECRET,
    )
    assert not channel.webhook


def test_sms_needs_what_its_provider_needs(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    data = form(name="短信", kind=ChannelKind.SMS, zone=zone.pk)
    refused(page.post(ADD, data), "sms_provider")
    answer = page.post(ADD, {**data, "sms_provider": "tencent"})
    for field in ("access_key_id", "sms_secret", "sms_app_id", "sign_name", "template_code"):
        refused(answer, field)
    answer = page.post(ADD, {**data, "sms_provider": "aliyun", "access_key_id": "LTAI5t",
                             "sms_secret": SMS_SECRET, "sign_name": "晋中开发区",
                             "template_code": "SMS_1234"})  # fmt: skip
    saved(answer)
    assert Channel.objects.get().secret.reveal() == SMS_SECRET


def test_the_test_provider_needs_no_account(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    saved(
        page.post(ADD, form(name="短信", kind=ChannelKind.SMS, zone=zone.pk, sms_provider="test"))
    )


def test_a_channel_is_of_a_zone_or_of_a_city(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    for place in ({"zone": zone.pk, "city": "晋中市"}, {}):
        answer = page.post(ADD, form(name="群", kind=ChannelKind.SMS, sms_provider="test", **place))
        assert answer.status_code == 200
        assert "二选一" in " ".join(answer.context["adminform"].form.non_field_errors())
    assert not Channel.objects.exists()


def test_a_channel_switched_off_may_wait_for_its_secret(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    data = form(name="群", kind=ChannelKind.DINGTALK_ROBOT, zone=zone.pk, enabled=False)
    saved(page.post(ADD, data))
    assert not Channel.objects.get().enabled


# --- secrets kept, replaced, cleared, never drawn ---------------------------------------------


def test_the_page_shows_a_set_secret_masked_and_never_its_text(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper).get(change_url(channel)).content.decode()
    assert f"已设置（{Secret(DING_SECRET).masked()}）" in page
    assert f"已设置（{Secret(DING_WEBHOOK).masked()}）" in page
    assert DING_SECRET not in page and DING_WEBHOOK not in page
    assert 'name="webhook_url_clear"' in page and 'name="signing_secret_clear"' in page


def test_a_blank_input_keeps_the_stored_secret(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper)
    saved(page.post(change_url(channel), form(name="新名称", kind=channel.kind, zone=zone.pk)))
    channel.refresh_from_db()
    assert channel.name == "新名称"
    assert (channel.webhook.reveal(), channel.secret.reveal()) == (DING_WEBHOOK, DING_SECRET)


def test_a_typed_secret_replaces_the_stored_one(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper)
    data = form(
        name=channel.name, kind=channel.kind, zone=zone.pk, signing_secret="SECnew0123456789"
    )
    saved(page.post(change_url(channel), data))
    channel.refresh_from_db()
    assert channel.secret.reveal() == "SECnew0123456789"
    assert channel.webhook.reveal() == DING_WEBHOOK


def test_the_clear_box_removes_a_secret(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper)
    data = form(
        name=channel.name, kind=channel.kind, zone=zone.pk, enabled=False, signing_secret_clear="on"
    )
    saved(page.post(change_url(channel), data))
    channel.refresh_from_db()
    assert not channel.secret
    assert channel.webhook.reveal() == DING_WEBHOOK


def test_a_new_kind_keeps_none_of_the_old_kinds_secrets(as_user, channel_keeper, zone):
    """A DingTalk signing secret is no WeCom application's Secret."""
    channel = robot(zone)
    page = as_user(channel_keeper)
    data = form(
        name=channel.name,
        kind=ChannelKind.WECOM_APP,
        zone=zone.pk,
        corp_id="ww1",
        agent_id="1000002",
    )
    refused(page.post(change_url(channel), data), "app_secret")
    saved(page.post(change_url(channel), {**data, "app_secret": APP_SECRET}))
    channel.refresh_from_db()
    assert channel.secret.reveal() == APP_SECRET
    assert not channel.webhook


# --- the audit record -------------------------------------------------------------------------


def test_a_change_is_audited_naming_the_secrets_without_their_text(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper)
    data = form(
        name="改名后的群", kind=channel.kind, zone=zone.pk, signing_secret="SECnew0123456789"
    )
    saved(page.post(change_url(channel), data))
    event = AuditEvent.objects.get(kind=AuditKind.CONFIGURATION)
    assert event.user == channel_keeper
    assert event.object_id == str(channel.pk)
    assert event.detail["action"] == "changed"
    assert event.detail["changed"] == {
        "name": ["晋中开发区项目群", "改名后的群"],
        "secret": "changed",
    }
    assert "SECnew" not in str(event.detail) and DING_SECRET not in str(event.detail)


def test_adding_is_audited_with_the_plain_values_only(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    data = form(name="群", kind=ChannelKind.DINGTALK_ROBOT, zone=zone.pk, webhook_url=DING_WEBHOOK,
                signing_secret=DING_SECRET)  # fmt: skip
    saved(page.post(ADD, data))
    event = AuditEvent.objects.get(kind=AuditKind.CONFIGURATION)
    assert event.detail["action"] == "added"
    assert event.detail["values"]["zone"] == str(zone)
    assert event.detail["changed"] == {"webhook": "added", "secret": "added"}
    assert DING_SECRET not in str(event.detail) and DING_WEBHOOK not in str(event.detail)


def test_a_channel_that_delivered_is_switched_off_not_deleted(
    as_user, channel_keeper, zone, alices_reminder
):
    channel = robot(zone)
    page = as_user(channel_keeper)
    delete = change_url(channel).replace("/change/", "/delete/")
    assert page.get(delete).status_code == 200
    Dispatch.objects.create(channel=channel, reminder=alices_reminder)
    assert page.get(delete).status_code == 403


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_each_channels_health(as_user, channel_keeper, zone, alices_reminder):
    quiet, failing = robot(zone, name="无投递的群"), robot(zone, name="有失败的群")
    now = timezone.now()
    sent_at = now - dt.timedelta(hours=3)
    Dispatch.objects.create(
        channel=failing, reminder=alices_reminder, status=Delivery.SENT, sent_at=sent_at
    )
    other = _reminder_like(alices_reminder)
    Dispatch.objects.create(channel=failing, reminder=other, status=Delivery.FAILED, attempts=5)
    old = _reminder_like(alices_reminder)
    Dispatch.objects.create(channel=failing, reminder=old, status=Delivery.FAILED,
                            created_at=now - dt.timedelta(days=8))  # fmt: skip
    retrying = _reminder_like(alices_reminder)
    Dispatch.objects.create(channel=failing, reminder=retrying, status=Delivery.PENDING, attempts=2)
    answer = as_user(channel_keeper).get(CHANNELS)
    rows = {row.pk: row for row in answer.context["cl"].result_list}
    assert (rows[quiet.pk].last_sent_at, rows[quiet.pk].failures_7d) == (None, 0)
    assert rows[failing.pk].last_sent_at == sent_at
    assert rows[failing.pk].failures_7d == 2  # given up, and retrying after an error; not the old
    page = answer.content.decode()
    assert timezone.localtime(sent_at).strftime("%Y-%m-%d %H:%M") in page


def _reminder_like(reminder):
    reminder.pk = None
    reminder.period += 1
    reminder.save()
    return reminder


def _list_queries(client) -> int:
    client.get(CHANNELS)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(CHANNELS).status_code == 200
    return len(captured)


def test_the_list_sends_as_many_queries_for_30_channels_as_for_3(
    as_user, channel_keeper, zone, alices_reminder
):
    page = as_user(channel_keeper)
    for n in range(3):
        Dispatch.objects.create(channel=robot(zone, name=f"群{n}"), reminder=alices_reminder)
    few = _list_queries(page)
    for n in range(3, 30):
        channel = robot(None, name=f"群{n}", city="晋中市")
        Dispatch.objects.create(channel=channel, reminder=alices_reminder)
    assert _list_queries(page) == few


# --- a deployment without internet ------------------------------------------------------------

OFFLINE = "本系统部署在无互联网的网络中：所有外部渠道均已关闭，提醒只进入系统内消息（及邮件），督办通报仍可下载。"


@override_settings(CHANNELS_OFFLINE=True)
def test_offline_the_pages_say_every_channel_is_off(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper)
    for url in (CHANNELS, change_url(channel), ADD):
        assert OFFLINE in page.get(url).content.decode(), url
    answer = page.get(CHANNELS)
    assert answer.context["cl"].model_admin.on(channel) is False


def test_online_the_pages_say_nothing_of_it(as_user, channel_keeper, zone):
    channel = robot(zone)
    page = as_user(channel_keeper)
    for url in (CHANNELS, change_url(channel)):
        assert "无互联网" not in page.get(url).content.decode()


@override_settings(CHANNELS_OFFLINE=True)
def test_offline_a_channel_is_added_switched_off(as_user, channel_keeper, zone):
    page = as_user(channel_keeper)
    answer = page.post(
        ADD,
        form(name="群", kind=ChannelKind.WECOM_ROBOT, zone=zone.pk, webhook_url=WECOM_WEBHOOK),
        follow=True,
    )
    assert answer.status_code == 200
    assert not Channel.objects.get().enabled
    assert "CHANNELS_OFFLINE" in answer.content.decode()
