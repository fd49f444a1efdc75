"""The record of every spreadsheet imported: what it asked for, what its preview found, what it
changed (``approvals.spreadsheets.imports`` writes it)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.cases.models.rounds import Batch, round_label


class ImportKind(models.TextChoices):
    PROJECT_LIST = "project_list", _("三个一批 project list")
    APPROVAL_TABLE = "approval_table", _("Approval progress table")
    MONTHLY_TABLE = "monthly_table", _("Monthly progress table")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Previewed")
    APPLIED = "applied", _("Imported")
    REFUSED = "refused", _("Refused")


def import_path(record: SpreadsheetImport, filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{record.token}{record.suffix}"


class SpreadsheetImport(models.Model):
    """One uploaded spreadsheet: what it asked for, what its preview found, what it changed.
    Records written by an import name it."""

    token = models.CharField(_("token"), max_length=32, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to=import_path, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    batch_year = models.PositiveSmallIntegerField(_("batch year"), null=True, blank=True)
    batch_round = models.PositiveSmallIntegerField(_("batch round"), null=True, blank=True)
    event_date = models.DateField(_("event date"), null=True, blank=True)
    batch = models.ForeignKey(
        Batch,
        verbose_name=_("batch"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="imports",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("The page or the command line.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} · {self.get_kind_display()} · {self.get_status_display()}"

    @property
    def round_label(self) -> str:
        """The round this import was asked for, named as every round is ("" for none: an
        approval or monthly table, or a list without a round, the zone's portfolio)."""
        if self.batch_year is None and self.event_date is None:
            return ""
        return round_label(self.batch_year, self.batch_round, self.event_date)

    @property
    def suffix(self) -> str:
        name = self.file_name.lower()
        return name[name.rfind(".") :] if "." in name else ""

    @property
    def label(self) -> str:
        """How records written by this import name it: its number first, then its file, the
        whole within a history row's change reason (``REASON_LENGTH``). ``import_named`` reads
        the number back, in any language and however long the file's name."""
        return _fitted(_("import #%(id)s of “%(file)s”"), {"id": self.pk}, file=self.file_name)

    def correction_label(self, earlier: int, earlier_file: str) -> str:
        """How a fact this import corrects names it and the import that wrote the fact before
        (guide section 12): both numbers first, both files after (shortened alike to fit)."""
        return _fitted(
            _("import #%(id)s of “%(file)s”, correcting import #%(earlier)s of “%(earlier_file)s”"),
            {"id": self.pk, "earlier": earlier},
            file=self.file_name,
            earlier_file=earlier_file,
        )


#: What a django-simple-history change reason holds.
REASON_LENGTH = 100
#: The import a history row's change reason names: the first "#<number>" before any quoted file
#: name (``SpreadsheetImport.label``), or the labels written before it, whose number followed the
#: file (in English "… (#12)", in Chinese "…（第12次导入）").
_NAMED = (
    re.compile(r"^[^“]*?#(\d+)"),
    re.compile(r"\(#(\d+)\)$"),
    re.compile(r"（第(\d+)次导入）$"),
)


def import_named(reason: str | None) -> int | None:
    """The number of the import a history row's change reason names, or None (a person's
    change, or a change of the desk's own)."""
    for pattern in _NAMED:
        if match := pattern.search(reason or ""):
            return int(match.group(1))
    return None


def _fitted(text: str, values: dict, **files: str) -> str:
    """``text`` % ``values`` and the ``files``, each file name shortened alike ("…") so that the
    whole fits ``REASON_LENGTH``."""
    room = REASON_LENGTH - len(text % {**values, **dict.fromkeys(files, "")})
    each = max(room // max(len(files), 1), 1)
    shortened = {k: v if len(v) <= each else v[: each - 1] + "…" for k, v in files.items()}
    return (text % {**values, **shortened})[:REASON_LENGTH]
