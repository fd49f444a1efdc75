"""The province's 三个一批 event: each round (batch) lists projects being signed, starting works
and going into production, with the figures as the zone reported them in that list; and the
record of every spreadsheet imported."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .project import Stage


class Category(models.TextChoices):
    SIGN = "sign", _("Signing (签约一批)")
    START = "start", _("Start of works (开工一批)")
    PRODUCE = "produce", _("Production (投产一批)")


#: The milestone a listed project is expected to pass (guide section 4).
CATEGORY_MILESTONE = {
    Category.SIGN: Stage.SIGNED,
    Category.START: Stage.UNDER_CONSTRUCTION,
    Category.PRODUCE: Stage.IN_PRODUCTION,
}


class Batch(models.Model):
    """One round of the event, installation-wide (guide section 11)."""

    year = models.PositiveSmallIntegerField(_("year"))
    round = models.PositiveSmallIntegerField(_("round"))
    event_date = models.DateField(_("event date"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("三个一批 batch")
        verbose_name_plural = _("三个一批 batches")
        ordering = ["-year", "-round"]
        constraints = [
            models.UniqueConstraint(fields=["year", "round"], name="batch_unique_round"),
        ]

    def __str__(self) -> str:
        return _("%(year)d round %(round)d") % {"year": self.year, "round": self.round}


class BatchEntry(models.Model):
    """A project as one list reported it: reports sum these figures, whatever the project's
    own facts say now."""

    batch = models.ForeignKey(
        Batch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="entries"
    )
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="batch_entries",
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    name = models.CharField(_("name as reported"), max_length=200)
    enterprise = models.CharField(_("enterprise as reported"), max_length=200, blank=True)
    total_investment = models.DecimalField(
        _("total investment as reported (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    expected_annual_output = models.DecimalField(
        _("expected annual output as reported (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    content = models.TextField(_("construction content as reported"), blank=True)
    progress = models.TextField(_("progress as reported"), blank=True)
    problems = models.TextField(_("problems as reported"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("File, sheet and row it came from.")
    )

    class Meta:
        verbose_name = _("batch entry")
        verbose_name_plural = _("batch entries")
        ordering = ["batch", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "project"], name="batch_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.get_category_display()} · {self.name}"


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
    def suffix(self) -> str:
        name = self.file_name.lower()
        return name[name.rfind(".") :] if "." in name else ""

    @property
    def label(self) -> str:
        """How records written by this import name it."""
        return _("import of “%(file)s” (#%(id)s)") % {"file": self.file_name, "id": self.pk}
