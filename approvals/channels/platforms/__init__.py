"""The platforms' HTTP clients (issue 23): 企业微信 (group robot, application messages), 钉钉
(custom group robot), SMS providers. They know nothing of the desk's models: a channel's
delivery (``approvals.channels.delivery``) gives them addresses, secrets and texts.

Every failure is a ``PlatformError`` whose message names the platform, the code it answered
and what it means, and never a secret: a webhook's key, an access token, a signature are
scrubbed from it (requests' own errors name the URL they called, the key in its query).

- ``wecom``: ``WecomRobot`` (a group's webhook), ``WecomApp`` (application messages);
- ``dingtalk``: ``DingtalkRobot`` and ``sign``;
- ``sms``: ``SmsProvider``, ``AliyunSms``, ``TencentSms``, ``TestSms``;
- ``calls``: the one HTTP call they all make (timeout, errors, scrubbing).

The secrets they take may be ``str`` or anything with ``reveal()`` (``approvals.core.secrets``'s
``Secret``); a client's ``repr`` never shows them.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, quote_plus


class PlatformError(Exception):
    """A call that did not deliver. ``retry``: whether trying again later may succeed (a
    timeout, a rate limit, a server error), or not (a wrong address or secret: an
    administrator must correct the channel first; the delivery still retries it with backoff,
    as a corrected channel then delivers). ``code``: the platform's code (``93000``,
    ``"isv.MOBILE_NUMBER_ILLEGAL"``), an HTTP status as ``"http-502"``, or ``"timeout"``,
    ``"connection"``, ``"too-long"``, ``"bad-answer"`` for what the desk saw itself.
    ``detail``: the platform's own words (its ``errmsg``), scrubbed, for a log line; English
    or Chinese as the platform wrote them, so not for a page."""

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None = None,
        retry: bool = True,
        detail: str = "",
    ):
        super().__init__(message)
        self.code = code
        self.retry = retry
        self.detail = detail

    def __repr__(self) -> str:
        return f"PlatformError({str(self)!r}, code={self.code!r}, retry={self.retry!r})"


# --- secrets out of messages and log lines ------------------------------------------------------

#: Query parameters whose value is a credential: 企业微信's webhook ``key``, ``access_token``
#: (企业微信's and 钉钉's), ``corpsecret``, 钉钉's ``sign``, 阿里云's ``Signature`` and
#: ``AccessKeyId``.
SENSITIVE_PARAMETERS = ("key", "access_token", "corpsecret", "sign", "signature", "accesskeyid")
_SENSITIVE_QUERY = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(" + "|".join(SENSITIVE_PARAMETERS) + r")=[^&\s'\"<>)\]]*"
)
MASK = "***"


def reveal(value) -> str:
    """A secret's text, whether given as ``str`` or as a ``Secret`` (``reveal()``)."""
    if value is None:
        return ""
    return value.reveal() if hasattr(value, "reveal") else str(value)


def scrub(text: object, *secrets: object) -> str:
    """``text`` without any secret: the value of every sensitive query parameter masked, and
    every given secret (as written, percent-encoded, and form-encoded) replaced by ``***``."""
    text = _SENSITIVE_QUERY.sub(lambda m: f"{m.group(1)}={MASK}", str(text))
    for secret in secrets:
        secret = reveal(secret)
        if len(secret) < 4:  # a 1-3 character "secret" would mask ordinary words
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, MASK)
    return text


class _ScrubQueries(logging.Filter):
    """urllib3 logs every request line at DEBUG ("POST /cgi-bin/webhook/send?key=... HTTP/1.1")
    and its retries with the URL: the credentials in those queries are masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def _install_log_filter() -> None:
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ScrubQueries) for f in logger.filters):
            logger.addFilter(_ScrubQueries())


_install_log_filter()
