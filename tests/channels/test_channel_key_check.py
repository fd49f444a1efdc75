"""``check --deploy`` (issue 23): channels keeping secrets without the key that reads them is an
error (``./desk serve`` refuses to start); no channel, or the key set, is none."""

from __future__ import annotations

import pytest
from django.utils import translation

from approvals.channels.checks import channel_secrets_have_their_key
from approvals.models import ChannelKind
from tests.channels.outbox_world import channel

pytestmark = pytest.mark.django_db


def test_secrets_kept_without_their_key_is_an_error(settings, zone):
    settings.DEBUG = False
    assert channel_secrets_have_their_key() == []  # the tests' key is set
    settings.CHANNEL_SECRET_KEYS = []
    assert channel_secrets_have_their_key() == []  # no channel: no key needed
    settings.CHANNEL_SECRET_KEYS = ["dGVzdHMtb25seS1jaGFubmVsLWtleS0zMi1ieXRlcyE="]
    channel(ChannelKind.WECOM_ROBOT, zone=zone)
    settings.CHANNEL_SECRET_KEYS = []
    with translation.override("zh-hans"):
        (error,) = channel_secrets_have_their_key()
    assert error.id == "projectdesk.E130"
    assert "CHANNEL_SECRET_KEY" in error.msg and "未设置" in error.msg
