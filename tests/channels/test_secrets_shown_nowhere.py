"""A channel's secrets are never shown (issue 23): channels of every kind saved through the
admin with secrets whose text is known, then every page the admin serves about them — the
channels' list and pages, their history, a form refused and drawn again, the reminder's page
with its deliveries, the audit log's list and records, the people's pages — and every log line
written meanwhile are searched for that text. In the database a secret is ciphertext."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.urls import reverse

from approvals.channels.models import Channel, ChannelKind, Dispatch
from approvals.core.secrets import decrypt
from approvals.models import AuditEvent, Delivery
from tests.channels import conftest_admin
from tests.channels.conftest_admin import (
    ADD,
    APP_SECRET,
    CHANNELS,
    DING_SECRET,
    DING_TOKEN,
    DING_WEBHOOK,
    SECRETS,
    SMS_SECRET,
    WECOM_WEBHOOK,
    change_url,
    form,
)
from tests.factories import administrator
from zones.models import AdminRole

pytestmark = pytest.mark.django_db
# The channel pages' fixtures (tests/channels/conftest_admin.py), by name.
alices_reminder = conftest_admin.alices_reminder
channel_keeper = conftest_admin.channel_keeper

#: What the pages show instead: a secret's mask ends in its last two characters.
REPLACED_SECRET = "SECreplaced-7Hq2Lw9Zx4Pv6Kt1Nm3Rb8Yc5"


def _add_every_kind(page, zone) -> None:
    """A channel of each kind added through the admin, then one of its secrets replaced."""
    for data in (
        form(name="钉钉群", kind=ChannelKind.DINGTALK_ROBOT, zone=zone.pk,
             webhook_url=DING_WEBHOOK, signing_secret=DING_SECRET),
        form(name="企业微信群", kind=ChannelKind.WECOM_ROBOT, zone=zone.pk, webhook_url=WECOM_WEBHOOK),
        form(name="企业微信应用", kind=ChannelKind.WECOM_APP, zone=zone.pk, corp_id="ww5a1",
             agent_id="1000002", app_secret=APP_SECRET),
        form(name="短信", kind=ChannelKind.SMS, city="晋中市", sms_provider="aliyun",
             access_key_id="LTAI5tQ", sms_secret=SMS_SECRET, sign_name="晋中开发区",
             template_code="SMS_1"),
    ):  # fmt: skip
        answer = page.post(ADD, data)
        assert answer.status_code == 302, answer.context["adminform"].form.errors
    ding = Channel.objects.get(kind=ChannelKind.DINGTALK_ROBOT)
    replaced = form(name="钉钉群", kind=ding.kind, zone=zone.pk, signing_secret=REPLACED_SECRET)
    assert page.post(change_url(ding), replaced).status_code == 302


def _pages_about_channels(channels) -> list[str]:
    urls = [CHANNELS, ADD, reverse("admin:index")]
    for channel in channels:
        urls += [change_url(channel), reverse("admin:approvals_channel_history", args=[channel.pk])]
    return urls


def _found(page, urls: list[str], secrets) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        answer = page.get(url)
        assert answer.status_code == 200, url
        text = answer.content.decode()
        shown = [secret for secret in secrets if secret in text]
        if shown:
            found[url] = shown
    return found


def test_no_page_and_no_log_line_shows_a_secret(
    client, as_user, channel_keeper, zone, alice, alices_reminder, caplog
):
    secrets = (*SECRETS, REPLACED_SECRET)
    caplog.set_level(logging.DEBUG)
    page = as_user(channel_keeper)
    _add_every_kind(page, zone)
    channels = list(Channel.objects.all())
    for channel in channels:
        Dispatch.objects.create(
            channel=channel,
            reminder=alices_reminder,
            status=Delivery.FAILED,
            attempts=5,
            last_error="钉钉答复 310000：签名不匹配",
        )
    # The system administrator's pages: the channels, their history, the people.
    urls = _pages_about_channels(channels)
    urls += [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[alice.pk]),
        reverse("admin:approvals_reminder_change", args=[alices_reminder.pk]),
        reverse("admin:my_channels"),
    ]
    assert _found(page, urls, secrets) == {}
    # A form refused is drawn again without what was typed.
    wrong = form(name="群", kind=ChannelKind.WECOM_ROBOT, zone=zone.pk, webhook_url=DING_WEBHOOK)
    refused = page.post(ADD, wrong)
    assert refused.status_code == 200
    assert DING_TOKEN not in refused.content.decode()
    # The recipient's reminder page, with the deliveries through the channels.
    reminder = reverse("admin:approvals_reminder_change", args=[alices_reminder.pk])
    assert _found(as_user(alice), [reminder, reverse("admin:my_channels")], secrets) == {}
    assert "签名不匹配" in as_user(alice).get(reminder).content.decode()
    # The audit log, as the audit administrator reads it.
    auditor = administrator("审计管理员", AdminRole.AUDIT)
    events = AuditEvent.objects.filter(object_type="approvals.Channel")
    assert events.count() == 5  # four added, one changed
    urls = [reverse("admin:approvals_auditevent_changelist")]
    urls += [reverse("admin:approvals_auditevent_change", args=[e.pk]) for e in events]
    assert _found(as_user(auditor), urls, secrets) == {}
    # Every log line written meanwhile.
    assert not [secret for secret in secrets if secret in caplog.text]


def test_the_database_holds_ciphertext(as_user, channel_keeper, zone):
    _add_every_kind(as_user(channel_keeper), zone)
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook, secret FROM approvals_channel")
        stored = [value for row in cursor.fetchall() for value in row if value]
    assert len(stored) == 5  # two webhooks, three secrets
    joined = " ".join(stored)
    for secret in (*SECRETS, REPLACED_SECRET):
        assert secret not in joined
    texts = {decrypt(value) for value in stored}
    assert texts == {DING_WEBHOOK, WECOM_WEBHOOK, REPLACED_SECRET, APP_SECRET, SMS_SECRET}


def test_the_reminders_deliveries_are_for_who_may_see_the_reminder(
    as_user, channel_keeper, zone, alices_reminder, bob, charlie
):
    page = as_user(channel_keeper)
    _add_every_kind(page, zone)
    channel = Channel.objects.get(kind=ChannelKind.WECOM_ROBOT)
    Dispatch.objects.create(
        channel=channel, reminder=alices_reminder, last_error="企业微信答复 93000"
    )
    url = reverse("admin:approvals_reminder_change", args=[alices_reminder.pk])
    assert "企业微信答复 93000" in page.get(url).content.decode()
    for other in (bob, charlie):
        answer = as_user(other).get(url)
        assert "93000" not in answer.content.decode()
        assert answer.status_code in (302, 403, 404)
