"""A fake of the platforms the channels call (issue 23), on 127.0.0.1, over real HTTP: 企业微信's
group robots and application API, 钉钉's custom robots, 阿里云's and 腾讯云's SendSms. It checks
requests as the platforms do (keys, tokens, signatures, lengths) and answers with their
documented success and error bodies; it records every request; a test can make it fail, hang or
hold a call.

It imports nothing of the desk (and no Django): each signature is computed here again, on its
own, so a client's wrong signature is refused rather than agreed with.

In a test: the ``platforms`` fixture (tests/channels/conftest.py) yields a started
``PlatformServers``. In another process (a real worker's test)::

    python -m tests.channels.platform_servers --port-file F [--requests-file R] [--config C]

writes its port to F once it listens, appends each answered request to R as a JSON line, takes
its registrations (the shape of ``PlatformServers.register``) from the JSON file C, and serves
``GET /_received`` (the requests so far, JSON) and ``POST /_control`` (``{"op": "fail_next",
...}``, see ``PlatformServers.control``); ``PlatformsClient(base_url)`` speaks those two.

Platforms, as named in ``received``/``sent``/``fail_next``/``hang``/``hold``: ``wecom_robot``
(send and upload_media), ``wecom_token`` (gettoken), ``wecom_app`` (message/send), ``dingtalk``,
``aliyun``, ``tencent``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

PLATFORMS = ("wecom_robot", "wecom_token", "wecom_app", "dingtalk", "aliyun", "tencent")

#: The documented errmsg of the codes a test injects most (what the real platforms write).
ERRMSGS = {
    -1: "system busy",
    45009: "api freq out of limit",
    93000: "invalid webhook url",
    42001: "access_token expired",
    40014: "invalid access_token",
    60020: "not allow to access from your ip",
    130101: "send too fast, exceed 20 times per minute",
    410100: "send too fast",
    310000: "sign not match",
    300001: "token is not exist",
    400102: "robot is disabled",
}
WECOM_MORE = ", hint: [{hint}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e={code}"


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Received:
    """One request as the fake platform saw it, and its answer."""

    platform: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, str] | None = None
    parts: list[Part] = field(default_factory=list)
    status: int | None = None
    answer: Any = None
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        """Whether the platform accepted it (HTTP 200 and its success code)."""
        if self.status != 200 or not isinstance(self.answer, dict):
            return False
        a = self.answer
        if self.platform == "aliyun":
            return a.get("Code") == "OK"
        if self.platform == "tencent":
            statuses = a.get("Response", {}).get("SendStatusSet") or []
            return bool(statuses) and all(s.get("Code") == "Ok" for s in statuses)
        return a.get("errcode") == 0

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    def to_dict(self) -> dict:
        return {
            "platform": self.platform,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "json": self.json,
            "form": self.form,
            "parts": [
                {
                    "name": p.name,
                    "filename": p.filename,
                    "content_type": p.content_type,
                    "data_b64": base64.b64encode(p.data).decode(),
                }
                for p in self.parts
            ],
            "status": self.status,
            "answer": self.answer,
            "ok": self.ok,
            "at": self.at,
        }


def _parse_multipart(body: bytes, content_type: str) -> list[Part]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return []
    boundary = b"--" + match.group(1).encode()
    parts = []
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        parts.append(
            Part(
                name=name.group(1) if name else "",
                filename=filename.group(1) if filename else None,
                content_type=headers.get("content-type"),
                data=data,
            )
        )
    return parts


# --- the signatures, computed again here ----------------------------------------------------------

_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _rfc3986(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    mac = hmac.new(secret.encode(), (timestamp + "\n" + secret).encode(), "sha256")
    return base64.b64encode(mac.digest()).decode()


def aliyun_expected_signature(secret: str, method: str, params: dict[str, str]) -> str:
    pairs = sorted((_rfc3986(k), _rfc3986(v)) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{k}={v}" for k, v in pairs)
    to_sign = method + "&" + _rfc3986("/") + "&" + _rfc3986(canonical)
    return base64.b64encode(
        hmac.new((secret + "&").encode(), to_sign.encode(), "sha1").digest()
    ).decode()


def tencent_expected_signature(
    secret_key: str,
    headers: dict[str, str],
    signed: list[str],
    body: bytes,
    timestamp: int,
    scope: str,
) -> str:
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip().lower()}\n" for h in signed)
    # 腾讯云 lower-cases the header values it signs (content-type's value and host)
    request = "\n".join(
        ["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(request.encode()).hexdigest(),
        ]
    )
    date, service, _ = scope.split("/")
    key = ("TC3" + secret_key).encode()
    for step in (date, service, "tc3_request"):
        key = hmac.new(key, step.encode(), "sha256").digest()
    return hmac.new(key, to_sign.encode(), "sha256").hexdigest()


# --- the server ----------------------------------------------------------------------------------


class PlatformServers:
    def __init__(self, *, requests_file: str | None = None, port: int = 0) -> None:
        self._lock = threading.RLock()
        self.requests: list[Received] = []
        #: 企业微信 robots' keys that exist (others: 93000)
        self.wecom_keys: set[str] = set()
        #: 企业微信 corporations: corp_id -> the application's secret
        self.wecom_corps: dict[str, str] = {}
        #: 企业微信 members the application reaches (None: every user ID)
        self.wecom_users: set[str] | None = None
        #: 钉钉 robots: access_token -> its 加签 secret ("" for a robot without 加签)
        self.dingtalk_secret: dict[str, str] = {}
        #: 钉钉 robots with keyword security: access_token -> keywords (one must be in the text)
        self.dingtalk_keywords: dict[str, list[str]] = {}
        #: 阿里云 AccessKeyId -> AccessKey secret; 腾讯云 SecretId -> SecretKey
        self.aliyun_keys: dict[str, str] = {}
        self.tencent_keys: dict[str, str] = {}
        self._tokens: dict[str, dict] = {}
        self._media: set[str] = set()
        self._nonces: set[str] = set()
        self._failures: dict[str, list[tuple[Any, int]]] = {}
        self._hangs: dict[str, list[float]] = {}
        self._held: set[str] = set()
        self._release = threading.Event()
        self._pending = threading.Event()
        self._requests_file = requests_file
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- life --------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PlatformServers:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> PlatformServers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------
    def wecom_webhook(self, key: str, *, register: bool = True) -> str:
        if register:
            self.wecom_keys.add(key)
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def dingtalk_webhook(
        self, token: str, secret: str | None = None, *, register: bool = True
    ) -> str:
        if register:
            self.dingtalk_secret.setdefault(token, "")
            if secret is not None:
                self.dingtalk_secret[token] = secret
        return f"{self.base_url}/robot/send?access_token={token}"

    @property
    def wecom_api_base(self) -> str:
        return self.base_url

    @property
    def aliyun_endpoint(self) -> str:
        return f"{self.base_url}/aliyun/"

    @property
    def tencent_endpoint(self) -> str:
        return f"{self.base_url}/tencent/"

    def register(self, config: dict) -> None:
        """Registrations from JSON: ``{"wecom_keys": [...], "wecom_corps": {corp: secret},
        "wecom_users": [...], "dingtalk_secret": {token: secret}, "dingtalk_keywords": {token:
        [...]}, "aliyun_keys": {id: secret}, "tencent_keys": {id: key}}``."""
        with self._lock:
            self.wecom_keys.update(config.get("wecom_keys", ()))
            self.wecom_corps.update(config.get("wecom_corps", {}))
            if "wecom_users" in config:
                self.wecom_users = set(config["wecom_users"])
            self.dingtalk_secret.update(config.get("dingtalk_secret", {}))
            self.dingtalk_keywords.update(config.get("dingtalk_keywords", {}))
            self.aliyun_keys.update(config.get("aliyun_keys", {}))
            self.tencent_keys.update(config.get("tencent_keys", {}))

    # --- what was received -------------------------------------------------------------------
    def received(self, platform: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if platform in (None, r.platform)]

    def sent(self, platform: str) -> list[Received]:
        """The requests of ``platform`` it accepted: what reached a group, a person, a phone."""
        return [r for r in self.received(platform) if r.ok]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- faults ------------------------------------------------------------------------------
    def fail_next(
        self, n: int, platform: str, errcode: int | str | None = None, *, status: int = 200
    ) -> None:
        """The next ``n`` requests of ``platform`` answer ``errcode`` (the platform's error
        body, HTTP 200 or ``status``), or, without ``errcode``, HTTP ``status`` with no JSON
        (a proxy's 502)."""
        assert platform in PLATFORMS, platform
        with self._lock:
            self._failures.setdefault(platform, []).extend([(errcode, status)] * n)

    def hang(self, platform: str, seconds: float, n: int = 1) -> None:
        """The next ``n`` requests of ``platform`` are answered ``seconds`` late."""
        with self._lock:
            self._hangs.setdefault(platform, []).extend([seconds] * n)

    def hold(self, platform: str) -> None:
        """Requests of ``platform`` wait, recorded but unanswered, until ``release()``."""
        with self._lock:
            self._held.add(platform)
            self._release.clear()
            self._pending.clear()

    def wait_pending(self, timeout: float = 10) -> bool:
        """Whether a held request arrived within ``timeout`` seconds."""
        return self._pending.wait(timeout)

    def release(self) -> None:
        with self._lock:
            self._held.clear()
            self._release.set()

    def expire_tokens(self) -> None:
        """Every access token given so far answers 42001 (expired) from now on."""
        with self._lock:
            for token in self._tokens.values():
                token["expired"] = True

    def control(self, op: str, **kw) -> Any:
        """The operations ``POST /_control`` runs for another process."""
        if op == "register":
            return self.register(kw)
        if op == "fail_next":
            return self.fail_next(
                kw["n"], kw["platform"], kw.get("errcode"), status=kw.get("status", 200)
            )
        if op == "hang":
            return self.hang(kw["platform"], kw["seconds"], kw.get("n", 1))
        if op == "hold":
            return self.hold(kw["platform"])
        if op == "release":
            return self.release()
        if op == "expire_tokens":
            return self.expire_tokens()
        if op == "clear":
            return self.clear()
        raise ValueError(op)

    # --- answering ---------------------------------------------------------------------------
    def _before_answer(self, platform: str) -> tuple[Any, int] | None:
        with self._lock:
            held = platform in self._held
            hang = self._hangs.get(platform, []).pop(0) if self._hangs.get(platform) else 0
        if held:
            self._pending.set()
            self._release.wait(60)
        if hang:
            time.sleep(hang)
        with self._lock:
            failures = self._failures.get(platform)
            return failures.pop(0) if failures else None

    def _injected(self, platform: str, errcode: Any) -> tuple[int, Any]:
        message = ERRMSGS.get(errcode, "error injected by the test")
        if platform in ("wecom_robot", "wecom_token", "wecom_app"):
            return 200, {
                "errcode": errcode,
                "errmsg": message + WECOM_MORE.format(hint=uuid.uuid4().hex[:12], code=errcode),
            }
        if platform == "dingtalk":
            return 200, {"errcode": errcode, "errmsg": message}
        if platform == "aliyun":
            return 200, {"Code": errcode, "Message": message, "RequestId": str(uuid.uuid4())}
        per_number = str(errcode).split(".")[0] in (
            "FailedOperation",
            "LimitExceeded",
            "InvalidParameterValue",
        )
        if per_number:
            return 200, {
                "Response": {
                    "SendStatusSet": [
                        {
                            "SerialNo": "",
                            "PhoneNumber": "",
                            "Fee": 0,
                            "Code": errcode,
                            "Message": message,
                        }
                    ],
                    "RequestId": str(uuid.uuid4()),
                }
            }
        return 200, {
            "Response": {
                "Error": {"Code": errcode, "Message": message},
                "RequestId": str(uuid.uuid4()),
            }
        }

    def answer(self, received: Received) -> tuple[int, Any]:
        injected = self._before_answer(received.platform)
        if injected is not None:
            errcode, status = injected
            if errcode is None:
                return status, "<html><body>502 Bad Gateway</body></html>"
            code, body = self._injected(received.platform, errcode)
            return status if status != 200 else code, body
        return getattr(self, f"_answer_{received.platform}")(received)

    @staticmethod
    def _wecom_error(code: int, message: str) -> tuple[int, dict]:
        return 200, {
            "errcode": code,
            "errmsg": message + WECOM_MORE.format(hint=uuid.uuid4().hex[:12], code=code),
        }

    def _answer_wecom_robot(self, r: Received) -> tuple[int, Any]:
        if r.query.get("key") not in self.wecom_keys:
            return self._wecom_error(93000, "invalid webhook url")
        if r.path.endswith("/upload_media"):
            if r.query.get("type") != "file":
                return self._wecom_error(40005, "invalid media type")
            media = r.part("media")
            if media is None or not media.filename:
                return self._wecom_error(41006, "media_id missing")
            if not 5 <= len(media.data) <= 20 * 1024 * 1024:
                return self._wecom_error(40006, "invalid file size")
            media_id = "media-" + uuid.uuid4().hex
            with self._lock:
                self._media.add(media_id)
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "type": "file",
                "media_id": media_id,
                "created_at": str(int(time.time())),
            }
        body = r.json
        if not isinstance(body, dict):
            return self._wecom_error(40008, "invalid message type")
        kind = body.get("msgtype")
        if kind == "markdown":
            content = (body.get("markdown") or {}).get("content") or ""
            if not content:
                return self._wecom_error(44004, "empty content")
            if len(content.encode()) > 4096:
                return self._wecom_error(40058, "markdown.content exceed max length 4096")
        elif kind == "text":
            text = body.get("text") or {}
            if not text.get("content"):
                return self._wecom_error(44004, "empty content")
            if len(text["content"].encode()) > 2048:
                return self._wecom_error(40058, "text.content exceed max length 2048")
        elif kind == "file":
            if (body.get("file") or {}).get("media_id") not in self._media:
                return self._wecom_error(40007, "invalid media_id")
        else:
            return self._wecom_error(40008, "invalid message type")
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _answer_wecom_token(self, r: Received) -> tuple[int, Any]:
        corp = r.query.get("corpid", "")
        if corp not in self.wecom_corps:
            return self._wecom_error(40013, "invalid corpid")
        if r.query.get("corpsecret") != self.wecom_corps[corp]:
            return self._wecom_error(40001, "invalid credential")
        token = "token-" + uuid.uuid4().hex
        with self._lock:
            self._tokens[token] = {"corp": corp, "expired": False}
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _answer_wecom_app(self, r: Received) -> tuple[int, Any]:
        token = r.query.get("access_token")
        if not token:
            return self._wecom_error(41001, "access_token missing")
        known = self._tokens.get(token)
        if known is None:
            return self._wecom_error(40014, "invalid access_token")
        if known["expired"]:
            return self._wecom_error(42001, "access_token expired")
        body = r.json
        if not isinstance(body, dict) or not isinstance(body.get("agentid"), int):
            return self._wecom_error(40056, "invalid agentid")
        if body.get("msgtype") != "textcard":
            return self._wecom_error(40008, "invalid message type")
        card = body.get("textcard") or {}
        if not card.get("title") or not card.get("description") or not card.get("url"):
            return self._wecom_error(44004, "empty content")
        if len(card["title"].encode()) > 128 or len(card["description"].encode()) > 512:
            return self._wecom_error(40058, "textcard exceed max length")
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        invalid = [u for u in users if self.wecom_users is not None and u not in self.wecom_users]
        if not users or len(invalid) == len(users):
            return self._wecom_error(81013, "user & party & tag all invalid")
        answer = {"errcode": 0, "errmsg": "ok", "msgid": uuid.uuid4().hex}
        if invalid:
            answer["invaliduser"] = "|".join(invalid)
        return 200, answer

    def _answer_dingtalk(self, r: Received) -> tuple[int, Any]:
        token = r.query.get("access_token", "")
        if token not in self.dingtalk_secret:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.dingtalk_secret[token]
        if secret:
            timestamp, signature = r.query.get("timestamp", ""), r.query.get("sign", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
                return 200, {
                    "errcode": 310000,
                    "errmsg": "invalid timestamp, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
                }
            if not hmac.compare_digest(signature, dingtalk_expected_sign(secret, timestamp)):
                return 200, {
                    "errcode": 310000,
                    "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
                }
        body = r.json
        if not isinstance(body, dict):
            return 200, {"errcode": 400105, "errmsg": "msgtype is not supported"}
        kind = body.get("msgtype")
        content = body.get(kind) if isinstance(body.get(kind), dict) else {}
        required = {
            "text": ("content",),
            "markdown": ("title", "text"),
            "link": ("title", "text", "messageUrl"),
        }
        if kind not in required:
            return 200, {"errcode": 400105, "errmsg": "msgtype is not supported"}
        if not all(content.get(k) for k in required[kind]):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        keywords = self.dingtalk_keywords.get(token)
        if keywords and not any(k in json.dumps(content, ensure_ascii=False) for k in keywords):
            return 200, {
                "errcode": 310000,
                "errmsg": "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
            }
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _answer_aliyun(self, r: Received) -> tuple[int, Any]:
        params = dict(r.query)
        if r.form:
            params.update(r.form)
        request_id = str(uuid.uuid4())
        key_id = params.get("AccessKeyId", "")
        if key_id not in self.aliyun_keys:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
                "RequestId": request_id,
            }
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            return 400, {
                "Code": "InvalidSignatureMethod",
                "Message": "Specified signature method is not supported.",
                "RequestId": request_id,
            }
        expected = aliyun_expected_signature(self.aliyun_keys[key_id], r.method, params)
        if not hmac.compare_digest(params.get("Signature", ""), expected):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
                "RequestId": request_id,
            }
        try:
            stamp = dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.UTC
            )
        except ValueError:
            return 400, {
                "Code": "MissingTimestamp",
                "Message": "Timestamp is mandatory.",
                "RequestId": request_id,
            }
        if abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) > 15 * 60:
            return 400, {
                "Code": "InvalidTimeStamp.Expired",
                "Message": "Specified time stamp or date value is expired.",
                "RequestId": request_id,
            }
        with self._lock:
            if params.get("SignatureNonce") in self._nonces:
                return 400, {
                    "Code": "SignatureNonceUsed",
                    "Message": "Specified signature nonce was used already.",
                    "RequestId": request_id,
                }
            self._nonces.add(params.get("SignatureNonce", ""))
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return 400, {
                "Code": "InvalidAction.NotFound",
                "Message": "Specified api is not found.",
                "RequestId": request_id,
            }
        if not re.fullmatch(r"1\d{10}", params.get("PhoneNumbers", "")):
            return 200, {
                "Code": "isv.MOBILE_NUMBER_ILLEGAL",
                "Message": "非法手机号",
                "RequestId": request_id,
            }
        try:
            template_param = json.loads(params.get("TemplateParam", "{}"))
        except ValueError:
            template_param = None
        if not isinstance(template_param, dict):
            return 200, {
                "Code": "isv.INVALID_JSON_PARAM",
                "Message": "JSON参数不合法，只接受字符串值",
                "RequestId": request_id,
            }
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{int(time.time())}^{uuid.uuid4().hex[:10]}",
            "RequestId": request_id,
        }

    def _answer_tencent(self, r: Received) -> tuple[int, Any]:
        request_id = str(uuid.uuid4())

        def error(code: str, message: str) -> tuple[int, dict]:
            return 200, {
                "Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}
            }

        match = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2}/[^/]+/tc3_request), "
            r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
            r.headers.get("authorization", ""),
        )
        if not match:
            return error("AuthFailure.InvalidAuthorization", "Authorization is invalid.")
        secret_id, scope, signed, signature = match.groups()
        if secret_id not in self.tencent_keys:
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = int(r.headers.get("x-tc-timestamp", "0") or 0)
        if abs(time.time() - timestamp) > 300:
            return error("AuthFailure.SignatureExpire", "Signature expired.")
        if (
            scope.split("/")[0] != dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
            or scope.split("/")[1] != "sms"
        ):
            return error("AuthFailure.SignatureFailure", "The credential scope is wrong.")
        signed_headers = signed.split(";")
        if "host" not in signed_headers or "content-type" not in signed_headers:
            return error("AuthFailure.SignatureFailure", "Host and content-type must be signed.")
        expected = tencent_expected_signature(
            self.tencent_keys[secret_id], r.headers, signed_headers, r.body, timestamp, scope
        )
        if not hmac.compare_digest(signature, expected):
            return error(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        if (
            r.headers.get("x-tc-action") != "SendSms"
            or r.headers.get("x-tc-version") != "2021-01-11"
        ):
            return error("InvalidAction", "The action or its version is not found.")
        body = r.json if isinstance(r.json, dict) else {}
        for name in ("PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId"):
            if not body.get(name):
                return error("MissingParameter", f"The parameter {name} is missing.")
        params = body.get("TemplateParamSet", [])
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return error(
                "InvalidParameterValue.TemplateParameterFormatError",
                "TemplateParamSet must be a list of strings.",
            )
        statuses = []
        for number in body["PhoneNumberSet"]:
            if re.fullmatch(r"\+861\d{10}", number):
                statuses.append(
                    {
                        "SerialNo": f"2433:{uuid.uuid4().int % 10**20}",
                        "PhoneNumber": number,
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                )
            else:
                statuses.append(
                    {
                        "SerialNo": "",
                        "PhoneNumber": number,
                        "Fee": 0,
                        "SessionContext": "",
                        "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                        "Message": "手机号格式错误",
                        "IsoCode": "",
                    }
                )
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _answered(self, received: Received) -> None:
        if not self._requests_file:
            return
        with self._lock, open(self._requests_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(received.to_dict(), ensure_ascii=False) + "\n")


def _platform_of(path: str) -> str | None:
    if path.startswith("/cgi-bin/webhook/"):
        return "wecom_robot"
    if path == "/cgi-bin/gettoken":
        return "wecom_token"
    if path == "/cgi-bin/message/send":
        return "wecom_app"
    if path == "/robot/send":
        return "dingtalk"
    if path.startswith("/aliyun"):
        return "aliyun"
    if path.startswith("/tencent"):
        return "tencent"
    return None


def _handler_for(servers: PlatformServers):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args) -> None:  # quiet: the test reads .requests
            pass

        def _reply(self, status: int, body: Any) -> None:
            data = (
                body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            ).encode()
            kind = "text/html" if isinstance(body, str) else "application/json; charset=UTF-8"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (a timeout, a killed worker)
                pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if parts.path == "/_received":
                return self._reply(200, [r.to_dict() for r in servers.received()])
            if parts.path == "/_control":
                try:
                    spec = json.loads(body)
                    return self._reply(200, {"ok": True, "result": servers.control(**spec)})
                except Exception as error:  # a test's mistake, said back to it
                    return self._reply(400, {"ok": False, "error": repr(error)})
            platform = _platform_of(parts.path)
            if platform is None:
                return self._reply(404, {"errcode": 404, "errmsg": "no such path"})
            headers = {k.lower(): v for k, v in self.headers.items()}
            content_type = headers.get("content-type", "")
            received = Received(
                platform=platform,
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers=headers,
                body=body,
            )
            if content_type.startswith("application/json"):
                try:
                    received.json = json.loads(body.decode("utf-8"))
                except ValueError:
                    received.json = None
            elif content_type.startswith("application/x-www-form-urlencoded"):
                received.form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            elif content_type.startswith("multipart/form-data"):
                received.parts = _parse_multipart(body, content_type)
            servers._record(received)
            status, answer = servers.answer(received)
            received.status, received.answer = status, answer
            servers._answered(received)
            self._reply(status, answer)

        do_GET = do_POST = _handle

    return Handler


class PlatformsClient:
    """The standalone server's recordings and controls, from another process."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def received(self, platform: str | None = None) -> list[dict]:
        rows = requests.get(f"{self.base_url}/_received", timeout=10).json()
        return [r for r in rows if platform in (None, r["platform"])]

    def sent(self, platform: str) -> list[dict]:
        return [r for r in self.received(platform) if r["ok"]]

    def control(self, op: str, **kw) -> Any:
        response = requests.post(f"{self.base_url}/_control", json={"op": op, **kw}, timeout=10)
        response.raise_for_status()
        return response.json()["result"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True, help="written with the port once listening")
    parser.add_argument("--requests-file", help="each answered request appended as a JSON line")
    parser.add_argument("--config", help="a JSON file of registrations (PlatformServers.register)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    servers = PlatformServers(requests_file=args.requests_file, port=args.port)
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            servers.register(json.load(f))
    temporary = f"{args.port_file}.{os.getpid()}"
    with open(temporary, "w") as f:
        f.write(str(servers.port))
    os.replace(temporary, args.port_file)
    try:
        servers._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        servers._server.server_close()


if __name__ == "__main__":
    main()
