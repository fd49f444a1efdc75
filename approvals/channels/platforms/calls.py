"""The one HTTP call every platform client makes: with a timeout (``CHANNEL_TIMEOUT_SECONDS``
unless the client was given one), and with requests' own failures turned into a
``PlatformError`` that names no secret.

requests' ``ConnectionError`` and ``Timeout`` say the whole URL they called, a webhook's key or
an access token in its query: their text is never used (the message says only what happened and
the platform), and the new error is raised ``from None`` so that a traceback logged by the
worker does not print the original one as its context either.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from . import PlatformError, scrub

logger = logging.getLogger("approvals.channels.platforms")


def timeout_of(timeout: float | None) -> float:
    return float(timeout if timeout is not None else settings.CHANNEL_TIMEOUT_SECONDS)


def call(
    method: str,
    url: str,
    *,
    platform: str,
    timeout: float | None,
    secrets: tuple = (),
    **kwargs: Any,
) -> requests.Response:
    """One request; a timeout, a refused connection or any other failure of requests is a
    ``PlatformError`` (retry). The response is returned whatever its status: each platform
    reads its own error bodies (阿里云 answers 400 with a JSON code)."""
    seconds = timeout_of(timeout)
    try:
        response = requests.request(method, url, timeout=seconds, **kwargs)
    except requests.Timeout:
        error = PlatformError(
            _("%(platform)s did not answer within %(seconds)s seconds.")
            % {"platform": platform, "seconds": f"{seconds:g}"},
            code="timeout",
            retry=True,
        )
    except requests.ConnectionError:
        error = PlatformError(
            _("%(platform)s could not be reached (no connection).") % {"platform": platform},
            code="connection",
            retry=True,
        )
    except requests.RequestException as exc:
        error = PlatformError(
            _("%(platform)s could not be called (%(reason)s).")
            % {"platform": platform, "reason": type(exc).__name__},
            code="request",
            retry=True,
        )
    else:
        logger.debug("%s %s: HTTP %s", method, scrub(url, *secrets), response.status_code)
        return response
    logger.debug("%s %s: %s", method, scrub(url, *secrets), error.code)
    raise error from None


def json_of(response: requests.Response, *, platform: str) -> dict:
    """The answer's JSON object, or a ``PlatformError``: an HTTP error status without one
    (a 502 of a proxy: retry; a 4xx: retry too, as a platform's gateway answers 4xx for a
    moment of overload as well), or a body that is no JSON object."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if response.status_code >= 400:
        raise PlatformError(
            _("%(platform)s answered HTTP %(status)s.")
            % {"platform": platform, "status": response.status_code},
            code=f"http-{response.status_code}",
            retry=True,
        )
    raise bad_answer(platform)


def bad_answer(platform: str) -> PlatformError:
    return PlatformError(
        _("%(platform)s answered something that is not the JSON it documents.")
        % {"platform": platform},
        code="bad-answer",
        retry=True,
    )


def platform_error(
    platform: str, code: int | str, meaning: str, *, retry: bool, detail: str = ""
) -> PlatformError:
    return PlatformError(
        _("%(platform)s answered error %(code)s: %(meaning)s")
        % {"platform": platform, "code": code, "meaning": meaning},
        code=code,
        retry=retry,
        detail=detail,
    )


def unknown_code() -> str:
    return _("a code the desk does not know (see the platform's documentation).")


def too_long(platform: str, size: int, limit: int) -> PlatformError:
    return PlatformError(
        _("%(platform)s: the message is %(size)s bytes, more than the %(limit)s it accepts.")
        % {"platform": platform, "size": size, "limit": limit},
        code="too-long",
        retry=False,
    )
