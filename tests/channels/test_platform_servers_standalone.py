"""The fake platforms as a process of their own (for a test of a real worker): the port written
once listening, each answered request in the JSON lines file and at GET /_received, faults
injected through POST /_control."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.conf import settings

from approvals.channels.platforms import PlatformError
from approvals.channels.platforms.dingtalk import DingtalkRobot
from tests.channels.platform_servers import PlatformsClient

pytestmark = pytest.mark.slow


def test_the_standalone_server_records_and_takes_faults(tmp_path):
    port_file, requests_file, config = (tmp_path / n for n in ("port", "requests.jsonl", "c.json"))
    config.write_text(json.dumps({"dingtalk_secret": {"tok": "SECsecret"}}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.channels.platform_servers",
            "--port-file",
            str(port_file),
            "--requests-file",
            str(requests_file),
            "--config",
            str(config),
        ],
        cwd=settings.BASE_DIR,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        robot = DingtalkRobot(f"{base}/robot/send?access_token=tok", "SECsecret", timeout=5)
        fake = PlatformsClient(base)

        robot.send_markdown("督办", "督办提醒")
        fake.control("fail_next", n=1, platform="dingtalk", errcode=130101)
        with pytest.raises(PlatformError) as caught:
            robot.send_markdown("督办", "督办提醒")

        assert caught.value.code == 130101
        assert [r["json"]["markdown"]["text"] for r in fake.sent("dingtalk")] == ["督办提醒"]
        lines = [json.loads(line) for line in requests_file.read_text().splitlines()]
        assert [(r["platform"], r["ok"]) for r in lines] == [
            ("dingtalk", True),
            ("dingtalk", False),
        ]
    finally:
        process.terminate()
        process.wait(10)
