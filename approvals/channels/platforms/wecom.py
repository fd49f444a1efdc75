"""企业微信 (WeCom): a group's robot (``WecomRobot``) and an application's messages to people
(``WecomApp``).

Following 企业微信's documentation:
- group robots (send, markdown and text with @mentions, file upload and file messages):
  https://developer.work.weixin.qq.com/document/path/91770 — text content at most 2048 bytes,
  markdown at most 4096 bytes (UTF-8), ``<@userid>`` mentions in markdown, ``mentioned_list`` /
  ``mentioned_mobile_list`` in text; ``upload_media?key=KEY&type=file``, multipart field
  ``media``, a file of 5 B to 20 MB, its ``media_id`` valid three days; at most 20 messages a
  minute per robot;
- the access token: https://developer.work.weixin.qq.com/document/path/91039 (``gettoken``,
  ``expires_in`` 7200 s, the same token given again while it lasts; it must be cached, as the
  call is rate-limited, and fetched again when a call answers it invalid or expired);
- application messages: https://developer.work.weixin.qq.com/document/path/90236 (``textcard``:
  title ≤ 128 bytes, description ≤ 512 bytes; ``touser`` "a|b", at most 1000; the answer's
  ``invaliduser`` "a|b");
- error codes: https://developer.work.weixin.qq.com/document/path/90313.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from . import PlatformError, reveal, scrub
from .calls import bad_answer, call, json_of, platform_error, too_long, unknown_code

TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
FILE_MIN, FILE_MAX = 5, 20 * 1024 * 1024
TITLE_LIMIT, DESCRIPTION_LIMIT = 128, 512
#: Seconds before the token's documented end at which it is fetched again (clocks, a slow call).
TOKEN_MARGIN = 300
#: A call answering one of these had a token that no longer serves: a new one, once.
STALE_TOKEN = (40014, 42001, 40001)

#: The documented codes the desk explains: (meaning, whether trying again later may succeed).
ERRORS = {
    -1: (_("the platform is busy."), True),
    40001: (_("the application's secret is wrong (or the token is invalid)."), False),
    40013: (_("the corp ID is wrong."), False),
    40014: (_("the access token is invalid."), True),
    42001: (_("the access token has expired."), True),
    40056: (_("the application's agent ID is wrong."), False),
    40058: (_("the message is too long, or one of its fields is invalid."), False),
    40006: (_("the file's size is not accepted (5 bytes to 20 MB)."), False),
    44004: (_("the message is empty."), False),
    45009: (_("too many calls: the platform's rate limit was reached."), True),
    45033: (_("too many calls at once: the platform's limit was reached."), True),
    60020: (_("this server's IP address is not among the application's trusted IPs."), False),
    81013: (_("none of the recipients is a member the application can reach."), False),
    93000: (
        _("the robot's webhook address is invalid (the robot was removed, or its key is wrong)."),
        False,
    ),
    93004: (_("the robot was disabled."), False),
    93008: (_("the robot is no longer in the group."), False),
}


def _check(body: dict, platform: str, *secrets) -> dict:
    code = body.get("errcode", 0)
    if code in (0, None):
        return body
    meaning, retry = ERRORS.get(code, (unknown_code(), True))
    raise platform_error(
        platform,
        code,
        str(meaning),
        retry=retry,
        detail=scrub(body.get("errmsg", ""), *secrets),
    )


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


class WecomRobot:
    """A group's robot, by its webhook address (which holds its key, the one secret)."""

    def __init__(self, webhook_url, timeout: float | None = None) -> None:
        self._url = reveal(webhook_url)
        parts = urlsplit(self._url)
        self._key = parse_qs(parts.query).get("key", [""])[0]
        self._parts = parts
        self.timeout = timeout
        if not self._key:
            raise PlatformError(
                str(
                    _("%(platform)s: the webhook address has no key.") % {"platform": self.platform}
                ),
                code="bad-address",
                retry=False,
            )

    @property
    def platform(self) -> str:
        return pgettext("channel platform", "WeCom group robot")

    def __repr__(self) -> str:
        return f"WecomRobot({self._parts.netloc}{self._parts.path}?key=***)"

    def _post_json(self, payload: dict) -> dict:
        response = call(
            "POST",
            self._url,
            json=payload,
            platform=self.platform,
            timeout=self.timeout,
            secrets=(self._key,),
        )
        return _check(json_of(response, platform=self.platform), self.platform, self._key)

    def send_markdown(self, content: str) -> None:
        """One markdown message; mentions are written in it as ``<@userid>``."""
        if _size(content) > MARKDOWN_LIMIT:
            raise too_long(self.platform, _size(content), MARKDOWN_LIMIT)
        self._post_json({"msgtype": "markdown", "markdown": {"content": content}})

    def send_text(
        self,
        content: str,
        mentioned_userids: tuple[str, ...] | list[str] = (),
        mentioned_mobiles: tuple[str, ...] | list[str] = (),
    ) -> None:
        """One text message, @mentioning people by user ID and by mobile number."""
        if _size(content) > TEXT_LIMIT:
            raise too_long(self.platform, _size(content), TEXT_LIMIT)
        text: dict = {"content": content}
        if mentioned_userids:
            text["mentioned_list"] = list(mentioned_userids)
        if mentioned_mobiles:
            text["mentioned_mobile_list"] = list(mentioned_mobiles)
        self._post_json({"msgtype": "text", "text": text})

    def upload_file(self, filename: str, data: bytes) -> str:
        """Uploads a file for this robot's ``send_file``; returns its ``media_id`` (valid three
        days)."""
        if not FILE_MIN <= len(data) <= FILE_MAX:
            raise PlatformError(
                str(
                    _("%(platform)s: the file is %(size)s bytes; it accepts 5 bytes to 20 MB.")
                    % {"platform": self.platform, "size": len(data)}
                ),
                code="bad-size",
                retry=False,
            )
        path = self._parts.path.rsplit("/", 1)[0] + "/upload_media"
        query = urlencode({"key": self._key, "type": "file"})
        url = urlunsplit((self._parts.scheme, self._parts.netloc, path, query, ""))
        response = call(
            "POST",
            url,
            files={"media": (filename, data, "application/octet-stream")},
            platform=self.platform,
            timeout=self.timeout,
            secrets=(self._key,),
        )
        body = _check(json_of(response, platform=self.platform), self.platform, self._key)
        media_id = body.get("media_id")
        if not media_id:
            raise bad_answer(self.platform)
        return media_id

    def send_file(self, media_id: str) -> None:
        self._post_json({"msgtype": "file", "file": {"media_id": media_id}})


class WecomApp:
    """An application of a corporation, sending messages to its members by user ID."""

    def __init__(
        self,
        corp_id: str,
        agent_id: int | str,
        secret,
        *,
        api_base: str | None = None,
        timeout: float | None = None,
    ) -> None:
        from django.conf import settings

        self.corp_id = corp_id
        self.agent_id = int(agent_id)
        self._secret = reveal(secret)
        self.api_base = (api_base or settings.WECOM_API_BASE).rstrip("/")
        self.timeout = timeout
        digest = hashlib.sha256(self._secret.encode()).hexdigest()[:16]
        self.cache_key = f"channels:wecom-token:{corp_id}:{self.agent_id}:{digest}"

    @property
    def platform(self) -> str:
        return pgettext("channel platform", "WeCom application")

    def __repr__(self) -> str:
        return f"WecomApp(corp_id={self.corp_id!r}, agent_id={self.agent_id}, secret=***)"

    def _secrets(self, *more: str) -> tuple[str, ...]:
        return (self._secret, *more)

    def access_token(self, *, fresh: bool = False) -> str:
        """The application's token: from the cache while it lasts, else from ``gettoken``."""
        if not fresh:
            token = cache.get(self.cache_key)
            if token:
                return token
        response = call(
            "GET",
            f"{self.api_base}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self._secret},
            platform=self.platform,
            timeout=self.timeout,
            secrets=self._secrets(),
        )
        body = json_of(response, platform=self.platform)
        code = body.get("errcode", 0)
        if code in STALE_TOKEN and code != 40001:
            code = 40001  # gettoken answering "invalid token" can only mean its secret
        if code:
            body = {**body, "errcode": code}
            _check(body, self.platform, *self._secrets())
        token = body.get("access_token") or ""
        if not token:
            raise bad_answer(self.platform)
        expires_in = int(body.get("expires_in") or 7200)
        cache.set(self.cache_key, token, max(60, expires_in - TOKEN_MARGIN))
        return token

    def forget_token(self) -> None:
        cache.delete(self.cache_key)

    def _send(self, payload: dict) -> dict:
        token = self.access_token()
        for attempt in (1, 2):
            response = call(
                "POST",
                f"{self.api_base}/cgi-bin/message/send",
                params={"access_token": token},
                json=payload,
                platform=self.platform,
                timeout=self.timeout,
                secrets=self._secrets(token),
            )
            body = json_of(response, platform=self.platform)
            if attempt == 1 and body.get("errcode") in STALE_TOKEN:
                # another process may have fetched a new token meanwhile, or the platform
                # ended this one early: fetch again, once
                self.forget_token()
                token = self.access_token(fresh=True)
                continue
            return _check(body, self.platform, *self._secrets(token))
        raise AssertionError("unreachable")

    def send_textcard(
        self,
        userids: list[str] | tuple[str, ...],
        title: str,
        description: str,
        url: str,
        btntxt: str = "详情",
        *,
        duplicate_check_seconds: int = 0,
    ) -> list[str]:
        """A text card to members by user ID; returns the user IDs the platform called invalid
        (the others received it). ``duplicate_check_seconds``: the platform drops the same
        message to the same people within that many seconds (at most 4 hours), a second guard
        against a repeated delivery."""
        if _size(title) > TITLE_LIMIT:
            raise too_long(self.platform, _size(title), TITLE_LIMIT)
        if _size(description) > DESCRIPTION_LIMIT:
            raise too_long(self.platform, _size(description), DESCRIPTION_LIMIT)
        payload: dict = {
            "touser": "|".join(userids),
            "msgtype": "textcard",
            "agentid": self.agent_id,
            "textcard": {
                "title": title,
                "description": description,
                "url": url,
                "btntxt": btntxt,
            },
        }
        if duplicate_check_seconds:
            payload["enable_duplicate_check"] = 1
            payload["duplicate_check_interval"] = int(duplicate_check_seconds)
        body = self._send(payload)
        return [u for u in (body.get("invaliduser") or "").split("|") if u]
