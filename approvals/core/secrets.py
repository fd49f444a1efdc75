"""Secrets kept encrypted at rest (issue 23: the channels' webhook addresses, signing secrets,
application secrets and SMS keys).

A ``SecretField`` stores a Fernet token (cryptography: AES-128-CBC with an HMAC-SHA256, the
library's recommended recipe, not a hand-made cipher) and reads back a ``Secret``: a value that
shows itself only as a mask (in ``str``, ``repr``, a log line, a template, an exception) and gives
its text to whoever asks for it by name, ``reveal()``. The key comes from the environment,
``CHANNEL_SECRET_KEY`` (one Fernet key, or several separated by commas: the first encrypts, all
decrypt, so a key is rotated by putting the new one first). With DEBUG on and no key set, a key is
derived from SECRET_KEY (the demo's and the tests'); with DEBUG off and no key, a secret cannot be
saved and the error says which variable to set.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Secret:
    """A secret's text, never shown: ``str()`` and ``repr()`` give a mask ending in its last two
    characters (so an administrator can tell which one is set); ``reveal()`` gives the text."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def reveal(self) -> str:
        return self._text

    def masked(self) -> str:
        if not self._text:
            return ""
        return "••••••" + (self._text[-2:] if len(self._text) >= 12 else "")

    def __str__(self) -> str:
        return self.masked()

    __repr__ = __str__

    def __bool__(self) -> bool:
        return bool(self._text)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._text == other._text
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._text)


def _keys() -> list[bytes]:
    keys = [k.strip() for k in settings.CHANNEL_SECRET_KEYS if k.strip()]
    if keys:
        return [k.encode() for k in keys]
    if settings.DEBUG:
        derived = hashlib.sha256(("channel-secrets:" + settings.SECRET_KEY).encode()).digest()
        return [base64.urlsafe_b64encode(derived)]
    raise ImproperlyConfigured(
        _(
            "No key to encrypt the channels' secrets: set the environment variable "
            'CHANNEL_SECRET_KEY (make one with: python -c "from cryptography.fernet import '
            'Fernet; print(Fernet.generate_key().decode())").'
        )
    )


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as error:
        raise ImproperlyConfigured(
            _("CHANNEL_SECRET_KEY is not a Fernet key (32 bytes, URL-safe base64): %(error)s")
            % {"error": error}
        ) from None


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            _(
                "A channel's secret cannot be decrypted with CHANNEL_SECRET_KEY: the key was "
                "changed without keeping the old one after it."
            )
        ) from None


class SecretField(models.TextField):
    """Text kept encrypted in the database, read back as a ``Secret``."""

    description = gettext_lazy("Encrypted secret")

    def from_db_value(self, value, expression, connection):
        return Secret(decrypt(value)) if value is not None else Secret("")

    def to_python(self, value):
        if isinstance(value, Secret) or value is None:
            return value or Secret("")
        return Secret(str(value))

    def get_prep_value(self, value):
        if isinstance(value, Secret):
            value = value.reveal()
        return encrypt(value or "")

    def value_to_string(self, obj):  # serialisation (dumpdata): the ciphertext, never the text
        return self.get_prep_value(self.value_from_object(obj))
