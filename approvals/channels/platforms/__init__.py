"""The platforms' HTTP clients (issue 23): 企业微信 (group robot, application messages), 钉钉
(custom group robot), SMS providers. They know nothing of the desk's models: a channel's
delivery (``approvals.channels.delivery``) gives them addresses, secrets and texts.

Every failure is a ``PlatformError`` whose message names the platform, the code it answered
and what it means, and never a secret: a webhook's key, an access token, a signature are
scrubbed from it (requests' own errors name the URL they called, the key in its query)."""

from __future__ import annotations


class PlatformError(Exception):
    """A call that did not deliver. ``retry``: whether trying again later may succeed (a
    timeout, a rate limit, a server error), or not (a wrong address or secret: an
    administrator must correct the channel first; the delivery still retries it with backoff,
    as a corrected channel then delivers)."""

    def __init__(self, message: str, *, code: int | str | None = None, retry: bool = True):
        super().__init__(message)
        self.code = code
        self.retry = retry
