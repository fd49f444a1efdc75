"""The platforms' clients (issue 23) against the fake platforms over real HTTP on 127.0.0.1:
each request's format, the documented answers as ``PlatformError``s (code, retry), timeouts,
企业微信's token cached and fetched again once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from approvals.channels.platforms import PlatformError, wecom
from approvals.channels.platforms.dingtalk import DingtalkRobot, sign
from approvals.channels.platforms.sms import AliyunSms, TencentSms, TestSms
from approvals.channels.platforms.wecom import WecomApp, WecomRobot

KEY = "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "d7f1c5a8e2b9a3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8"
DING_SECRET = "SECb9e6f1d2c3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"
CORP, AGENT, CORP_SECRET = "ww1234567890abcdef", 1000002, "corp-app-secret-Zz9Yy8Xx7"


def _error(call) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        call()
    return caught.value


# --- 企业微信 group robot ----------------------------------------------------------------------


def test_wecom_markdown_is_the_documented_json_to_the_webhook(platforms):
    robot = WecomRobot(platforms.wecom_webhook(KEY))
    robot.send_markdown("## 督办提醒\n<@zhangsan> 请处理 **红色** 项目")

    (request,) = platforms.sent("wecom_robot")
    assert request.method == "POST"
    assert request.path == "/cgi-bin/webhook/send"
    assert request.query == {"key": KEY}
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"content": "## 督办提醒\n<@zhangsan> 请处理 **红色** 项目"},
    }


def test_wecom_text_mentions_user_ids_and_mobiles(platforms):
    robot = WecomRobot(platforms.wecom_webhook(KEY))
    robot.send_text("请处理", mentioned_userids=["zhangsan"], mentioned_mobiles=["13800001111"])

    (request,) = platforms.sent("wecom_robot")
    assert request.json == {
        "msgtype": "text",
        "text": {
            "content": "请处理",
            "mentioned_list": ["zhangsan"],
            "mentioned_mobile_list": ["13800001111"],
        },
    }


def test_wecom_markdown_over_4096_bytes_is_refused_before_any_call(platforms):
    robot = WecomRobot(platforms.wecom_webhook(KEY))
    content = "红" * 1366  # 4098 bytes in UTF-8, 1366 characters

    error = _error(lambda: robot.send_markdown(content))

    assert (error.code, error.retry) == ("too-long", False)
    assert "4098" in str(error)
    assert platforms.received() == []
    robot.send_markdown("红" * 1365)  # 4095 bytes: accepted
    assert len(platforms.sent("wecom_robot")) == 1


def test_wecom_answers_40058_for_an_over_long_markdown(platforms, monkeypatch):
    """The fake checks the length as 企业微信 does (with the client's own check lifted)."""
    monkeypatch.setattr(wecom, "MARKDOWN_LIMIT", 10**6)
    robot = WecomRobot(platforms.wecom_webhook(KEY))

    error = _error(lambda: robot.send_markdown("x" * 4097))

    assert (error.code, error.retry) == (40058, False)


def test_wecom_text_over_2048_bytes_is_refused(platforms):
    robot = WecomRobot(platforms.wecom_webhook(KEY))
    error = _error(lambda: robot.send_text("红" * 683))
    assert (error.code, error.retry) == ("too-long", False)


def test_wecom_upload_is_multipart_media_with_its_filename_then_a_file_message(platforms):
    robot = WecomRobot(platforms.wecom_webhook(KEY))
    data = b"PK\x03\x04 a docx of the week"

    media_id = robot.upload_file("督办通报 2025-W23.docx", data)
    robot.send_file(media_id)

    upload, message = platforms.sent("wecom_robot")
    assert upload.path == "/cgi-bin/webhook/upload_media"
    assert upload.query == {"key": KEY, "type": "file"}
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    (part,) = upload.parts
    assert (part.name, part.filename, part.data) == ("media", "督办通报 2025-W23.docx", data)
    assert message.json == {"msgtype": "file", "file": {"media_id": media_id}}


@pytest.mark.parametrize("size", [4, 20 * 1024 * 1024 + 1])
def test_wecom_upload_refuses_a_file_outside_5_bytes_to_20_mb(platforms, size):
    robot = WecomRobot(platforms.wecom_webhook(KEY))
    error = _error(lambda: robot.upload_file("a.docx", b"x" * size))
    assert (error.code, error.retry) == ("bad-size", False)
    assert platforms.received() == []


def test_wecom_unknown_key_is_93000_not_to_retry(platforms):
    robot = WecomRobot(platforms.wecom_webhook("removed-robot-key-0000", register=False))

    error = _error(lambda: robot.send_markdown("hi"))

    assert (error.code, error.retry) == (93000, False)
    assert "removed-robot-key-0000" not in str(error) + error.detail
    assert str(error) == (
        "企业微信群机器人 返回错误 93000：机器人的 Webhook 地址无效（机器人已被移除，或其 key 有误）。"
    )


def test_wecom_rate_limit_45009_is_retried_later(platforms):
    platforms.fail_next(1, "wecom_robot", 45009)
    robot = WecomRobot(platforms.wecom_webhook(KEY))

    error = _error(lambda: robot.send_markdown("hi"))
    assert (error.code, error.retry) == (45009, True)
    robot.send_markdown("hi")  # the next minute: delivered
    assert len(platforms.sent("wecom_robot")) == 1


def test_a_proxy_502_without_json_is_retried(platforms):
    platforms.fail_next(1, "wecom_robot", status=502)
    error = _error(lambda: WecomRobot(platforms.wecom_webhook(KEY)).send_markdown("hi"))
    assert (error.code, error.retry) == ("http-502", True)


def test_a_platform_slower_than_the_timeout_is_a_retried_failure(platforms, settings):
    settings.CHANNEL_TIMEOUT_SECONDS = 0.3
    platforms.hang("wecom_robot", 2)
    robot = WecomRobot(platforms.wecom_webhook(KEY))

    started = time.monotonic()
    error = _error(lambda: robot.send_markdown("hi"))

    assert time.monotonic() - started < 1.5
    assert (error.code, error.retry) == ("timeout", True)
    assert "0.3" in str(error)


def test_a_client_timeout_overrides_the_setting(platforms, settings):
    settings.CHANNEL_TIMEOUT_SECONDS = 30
    platforms.hang("dingtalk", 2)
    robot = DingtalkRobot(platforms.dingtalk_webhook(DING_TOKEN), timeout=0.3)
    assert _error(lambda: robot.send_markdown("t", "x")).code == "timeout"


def test_an_address_nobody_listens_on_is_a_retried_failure():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    robot = WecomRobot(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={KEY}")

    error = _error(lambda: robot.send_markdown("hi"))

    assert (error.code, error.retry) == ("connection", True)


def test_a_webhook_address_without_key_is_refused_at_once():
    error = _error(lambda: WecomRobot("https://qyapi.weixin.qq.com/cgi-bin/webhook/send"))
    assert (error.code, error.retry) == ("bad-address", False)


# --- 企业微信 application messages ---------------------------------------------------------------


@pytest.fixture
def app(platforms):
    platforms.wecom_corps[CORP] = CORP_SECRET
    return WecomApp(CORP, AGENT, CORP_SECRET, api_base=platforms.wecom_api_base)


def test_wecom_app_sends_a_textcard_with_the_documented_fields(platforms, app):
    invalid = app.send_textcard(
        ["zhangsan", "lisi"], "里程碑逾期", "项目甲：环评批复已逾期 3 天", "https://desk/r/1"
    )

    assert invalid == []
    (token_call,) = platforms.received("wecom_token")
    assert token_call.method == "GET"
    assert token_call.query == {"corpid": CORP, "corpsecret": CORP_SECRET}
    (message,) = platforms.sent("wecom_app")
    assert message.query == {"access_token": token_call.answer["access_token"]}
    assert message.json == {
        "touser": "zhangsan|lisi",
        "msgtype": "textcard",
        "agentid": AGENT,
        "textcard": {
            "title": "里程碑逾期",
            "description": "项目甲：环评批复已逾期 3 天",
            "url": "https://desk/r/1",
            "btntxt": "详情",
        },
    }


def test_wecom_app_token_is_cached_one_gettoken_for_two_sends(platforms, app):
    app.send_textcard(["zhangsan"], "t", "d", "https://desk/r/1")
    WecomApp(CORP, AGENT, CORP_SECRET, api_base=platforms.wecom_api_base).send_textcard(
        ["lisi"], "t", "d", "https://desk/r/2"
    )

    assert len(platforms.received("wecom_token")) == 1
    assert len(platforms.sent("wecom_app")) == 2


def test_wecom_app_expired_token_is_fetched_again_once(platforms, app):
    app.send_textcard(["zhangsan"], "t", "d", "https://desk/r/1")
    platforms.expire_tokens()

    app.send_textcard(["zhangsan"], "t", "d", "https://desk/r/2")

    assert len(platforms.received("wecom_token")) == 2
    codes = [r.answer["errcode"] for r in platforms.received("wecom_app")]
    assert codes == [0, 42001, 0]


def test_wecom_app_token_refused_again_after_the_refresh_is_an_error(platforms, app):
    platforms.fail_next(2, "wecom_app", 42001)

    error = _error(lambda: app.send_textcard(["zhangsan"], "t", "d", "https://desk/r/1"))

    assert (error.code, error.retry) == (42001, True)
    assert len(platforms.received("wecom_token")) == 2  # the first, and one refresh only
    assert len(platforms.received("wecom_app")) == 2


def test_wecom_app_wrong_secret_is_40001_not_to_retry(platforms):
    platforms.wecom_corps[CORP] = CORP_SECRET
    app = WecomApp(CORP, AGENT, "a-wrong-secret-1234", api_base=platforms.wecom_api_base)

    error = _error(lambda: app.send_textcard(["zhangsan"], "t", "d", "https://desk/r/1"))

    assert (error.code, error.retry) == (40001, False)
    assert platforms.received("wecom_app") == []


def test_wecom_app_unknown_corp_is_40013(platforms):
    app = WecomApp("ww-unknown", AGENT, CORP_SECRET, api_base=platforms.wecom_api_base)
    assert _error(lambda: app.access_token()).code == 40013


def test_wecom_app_returns_the_users_it_could_not_reach(platforms, app):
    platforms.wecom_users = {"zhangsan"}
    assert app.send_textcard(["zhangsan", "departed"], "t", "d", "https://desk/r/1") == ["departed"]


def test_wecom_app_no_reachable_user_is_81013(platforms, app):
    platforms.wecom_users = {"zhangsan"}
    error = _error(lambda: app.send_textcard(["departed"], "t", "d", "https://desk/r/1"))
    assert (error.code, error.retry) == (81013, False)


def test_wecom_app_untrusted_ip_60020_is_not_to_retry(platforms, app):
    platforms.fail_next(1, "wecom_app", 60020)
    error = _error(lambda: app.send_textcard(["zhangsan"], "t", "d", "https://desk/r/1"))
    assert (error.code, error.retry) == (60020, False)
    assert "IP" in str(error)


def test_wecom_app_token_cache_key_names_no_secret(app):
    assert CORP_SECRET not in app.cache_key
    other = WecomApp(CORP, AGENT, "another-secret-xyz")
    assert other.cache_key != app.cache_key


# --- 钉钉 custom robot -----------------------------------------------------------------------


def _independent_sign(secret: str, timestamp: str) -> str:
    string_to_sign = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(
        hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    ).decode()


def test_dingtalk_sign_is_the_documented_hmac_sha256():
    assert sign("this is secret", 1577262236757) == _independent_sign(
        "this is secret", "1577262236757"
    )


def test_dingtalk_markdown_is_signed_in_the_query_and_mentions_mobiles(platforms):
    robot = DingtalkRobot(platforms.dingtalk_webhook(DING_TOKEN, DING_SECRET), DING_SECRET)

    before = int(time.time() * 1000)
    robot.send_markdown(
        "督办提醒", "#### 督办提醒\n@13800001111 请处理", at_mobiles=["13800001111"]
    )

    (request,) = platforms.sent("dingtalk")
    assert request.path == "/robot/send"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == DING_TOKEN
    assert before <= int(request.query["timestamp"]) <= int(time.time() * 1000)
    assert request.query["sign"] == _independent_sign(DING_SECRET, request.query["timestamp"])
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"title": "督办提醒", "text": "#### 督办提醒\n@13800001111 请处理"},
        "at": {"atMobiles": ["13800001111"], "isAtAll": False},
    }


def test_dingtalk_link_for_a_file_to_download(platforms):
    robot = DingtalkRobot(platforms.dingtalk_webhook(DING_TOKEN))
    robot.send_link("督办通报", "第 23 周", "https://desk/bulletins/7.docx")

    (request,) = platforms.sent("dingtalk")
    assert "sign" not in request.query  # no 加签: no timestamp, no sign
    assert request.json["msgtype"] == "link"
    assert request.json["link"]["messageUrl"] == "https://desk/bulletins/7.docx"


def test_dingtalk_wrong_secret_is_310000_signature(platforms):
    url = platforms.dingtalk_webhook(DING_TOKEN, DING_SECRET)
    robot = DingtalkRobot(url, "SEC-not-the-robots-secret-000")

    error = _error(lambda: robot.send_markdown("t", "x"))

    assert (error.code, error.retry) == (310000, False)
    assert "signature" in str(error) or "签名" in str(error)


def test_dingtalk_missing_keyword_is_310000_keyword(platforms):
    platforms.dingtalk_keywords[DING_TOKEN] = ["督办"]
    robot = DingtalkRobot(platforms.dingtalk_webhook(DING_TOKEN))

    error = _error(lambda: robot.send_markdown("提醒", "无关键词"))

    assert error.code == 310000
    assert "keyword" in str(error) or "关键词" in str(error)
    robot.send_markdown("督办", "督办提醒")
    assert len(platforms.sent("dingtalk")) == 1


def test_dingtalk_too_fast_130101_is_retried(platforms):
    platforms.fail_next(1, "dingtalk", 130101)
    robot = DingtalkRobot(platforms.dingtalk_webhook(DING_TOKEN))
    error = _error(lambda: robot.send_markdown("t", "x"))
    assert (error.code, error.retry) == (130101, True)


def test_dingtalk_unknown_token_is_not_to_retry(platforms):
    robot = DingtalkRobot(platforms.dingtalk_webhook("gone", register=False))
    error = _error(lambda: robot.send_markdown("t", "x"))
    assert (error.code, error.retry) == (300001, False)


# --- SMS -------------------------------------------------------------------------------------


@pytest.fixture
def aliyun(platforms):
    platforms.aliyun_keys["LTAI5tExampleKeyId"] = "aliyun-secret-Qq1Ww2Ee3"
    return AliyunSms(
        "LTAI5tExampleKeyId", "aliyun-secret-Qq1Ww2Ee3", "晋中开发区", platforms.aliyun_endpoint
    )


@pytest.fixture
def tencent(platforms):
    platforms.tencent_keys["AKIDexampleSecretId"] = "tencent-key-Rr4Tt5Yy6"
    return TencentSms(
        "AKIDexampleSecretId",
        "tencent-key-Rr4Tt5Yy6",
        "1400000001",
        "晋中开发区",
        endpoint=platforms.tencent_endpoint,
    )


def test_aliyun_sendsms_is_signed_and_carries_the_template(platforms, aliyun):
    biz_id = aliyun.send("13800001111", "SMS_123456", {"project": "项目甲", "days": "3"})

    (request,) = platforms.sent("aliyun")  # the fake checked the HMAC-SHA1 signature
    assert biz_id == request.answer["BizId"]
    form = request.form
    assert (form["Action"], form["Version"], form["Format"]) == ("SendSms", "2017-05-25", "JSON")
    assert (form["SignatureMethod"], form["SignatureVersion"]) == ("HMAC-SHA1", "1.0")
    assert (form["PhoneNumbers"], form["SignName"], form["TemplateCode"]) == (
        "13800001111",
        "晋中开发区",
        "SMS_123456",
    )
    assert json.loads(form["TemplateParam"]) == {"project": "项目甲", "days": "3"}


def test_aliyun_wrong_secret_is_signature_does_not_match(platforms):
    platforms.aliyun_keys["LTAI5tExampleKeyId"] = "aliyun-secret-Qq1Ww2Ee3"
    sms = AliyunSms("LTAI5tExampleKeyId", "wrong-secret-000", "签名", platforms.aliyun_endpoint)

    error = _error(lambda: sms.send("13800001111", "SMS_1", {}))

    assert (error.code, error.retry) == ("SignatureDoesNotMatch", False)


def test_aliyun_business_limit_is_retried(platforms, aliyun):
    platforms.fail_next(1, "aliyun", "isv.BUSINESS_LIMIT_CONTROL")
    error = _error(lambda: aliyun.send("13800001111", "SMS_1", {}))
    assert (error.code, error.retry) == ("isv.BUSINESS_LIMIT_CONTROL", True)


def test_aliyun_illegal_mobile_is_not_retried(platforms, aliyun):
    error = _error(lambda: aliyun.send("1380000", "SMS_1", {}))
    assert (error.code, error.retry) == ("isv.MOBILE_NUMBER_ILLEGAL", False)


def test_tencent_sendsms_is_tc3_signed_with_the_parameters_in_order(platforms, tencent):
    serial = tencent.send("13800001111", "1234567", {"project": "项目甲", "days": "3"})

    (request,) = platforms.sent("tencent")  # the fake checked the TC3-HMAC-SHA256 signature
    assert serial == request.answer["Response"]["SendStatusSet"][0]["SerialNo"]
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert request.headers["authorization"].startswith(
        "TC3-HMAC-SHA256 Credential=AKIDexampleSecretId/"
    )
    assert request.json == {
        "PhoneNumberSet": ["+8613800001111"],
        "SmsSdkAppId": "1400000001",
        "SignName": "晋中开发区",
        "TemplateId": "1234567",
        "TemplateParamSet": ["项目甲", "3"],
    }


def test_tencent_wrong_key_is_signature_failure(platforms):
    platforms.tencent_keys["AKIDexampleSecretId"] = "tencent-key-Rr4Tt5Yy6"
    sms = TencentSms(
        "AKIDexampleSecretId",
        "wrong-key-000",
        "1400000001",
        "签名",
        endpoint=platforms.tencent_endpoint,
    )

    error = _error(lambda: sms.send("13800001111", "1", {}))

    assert (error.code, error.retry) == ("AuthFailure.SignatureFailure", False)


def test_tencent_number_limit_is_retried(platforms, tencent):
    platforms.fail_next(1, "tencent", "LimitExceeded.PhoneNumberDailyLimit")
    error = _error(lambda: tencent.send("13800001111", "1", {}))
    assert (error.code, error.retry) == ("LimitExceeded.PhoneNumberDailyLimit", True)


def test_tencent_incorrect_number_is_not_retried(platforms, tencent):
    error = _error(lambda: tencent.send("12345", "1", {}))
    assert (error.code, error.retry) == ("InvalidParameterValue.IncorrectPhoneNumber", False)


def test_test_sms_sends_nothing_and_keeps_the_message(sms_outbox):
    assert TestSms().send("13800001111", "SMS_1", {"a": "1"}) == "test-1"
    assert sms_outbox == [("13800001111", "SMS_1", {"a": "1"})]


def test_a_held_call_is_pending_until_released(platforms):
    """For a test that kills a worker while its call is on the wire."""
    import threading

    platforms.hold("dingtalk")
    robot = DingtalkRobot(platforms.dingtalk_webhook(DING_TOKEN), timeout=10)
    worker = threading.Thread(target=robot.send_markdown, args=("t", "x"))
    worker.start()

    assert platforms.wait_pending(5)
    (pending,) = platforms.received("dingtalk")
    assert pending.status is None and platforms.sent("dingtalk") == []
    platforms.release()
    worker.join(5)
    assert len(platforms.sent("dingtalk")) == 1
