"""钉钉 (DingTalk): a group's custom robot (``DingtalkRobot``).

Following 钉钉's documentation:
- the custom robot and its messages (markdown with ``at.atMobiles`` / ``isAtAll``, the mobile
  numbers also written as ``@138…`` in the text for the mention to show; link messages):
  https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type and
  https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages — at most 20
  messages a minute per robot (beyond: 10 minutes of silence); a custom robot sends no files,
  so a file goes as a link to download it;
- the security settings, 加签: https://open.dingtalk.com/document/orgapp/customize-robot-security-settings
  — ``timestamp`` in milliseconds (refused beyond an hour from the platform's clock) and
  ``sign`` = Base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), both UTF-8, URL-encoded in
  the query;
- error codes: the same pages (310000 security settings refused: signature, keyword or IP
  address; 130101 / 410100 sent too fast; 300001 / 400101 / 400106 token or robot unknown;
  400102 robot disabled; 400013 group dissolved).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from . import reveal, scrub
from .calls import call, json_of, platform_error, unknown_code

ERRORS = {
    -1: (_("the platform is busy."), True),
    310000: (
        _("the robot's security settings refused the message (signature, keyword or IP address)."),
        False,
    ),
    300001: (
        _(
            "the robot's access token does not exist (the robot was removed, or the address is wrong)."
        ),
        False,
    ),
    400101: (
        _(
            "the robot's access token does not exist (the robot was removed, or the address is wrong)."
        ),
        False,
    ),
    400106: (_("the robot does not exist."), False),
    400102: (_("the robot was disabled."), False),
    400013: (_("the group was dissolved."), False),
    400105: (_("the message type is not supported."), False),
    130101: (_("sent too fast: a robot may send 20 messages a minute."), True),
    410100: (_("sent too fast: a robot may send 20 messages a minute."), True),
    430101: (_("the message was refused as unsafe content."), False),
}
#: 310000 says which security setting refused in its errmsg ("sign not match", "keywords not in
#: content", "ip X not in whitelist"): the meaning is the setting to correct.
SECURITY_REFUSALS = (
    (
        r"\bsign\b",
        _("the signature does not match: check the robot's secret and this server's clock."),
    ),
    (r"keyword", _("the message contains none of the robot's keywords.")),
    (r"\bip\b", _("this server's IP address is not in the robot's allowed range.")),
)


def sign(secret: str, timestamp_ms: int) -> str:
    """钉钉's 加签: Base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")) (not yet URL-encoded)."""
    secret = reveal(secret)
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class DingtalkRobot:
    """A group's custom robot, by its webhook address (holding its ``access_token``) and, when
    its security setting is 加签, its secret (``SEC…``)."""

    def __init__(self, webhook_url, secret="", timeout: float | None = None) -> None:
        self._url = reveal(webhook_url)
        self._secret = reveal(secret)
        parts = urlsplit(self._url)
        self._token = parse_qs(parts.query).get("access_token", [""])[0]
        self._where = f"{parts.netloc}{parts.path}"
        self.timeout = timeout

    @property
    def platform(self) -> str:
        return pgettext("channel platform", "DingTalk group robot")

    def __repr__(self) -> str:
        signed = ", secret=***" if self._secret else ""
        return f"DingtalkRobot({self._where}?access_token=***{signed})"

    def _post(self, payload: dict) -> None:
        params = {}
        signature = ""
        if self._secret:
            timestamp = int(time.time() * 1000)
            signature = sign(self._secret, timestamp)
            params = {"timestamp": timestamp, "sign": signature}
        secrets = (self._token, self._secret, signature)
        response = call(
            "POST",
            self._url,
            params=params,
            json=payload,
            platform=self.platform,
            timeout=self.timeout,
            secrets=secrets,
        )
        body = json_of(response, platform=self.platform)
        code = body.get("errcode", 0)
        if code in (0, None):
            return
        errmsg = str(body.get("errmsg", ""))
        meaning, retry = ERRORS.get(code, (unknown_code(), True))
        if code == 310000:
            meaning = next(
                (m for words, m in SECURITY_REFUSALS if re.search(words, errmsg, re.I)), meaning
            )
        raise platform_error(
            self.platform, code, str(meaning), retry=retry, detail=scrub(errmsg, *secrets)
        )

    def send_markdown(
        self,
        title: str,
        text: str,
        at_mobiles: tuple[str, ...] | list[str] = (),
        at_all: bool = False,
    ) -> None:
        """One markdown message (``title`` shows in the conversation list); a mentioned mobile
        is also written as ``@138…`` in ``text`` by the caller, where the mention shows."""
        self._post(
            {
                "msgtype": "markdown",
                "markdown": {"title": title, "text": text},
                "at": {"atMobiles": list(at_mobiles), "isAtAll": bool(at_all)},
            }
        )

    def send_link(self, title: str, text: str, message_url: str, pic_url: str = "") -> None:
        """A link message: a file to download (a custom robot sends no files)."""
        self._post(
            {
                "msgtype": "link",
                "link": {
                    "title": title,
                    "text": text,
                    "messageUrl": message_url,
                    "picUrl": pic_url,
                },
            }
        )
