"""No secret of a channel (a webhook's key, 钉钉's secret and signature, an application's secret
and token, an SMS key's secret) in a ``PlatformError`` (its message, repr, detail, a logged
traceback) or in any log line, at DEBUG too (urllib3 writes each request line there), in
every failure mode."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from approvals.channels.platforms import PlatformError, scrub
from approvals.channels.platforms.dingtalk import DingtalkRobot
from approvals.channels.platforms.sms import AliyunSms, TencentSms
from approvals.channels.platforms.wecom import WecomApp, WecomRobot

KEY = "robotkey-5f0c2d9e-secret"
DING_TOKEN = "dingtoken5f0c2d9esecret"
DING_SECRET = "SECdingsecret5f0c2d9e+/="
APP_SECRET = "appsecret-5f0c2d9e"
ALI_SECRET = "alisecret+5f0c/2d9e"
TC_KEY = "tckey5f0c2d9esecret"
SECRETS = (KEY, DING_TOKEN, DING_SECRET, APP_SECRET, ALI_SECRET, TC_KEY)


def test_scrub_masks_the_credentials_of_a_query():
    text = (
        "HTTPConnectionPool(host='x', port=1): Max retries exceeded with url: "
        "/cgi-bin/webhook/send?key=abc-123&debug=1 and /gettoken?corpid=ww1&corpsecret=s3cr3t"
        " and /robot/send?access_token=t0kval&timestamp=1&sign=a%2Bb%3D"
    )
    scrubbed = scrub(text)
    for secret in ("abc-123", "s3cr3t", "t0kval", "a%2Bb%3D"):
        assert secret not in scrubbed
    assert "debug=1" in scrubbed and "corpid=ww1" in scrubbed and "timestamp=1" in scrubbed


def test_scrub_masks_a_secret_as_written_and_url_encoded():
    scrubbed = scrub("a=SEC+x/y= b=SEC%2Bx%2Fy%3D c=SEC%2Bx%2Fy%3D", "SEC+x/y=")
    assert "SEC" not in scrubbed


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wecom_unknown(p):
    WecomRobot(p.wecom_webhook(KEY, register=False)).send_markdown("hi")


def _wecom_timeout(p):
    p.hang("wecom_robot", 1)
    WecomRobot(p.wecom_webhook(KEY), timeout=0.2).send_markdown("hi")


def _wecom_refused(p):
    WecomRobot(f"http://127.0.0.1:{_closed_port()}/cgi-bin/webhook/send?key={KEY}").send_text("hi")


def _wecom_upload_502(p):
    p.fail_next(1, "wecom_robot", status=502)
    WecomRobot(p.wecom_webhook(KEY)).upload_file("a.docx", b"123456")


def _ding_wrong_sign(p):
    DingtalkRobot(p.dingtalk_webhook(DING_TOKEN, "SECother-secret"), DING_SECRET).send_markdown(
        "t", "x"
    )


def _ding_timeout(p):
    p.hang("dingtalk", 1)
    DingtalkRobot(p.dingtalk_webhook(DING_TOKEN), DING_SECRET, timeout=0.2).send_link(
        "t", "x", "https://desk/f"
    )


def _ding_refused(p):
    url = f"http://127.0.0.1:{_closed_port()}/robot/send?access_token={DING_TOKEN}"
    DingtalkRobot(url, DING_SECRET).send_markdown("t", "x")


def _app_wrong_secret(p):
    p.wecom_corps["ww1"] = "the-right-one"
    WecomApp("ww1", 1, APP_SECRET, api_base=p.wecom_api_base).send_textcard(["a"], "t", "d", "u")


def _app_send_timeout(p):
    p.wecom_corps["ww1"] = APP_SECRET
    p.hang("wecom_app", 1)
    WecomApp("ww1", 1, APP_SECRET, api_base=p.wecom_api_base, timeout=0.2).send_textcard(
        ["a"], "t", "d", "u"
    )


def _app_token_refused(p):
    p.wecom_corps["ww1"] = APP_SECRET
    app = WecomApp("ww1", 1, APP_SECRET, api_base=p.wecom_api_base)
    app.access_token()
    p.fail_next(2, "wecom_app", 40014)
    app.send_textcard(["a"], "t", "d", "u")


def _app_refused(p):
    WecomApp("ww1", 1, APP_SECRET, api_base=f"http://127.0.0.1:{_closed_port()}").access_token()


def _aliyun_wrong_secret(p):
    p.aliyun_keys["LTAI"] = "the-right-one"
    AliyunSms("LTAI", ALI_SECRET, "签名", p.aliyun_endpoint).send("13800001111", "SMS_1", {})


def _aliyun_timeout(p):
    p.hang("aliyun", 1)
    AliyunSms("LTAI", ALI_SECRET, "签名", p.aliyun_endpoint, timeout=0.2).send("1", "S", {})


def _tencent_wrong_key(p):
    p.tencent_keys["AKID"] = "the-right-one"
    TencentSms("AKID", TC_KEY, "1400", "签名", endpoint=p.tencent_endpoint).send("1", "1", {})


def _tencent_refused(p):
    endpoint = f"http://127.0.0.1:{_closed_port()}/"
    TencentSms("AKID", TC_KEY, "1400", "签名", endpoint=endpoint).send("1", "1", {})


FAILURES = [
    _wecom_unknown,
    _wecom_timeout,
    _wecom_refused,
    _wecom_upload_502,
    _ding_wrong_sign,
    _ding_timeout,
    _ding_refused,
    _app_wrong_secret,
    _app_send_timeout,
    _app_token_refused,
    _app_refused,
    _aliyun_wrong_secret,
    _aliyun_timeout,
    _tencent_wrong_key,
    _tencent_refused,
]


@pytest.mark.parametrize("failure", FAILURES, ids=[f.__name__.strip("_") for f in FAILURES])
def test_no_secret_in_the_error_or_any_log_line(platforms, caplog, failure):
    caplog.set_level(logging.DEBUG)
    tokens = []

    with pytest.raises(PlatformError) as caught:
        try:
            failure(platforms)
        except PlatformError as error:
            logging.getLogger("approvals.channels.delivery").exception("delivery failed")
            tokens = [
                r.answer.get("access_token", "")
                for r in platforms.received("wecom_token")
                if isinstance(r.answer, dict)
            ]
            raise error

    error = caught.value
    shown = "\n".join(
        [
            str(error),
            repr(error),
            error.detail,
            "".join(traceback.format_exception(error)),
            *(r.getMessage() for r in caplog.records),
            caplog.text,
        ]
    )
    assert caplog.records, "the failure logged nothing: the test would prove nothing"
    for secret in (*SECRETS, *(t for t in tokens if t)):
        assert secret not in shown, (secret, shown)
    signatures = [
        r.query.get("sign") for r in platforms.received("dingtalk") if r.query.get("sign")
    ]
    for signature in signatures:
        assert signature not in shown


def test_urllib3_request_lines_are_logged_without_the_key(platforms, caplog):
    caplog.set_level(logging.DEBUG)
    WecomRobot(platforms.wecom_webhook(KEY)).send_markdown("hi")

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/cgi-bin/webhook/send?key=***" in line for line in lines), lines
    assert KEY not in caplog.text


def test_clients_repr_names_no_secret():
    shown = repr(
        [
            WecomRobot(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"),
            DingtalkRobot(
                f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}", DING_SECRET
            ),
            WecomApp("ww1", 1, APP_SECRET),
            AliyunSms("LTAI", ALI_SECRET, "签名"),
            TencentSms("AKID", TC_KEY, "1400", "签名"),
        ]
    )
    for secret in SECRETS:
        assert secret not in shown
