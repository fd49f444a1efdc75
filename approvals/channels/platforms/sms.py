"""SMS through a provider (``SmsProvider``): 阿里云 (``AliyunSms``), 腾讯云 (``TencentSms``), or the
tests' and the demo's ``TestSms``, which sends nothing and keeps what it was given in
``TEST_OUTBOX`` (as Django's ``mail.outbox``).

A message is a template approved by the provider, with its parameters: ``send(mobile,
template_code, params)`` returns the provider's id of the message (阿里云's BizId, 腾讯云's
SerialNo).

The two request signatures are written here by hand, following the providers' documentation,
rather than taken from their SDKs: each official SDK pulls in dozens of packages (its core, its
credentials, its tea/openapi runtime) for one signed POST, and the signatures are short and
tested here against an independent computation (tests/channels/platform_servers.py).

- 阿里云 SendSms (RPC, Version 2017-05-25): https://help.aliyun.com/document_detail/101414.html;
  its signature (HMAC-SHA1, SignatureVersion 1.0: the parameters sorted, each name and value
  percent-encoded as RFC 3986 — space %20, ``*`` %2A, ``~`` kept —, the string to sign
  ``POST&%2F&`` + the encoded query, the key the secret + ``&``):
  https://help.aliyun.com/document_detail/101343.html; error codes:
  https://help.aliyun.com/document_detail/101346.html.
- 腾讯云 SendSms (Version 2021-01-11): https://cloud.tencent.com/document/api/382/55981; its
  signature v3 (TC3-HMAC-SHA256: the canonical request, the credential scope
  ``date/sms/tc3_request``, the key derived from ``"TC3" + SecretKey`` through the date, the
  service and ``tc3_request``): https://cloud.tencent.com/document/api/382/52072; error codes:
  https://cloud.tencent.com/document/api/382/52075.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Protocol
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from . import reveal, scrub
from .calls import bad_answer, call, json_of, platform_error, unknown_code


class SmsProvider(Protocol):
    def send(self, mobile: str, template_code: str, params: dict[str, str]) -> str:
        """Sends one templated message; returns the provider's id of it, or raises
        ``PlatformError``."""
        ...


_LIMIT = _("the provider's sending limit for this number or account was reached.")
_BUSY = _("the provider is busy.")
_KEY = _("the access key or its secret is wrong.")
_MOBILE = _("the mobile number is invalid.")
_TEMPLATE = _("the signature name or the template is not approved, or does not exist.")
_PARAMS = _("the template's parameters do not match it.")
_BALANCE = _("the account's balance is not enough.")
_CLOCK = _("the request's time was refused: check this server's clock.")
_REFUSED = _("the number refused messages (unsubscribed or blacklisted).")

ALIYUN_ERRORS = {
    "isv.BUSINESS_LIMIT_CONTROL": (_LIMIT, True),
    "isv.DAY_LIMIT_CONTROL": (_LIMIT, True),
    "Throttling.User": (_LIMIT, True),
    "isp.SYSTEM_ERROR": (_BUSY, True),
    "isp.RAM_PERMISSION_DENY": (_KEY, False),
    "ServiceUnavailable": (_BUSY, True),
    "isv.MOBILE_NUMBER_ILLEGAL": (_MOBILE, False),
    "isv.MOBILE_COUNT_OVER_LIMIT": (_MOBILE, False),
    "isv.SMS_SIGNATURE_ILLEGAL": (_TEMPLATE, False),
    "isv.SMS_TEMPLATE_ILLEGAL": (_TEMPLATE, False),
    "isv.TEMPLATE_MISSING_PARAMETERS": (_PARAMS, False),
    "isv.INVALID_JSON_PARAM": (_PARAMS, False),
    "isv.AMOUNT_NOT_ENOUGH": (_BALANCE, False),
    "isv.OUT_OF_SERVICE": (_BALANCE, False),
    "isv.BLACK_KEY_CONTROL_LIMIT": (_REFUSED, False),
    "SignatureDoesNotMatch": (_KEY, False),
    "InvalidAccessKeyId.NotFound": (_KEY, False),
    "InvalidAccessKeyId.Inactive": (_KEY, False),
    "InvalidTimeStamp.Expired": (_CLOCK, False),
    "SignatureNonceUsed": (_BUSY, True),
}

TENCENT_ERRORS = {
    "AuthFailure.SecretIdNotFound": (_KEY, False),
    "AuthFailure.SignatureFailure": (_KEY, False),
    "AuthFailure.SignatureExpire": (_CLOCK, False),
    "AuthFailure.UnauthorizedOperation": (_KEY, False),
    "InternalError": (_BUSY, True),
    "InternalError.Timeout": (_BUSY, True),
    "RequestLimitExceeded": (_LIMIT, True),
    "LimitExceeded.PhoneNumberDailyLimit": (_LIMIT, True),
    "LimitExceeded.PhoneNumberOneHourLimit": (_LIMIT, True),
    "LimitExceeded.PhoneNumberThirtySecondLimit": (_LIMIT, True),
    "LimitExceeded.DeliveryFrequencyLimit": (_LIMIT, True),
    "LimitExceeded.AppDailyLimit": (_LIMIT, True),
    "InvalidParameterValue.IncorrectPhoneNumber": (_MOBILE, False),
    "FailedOperation.SignatureIncorrectOrUnapproved": (_TEMPLATE, False),
    "FailedOperation.TemplateIncorrectOrUnapproved": (_TEMPLATE, False),
    "InvalidParameterValue.TemplateParameterFormatError": (_PARAMS, False),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (_PARAMS, False),
    "FailedOperation.InsufficientBalanceInSmsPackage": (_BALANCE, False),
    "FailedOperation.PhoneNumberInBlacklist": (_REFUSED, False),
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": (_MOBILE, False),
}


def _error(table: dict, platform: str, code: str, message: str, *secrets):
    meaning, retry = table.get(code, (unknown_code(), True))
    return platform_error(
        platform, code, str(meaning), retry=retry, detail=scrub(message, *secrets)
    )


# --- 阿里云 ----------------------------------------------------------------------------------


def percent_encode(text: str) -> str:
    """阿里云's POP encoding: RFC 3986, UTF-8; only letters, digits and ``-_.~`` stay."""
    return quote(str(text), safe="~")


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunSms:
    def __init__(
        self,
        access_key_id: str,
        access_key_secret,
        sign_name: str,
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        *,
        region: str = "cn-hangzhou",
        timeout: float | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = reveal(access_key_secret)
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout

    @property
    def platform(self) -> str:
        return pgettext("channel platform", "Alibaba Cloud SMS")

    def __repr__(self) -> str:
        return f"AliyunSms(access_key_id={self.access_key_id!r}, secret=***)"

    def send(self, mobile: str, template_code: str, params: dict[str, str]) -> str:
        fields = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": mobile,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        }
        signature = aliyun_signature(self._secret, "POST", fields)
        body = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}"
            for k, v in [*fields.items(), ("Signature", signature)]
        )
        secrets = (self._secret, signature)
        response = call(
            "POST",
            self.endpoint,
            data=body.encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            platform=self.platform,
            timeout=self.timeout,
            secrets=secrets,
        )
        answer = json_of(response, platform=self.platform)
        code = str(answer.get("Code", ""))
        if code == "OK":
            return str(answer.get("BizId", ""))
        if not code:
            raise bad_answer(self.platform)
        raise _error(ALIYUN_ERRORS, self.platform, code, str(answer.get("Message", "")), *secrets)


# --- 腾讯云 ----------------------------------------------------------------------------------


def _hmac256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def tencent_authorization(
    *,
    secret_id: str,
    secret_key: str,
    host: str,
    payload: bytes,
    timestamp: int,
    service: str = "sms",
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """The ``Authorization`` header of a TC3-HMAC-SHA256 signed POST to ``host``."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac256(_hmac256(_hmac256(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentSms:
    def __init__(
        self,
        secret_id: str,
        secret_key,
        sdk_app_id: str,
        sign_name: str,
        region: str = "ap-guangzhou",
        endpoint: str = "https://sms.tencentcloudapi.com",
        *,
        timeout: float | None = None,
    ) -> None:
        self.secret_id = secret_id
        self._secret_key = reveal(secret_key)
        self.sdk_app_id = str(sdk_app_id)
        self.sign_name = sign_name
        self.region = region
        self.endpoint = endpoint
        self.timeout = timeout

    @property
    def platform(self) -> str:
        return pgettext("channel platform", "Tencent Cloud SMS")

    def __repr__(self) -> str:
        return f"TencentSms(secret_id={self.secret_id!r}, secret_key=***)"

    def send(self, mobile: str, template_code: str, params: dict[str, str]) -> str:
        """``params``' values fill the template's {1}, {2}, … in the dict's order."""
        number = mobile if mobile.startswith("+") else f"+86{mobile}"
        payload = json.dumps(
            {
                "PhoneNumberSet": [number],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": str(template_code),
                "TemplateParamSet": [str(v) for v in params.values()],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        host = urlsplit(self.endpoint).netloc.lower()
        timestamp = int(time.time())
        authorization = tencent_authorization(
            secret_id=self.secret_id,
            secret_key=self._secret_key,
            host=host,
            payload=payload,
            timestamp=timestamp,
        )
        secrets = (self._secret_key, authorization.rsplit("=", 1)[-1])
        response = call(
            "POST",
            self.endpoint,
            data=payload,
            headers={
                "Authorization": authorization,
                "Content-Type": "application/json; charset=utf-8",
                "Host": host,
                "X-TC-Action": "SendSms",
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Version": "2021-01-11",
                "X-TC-Region": self.region,
            },
            platform=self.platform,
            timeout=self.timeout,
            secrets=secrets,
        )
        answer = json_of(response, platform=self.platform).get("Response")
        if not isinstance(answer, dict):
            raise bad_answer(self.platform)
        error = answer.get("Error")
        if isinstance(error, dict):
            raise _error(
                TENCENT_ERRORS,
                self.platform,
                str(error.get("Code", "")),
                str(error.get("Message", "")),
                *secrets,
            )
        statuses = answer.get("SendStatusSet") or []
        if not statuses or not isinstance(statuses[0], dict):
            raise bad_answer(self.platform)
        status = statuses[0]
        if status.get("Code") == "Ok":
            return str(status.get("SerialNo", ""))
        raise _error(
            TENCENT_ERRORS,
            self.platform,
            str(status.get("Code", "")),
            str(status.get("Message", "")),
            *secrets,
        )


# --- tests and demo ----------------------------------------------------------------------------

#: What ``TestSms`` was asked to send: (mobile, template_code, params), oldest first.
TEST_OUTBOX: list[tuple[str, str, dict[str, str]]] = []


class TestSms:
    """Sends nothing: keeps each message in ``TEST_OUTBOX``."""

    __test__ = False  # not a pytest test class

    def send(self, mobile: str, template_code: str, params: dict[str, str]) -> str:
        TEST_OUTBOX.append((mobile, template_code, dict(params)))
        return f"test-{len(TEST_OUTBOX)}"
