"""The one reader of the environment for every settings module, and what all of them start from:
the project's folder and the mode (DEBUG).

A value goes through ``env`` (django-environ: a malformed number is an error) or the helpers
below, which refuse a word they cannot read instead of taking it for "off".
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Unlike ``env.bool``, a word that is neither yes nor no is an error, not False."""
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use 1 or 0).")
    return raw in _TRUE


def env_proxies(name: str, default: int) -> int:
    """A number of proxies (a yes/no word reads as 1 or 0); anything else is an error."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw.isascii() and raw.isdigit():
        return int(raw)
    if raw in _TRUE | _FALSE:
        return int(raw in _TRUE)
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a number of proxies (0: none, 1: one, as in front of ./desk serve)."
    )


# Off unless asked for (./desk run sets it): with DEBUG off every knob defaults to production.
DEBUG = env_bool("DEBUG", default=False)
