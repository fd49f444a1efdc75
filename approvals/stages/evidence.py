"""Evidence documents: which uploads a stage request accepts, and the name each is stored under.

An upload is accepted when its extension is one of ``EVIDENCE_FILE_TYPES``, it is no larger than
``EVIDENCE_FILE_MAX_MB`` and its content is what the extension says. The first bytes are named by
``filetype`` (pure Python, no libmagic); the office formats built on a ZIP or an OLE2 container
are looked into here, because ``filetype`` names them only when their parts come in the order
one writer uses (a .docx whose ``word/`` part comes late, any OFD, most .xls are "zip" or nothing).
"""

from __future__ import annotations

import secrets
import zipfile
from collections.abc import Iterable

import filetype
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from filetype.types.archive import Zip

from approvals.core.machine import TransitionRefused

# As much as filetype itself reads: every signature it knows lies within it.
HEAD_BYTES = 8192
# The compound-file signature of Office 97–2003 documents. Which kind an OLE2 file holds is
# written in its directory, which filetype does not read; any OLE2 file passes for both.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_TYPES = frozenset({"doc", "xls"})
# What a ZIP-based type must hold (a name ending in "/" is a folder): OOXML keeps its parts
# under word/ or xl/ beside [Content_Types].xml; OFD (GB/T 33190) its entry file at the root.
ZIP_PARTS = {
    "docx": ("[Content_Types].xml", "word/"),
    "xlsx": ("[Content_Types].xml", "xl/"),
    "ofd": ("OFD.xml",),
}
# filetype's name for the content where it differs from the extension (an APNG is a PNG).
KINDS = {"jpeg": {"jpg"}, "png": {"png", "apng"}}
# FileField's max_length (100) holds the whole path: "stage-requests/YYYY/MM/" (23 characters),
# the name, and the "_abcdefg" (8) storage appends when the name is taken. 60 leaves room, and
# at 3 bytes a CJK character stays well below the 255 bytes a file system allows in a name.
NAME_MAX = 60
SUFFIX_MAX = 10  # no document type has a longer extension; keeps room for the name itself


def _zip_holds(upload: File, parts: Iterable[str]) -> bool:
    # The central directory is at the end of a ZIP: the whole file is read, not only its head.
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
    finally:
        upload.seek(0)  # the file is still to be saved
    return all(any(n.startswith(p) if p.endswith("/") else n == p for n in names) for p in parts)


def _content_matches(upload: File, suffix: str, head: bytes, kind: str | None) -> bool:
    if suffix in OLE2_TYPES:
        return head.startswith(OLE2)
    if suffix in ZIP_PARTS:
        # The head must be a ZIP itself: zipfile also opens an .exe with a ZIP appended.
        return Zip().match(head) and _zip_holds(upload, ZIP_PARTS[suffix])
    return kind in KINDS.get(suffix, {suffix})


def _problem(upload: File, allowed: list[str], limit: int) -> str | None:
    """What is wrong with one upload, or None."""
    name = getattr(upload, "name", str(upload))
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in allowed:
        return _("“%(name)s”: file type not accepted (accepted: %(types)s).") % {
            "name": name,
            "types": "、".join(allowed),
        }
    if upload.size > limit * 1024 * 1024:
        return _("“%(name)s”: larger than %(limit)d MB.") % {"name": name, "limit": limit}
    upload.seek(0)
    try:
        head = upload.read(HEAD_BYTES)
    finally:
        upload.seek(0)  # the file is still to be saved
    if not head:
        return _("“%(name)s”: the file is empty.") % {"name": name}
    guessed = filetype.guess(head)
    kind = guessed.extension if guessed else None
    if _content_matches(upload, suffix, head, kind):
        return None
    if kind is None:
        return _("“%(name)s”: the content does not match the .%(type)s extension.") % {
            "name": name,
            "type": suffix,
        }
    return _(
        "“%(name)s”: the content does not match the .%(type)s extension (it is a .%(kind)s file)."
    ) % {"name": name, "type": suffix, "kind": kind}


def check_attachments(uploads: Iterable[File]) -> list[File]:
    """The uploads, when every one is an accepted document; otherwise ``TransitionRefused``
    naming each bad file at once, so that the officer fixes them all in one go."""
    uploads = list(uploads)
    allowed = settings.EVIDENCE_FILE_TYPES
    limit = settings.EVIDENCE_FILE_MAX_MB
    problems = [p for p in (_problem(u, allowed, limit) for u in uploads) if p]
    if problems:
        raise TransitionRefused(problems)
    return uploads


def _clean(text: str) -> str:
    try:
        return get_valid_filename(text)
    except SuspiciousFileOperation:  # nothing left, or only "." or ".."
        return ""


def stored_name(filename: str) -> str:
    """The name a document is stored under: Django's safe characters (letters of any script,
    digits, "-", "_", "."), the extension in lower case, at most ``NAME_MAX`` characters; a
    generated ``evidence-<8 hex>`` name when nothing readable is left, never a hidden dot-file."""
    stem, dot, suffix = filename.strip().rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    suffix = _clean(suffix).lower()[:SUFFIX_MAX]
    ending = f".{suffix}" if suffix else ""
    stem = _clean(stem).lstrip(".")[: NAME_MAX - len(ending)]
    if not any(c.isalnum() for c in stem):  # "", "_", "-…": nothing a person could read
        stem = f"evidence-{secrets.token_hex(4)}"
    return f"{stem}{ending}"
