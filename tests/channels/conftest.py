"""The channels' tests (issue 23): a fake of the platforms on the loopback address."""

from __future__ import annotations

import pytest

from tests.channels.platform_servers import PlatformServers


@pytest.fixture
def platforms():
    """A started fake of 企业微信, 钉钉, 阿里云 and 腾讯云 on 127.0.0.1 (a random port), stopped
    after the test; see tests/channels/platform_servers.py for what it checks and records."""
    with PlatformServers() as servers:
        yield servers


@pytest.fixture
def sms_outbox():
    """``TestSms``'s outbox, empty at the start of the test (as Django empties mail.outbox)."""
    from approvals.channels.platforms.sms import TEST_OUTBOX

    TEST_OUTBOX.clear()
    yield TEST_OUTBOX
    TEST_OUTBOX.clear()
